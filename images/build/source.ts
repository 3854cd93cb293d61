// Programs the image builds from Debian's source instead of taking the package's binary.
//
// Every program a node starts pays for its dynamic loader: in an emulated machine,
// mapping and relocating a shared library costs milliseconds, and a lab check or a
// Check's facts start `ip`, `iptables-save` and `jq` again and again. So a few of them
// are built here (issue 14; README, "Benchmarks", has the figures): from the same
// source Debian builds them from, for i686, against bookworm's own glibc.
//
// The host may not run i386 programs, so these are cross builds: clang targets i686
// with the unpacked packages (the stage) as its sysroot; no i386 tool runs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PrivateApt } from './apt.js';

export interface SourceBuilt { name: string; version: string; from: string }

/** The headers and link files the builds need (i386, bookworm), beyond the image's own libraries. */
const SYSROOT_PACKAGES = ['libc6-dev', 'linux-libc-dev', 'libgcc-12-dev', 'libcrypt-dev', 'libonig-dev', 'libmnl-dev'];

export class SourceBuilds {
  private readonly sources: PrivateApt;

  constructor(private readonly apt: PrivateApt, readonly work: string, readonly stage: string) {
    mkdirSync(work, { recursive: true });
    // The sysroot is the stage itself: the image's packages, plus headers and link files.
    this.unpackPackages('sysroot', SYSROOT_PACKAGES, stage);
    this.sources = new PrivateApt(join(work, 'apt-src'), { sourcePackages: true });
    this.sources.update();
  }

  /** Download exactly these bookworm packages (no dependencies) and unpack them into `into`. */
  unpackPackages(label: string, names: string[], into: string): void {
    const debs = join(this.work, `${label}-debs`);
    this.apt.fetch(names, debs);
    for (const deb of readdirSync(debs).filter((file) => file.endsWith('.deb'))) this.run('dpkg-deb', ['-x', join(debs, deb), into], this.work);
  }

  /** The C compiler for the node: i686, with the stage as its sysroot. */
  get cc(): string {
    return `clang --target=i686-linux-gnu --sysroot=${this.stage}`;
  }

  /** A bookworm source package unpacked with Debian's patches applied; returns its folder. */
  debianSource(name: string, version: string): string {
    const dir = join(this.work, name);
    mkdirSync(dir, { recursive: true });
    this.sources.source(`${name}=${version}`, dir);
    const dsc = readdirSync(dir).find((file) => file.endsWith('.dsc'));
    if (!dsc) throw new Error(`apt-get source ${name}=${version} left no .dsc`);
    this.run('dpkg-source', ['--no-check', '-x', dsc, 'src'], dir);
    return join(dir, 'src');
  }

  /** A tarball from the Debian archive's pool, checked against its sha256, unpacked; returns the work folder. */
  poolTarball(name: string, pool: string, sha256: string): string {
    const dir = join(this.work, name);
    mkdirSync(dir, { recursive: true });
    const tarball = join(dir, pool.split('/').pop()!);
    const urls = this.apt.archiveUris().map((uri) => `${uri.replace(/\/$/, '')}/${pool}`);
    download(urls, tarball, sha256);
    this.run('tar', ['-xf', tarball], dir);
    return dir;
  }

  run(tool: string, args: string[], cwd: string, env?: Record<string, string>): string {
    const result = spawnSync(tool, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...env } });
    if (result.error) throw new Error(`building from source needs ${tool} (${result.error.message}); scripts/setup.sh installs it`);
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed in ${cwd}:\n${`${result.stdout}${result.stderr}`.slice(-4000)}`);
    return result.stdout;
  }

  /** Strip a built program into the stage, where the rootfs recipe keeps it from. */
  install(built: string, path: string): void {
    // binutils' strip: llvm-strip 14 rejects static i386 binaries ("Link field value ... is not a symbol table").
    this.run('strip', ['-o', join(this.stage, path), built], this.work);
  }
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
  throw new Error(`cannot download ${dest.split('/').pop()} from any Debian archive this machine's apt knows:\n${errors.join('\n') || 'no archive configured'}`);
}

function hashOf(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
