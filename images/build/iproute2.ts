// ip for the node, built from bookworm's iproute2 source with fewer libraries
// (images/build/source.ts says why the image builds programs at all).
//
// Debian's ip needs eight shared libraries (libbpf, libelf, libz, libcap, libbsd, libmd,
// libmnl, libc), and loading them is most of `ip -j addr`'s start in a node. This one
// needs two: libc, and libmnl, which is how ip reads the kernel's extended errors
// ("Error: Nexthop has invalid gateway.", quoted in the lessons). Left out: loading XDP
// programs from ELF files with ip (libbpf, libelf; tc, Debian's, still loads them) and
// `ip vrf exec` (libcap). tc, bridge and ss stay Debian's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceBuilds, SourceBuilt } from './source.js';

const VERSION = '6.1.0-3';

export function buildIp(builds: SourceBuilds): SourceBuilt {
  const source = builds.debianSource('iproute2', VERSION);
  const pkgconfig = join(builds.stage, 'usr/lib/i386-linux-gnu/pkgconfig');
  // iproute2's own configure: it finds libraries with pkg-config, here in the stage only.
  const env = { CC: builds.cc, PKG_CONFIG_SYSROOT_DIR: builds.stage, PKG_CONFIG_LIBDIR: pkgconfig };
  builds.run('./configure', ['--libbpf_force', 'off'], source, env);
  if (!/HAVE_MNL:=y/.test(readFileSync(join(source, 'config.mk'), 'utf8'))) throw new Error('iproute2: configure did not find libmnl in the stage');
  builds.run('make', ['-j2', `CC=${builds.cc}`, 'HOSTCC=gcc', 'SUBDIRS=lib ip'], source, env);
  // bookworm's packages are not merged-/usr: ip is /bin/ip in the stage (and /usr/bin/ip in the node).
  builds.install(join(source, 'ip/ip'), 'bin/ip');
  return { name: 'iproute2 (ip)', version: VERSION, from: 'bookworm source package' };
}
