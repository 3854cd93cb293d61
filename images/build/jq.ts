// jq 1.7.1, built from its source for the node.
//
// Bookworm's jq is 1.6, which compiles its builtin library (a few hundred jq
// definitions) every time it starts: about 0.9 s in a node, paid by every lab check
// and every podctl call that reads JSON. jq 1.7 parses them once at build time, and
// starts in under a tenth of that (issue 14; the README's benchmark notes have the
// figures). Trixie's jq 1.7.1 package needs glibc 2.38, which bookworm lacks, so we
// build Debian's upstream tarball of it against bookworm's own i386 glibc and
// oniguruma instead: the binary links libonig.so.5 and libc.so.6, both in the image.
//
// The host may not run i386 programs, so this is a cross build: clang targets i686
// with the unpacked packages as its sysroot, and the build needs no i386 tools.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { PrivateApt } from './apt.js';

const VERSION = '1.7.1';
/** Debian's copy of upstream's source (the same file for every Debian revision of 1.7.1), and its hash from trixie's signed Sources index. */
const TARBALL = { pool: 'pool/main/j/jq/jq_1.7.1.orig.tar.gz', sha256: 'fc75b1824aba7a954ef0886371d951c3bf4b6e0a921d1aefc553f309702d6ed1', dir: 'jq-jq-1.7.1' };
/** What the build compiles and links against (i386, from bookworm), beyond the image's own libc6 and libonig5. */
const SYSROOT_PACKAGES = ['libc6-dev', 'linux-libc-dev', 'libgcc-12-dev', 'libcrypt-dev', 'libonig-dev'];

export interface SourceBuilt { name: string; version: string; sha256: string }

/** Build jq into `stage`/usr/bin/jq, where the rootfs recipe keeps it from. */
export function buildJq(apt: PrivateApt, work: string, stage: string): SourceBuilt {
  const dir = join(work, 'jq');
  mkdirSync(dir, { recursive: true });
  const tarball = join(dir, 'jq.orig.tar.gz');
  download(apt.archiveUris().map((uri) => `${uri.replace(/\/$/, '')}/${TARBALL.pool}`), tarball, TARBALL.sha256);

  // The sysroot is the stage itself: the image's packages plus the headers and link files.
  const debs = join(dir, 'debs');
  apt.fetch(SYSROOT_PACKAGES, debs);
  for (const deb of readdirSync(debs).filter((file) => file.endsWith('.deb'))) run('dpkg-deb', ['-x', join(debs, deb), stage], dir);

  run('tar', ['-xzf', tarball], dir);
  const source = join(dir, TARBALL.dir);
  // The version is read from `git describe` when configure is made, and a tarball has no .git.
  writeFileSync(join(source, 'scripts/version'), `#!/bin/sh\necho ${VERSION}\n`);
  chmodSync(join(source, 'scripts/version'), 0o755);
  run('autoreconf', ['-fi'], source);
  const build = run('sh', ['config/config.guess'], source).trim();
  run('./configure', [
    `--build=${build}`, '--host=i686-linux-gnu',
    `CC=clang --target=i686-linux-gnu --sysroot=${stage}`, 'CFLAGS=-O2',
    '--disable-docs', '--disable-valgrind', '--disable-maintainer-mode',
    // libjq linked into the binary: one file, and no libjq.so to find at each start.
    '--disable-shared', '--enable-static', `--with-oniguruma=${join(stage, 'usr')}`,
  ], source);
  // The generated sources are made by `make all`; the jq target alone does not ask for them.
  run('make', ['src/builtin.inc', 'src/config_opts.inc', 'src/version.h'], source);
  run('make', ['-j2', 'jq'], source);
  const installed = join(stage, 'usr/bin/jq');
  mkdirSync(join(stage, 'usr/bin'), { recursive: true });
  run('llvm-strip', ['-o', installed, join(source, 'jq')], source);
  return { name: 'jq', version: VERSION, sha256: TARBALL.sha256 };
}

/** apt's own downloader, so the machine's apt proxy settings apply; the first archive that has the file wins. */
function download(urls: string[], dest: string, sha256: string): void {
  if (existsSync(dest) && hashOf(dest) === sha256) return;
  const errors: string[] = [];
  for (const url of urls) {
    const fetched = spawnSync('/usr/lib/apt/apt-helper', ['download-file', url, dest, `SHA256:${sha256}`], { encoding: 'utf8' });
    if (fetched.status === 0 && existsSync(dest) && hashOf(dest) === sha256) return;
    errors.push(`${fetched.stdout}${fetched.stderr}`.trim().split('\n').slice(-2).join(' '));
  }
  throw new Error(`cannot download jq's source (${TARBALL.pool}) from any Debian archive this machine's apt knows:\n${errors.join('\n') || 'no archive configured'}`);
}

function hashOf(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function run(tool: string, args: string[], cwd: string): string {
  const result = spawnSync(tool, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) throw new Error(`building jq needs ${tool} (${result.error.message}); scripts/setup.sh installs it`);
  if (result.status !== 0) throw new Error(`building jq: ${tool} ${args.join(' ')} failed:\n${`${result.stdout}${result.stderr}`.slice(-4000)}`);
  return result.stdout;
}
