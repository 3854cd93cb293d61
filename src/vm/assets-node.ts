// Boot assets on a Node host: the image from the build cache (built on first use),
// and the base snapshot every node of a cluster starts from (made on first use).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageFor, type ImageManifest } from '../../images/build.js';
import { pruneCache, statesDir } from '../../images/build/cache.js';
import type { BootAssets } from './emulator.js';
import { DEFAULT_NODE_MEMORY_MB, nodeMemoryOf, NODE_MEMORY_SIZES } from '../topology/topology.js';
import { VmNode } from './node.js';
import { compiledV86, nodeWorkerHost } from './host-node.js';
import { execFileSync } from 'node:child_process';

const recipeDir = join(dirname(fileURLToPath(import.meta.url)), '../../images');
const require = createRequire(import.meta.url);
const v86Version = (require('v86/package.json') as { version: string }).version;

function arrayBuffer(file: string): ArrayBuffer {
  const bytes = readFileSync(file);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The image for the recipe in this checkout, building it if the cache has none. */
export function loadImage(): { dir: string; manifest: ImageManifest } {
  return imageFor(recipeDir);
}

/** What every machine needs, booted or restored: the emulator, its firmware and its memory size. */
function machineAssets(memoryMb: number): BootAssets {
  const { dir, manifest } = loadImage();
  return {
    memoryMb,
    wasm: compiledV86(),
    bios: arrayBuffer(join(dir, manifest.artefacts.bios.file)),
    vgabios: arrayBuffer(join(dir, manifest.artefacts.vgabios.file)),
    cmdline: manifest.cmdline,
    jit: process.env.PODWIRE_JIT !== '0',
  };
}

/** Everything a cold boot needs: the machine, plus the kernel and the initramfs. */
export function coldBootAssets(memoryMb: number = DEFAULT_NODE_MEMORY_MB): BootAssets {
  const { dir, manifest } = loadImage();
  return {
    ...machineAssets(memoryMb),
    bzimage: arrayBuffer(join(dir, manifest.artefacts.bzimage.file)),
    initrd: arrayBuffer(join(dir, manifest.artefacts.initrd.file)),
  };
}

/** A saved state only fits the same image, v86 version and machine options, memory size included. */
export function snapshotKey(memoryMb: number): string {
  const { manifest } = loadImage();
  return `${manifest.key}-v86-${v86Version}-${memoryMb}m`;
}

/** The shipped form of the snapshot, zstd-compressed, the file a browser downloads. */
export function snapshotFile(memoryMb: number): string {
  return join(statesDir(), `${snapshotKey(memoryMb)}.state.zst`);
}

/**
 * The base state: a node booted once, its caches dropped so the state stays small,
 * saved and kept in the cache twice: raw, so a cluster starts without unpacking it,
 * and compressed with zstd, the form a browser downloads. Made on first use, one per
 * memory size (a lab's topology.memoryMb). Says where the raw state is.
 */
async function ensureSnapshot(memoryMb: number): Promise<string> {
  nodeMemoryOf({ memoryMb }); // throws for a size there is no snapshot of (src/topology)
  const file = snapshotFile(memoryMb);
  const raw = file.replace(/\.zst$/, '');
  if (!existsSync(file) || !existsSync(raw)) {
    const node = new VmNode({ name: 'node', mac: '02:00:00:00:00:01', address: '10.0.0.1/24', podCidr: '10.244.0.0/24' }, nodeWorkerHost);
    try {
      await node.start(coldBootAssets(memoryMb));
      // Back to the anonymous node the snapshot should be, then drop what the kernel can rebuild.
      await node.exec('hostname node; echo node >/etc/hostname; ip addr flush dev eth0; ip link set eth0 down; rm -f /etc/podwire/node.env; sync; echo 3 >/proc/sys/vm/drop_caches');
      const state = new Uint8Array(await node.snapshot());
      mkdirSync(statesDir(), { recursive: true });
      // Another process may be making the same snapshot: write under names of our own, then move.
      const tmp = `.tmp.${process.pid}.${Math.random().toString(36).slice(2)}`;
      writeFileSync(`${raw}${tmp}`, state);
      // zstd with a long window finds the repeats across the 100 MB of memory that gzip's
      // 32 KB window cannot: 32 MB instead of 45, under the browser's download budget.
      execFileSync('zstd', ['-9', '--long=27', '-T2', '-q', '-f', `${raw}${tmp}`, '-o', `${file}${tmp}`]);
      renameSync(`${raw}${tmp}`, raw);
      renameSync(`${file}${tmp}`, file);
      await pruneCache(statesDir(), 8 * 2 * NODE_MEMORY_SIZES.length, file); // 8 images, each size raw and compressed
    } finally {
      await node.stop();
    }
  }
  return raw;
}

/** What a node of `memoryMb` starts from: the machine and the base state (made on first use). */
export async function snapshotAssets(memoryMb: number): Promise<BootAssets & { state: SharedArrayBuffer }> {
  const raw = await ensureSnapshot(memoryMb);
  // A restore needs no kernel or initramfs: reading them on every start would be 23 MB for nothing.
  return { ...machineAssets(memoryMb), state: sharedSnapshot(memoryMb, raw) };
}

/** Per memory size, the raw snapshot this process read last. */
const shared = new Map<number, { file: string; state: SharedArrayBuffer }>();
/**
 * The raw snapshot, read once per process into memory every node worker can read: each
 * worker copies it into a buffer of its own, side by side, instead of this thread copying
 * 110 MB per node one after another (0.4 s each, over a second with three starting).
 */
function sharedSnapshot(memoryMb: number, file: string): SharedArrayBuffer {
  let kept = shared.get(memoryMb);
  if (kept?.file !== file) shared.set(memoryMb, kept = { file, state: readSnapshot(file) });
  return kept.state;
}

/** A raw state file, read into shared memory. */
export function readSnapshot(file: string): SharedArrayBuffer {
  const size = statSync(file).size;
  const state = new SharedArrayBuffer(size);
  const fd = openSync(file, 'r');
  try {
    for (let at = 0; at < size;) at += readSync(fd, new Uint8Array(state, at), 0, size - at, at);
  } finally {
    closeSync(fd);
  }
  return state;
}

/** Where the files a browser needs are, for the site build (src/vm/assets-vite.ts): the firmware, and a snapshot per memory size. */
export interface WebAssetSources {
  cmdline: string; bios: string; vgabios: string;
  snapshots: { memoryMb: number; key: string; state: string; stateRaw: string }[];
}

export async function webAssetSources(): Promise<WebAssetSources> {
  const snapshots = [];
  // Only made if missing, not read: the site build needs the files, not 77 MB each in memory.
  for (const memoryMb of NODE_MEMORY_SIZES) {
    const stateRaw = await ensureSnapshot(memoryMb);
    snapshots.push({ memoryMb, key: snapshotKey(memoryMb), state: snapshotFile(memoryMb), stateRaw });
  }
  const { dir, manifest } = loadImage();
  return { cmdline: manifest.cmdline, bios: join(dir, manifest.artefacts.bios.file), vgabios: join(dir, manifest.artefacts.vgabios.file), snapshots };
}

// `tsx src/vm/assets-node.ts [--json]`: make sure the image and the snapshot exist (setup runs
// this, so tests and the first cluster start do not all race to make them); --json prints
// where they are.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const sources = await webAssetSources();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(sources)}\n`);
  else process.stderr.write(`snapshots: ready (${sources.snapshots.map((s) => s.state).join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  process.exit(0);
}
