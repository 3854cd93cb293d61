// iptables (legacy) for the node, built from bookworm's source as one static program with
// every extension in it (images/build/source.ts says why the image builds programs at all).
//
// Debian's xtables-legacy-multi loads four shared libraries at each start, then one more
// with dlopen for each match and target a ruleset uses: `iptables-save` of a Service lab's
// 29 rules loads nine. Built with --disable-shared, the extensions are linked in and nothing
// is loaded: about a third of the time in a node, with the same output byte for byte.
// Only the legacy backend: iptables-nft and its libraries stay Debian's.
import { join } from 'node:path';
import type { SourceBuilds, SourceBuilt } from './source.js';

/** The version of bookworm's iptables package, so the rest of the image (iptables-nft) matches it. */
const VERSION = '1.8.9-2';

export function buildIptables(builds: SourceBuilds): SourceBuilt {
  const source = builds.debianSource('iptables', VERSION);
  builds.run('./configure', [
    '--host=i686-linux-gnu', `CC=${builds.cc}`, 'CFLAGS=-O2',
    '--disable-shared', '--enable-static', '--disable-nftables', '--prefix=/usr', '--sbindir=/usr/sbin',
  ], source);
  // -all-static: libtool's word for linking glibc in as well.
  builds.run('make', ['-j2', 'LDFLAGS=-all-static'], source);
  builds.install(join(source, 'iptables/xtables-legacy-multi'), 'usr/sbin/xtables-legacy-multi');
  return { name: 'iptables (legacy, static)', version: VERSION, from: 'bookworm source package' };
}
