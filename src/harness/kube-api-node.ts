// The i386 kubectl on the Node host: scripts/setup.sh keeps it in the cache, named by its sha256;
// attachKubeApi (kube-api.ts) hands it to the nodes from the file, a piece at a time.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubectlBinary } from './kube-api.js';

/** The directory of the cache where scripts/setup.sh keeps it. */
export function kubectlCacheDir(): string {
  return join(process.env.PODWIRE_CACHE ?? join(homedir(), '.cache', 'podwire'), 'kubectl-1.20-i386');
}

/** Where scripts/setup.sh keeps the i386 kubectl: kubectl-1.20-i386/kubectl-<sha256>. */
export function cachedKubectl(): string | undefined {
  if (process.env.PODWIRE_KUBECTL_I386) return process.env.PODWIRE_KUBECTL_I386;
  const dir = kubectlCacheDir();
  if (!existsSync(dir)) return undefined;
  const name = readdirSync(dir).find((f) => /^kubectl-[0-9a-f]{64}$/.test(f));
  return name && join(dir, name);
}

const hashed = new Map<string, { sha256: string; mtimeMs: number }>();

/** A kubectl file as the nodes get it; its sha256 (once per file) is checked against its name when it has one. */
export function kubectlFile(path: string): KubectlBinary {
  const { mtimeMs, size } = statSync(path);
  const known = hashed.get(path);
  const sha256 = known?.mtimeMs === mtimeMs ? known.sha256 : createHash('sha256').update(readFileSync(path)).digest('hex');
  hashed.set(path, { sha256, mtimeMs });
  const named = /kubectl-([0-9a-f]{64})$/.exec(path)?.[1];
  if (named && named !== sha256) throw new Error(`${path}: its sha256 is ${sha256}, not the one in its name`);
  return {
    sha256,
    bytes: size,
    read: () => createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>,
  };
}

/** The cached kubectl, if scripts/setup.sh has fetched it. */
export function nodeKubectl(): KubectlBinary | undefined {
  const path = cachedKubectl();
  return path && existsSync(path) ? kubectlFile(path) : undefined;
}

/** The binary as a site serves it to the page (src/ui/kube.ts): kubectl/kubectl.json names kubectl/kubectl-<sha256>. */
export interface KubectlForPage {
  /** Site paths, from the site's root, without the leading slash. */
  readonly manifestPath: string;
  readonly filePath: string;
  readonly manifest: string;
  /** The file on disk, its sha256 checked. */
  readonly file: string;
  readonly bytes: number;
}

/** The cached binary for the page, its sha256 checked against its name (once per file); undefined when there is none. */
export function kubectlForPage(path = cachedKubectl()): KubectlForPage | undefined {
  if (!path || !existsSync(path)) return undefined;
  const { sha256, bytes } = kubectlFile(path);
  const name = `kubectl-${sha256}`;
  return { manifestPath: 'kubectl/kubectl.json', filePath: `kubectl/${name}`, manifest: JSON.stringify({ file: name, sha256, bytes }), file: path, bytes };
}
