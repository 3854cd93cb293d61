// jq 1.7.1 for the node, built from its source (images/build/source.ts says why the image
// builds programs at all).
//
// Bookworm's jq is 1.6, which compiles its builtin library (a few hundred jq definitions)
// every time it starts: about 0.9 s in a node, paid by lab checks and by podctl, which
// reads each CNI config and result with jq. jq 1.7 does that work when it is built, and
// starts in under a tenth of the time. Trixie's jq 1.7.1 package needs glibc 2.38, which
// bookworm lacks, so this builds Debian's copy of upstream's tarball against bookworm's
// glibc and oniguruma: the binary needs libonig.so.5 and libc.so.6, both in the image.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceBuilds, SourceBuilt } from './source.js';

const VERSION = '1.7.1';
/** The same file for every Debian revision of 1.7.1; the hash is the one trixie's signed Sources index lists. */
const POOL = 'pool/main/j/jq/jq_1.7.1.orig.tar.gz';
const SHA256 = 'fc75b1824aba7a954ef0886371d951c3bf4b6e0a921d1aefc553f309702d6ed1';

export function buildJq(builds: SourceBuilds): SourceBuilt {
  const source = join(builds.poolTarball('jq', POOL, SHA256), 'jq-jq-1.7.1');
  // configure takes the version from `git describe`, and a tarball has no .git.
  writeFileSync(join(source, 'scripts/version'), `#!/bin/sh\necho ${VERSION}\n`);
  chmodSync(join(source, 'scripts/version'), 0o755);
  builds.run('autoreconf', ['-fi'], source);
  builds.run('./configure', [
    '--host=i686-linux-gnu', `CC=${builds.cc}`, 'CFLAGS=-O2',
    '--disable-docs', '--disable-valgrind', '--disable-maintainer-mode',
    // libjq linked into the binary: one file, and no libjq.so to load at each start.
    '--disable-shared', '--enable-static', `--with-oniguruma=${join(builds.stage, 'usr')}`,
  ], source);
  // `make all` makes the generated sources first; the jq target alone does not ask for them.
  builds.run('make', ['src/builtin.inc', 'src/config_opts.inc', 'src/version.h'], source);
  builds.run('make', ['-j2', 'jq'], source);
  builds.install(join(source, 'jq'), 'usr/bin/jq');
  return { name: 'jq', version: VERSION, from: POOL };
}
