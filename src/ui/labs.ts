// The labs the page knows: the shipped ones, plus any the learner opened from a file
// or URL during this visit.
import { bundledLabs, labFromFiles, labFromUrl } from '../lab/load-web.js';
import type { Lab } from '../lab/types.js';

export const shipped: Lab[] = bundledLabs();
const opened = new Map<string, Lab>();

export function labById(id: string): Lab | undefined {
  return opened.get(id) ?? shipped.find((lab) => lab.id === id);
}

/** Files from an <input type=file> (one lab.md, or a lab folder); throws a LabError naming file and line. */
export async function openFiles(files: FileList | File[]): Promise<Lab> {
  const list = [...files].filter((f) => f.name.endsWith('.md'));
  const texts: Record<string, string> = {};
  for (const file of list) texts[file.name] = await file.text();
  const folder = (list[0] as File & { webkitRelativePath?: string } | undefined)?.webkitRelativePath?.split('/').slice(0, -1).join('/') ?? '';
  const lab = labFromFiles(folder, texts);
  opened.set(lab.id, lab);
  return lab;
}

export async function openUrl(url: string): Promise<Lab> {
  const lab = await labFromUrl(url);
  opened.set(lab.id, lab);
  return lab;
}
