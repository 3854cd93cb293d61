// Labs in the browser: the ones in labs/ are bundled into the site at build time;
// others come from a file, a folder or a URL the learner gives. Either way a lab is
// data: parsed, checked, and its Markdown sanitized when shown (src/ui/markdown.ts).
import { LabError, labIdOfFolder, parseLab } from './parse.js';
import type { Lab } from './types.js';

const bundled = import.meta.glob('../../labs/*/lab*.md', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

const LOCALE_FILE = /^lab\.([a-z]{2}(?:-[A-Z]{2})?)\.md$/;

/** A lab from its files: lab.md (English) and optional lab.<locale>.md, by file name. */
export function labFromFiles(folder: string, files: Record<string, string>): Lab {
  const english = files['lab.md'];
  const shown = folder ? `${folder}/lab.md` : 'lab.md';
  if (english === undefined) {
    const only = Object.keys(files);
    // A single Markdown file of another name is a lab on its own.
    if (only.length === 1 && only[0]!.endsWith('.md')) return parseLab(folder ? `${folder}/${only[0]}` : only[0]!, files[only[0]!]!);
    throw new LabError(shown, 1, 'a lab folder needs a lab.md (English)');
  }
  const locales: Record<string, { file: string; text: string }> = {};
  for (const [name, text] of Object.entries(files)) {
    const locale = LOCALE_FILE.exec(name)?.[1];
    if (locale) locales[locale] = { file: folder ? `${folder}/${name}` : name, text };
  }
  return parseLab(shown, english, locales);
}

/** The shipped labs' files by folder, in folder order: grouped, not parsed. */
const bundledFolders = (() => {
  const folders = new Map<string, Record<string, string>>();
  for (const [path, text] of Object.entries(bundled)) {
    const [, folder, file] = /labs\/([^/]+)\/([^/]+)$/.exec(path)!;
    folders.set(folder!, { ...folders.get(folder!), [file!]: text });
  }
  return new Map([...folders].sort(([a], [b]) => a.localeCompare(b)));
})();
const parsed = new Map<string, Lab>();

// Parsing every shipped lab takes 0.25-0.4 s in the page, so a page that opens one lab parses
// only that one; the catalogue parses them all, once.
function bundledFolder(folder: string): Lab {
  let lab = parsed.get(folder);
  if (!lab) parsed.set(folder, (lab = labFromFiles(`labs/${folder}`, bundledFolders.get(folder)!)));
  return lab;
}

/** The labs shipped with the site, in folder order. */
export function bundledLabs(): Lab[] {
  return [...bundledFolders.keys()].map(bundledFolder);
}

/** A shipped lab by id: from its folder (named `NN-<id>`, as findLab looks in Node) if that holds it, else from all of them. */
export function bundledLab(id: string): Lab | undefined {
  const folder = [...bundledFolders.keys()].find((name) => labIdOfFolder(name) === id);
  const lab = folder === undefined ? undefined : bundledFolder(folder);
  return lab?.id === id ? lab : bundledLabs().find((candidate) => candidate.id === id);
}

/** A lab from a URL: the Markdown file itself. Fetched as text, never run. */
export async function labFromUrl(url: string): Promise<Lab> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load the lab at ${url}: HTTP ${response.status}`);
  const name = new URL(url, document.baseURI).pathname.split('/').pop() || 'lab.md';
  return labFromFiles('', { [name]: await response.text() });
}
