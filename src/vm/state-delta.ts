// A saved node state as the pages of guest memory that differ from the base snapshot.
//
// Every node starts from one base snapshot, and the guest's root filesystem lives in its
// RAM, so a node's state (about 110 MB, of which all but a few MB is packed guest memory)
// is nearly all pages the base has too. Keeping only the pages that changed makes a save
// several times smaller and quicker to compress, which matters in a browser where three
// nodes share two cores with the saves: a full gzip of every node starved the guests for
// tens of seconds.
//
// v86's state format (src/state.js, version 6): a 16-byte header (magic, version, total
// size, info length), the info block (JSON: `buffer_infos` with each buffer's offset and
// length from the buffer block's start, and `state`, the CPU's state tree), then the
// buffer block, 4-byte aligned. The CPU's state keeps guest memory packed (cpu.js
// pack_memory): only the non-zero 4 KiB pages, in page order, at state[77], with a bitmap
// of which pages those are at state[78] (bit p & 7 of byte p >> 3 for page p).
//
// A delta, before gzip: the fields below, then the state without its packed memory (the
// "skeleton", small), then the numbers of the pages whose bytes differ from the base's
// page (or that the base has as zero), then those pages. Every other non-zero page is the
// base's. Kept as gzip, so what stores and uploads gzipped states carries it unchanged.
import { Gunzip } from 'fflate';
import { gunzip, gzip, isGzip } from './compress.js';

const PAGE = 4096;
/** Bytes copied between yields when a delta is rebuilt. */
const COPY_PIECE = 4 << 20;
/** Pages compared between yields when a delta is made (1 MB of guest memory). */
const COMPARE_PIECE = 256;

/**
 * Let the thread's other work run: in a page, packing and rebuilding run on the page's
 * own thread, which also carries the virtual network's frames and draws the page. A
 * save that compared 110 MB in one go held every frame between the nodes for up to 3 s,
 * long enough for a node's ARP to give up ("Destination Host Unreachable").
 */
function yieldToOthers(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
const V86_MAGIC = 0x86768676;
const V86_VERSION = 6;
/** The CPU's state fields that hold the packed memory and its bitmap (cpu.js get_state). */
const PACKED_MEMORY_FIELD = 77;
const MEMORY_BITMAP_FIELD = 78;

/** "PWDL" read as a little-endian u32: the first field of a delta, unpacked. */
export const DELTA_MAGIC = 0x4c445750;
export const DELTA_VERSION = 1;
/** Byte offsets of the delta's fields. */
const Field = { magic: 0, version: 4, fullLength: 8, baseLength: 12, memoryOffset: 16, memoryLength: 20, changedCount: 24, skeletonLength: 28, baseHash: 32 } as const;
const DELTA_HEADER_BYTES = 36;

interface Buffer { offset: number; length: number }
interface StateLayout {
  /** Where the packed memory lies in the state, and its bitmap. */
  memory: Buffer;
  bitmap: Buffer;
}

/** Where a v86 state keeps its packed memory and bitmap; throws for anything else. */
function layoutOf(state: Uint8Array, what: string): StateLayout {
  if (state.byteLength < 16) throw new Error(`${what} is not a v86 state: ${state.byteLength} bytes`);
  const header = new DataView(state.buffer, state.byteOffset, 16);
  if (header.getUint32(0, true) !== V86_MAGIC || header.getInt32(4, true) !== V86_VERSION) throw new Error(`${what} is not a v86 state of format ${V86_VERSION}`);
  const infoLength = header.getUint32(12, true);
  if (16 + infoLength > state.byteLength) throw new Error(`${what}: its info block runs past its end`);
  const info = JSON.parse(new TextDecoder().decode(state.subarray(16, 16 + infoLength))) as {
    buffer_infos: Buffer[];
    state: { buffer_id?: number }[];
  };
  const bufferStart = (16 + infoLength + 3) & ~3;
  const buffer = (field: number): Buffer => {
    const id = info.state?.[field]?.buffer_id;
    const found = id === undefined ? undefined : info.buffer_infos[id];
    if (!found) throw new Error(`${what}: no buffer at CPU state field ${field}`);
    const at = { offset: bufferStart + found.offset, length: found.length };
    if (at.offset + at.length > state.byteLength) throw new Error(`${what}: buffer ${id} runs past its end`);
    return at;
  };
  const layout = { memory: buffer(PACKED_MEMORY_FIELD), bitmap: buffer(MEMORY_BITMAP_FIELD) };
  if (layout.memory.length % PAGE) throw new Error(`${what}: its packed memory is not whole pages`);
  return layout;
}

/** For each guest page, where its bytes start in the packed memory (-1 for a zero page). */
function packedOffsets(state: Uint8Array, layout: StateLayout): Int32Array {
  const bits = state.subarray(layout.bitmap.offset, layout.bitmap.offset + layout.bitmap.length);
  const offsets = new Int32Array(bits.length * 8).fill(-1);
  let next = 0;
  for (let page = 0; page < offsets.length; page++) {
    if (bits[page >> 3]! & (1 << (page & 7))) { offsets[page] = next; next += PAGE; }
  }
  if (next !== layout.memory.length) throw new Error(`the state's memory bitmap names ${next / PAGE} pages, its packed memory holds ${layout.memory.length / PAGE}`);
  return offsets;
}

/** FNV-1a of the base's header and info block (its CPU state, unique to each snapshot): which base a delta needs. */
function baseHash(base: Uint8Array): number {
  const end = Math.min(base.byteLength, 16 + new DataView(base.buffer, base.byteOffset, 16).getUint32(12, true));
  let hash = 0x811c9dc5;
  for (let i = 0; i < end; i++) hash = Math.imul(hash ^ base[i]!, 0x01000193);
  return hash >>> 0;
}

/** The bytes as 32-bit words when they line up (a state's buffers are 4-aligned), for a quicker compare. */
function wordsOf(bytes: Uint8Array): Uint32Array | undefined {
  return bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2) : undefined;
}

function samePage(a: Uint8Array, aWords: Uint32Array | undefined, aAt: number, b: Uint8Array, bWords: Uint32Array | undefined, bAt: number): boolean {
  if (aWords && bWords && aAt % 4 === 0 && bAt % 4 === 0) {
    for (let i = aAt >> 2, j = bAt >> 2, end = (aAt + PAGE) >> 2; i < end; i++, j++) if (aWords[i] !== bWords[j]) return false;
    return true;
  }
  for (let i = 0; i < PAGE; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

/** The delta of `next` against `base` (both raw v86 states), gzipped. */
export async function packState(base: ArrayBuffer, next: ArrayBuffer): Promise<Uint8Array> {
  const baseBytes = new Uint8Array(base);
  const nextBytes = new Uint8Array(next);
  const baseLayout = layoutOf(baseBytes, 'the base snapshot');
  const nextLayout = layoutOf(nextBytes, "the node's state");
  const baseOffsets = packedOffsets(baseBytes, baseLayout);
  const nextOffsets = packedOffsets(nextBytes, nextLayout);
  const changed: number[] = [];
  const baseWords = wordsOf(baseBytes);
  const nextWords = wordsOf(nextBytes);
  let compared = 0;
  for (let page = 0; page < nextOffsets.length; page++) {
    const at = nextOffsets[page]!;
    if (at < 0) continue;
    if (++compared % COMPARE_PIECE === 0) await yieldToOthers();
    const baseAt = page < baseOffsets.length ? baseOffsets[page]! : -1;
    if (baseAt < 0 || !samePage(baseBytes, baseWords, baseLayout.memory.offset + baseAt, nextBytes, nextWords, nextLayout.memory.offset + at)) changed.push(page);
  }
  const { memory } = nextLayout;
  const skeletonLength = nextBytes.byteLength - memory.length;
  const skeletonPadded = (skeletonLength + 3) & ~3;
  const out = new Uint8Array(DELTA_HEADER_BYTES + skeletonPadded + changed.length * 4 + changed.length * PAGE);
  const fields = new DataView(out.buffer);
  fields.setUint32(Field.magic, DELTA_MAGIC, true);
  fields.setUint32(Field.version, DELTA_VERSION, true);
  fields.setUint32(Field.fullLength, nextBytes.byteLength, true);
  fields.setUint32(Field.baseLength, baseBytes.byteLength, true);
  fields.setUint32(Field.memoryOffset, memory.offset, true);
  fields.setUint32(Field.memoryLength, memory.length, true);
  fields.setUint32(Field.changedCount, changed.length, true);
  fields.setUint32(Field.skeletonLength, skeletonLength, true);
  fields.setUint32(Field.baseHash, baseHash(baseBytes), true);
  let at = DELTA_HEADER_BYTES;
  out.set(nextBytes.subarray(0, memory.offset), at);
  out.set(nextBytes.subarray(memory.offset + memory.length), at + memory.offset);
  at += skeletonPadded;
  for (const page of changed) { fields.setUint32(at, page, true); at += 4; }
  for (const page of changed) {
    const from = memory.offset + nextOffsets[page]!;
    out.set(nextBytes.subarray(from, from + PAGE), at);
    at += PAGE;
  }
  return gzip(out);
}

/** True for a raw (unpacked, uncompressed) v86 state: something packState can diff against. */
export function isRawState(state: ArrayBuffer | Uint8Array): boolean {
  const bytes = state instanceof Uint8Array ? state : new Uint8Array(state);
  return bytes.byteLength >= 16 && new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(0, true) === V86_MAGIC;
}

/** True when `saved` (as stored) is a delta that packState made, found by unpacking only its start. */
export function isPackedState(saved: ArrayBuffer | Uint8Array): boolean {
  const bytes = saved instanceof Uint8Array ? saved : new Uint8Array(saved);
  if (!isGzip(bytes)) return false;
  let head: Uint8Array | undefined;
  const stream = new Gunzip((chunk) => { head ??= chunk; });
  try {
    for (let at = 0; at < bytes.byteLength && (!head || head.byteLength < 4); at += 16384) {
      stream.push(bytes.subarray(at, Math.min(bytes.byteLength, at + 16384)), at + 16384 >= bytes.byteLength);
    }
  } catch {
    return false;
  }
  return !!head && head.byteLength >= 4 && new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true) === DELTA_MAGIC;
}

/** The raw v86 state a delta stands for, rebuilt on the base it was made against. */
export async function unpackState(base: ArrayBuffer, saved: ArrayBuffer | Uint8Array): Promise<ArrayBuffer> {
  const delta = await gunzip(saved instanceof Uint8Array ? saved : new Uint8Array(saved));
  if (delta.byteLength < DELTA_HEADER_BYTES) throw new Error('the saved state is not a podwire state delta: too short');
  const fields = new DataView(delta.buffer, delta.byteOffset, DELTA_HEADER_BYTES);
  const field = (name: keyof typeof Field) => fields.getUint32(Field[name], true);
  if (field('magic') !== DELTA_MAGIC || field('version') !== DELTA_VERSION) throw new Error('the saved state is not a podwire state delta of version 1');
  const baseBytes = new Uint8Array(base);
  if (field('baseLength') !== baseBytes.byteLength || (isRawState(baseBytes) && field('baseHash') !== baseHash(baseBytes))) throw new Error(`the saved state was made against another base snapshot (${field('baseLength')} bytes, this one has ${baseBytes.byteLength})`);
  const fullLength = field('fullLength');
  const memoryOffset = field('memoryOffset');
  const memoryLength = field('memoryLength');
  const changedCount = field('changedCount');
  const skeletonLength = field('skeletonLength');
  const skeletonPadded = (skeletonLength + 3) & ~3;
  const pagesAt = DELTA_HEADER_BYTES + skeletonPadded + changedCount * 4;
  if (skeletonLength + memoryLength !== fullLength || memoryOffset > skeletonLength || pagesAt + changedCount * PAGE !== delta.byteLength) {
    throw new Error('the saved state delta is damaged: its sizes do not add up');
  }
  const full = new Uint8Array(fullLength);
  const skeleton = delta.subarray(DELTA_HEADER_BYTES, DELTA_HEADER_BYTES + skeletonLength);
  full.set(skeleton.subarray(0, memoryOffset), 0);
  full.set(skeleton.subarray(memoryOffset), memoryOffset + memoryLength);
  const layout = layoutOf(full, 'the saved state');
  if (layout.memory.offset !== memoryOffset || layout.memory.length !== memoryLength) throw new Error('the saved state delta is damaged: its memory is not where its state says');
  const offsets = packedOffsets(full, layout);
  const baseLayout = layoutOf(baseBytes, 'the base snapshot');
  const baseOffsets = packedOffsets(baseBytes, baseLayout);
  const changed = new Map<number, number>();
  const numbers = new DataView(delta.buffer, delta.byteOffset + DELTA_HEADER_BYTES + skeletonPadded, changedCount * 4);
  for (let i = 0; i < changedCount; i++) changed.set(numbers.getUint32(i * 4, true), pagesAt + i * PAGE);
  // Pages from the base are copied in runs: most of memory is long stretches of them. (What
  // costs most here is the first touch of the new 110 MB, as for any copy of a state.)
  // The copying is done in pieces with a yield between them: in a page this runs on the
  // page's own thread, which must keep drawing (and a node's first shell) meanwhile.
  let runFrom = -1;
  let runTo = -1;
  let runLength = 0;
  let sinceYield = 0;
  const flush = async () => {
    for (let done = 0; done < runLength; done += COPY_PIECE) {
      const length = Math.min(COPY_PIECE, runLength - done);
      full.set(baseBytes.subarray(runFrom + done, runFrom + done + length), runTo + done);
      sinceYield += length;
      if (sinceYield >= COPY_PIECE) { sinceYield = 0; await yieldToOthers(); }
    }
    runLength = 0;
  };
  for (let page = 0; page < offsets.length; page++) {
    const at = offsets[page]!;
    if (at < 0) continue;
    const to = memoryOffset + at;
    const fromDelta = changed.get(page);
    if (fromDelta !== undefined) {
      await flush();
      full.set(delta.subarray(fromDelta, fromDelta + PAGE), to);
      continue;
    }
    const baseAt = page < baseOffsets.length ? baseOffsets[page]! : -1;
    if (baseAt < 0) throw new Error(`the saved state delta is damaged: page ${page} is neither in it nor in the base`);
    const from = baseLayout.memory.offset + baseAt;
    if (runLength && from === runFrom + runLength && to === runTo + runLength) {
      runLength += PAGE;
    } else {
      await flush();
      runFrom = from;
      runTo = to;
      runLength = PAGE;
    }
  }
  await flush();
  return full.buffer;
}
