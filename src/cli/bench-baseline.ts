// Debian's own builds of the programs the node image builds from source (images/build/source.ts),
// for `npm run bench` to start beside ours in the same node and the same run: the ratio
// between the two is the gain, measured under the same load.
//
// A tar of the files that are not in the image any more: bookworm's jq 1.6 and its libjq,
// ip, and the dynamic xtables-legacy-multi with its two libiptc libraries (its extension
// libraries are in the image, for iptables-nft). Paths are the node's; binaries go to
// /opt/debian so they do not replace ours.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PrivateApt } from '../../images/build/apt.js';
import { cacheDir } from '../../images/build/cache.js';

const PACKAGES = ['jq', 'libjq1', 'iproute2', 'iptables', 'libip4tc2', 'libip6tc2'];
/** Where each program lands in the node, from where its package has it. */
const PROGRAMS: [string, string][] = [['usr/bin/jq', 'opt/debian/jq'], ['bin/ip', 'opt/debian/ip'], ['usr/sbin/xtables-legacy-multi', 'opt/debian/xtables-legacy-multi']];
const LIBRARIES = /^(libjq\.so\.1|libip4tc\.so\.2|libip6tc\.so\.2)/;

/** The tar file (made once, then kept in the cache). */
export function debianBaseline(): string {
  const tar = join(cacheDir(), 'bench', 'debian-baseline.tar');
  if (existsSync(tar)) return tar;
  const work = join(cacheDir(), 'bench', `baseline.work.${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  const apt = new PrivateApt(join(work, 'apt'));
  apt.update();
  apt.fetch(PACKAGES, join(work, 'debs'));
  const unpacked = join(work, 'unpacked');
  for (const deb of readdirSync(join(work, 'debs'))) run('dpkg-deb', ['-x', join(work, 'debs', deb), unpacked]);
  const root = join(work, 'root');
  mkdirSync(join(root, 'opt/debian'), { recursive: true });
  mkdirSync(join(root, 'usr/lib/i386-linux-gnu'), { recursive: true });
  for (const [from, to] of PROGRAMS) run('cp', [join(unpacked, from), join(root, to)]);
  // xtables-multi picks its program by the name it is started as.
  for (const name of ['iptables', 'iptables-save']) run('ln', ['-s', 'xtables-legacy-multi', join(root, 'opt/debian', name)]);
  for (const dir of ['lib/i386-linux-gnu', 'usr/lib/i386-linux-gnu']) {
    const from = join(unpacked, dir);
    if (!existsSync(from)) continue;
    for (const file of readdirSync(from).filter((name) => LIBRARIES.test(name))) run('cp', ['-a', join(from, file), join(root, 'usr/lib/i386-linux-gnu', file)]);
  }
  run('tar', ['-cf', `${tar}.tmp`, '-C', root, 'opt', 'usr']);
  renameSync(`${tar}.tmp`, tar);
  rmSync(work, { recursive: true, force: true });
  return tar;
}

function run(tool: string, args: string[]): void {
  const result = spawnSync(tool, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${result.stderr || result.error?.message}`);
}
