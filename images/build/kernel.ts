// The node's kernel, built from Debian's own source with Debian's own configuration,
// changed only where images/kernel.config says (issue 14; README, "Benchmarks").
//
// Why build it at all: Debian's i386 kernels tick 250 times a second even when the
// machine is idle (CONFIG_HZ_PERIODIC). Under v86 every tick costs the host about
// 0.3 ms of emulation, so an idle 3-node cluster kept a fifth of a host core busy, and
// every idle node in a test run took time from the busy ones. A tickless kernel sleeps
// until its next timer is due.
//
// Only the modules the node keeps are built (`make localmodconfig` with the closure of
// images/rootfs/etc/podwire/modules), so the build takes minutes, not hours. It is kept
// in the cache under a key of its own inputs: a change to the rest of the image does
// not build it again, and neither does an edit to this file that leaves BUILD_STEPS alone.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { DebInfo, PrivateApt } from './apt.js';
import { stagedKernelRelease } from './assemble.js';
import { cacheDir, pruneCache } from './cache.js';
import { moduleClosure } from './modules.js';
import { readLines, RecipeError, type Line } from './recipe.js';

/** What `uname -r` says, so a node shows that its kernel is not Debian's binary. */
const LOCALVERSION = '-podwire';

/**
 * The version of the steps in buildKernel. It is part of the cache key in place of
 * this file's text, so comments and refactors do not cost a rebuild: bump it when a
 * change alters what the steps produce.
 */
const BUILD_STEPS = 2;

/** Kernels kept in the cache: a few, for worktrees of nearby commits side by side. */
const KERNELS_KEPT = 3;

export interface BuiltKernel { release: string; bzimage: string; modules: string; from: string }

/** `CONFIG_NAME=value` lines; each must hold after the build's own config steps, or the build stops and names the line. */
export function readFragment(file: string): { at: Line; name: string; value: string }[] {
  return readLines(file, 'images/kernel.config').map((at) => {
    const match = /^(CONFIG_[A-Z0-9_]+)=(.*)$/.exec(at.words.join(' '));
    if (!match) throw new RecipeError(at.file, at.line, `expected CONFIG_NAME=value, got '${at.words.join(' ')}'`);
    return { at, name: match[1]!, value: match[2]! };
  });
}

function run(tool: string, args: string[], cwd: string, input?: string): string {
  const result = spawnSync(tool, args, { cwd, input, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (result.error) throw new Error(`building the kernel needs ${tool} (${result.error.message}); scripts/setup.sh installs it`);
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed in ${cwd}:\n${`${result.stdout}${result.stderr}`.slice(-4000)}`);
  return result.stdout;
}

/**
 * Build (or take from the cache) the kernel for the image's linux-image package, and put
 * it in the stage where Debian's binary kernel was, so the rest of the build is unchanged.
 */
export function buildKernel(
  apt: PrivateApt, debs: DebInfo[], stage: string, recipeDir: string, modules: Line[], work: string, log: (message: string) => void,
): BuiltKernel {
  const image = debs.find((deb) => /^linux-image-\d/.test(deb.name));
  if (!image) throw new Error('no linux-image package among the downloaded packages (images/packages.txt)');
  const debianRelease = stagedKernelRelease(stage);
  const debianConfig = join(stage, 'boot', `config-${debianRelease}`);
  const fragmentFile = join(recipeDir, 'kernel.config');
  const fragment = readFragment(fragmentFile);
  // The modules to build: the node's list and everything it depends on, as Debian's build has them.
  const wanted = moduleClosure(join(stage, 'lib/modules', debianRelease), modules).files.map((file) => file.split('/').pop()!.slice(0, -3));

  const key = createHash('sha256')
    .update(image.version).update('\0')
    .update(readFileSync(debianConfig)).update('\0')
    .update(readFileSync(fragmentFile)).update('\0')
    .update(wanted.join(',')).update('\0')
    .update(`${BUILD_STEPS}`).digest('hex').slice(0, 16);
  const out = join(cacheDir(), 'kernels', key);
  const sourcePackage = `linux-source-${debianRelease.split('.').slice(0, 2).join('.')}`;
  const from = `${sourcePackage} ${image.version}, Debian's ${debianRelease} configuration and images/kernel.config`;

  if (!existsSync(join(out, 'release'))) {
    const dir = join(work, 'kernel');
    mkdirSync(dir, { recursive: true });
    log(`building the kernel from ${sourcePackage} ${image.version} (once per kernel.config; about 25 min on 2 cores)`);
    apt.fetch([`${sourcePackage}=${image.version}`], dir);
    const deb = readdirSync(dir).find((file) => file.endsWith('.deb'))!;
    run('dpkg-deb', ['-x', deb, 'unpacked'], dir);
    const tarball = readdirSync(join(dir, 'unpacked/usr/src')).find((file) => file.endsWith('.tar.xz'));
    if (!tarball) throw new Error(`${deb} holds no kernel source tarball`);
    run('tar', ['-xf', join(dir, 'unpacked/usr/src', tarball)], dir);
    const source = join(dir, tarball.replace(/\.tar\.xz$/, ''));

    const config = [
      readFileSync(debianConfig, 'utf8'),
      ...fragment.map(({ name, value }) => (value === 'n' ? `# ${name} is not set` : `${name}=${value}`)),
      `CONFIG_LOCALVERSION="${LOCALVERSION}"`,
      '# CONFIG_LOCALVERSION_AUTO is not set',
      // Debian's signing certificates are not in the source; modules are signed with a key the build makes.
      'CONFIG_SYSTEM_TRUSTED_KEYS=""',
      'CONFIG_SYSTEM_REVOCATION_KEYS=""',
    ].join('\n');
    writeFileSync(join(source, '.config'), config + '\n');
    const make = (args: string[], input?: string) => run('make', ['ARCH=i386', ...args], source, input);
    make(['olddefconfig']);
    writeFileSync(join(dir, 'lsmod'), 'Module Size Used by\n' + wanted.map((name) => `${name} 16384 0`).join('\n') + '\n');
    // localmodconfig turns every module not listed off; it asks about nothing new, but answer anyway.
    make([`LSMOD=${join(dir, 'lsmod')}`, 'localmodconfig'], '\n'.repeat(1000));
    const built = readFileSync(join(source, '.config'), 'utf8');
    for (const { at, name, value } of fragment) {
      const holds = value === 'n' ? !new RegExp(`^${name}=`, 'm').test(built) : built.includes(`\n${name}=${value}\n`);
      if (!holds) throw new RecipeError(at.file, at.line, `${name}=${value} did not hold after Kconfig resolved its dependencies`);
    }
    make([`-j${cpus().length}`, 'bzImage', 'modules']);
    const staged = join(dir, 'out');
    make([`INSTALL_MOD_PATH=${staged}`, 'INSTALL_MOD_STRIP=1', 'modules_install']);
    const release = run('make', ['ARCH=i386', '-s', 'kernelrelease'], source).trim();
    cpSync(join(source, 'arch/x86/boot/bzImage'), join(staged, 'bzImage'));
    writeFileSync(join(staged, 'release'), release + '\n');
    mkdirSync(join(cacheDir(), 'kernels'), { recursive: true });
    rmSync(out, { recursive: true, force: true });
    renameSync(staged, out);
    rmSync(dir, { recursive: true, force: true });
    void pruneCache(join(cacheDir(), 'kernels'), KERNELS_KEPT, out);
  }

  // Debian's kernel out of the stage, ours in: the image's module closure and boot files are then read from ours.
  const release = readFileSync(join(out, 'release'), 'utf8').trim();
  rmSync(join(stage, 'lib/modules'), { recursive: true, force: true });
  cpSync(join(out, 'lib/modules'), join(stage, 'lib/modules'), { recursive: true, verbatimSymlinks: true });
  cpSync(join(out, 'bzImage'), join(stage, 'boot', `vmlinuz-${release}`));
  return { release, bzimage: join(out, 'bzImage'), modules: join(out, 'lib/modules', release), from };
}
