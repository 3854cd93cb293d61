// Assemble the node's root filesystem from the unpacked packages.
// Only what images/rootfs.txt names is kept, plus the shared libraries it needs,
// busybox's applets for the small tools, the chosen kernel modules, and the
// guest files in images/rootfs/ on top.
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { busyboxApplets, isDynamicElf, libraryClosure } from './elf.js';
import { moduleClosure } from './modules.js';
import { RecipeError, type Recipe } from './recipe.js';
import { buildBpf } from './bpf.js';
import { buildTools } from './tools.js';

/** The node uses merged /usr: /bin, /sbin and /lib are symlinks into /usr. */
export function mergedUsr(path: string): string {
  return path.replace(/^\/(bin|sbin|lib)(\/|$)/, '/usr/$1$2');
}

const LIBRARY_DIRS = ['lib/i386-linux-gnu', 'usr/lib/i386-linux-gnu', 'lib', 'usr/lib'];

export interface Assembled { kernelVersion: string; bzimage: string; modules: string[]; bios: string; vgabios: string }

export function assembleRootfs(recipe: Recipe, stage: string, rootfs: string): Assembled {
  for (const dir of ['usr/bin', 'usr/sbin', 'usr/lib', 'proc', 'sys', 'dev', 'run', 'tmp', 'etc', 'root', 'var/lib/cni', 'var/tmp', 'opt/cni/bin']) {
    mkdirSync(join(rootfs, dir), { recursive: true });
  }
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  for (const top of ['bin', 'sbin', 'lib']) symlinkSync(`usr/${top}`, join(rootfs, top));
  symlinkSync('bash', join(rootfs, 'usr/bin/sh'));
  symlinkSync('../run', join(rootfs, 'var/run'));

  const elves: string[] = [];
  const place = (from: string, to: string, at: RecipeError) => {
    const source = join(stage, from);
    if (!existsSync(source) && !isSymlink(source)) throw at;
    const dest = join(rootfs, mergedUsr(to));
    mkdirSync(dirname(dest), { recursive: true });
    cpSync(source, dest, { recursive: true, verbatimSymlinks: true });
    collectElves(dest, elves);
  };
  for (const entry of recipe.rootfs) {
    const missing = (path: string) => new RecipeError(entry.at.file, entry.at.line, `'${path}' is in none of the downloaded packages`);
    if (entry.kind === 'keep') place(entry.path, entry.path, missing(entry.path));
    else if (entry.kind === 'copy') place(entry.path, entry.dest, missing(entry.path));
    else {
      const name = join(rootfs, mergedUsr(entry.name));
      mkdirSync(dirname(name), { recursive: true });
      symlinkSync(entry.target, name);
    }
  }
  copyLibraries(stage, rootfs, elves);
  installBusyboxApplets(stage, rootfs);

  const kernel = installKernel(recipe, stage, rootfs);
  cpSync(join(recipe.dir, 'rootfs'), rootfs, { recursive: true, verbatimSymlinks: true });
  buildTools(join(recipe.dir, 'tools'), rootfs);
  buildBpf(join(recipe.dir, 'bpf'), rootfs);
  return {
    ...kernel,
    bios: join(stage, 'usr/share/seabios/bios.bin'),
    vgabios: join(stage, 'usr/share/seabios/vgabios-stdvga.bin'),
  };
}

function isSymlink(path: string): boolean {
  try { return lstatSync(path).isSymbolicLink(); } catch { return false; }
}

function collectElves(path: string, into: string[]): void {
  const st = lstatSync(path);
  if (st.isDirectory()) for (const child of readdirSync(path)) collectElves(join(path, child), into);
  else if (st.isFile() && isDynamicElf(readFileSync(path))) into.push(path);
}

/** Copy the shared libraries the programs need, read from their ELF headers (nothing is run). */
function copyLibraries(stage: string, rootfs: string, elves: string[]): void {
  const needed = libraryClosure(stage, LIBRARY_DIRS, elves);
  for (const lib of needed) {
    const dest = join(rootfs, mergedUsr(lib));
    if (existsSync(dest)) continue;
    mkdirSync(dirname(dest), { recursive: true });
    cpSync(realpathSync(join(stage, lib)), dest);
  }
}

/** Busybox's applets go last on PATH, so a real tool of the same name always wins. */
function installBusyboxApplets(stage: string, rootfs: string): void {
  const applets = busyboxApplets(readFileSync(join(stage, 'bin/busybox')));
  const dir = join(rootfs, 'usr/lib/busybox');
  mkdirSync(dir, { recursive: true });
  for (const applet of applets) symlinkSync('../../bin/busybox', join(dir, applet));
}

/** The release of the one kernel in the stage (its lib/modules/<release>); more or none is an error. */
export function stagedKernelRelease(stage: string): string {
  const versions = readdirSync(join(stage, 'lib/modules'));
  if (versions.length !== 1) throw new Error(`expected one kernel in the packages, found: ${versions.join(', ') || 'none'}`);
  return versions[0]!;
}

function installKernel(recipe: Recipe, stage: string, rootfs: string): Omit<Assembled, 'bios' | 'vgabios'> {
  const kernelVersion = stagedKernelRelease(stage);
  const source = join(stage, 'lib/modules', kernelVersion);
  const dest = join(rootfs, 'usr/lib/modules', kernelVersion);
  const set = moduleClosure(source, recipe.modules);
  for (const file of set.files) {
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    cpSync(join(source, file), join(dest, file));
  }
  writeFileSync(join(dest, 'modules.dep'), set.modulesDep);
  return { kernelVersion, bzimage: join(stage, 'boot', `vmlinuz-${kernelVersion}`), modules: set.files };
}
