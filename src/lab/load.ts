// Labs from the repository's labs/ folder (Node). Each lab is a folder with
// lab.md (English, required) and optional translations lab.<locale>.md.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError, labIdOfFolder, parseLab } from './parse.js';
import type { Lab } from './types.js';

export const labsDir = fileURLToPath(new URL('../../labs', import.meta.url));

export function loadLabFolder(folder: string): Lab {
  const shown = relative(process.cwd(), folder) || folder;
  const english = join(folder, 'lab.md');
  if (!existsSync(english)) throw new LabError(join(shown, 'lab.md'), 1, 'every lab folder needs a lab.md (English)');
  const locales: Record<string, { file: string; text: string }> = {};
  for (const file of readdirSync(folder)) {
    const locale = /^lab\.([a-z]{2}(?:-[A-Z]{2})?)\.md$/.exec(file)?.[1];
    if (locale) locales[locale] = { file: join(shown, file), text: readFileSync(join(folder, file), 'utf8') };
  }
  return parseLab(join(shown, 'lab.md'), readFileSync(english, 'utf8'), locales);
}

/** Every lab in labs/, in folder order (folders are numbered). */
export function loadLabs(dir = labsDir): Lab[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => loadLabFolder(join(dir, name)));
}

/** A lab by id, by folder name, or by path to its folder. */
export function findLab(name: string, dir = labsDir): Lab {
  if (existsSync(join(name, 'lab.md'))) return loadLabFolder(name);
  const folders = readdirSync(dir).sort();
  const folder = folders.find((f) => f === name || labIdOfFolder(f) === name);
  if (folder) return loadLabFolder(join(dir, folder));
  const labs = loadLabs(dir);
  const lab = labs.find((l) => l.id === name);
  if (!lab) throw new Error(`unknown lab '${name}' (there are: ${labs.map((l) => l.id).join(', ')})`);
  return lab;
}
