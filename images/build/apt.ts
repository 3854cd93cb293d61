// apt with a private state directory: it reads the sources this machine is
// configured with, but keeps its own package lists and an i386-only view, so the
// build needs no root and leaves the system's dpkg architectures alone.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './cache.js';
import { RecipeError, type Line } from './recipe.js';

export interface DebInfo { name: string; version: string; architecture: string; file: string; size: number; sha256: string }

export class PrivateApt {
  readonly archives: string;
  private readonly options: string[];

  /** Where the last package lists that came are kept between builds, per kind of list. */
  private readonly keptLists: string;

  /** With `sourcePackages`, it reads bookworm's source packages (deb-src) from the same archives, and nothing else. */
  constructor(readonly root: string, options: { sourcePackages?: boolean } = {}) {
    this.archives = join(root, 'archives');
    this.keptLists = join(cacheDir(), 'apt-lists', options.sourcePackages ? 'sources' : 'i386');
    for (const dir of ['lists/partial', 'archives/partial', 'sources']) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, 'status'), '');
    copySystemSources(join(root, 'sources'));
    if (options.sourcePackages) toSourcePackages(join(root, 'sources'));
    this.options = [
      `Dir::State=${root}`, `Dir::State::Lists=${root}/lists`, `Dir::State::status=${root}/status`,
      `Dir::Cache=${root}`, `Dir::Cache::archives=${this.archives}`,
      'Dir::Etc::SourceList=/dev/null', `Dir::Etc::SourceParts=${root}/sources`,
      'APT::Architecture=i386', 'APT::Architectures::=i386', 'Debug::NoLocking=1',
      'APT::Get::Assume-Yes=true', 'APT::Install-Recommends=false', 'Acquire::Retries=3',
    ].flatMap((option) => ['-o', option]);
  }

  private run(tool: string, args: string[], cwd?: string): { ok: boolean; out: string } {
    const result = spawnSync(tool, [...this.options, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (result.error) throw new Error(`cannot run ${tool}: ${result.error.message}`);
    return { ok: result.status === 0, out: `${result.stdout}${result.stderr}` };
  }

  /**
   * Fetch the package lists. A mirror mid-sync may fail one index ("File has unexpected
   * size"). apt then keeps the list it had, so the lists of the last build are put in
   * first: without them, the security archive's index missing picked an older kernel,
   * and a new kernel is a 25-minute build. The lists that came are kept for the next build.
   */
  update(): void {
    const lists = join(this.root, 'lists');
    const isList = (file: string) => file.includes('_Packages') || file.includes('_Sources') || file.endsWith('Release');
    if (existsSync(this.keptLists)) for (const file of readdirSync(this.keptLists).filter(isList)) copyFileSync(join(this.keptLists, file), join(lists, file));
    const { ok, out } = this.run('apt-get', ['update']);
    const fetched = readdirSync(lists).filter(isList);
    if (!ok && fetched.length === 0) throw new Error(`apt-get update failed:\n${out}`);
    if (!ok) process.stderr.write(`warning: some package indexes failed to download; using ${existsSync(this.keptLists) ? 'the last build\'s for those' : 'the rest'}\n`);
    mkdirSync(this.keptLists, { recursive: true });
    // Each file under a name of its own first, then moved: another build may be reading them.
    for (const file of fetched) {
      const temporary = join(this.keptLists, `.${file}.${process.pid}`);
      copyFileSync(join(lists, file), temporary);
      renameSync(temporary, join(this.keptLists, file));
    }
  }

  /** Every name must be a package apt knows for i386, or the build stops and says which. */
  checkNames(packages: Line[]): void {
    for (const at of packages) {
      const name = at.words[0]!;
      const { ok, out } = this.run('apt-cache', ['show', '--no-all-versions', name]);
      if (!ok || !/^Package:/m.test(out)) {
        throw new RecipeError(at.file, at.line, `unknown package '${name}': Debian bookworm has no i386 package of that name`);
      }
    }
  }

  /** Download the packages and everything they depend on. */
  download(names: string[]): void {
    const { ok, out } = this.run('apt-get', ['install', '--download-only', ...names]);
    if (!ok) throw new Error(`apt-get could not download the packages:\n${out}`);
  }

  /** Download exactly these packages (no dependencies) into `dir`, apart from the image's own. */
  fetch(names: string[], dir: string): void {
    mkdirSync(dir, { recursive: true });
    const { ok, out } = this.run('apt-get', ['download', ...names], dir);
    if (!ok) throw new Error(`apt-get could not download ${names.join(', ')}:\n${out}`);
  }

  /** Download a source package (NAME or NAME=VERSION): its .dsc and tarballs, into `dir`. */
  source(spec: string, dir: string): void {
    mkdirSync(dir, { recursive: true });
    const { ok, out } = this.run('apt-get', ['source', '--download-only', spec], dir);
    if (!ok) throw new Error(`apt-get could not download the source of ${spec}:\n${out}`);
  }

  /** The base URIs of the Debian archives this apt reads for bookworm itself. */
  archiveUris(): string[] {
    return archiveUris(join(this.root, 'sources'));
  }

  /** The .deb files apt would install for these names, read back from the archive directory. */
  debs(): DebInfo[] {
    return readdirSync(this.archives).filter((f) => f.endsWith('.deb')).sort().map((file) => {
      const path = join(this.archives, file);
      const fields = spawnSync('dpkg-deb', ['-f', path, 'Package', 'Version', 'Architecture'], { encoding: 'utf8' }).stdout;
      const get = (key: string) => new RegExp(`^${key}: (.*)$`, 'm').exec(fields)?.[1] ?? '';
      return { name: get('Package'), version: get('Version'), architecture: get('Architecture'), file: path, size: 0, sha256: '' };
    });
  }
}

/** The base URIs of the Debian archives that sources files in `dir` name for bookworm itself (not its security or updates suites). */
export function archiveUris(dir: string): string[] {
  const uris = readdirSync(dir).flatMap((file) => bookwormEntries(file, readFileSync(join(dir, file), 'utf8')).flatMap((entry) => entry.uris));
  return [...new Set(uris)];
}

/** Rewrite copied sources files to read bookworm's source packages: deb-src entries for the same archives, and nothing else. */
function toSourcePackages(dir: string): void {
  for (const file of readdirSync(dir)) {
    const path = join(dir, file);
    const entries = bookwormEntries(file, readFileSync(path, 'utf8'));
    const rewritten = file.endsWith('.sources')
      ? entries.map((e) => e.text.replace(/^Types:.*$/mi, 'Types: deb-src').replace(/^Suites:.*$/mi, 'Suites: bookworm')).join('\n\n')
      : entries.map((e) => e.text.replace(/^\s*deb\b/, 'deb-src')).join('\n');
    writeFileSync(path, `${rewritten}\n`);
  }
}

/** The stanzas (deb822 .sources) or lines (one-line .list) of a sources file that name bookworm's own archive of binary packages. */
function bookwormEntries(file: string, text: string): { text: string; uris: string[] }[] {
  if (file.endsWith('.sources')) {
    return text.split(/\n\s*\n/).flatMap((stanza) => {
      const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      return field('Types').includes('deb') && field('Suites').includes('bookworm') ? [{ text: stanza, uris: field('URIs') }] : [];
    });
  }
  return text.split('\n').flatMap((line) => {
    const words = line.replace(/#.*/, '').replace(/\[[^\]]*\]/, '').trim().split(/\s+/);
    return words[0] === 'deb' && words[2] === 'bookworm' && words[1] ? [{ text: line, uris: [words[1]] }] : [];
  });
}

function copySystemSources(dest: string): void {
  const candidates = ['/etc/apt/sources.list', ...listDir('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f))];
  let copied = 0;
  for (const source of candidates) {
    if (!existsSync(source) || !/\.(list|sources)$/.test(source)) continue;
    copyFileSync(source, join(dest, source.replace(/^\/etc\/apt\//, '').replaceAll('/', '_')));
    copied++;
  }
  if (copied === 0) throw new Error('this machine has no apt sources configured (/etc/apt/sources.list*)');
}

function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}
