// The image recipe: the text files in images/ that say what a node is made of.
// Every line is checked here so that a mistake is reported with its file and line.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export class RecipeError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
  }
}

export interface Line { file: string; line: number; words: string[] }

export type RootfsEntry =
  | { kind: 'keep'; path: string; at: Line }
  | { kind: 'copy'; path: string; dest: string; at: Line }
  | { kind: 'link'; target: string; name: string; at: Line };

export interface Recipe {
  dir: string;
  packages: Line[];
  modules: Line[];
  rootfs: RootfsEntry[];
  cmdline: string;
  key: string;
}

/** Non-empty, non-comment lines of a recipe file, split into words. */
export function readLines(file: string, shownAs: string): Line[] {
  const lines: Line[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((text, index) => {
    const words = text.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (words.length) lines.push({ file: shownAs, line: index + 1, words });
  });
  return lines;
}

function parseRootfs(lines: Line[]): RootfsEntry[] {
  const arity = { keep: 1, copy: 2, link: 2 } as const;
  return lines.map((at) => {
    const [verb = '', ...args] = at.words;
    if (!(verb in arity)) throw new RecipeError(at.file, at.line, `unknown verb '${verb}' (expected keep, copy or link)`);
    const want = arity[verb as keyof typeof arity];
    if (args.length !== want) throw new RecipeError(at.file, at.line, `'${verb}' takes ${want} argument(s), got ${args.length}`);
    for (const path of verb === 'link' ? [args[1]!] : args) {
      if (!path.startsWith('/')) throw new RecipeError(at.file, at.line, `path '${path}' must be absolute`);
    }
    if (verb === 'keep') return { kind: 'keep', path: args[0]!, at };
    if (verb === 'copy') return { kind: 'copy', path: args[0]!, dest: args[1]!, at };
    return { kind: 'link', target: args[0]!, name: args[1]!, at };
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** Hash of every input of the build: the recipe files, the guest files and the build code. */
export function recipeKey(dir: string): string {
  const hash = createHash('sha256');
  for (const file of filesUnder(dir).sort()) {
    hash.update(relative(dir, file)).update('\0');
    hash.update(String(statSync(file).mode & 0o111)).update('\0');
    hash.update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export function readRecipe(dir: string): Recipe {
  const packages = readLines(join(dir, 'packages.txt'), 'images/packages.txt');
  for (const at of packages) {
    if (at.words.length !== 1) throw new RecipeError(at.file, at.line, `one package name per line, got '${at.words.join(' ')}'`);
    if (!/^[a-z0-9][a-z0-9+.-]+$/.test(at.words[0]!)) throw new RecipeError(at.file, at.line, `'${at.words[0]}' is not a Debian package name`);
  }
  const modules = readLines(join(dir, 'rootfs/etc/podwire/modules'), 'images/rootfs/etc/podwire/modules');
  const rootfs = parseRootfs(readLines(join(dir, 'rootfs.txt'), 'images/rootfs.txt'));
  const cmdline = readFileSync(join(dir, 'cmdline.txt'), 'utf8').trim();
  return { dir, packages, modules, rootfs, cmdline, key: recipeKey(dir) };
}
