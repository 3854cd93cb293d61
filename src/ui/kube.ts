// The Kubernetes control plane in the page: the same starter as on Node (harness/kube-lab: the
// TypeScript API server, the controllers, the API inside the lab's network through net/http1),
// with the nodes' kubectl binary fetched from the page's own origin. session.ts imports this
// module only when a lab with `kubernetes:` opens, so src/kube (and its 300 KB of OpenAPI
// schemas) is a chunk of its own, never part of the first visit's download.
//
// The binary (Debian's i386 kubectl 1.20, about 37 MB) is not part of the site either: the server
// (`npm start`, the dev server) serves it from its cache at kubectl/kubectl-<sha256>, with
// kubectl/kubectl.json naming it; the service worker does not precache it. The page checks its
// size and sha256, keeps it in memory for the page's life, and hands it to each node's kubectl
// script at GET /podwire/kubectl, as the Node host does from its file.
import { sha256 } from '@noble/hashes/sha2.js';
import type { KubectlBinary } from '../harness/kube-api.js';
import { bytesToHex } from '../net/decode/read.js';
import { kubeLabStarter } from '../harness/kube-lab.js';

/** What kubectl/kubectl.json says. */
export interface KubectlManifest { file: string; sha256: string; bytes: number }

/** The pieces GET /podwire/kubectl sends, each waiting for the TCP endpoint to take it. */
const PIECE = 256 * 1024;
/** Far more than kubectl's 37 MB: a manifest that claims more is refused. */
const MAX_BYTES = 128 * 1024 * 1024;

function checkManifest(value: unknown): KubectlManifest {
  const m = value as Partial<KubectlManifest> | null;
  if (!m || typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256) || m.file !== `kubectl-${m.sha256}`
    || typeof m.bytes !== 'number' || !Number.isInteger(m.bytes) || m.bytes <= 0 || m.bytes > MAX_BYTES) {
    throw new Error('kubectl/kubectl.json is not a kubectl manifest');
  }
  return m as KubectlManifest;
}

async function digest(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  // Web Crypto's digest needs a secure context (https or localhost); @noble/hashes works anywhere, slower.
  if (globalThis.crypto?.subtle) return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
  return bytesToHex(sha256(bytes));
}

/** Fetches the binary from the page's origin and checks it. */
async function fetchKubectl(): Promise<KubectlBinary> {
  const began = performance.now();
  const listed = await fetch('kubectl/kubectl.json', { cache: 'no-cache' });
  if (!listed.ok) throw new Error(`this server does not serve kubectl (kubectl/kubectl.json: ${listed.status}); npm start serves the one scripts/setup.sh keeps in its cache`);
  const manifest = checkManifest(await listed.json());
  const response = await fetch(`kubectl/${manifest.file}`);
  if (!response.ok) throw new Error(`kubectl/${manifest.file}: ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length !== manifest.bytes) throw new Error(`kubectl: ${bytes.length} bytes came, not ${manifest.bytes}`);
  if (await digest(bytes) !== manifest.sha256) throw new Error('kubectl: its sha256 is not the one the server named');
  console.debug(`podwire: kubectl (${bytes.length} bytes) fetched and checked in ${Math.round(performance.now() - began)} ms`);
  return {
    sha256: manifest.sha256,
    bytes: bytes.length,
    async *read() { for (let at = 0; at < bytes.length; at += PIECE) yield bytes.subarray(at, at + PIECE); },
  };
}

let kept: Promise<KubectlBinary> | undefined;

/** The binary, fetched once per page (the first call starts the fetch; a failed fetch is tried again next time). */
export function pageKubectl(): Promise<KubectlBinary> {
  kept ??= fetchKubectl().catch((error: unknown) => { kept = undefined; throw error; });
  return kept;
}

/** The page's starter (LabRun's `kube`). */
export const webKubeStarter = kubeLabStarter(pageKubectl);
