// Boot assets in the browser. The site ships the firmware and the base snapshot
// (zstd) under node/, described by node/manifest.json, which the build writes.
// The first visit downloads them once for all nodes; the unpacked snapshot is then
// kept in the origin's private file system (state-file.ts), so later visits start
// without downloading, unpacking or even reading it: each node reads the pages it
// needs from the file, in its own worker.
import { ZSTDDecoder } from 'zstddec';
import wasmUrl from 'v86/build/v86.wasm?url';
import { discard } from './buffers.js';
import type { BootAssets } from './emulator.js';
import { findStateFile, keepStateFile, type StateFile } from './state-file.js';

export interface WebAssetFile { url: string; size: number }
export interface WebAssetSnapshot {
  /** The guest memory the snapshot's machine has (a lab's topology.memoryMb). */
  memoryMb: number;
  /** Image, v86 version and memory size: what saved states are kept under (src/vm/assets-node.ts snapshotKey). */
  key: string;
  /** zstd-compressed; rawSize is its size unpacked. */
  state: WebAssetFile & { rawSize: number };
}
export interface WebAssetManifest {
  cmdline: string;
  bios: WebAssetFile;
  vgabios: WebAssetFile;
  /** The base snapshots, one per memory size; a page downloads only those its labs use. */
  snapshots: WebAssetSnapshot[];
}

export interface DownloadProgress {
  /** What is loading: "BIOS", "VGA BIOS", "snapshot", "unpacking". */
  what: string;
  loaded: number;
  total: number;
}

/** Where versions before the kept file kept the unpacked snapshot: removed, it is 117 MB. */
const OLD_CACHE = 'podwire-node-assets';

async function fetchWithProgress(url: string, size: number, what: string, onProgress: (p: DownloadProgress) => void): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`could not load ${url}: HTTP ${response.status}`);
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress({ what, loaded, total: size });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) { bytes.set(chunk, offset); offset += chunk.byteLength; }
  return bytes;
}

/** The snapshot: downloaded, then unpacked (zstd, in WebAssembly) in one go. */
async function downloadState(base: URL, snapshot: WebAssetSnapshot, onProgress: (p: DownloadProgress) => void): Promise<ArrayBuffer> {
  const { state } = snapshot;
  const packed = await fetchWithProgress(new URL(state.url, base).href, state.size, 'snapshot', onProgress);
  onProgress({ what: 'unpacking', loaded: 0, total: state.rawSize });
  const decoder = new ZSTDDecoder();
  await decoder.init();
  const raw = decoder.decode(packed, state.rawSize);
  if (raw.byteLength !== state.rawSize) throw new Error(`the snapshot unpacked to ${raw.byteLength} bytes, expected ${state.rawSize}`);
  onProgress({ what: 'unpacking', loaded: raw.byteLength, total: state.rawSize });
  return buffer(raw);
}

/**
 * The base snapshot in memory every node worker can read, when the page is cross-origin
 * isolated (the servers send the headers): one copy for the page and all its nodes, and
 * each worker copies what it needs on its own thread. Otherwise the page hands each node
 * a copy of its own, 110 MB copied on the page's thread per node start.
 */
function canShare(): boolean {
  return Boolean(globalThis.crossOriginIsolated) && typeof SharedArrayBuffer !== 'undefined';
}

function shareable(state: ArrayBuffer | SharedArrayBuffer): ArrayBuffer | SharedArrayBuffer {
  if (!canShare() || state instanceof SharedArrayBuffer) return state;
  const shared = new SharedArrayBuffer(state.byteLength);
  new Uint8Array(shared).set(new Uint8Array(state));
  return shared;
}

function buffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer as ArrayBuffer : bytes.slice().buffer;
}

/**
 * v86.wasm compiled once for the page, and handed to every node's worker as the module
 * (emulator.ts). Each worker compiling it from its URL (v86's own loader) starts on the
 * baseline code of a quick compile and optimises its hot functions again on the
 * background threads, while the guest's first requests run slowly: three nodes, three
 * times. One module shares its optimised code with every instance. Compiled from the
 * response as it streams, the browser may also keep the compiled code with the cached
 * file for the next visit.
 */
let compiledWasm: Promise<WebAssembly.Module> | undefined;
function v86Module(): Promise<WebAssembly.Module> {
  compiledWasm ??= (async () => {
    const response = await fetch(wasmUrl);
    if (!response.ok) throw new Error(`could not load ${wasmUrl}: HTTP ${response.status}`);
    // Streaming needs the application/wasm type; a server that sends another gets the plain compile.
    if (response.headers.get('content-type')?.startsWith('application/wasm')) return WebAssembly.compileStreaming(response);
    return WebAssembly.compile(await response.arrayBuffer());
  })();
  compiledWasm.catch(() => { compiledWasm = undefined; }); // a failed fetch is tried again next time
  return compiledWasm;
}

/** Start compiling v86.wasm now, so that the first lab opened finds it ready. */
export function prepareNodeCode(): void {
  v86Module().catch(() => undefined); // loadWebAssets asks again, and says why if it fails
}

/** What a node of one memory size starts from, and the snapshot's key (what saved states are kept under). */
export interface LoadedAssets { assets: BootAssets & { state: ArrayBuffer | SharedArrayBuffer | StateFile }; key: string }

/** Everything a node with `memoryMb` of memory needs to start from its base snapshot. */
export async function loadWebAssets(memoryMb: number, onProgress: (p: DownloadProgress) => void = () => {}): Promise<LoadedAssets> {
  const base = new URL('node/', document.baseURI);
  const manifestResponse = await fetch(new URL('manifest.json', base));
  if (!manifestResponse.ok) throw new Error(`no node assets at ${base.href} (HTTP ${manifestResponse.status}); was the site built with npm run build?`);
  const manifest = await manifestResponse.json() as WebAssetManifest;
  const snapshot = manifest.snapshots.find((s) => s.memoryMb === memoryMb);
  if (!snapshot) throw new Error(`the site has no snapshot of a node with ${memoryMb} MB of memory (it has ${manifest.snapshots.map((s) => s.memoryMb).join(', ')} MB); was it built from this version?`);
  const firmware = async (file: WebAssetFile, what: string) => buffer(await fetchWithProgress(new URL(file.url, base).href, file.size, what, onProgress));
  const [bios, vgabios, wasm] = await Promise.all([firmware(manifest.bios, 'BIOS'), firmware(manifest.vgabios, 'VGA BIOS'), v86Module()]);

  const fileName = `${snapshot.key}.state`;
  let state: ArrayBuffer | SharedArrayBuffer | StateFile | undefined = await findStateFile(fileName, snapshot.state.rawSize);
  if (state) {
    onProgress({ what: 'snapshot', loaded: state.byteLength, total: state.byteLength });
  } else {
    const unpacked = await downloadState(base, snapshot, onProgress);
    if ('caches' in globalThis) await caches.delete(OLD_CACHE).catch(() => false);
    // Kept for the next visit, and read from the file from now on. Where it cannot be kept
    // (the storage is full), the nodes share the unpacked copy in memory.
    state = await keepStateFile(fileName, new Uint8Array(unpacked), manifest.snapshots.map((s) => `${s.key}.state`));
    if (state) discard(unpacked);
    else {
      state = shareable(unpacked);
      if (state !== unpacked) discard(unpacked); // copied into shared memory
    }
  }
  // v86's JIT compiles the guest's hot code into many small WebAssembly modules, and the
  // browser compiles each one twice: quickly, then optimised on background threads. A page
  // cannot turn the second off (Node can: host-node.ts), and on a two-core machine it
  // starved the nodes: a packet walk took 5-10 s with the JIT and 2-2.6 s without, and
  // checks, restores and throughput gained too (npm run bench). `?jit=1` turns it back on.
  const jit = new URLSearchParams(globalThis.location?.search ?? '').get('jit') === '1';
  return { assets: { memoryMb, wasm, bios, vgabios, cmdline: manifest.cmdline, state, jit }, key: snapshot.key };
}
