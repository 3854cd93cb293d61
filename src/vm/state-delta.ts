// A saved node state as the pages of guest memory that differ from the base snapshot.
//
// Every node starts from one base snapshot, and the guest's root filesystem lives in its
// RAM, so a node's state (about 110 MB, all but a few MB of it packed guest memory) is
// nearly all pages the base has too. Keeping only the pages that changed makes a save
// about a hundred times smaller, and quick: a full gzip of every node starved the guests
// for tens of seconds in a browser, where three nodes share two cores with the saves.
//
// The delta is made in the node's own worker, against a digest of the base (two 32-bit
// hashes per page, about 0.2 MB), so the worker need not keep the 110 MB base: making it
// on the page's thread blocked the virtual network, which runs there, for seconds.
// Rebuilding one needs the base itself; that happens once, before the machine starts.
//
// v86's state format (src/state.js, version 6): a 16-byte header (magic, version, total
// size, info length), the info block (JSON: `buffer_infos` with each buffer's offset and
// length from the buffer block's start, and `state`, the CPU's state tree), then the
// buffer block, 4-byte aligned. The CPU's state keeps guest memory packed (cpu.js
// pack_memory): only the non-zero 4 KiB pages, in page order, at state[77], with a bitmap
// of which pages those are at state[78] (bit p & 7 of byte p >> 3 for page p).
//
// A delta, before gzip: the fields below, then the state without its packed memory (the
// "skeleton", small), then the numbers of the pages the base does not hold alike, then
// those pages. Every other non-zero page is the base's. Kept gzipped, so whatever stores
// and uploads gzipped states carries it unchanged.
import { gzip } from './compress.js';

const PAGE = 4096;
const PAGE_WORDS = PAGE / 4;
/** Bytes copied between yields when a delta is rebuilt, so the worker still answers messages. */
const COPY_PIECE = 4 << 20;
const V86_MAGIC = 0x86768676;
const V86_VERSION = 6;
/** The CPU's state fields that hold the packed memory and its bitmap (cpu.js get_state). */
const PACKED_MEMORY_FIELD = 77;
const MEMORY_BITMAP_FIELD = 78;
/** No node's state is this large (256 MB of guest memory and a few MB more): a delta claiming more is damaged or hostile. */
export const MAX_REBUILT_BYTES = 1 << 30;

/** "PWDL" read as a little-endian u32: the first field of a delta, unpacked. */
export const DELTA_MAGIC = 0x4c445750;
export const DELTA_VERSION = 2;
/** Byte offsets of the delta's fields. */
const Field = { magic: 0, version: 4, fullLength: 8, baseLength: 12, memoryOffset: 16, memoryLength: 20, changedCount: 24, skeletonLength: 28, baseHash: 32 } as const;
export const DELTA_HEADER_BYTES = 36;

interface Span { offset: number; length: number }
interface StateLayout { memory: Span; bitmap: Span }

/** What a worker keeps of its base to make deltas against it. */
export interface BaseDigest {
  /** The base's length and the hash of its header and info block: which base a delta needs. */
  length: number;
  hash: number;
  /** Two hashes per guest page; both 0 and `present` unset for a zero page. */
  pages: Uint32Array;
  present: Uint8Array;
}

/** Where a v86 state keeps its packed memory and bitmap; throws for anything else. */
function layoutOf(state: Uint8Array, what: string): StateLayout {
  if (state.byteLength < 16) throw new Error(`${what} is not a v86 state: ${state.byteLength} bytes`);
  const header = new DataView(state.buffer, state.byteOffset, 16);
  if (header.getUint32(0, true) !== V86_MAGIC || header.getInt32(4, true) !== V86_VERSION) throw new Error(`${what} is not a v86 state of format ${V86_VERSION}`);
  const infoLength = header.getUint32(12, true);
  if (16 + infoLength > state.byteLength) throw new Error(`${what}: its info block runs past its end`);
  let info: { buffer_infos?: Span[]; state?: { buffer_id?: number }[] };
  try {
    // A SharedArrayBuffer's bytes cannot be decoded directly.
    info = JSON.parse(new TextDecoder().decode(state.slice(16, 16 + infoLength)));
  } catch (error) {
    throw new Error(`${what}: its info block is not JSON (${(error as Error).message})`);
  }
  const bufferStart = (16 + infoLength + 3) & ~3;
  const span = (field: number): Span => {
    const id = info.state?.[field]?.buffer_id;
    const found = id === undefined ? undefined : info.buffer_infos?.[id];
    if (!found || !Number.isInteger(found.offset) || !Number.isInteger(found.length) || found.offset < 0 || found.length < 0) throw new Error(`${what}: no buffer at CPU state field ${field}`);
    const at = { offset: bufferStart + found.offset, length: found.length };
    if (at.offset + at.length > state.byteLength) throw new Error(`${what}: buffer ${id} runs past its end`);
    return at;
  };
  const layout = { memory: span(PACKED_MEMORY_FIELD), bitmap: span(MEMORY_BITMAP_FIELD) };
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

/** FNV-1a of a state's header and info block (its CPU state, unique to each snapshot). */
function headerHash(state: Uint8Array): number {
  const end = Math.min(state.byteLength, 16 + new DataView(state.buffer, state.byteOffset, 16).getUint32(12, true));
  let hash = 0x811c9dc5;
  for (let i = 0; i < end; i++) hash = Math.imul(hash ^ state[i]!, 0x01000193);
  return hash >>> 0;
}

/** Two independent 32-bit hashes of one page's words, into `out` at `at` (64 bits: a false match is out of reach). */
function hashPage(words: Uint32Array, from: number, out: Uint32Array, at: number): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = from, end = from + PAGE_WORDS; i < end; i++) {
    const word = words[i]!;
    a = Math.imul(a ^ word, 0x01000193);
    b = Math.imul(b + word, 0x5bd1e995);
    b ^= b >>> 15;
  }
  out[at] = a >>> 0;
  out[at + 1] = b >>> 0;
}

/** The packed memory as 32-bit words (v86 4-aligns its buffers; a copy if this one is not). */
function memoryWords(state: Uint8Array, memory: Span): Uint32Array {
  const at = state.byteOffset + memory.offset;
  if (at % 4 === 0) return new Uint32Array(state.buffer, at, memory.length / 4);
  return new Uint32Array(state.slice(memory.offset, memory.offset + memory.length).buffer);
}

/** What a worker keeps of a base to make deltas against it, without the base itself. */
export function digestState(base: Uint8Array): BaseDigest {
  const layout = layoutOf(base, 'the base snapshot');
  const offsets = packedOffsets(base, layout);
  const words = memoryWords(base, layout.memory);
  const pages = new Uint32Array(offsets.length * 2);
  const present = new Uint8Array(offsets.length);
  for (let page = 0; page < offsets.length; page++) {
    const at = offsets[page]!;
    if (at < 0) continue;
    present[page] = 1;
    hashPage(words, at / 4, pages, page * 2);
  }
  return { length: base.byteLength, hash: headerHash(base), pages, present };
}

/** The delta of `next` (a raw v86 state) against the base `digest` stands for, gzipped. */
export async function packState(digest: BaseDigest, next: Uint8Array): Promise<Uint8Array> {
  const layout = layoutOf(next, "the node's state");
  const offsets = packedOffsets(next, layout);
  const words = memoryWords(next, layout.memory);
  const changed: number[] = [];
  const pageHash = new Uint32Array(2);
  for (let page = 0; page < offsets.length; page++) {
    const at = offsets[page]!;
    if (at < 0) continue;
    if (page >= digest.present.length || !digest.present[page]) { changed.push(page); continue; }
    hashPage(words, at / 4, pageHash, 0);
    if (pageHash[0] !== digest.pages[page * 2] || pageHash[1] !== digest.pages[page * 2 + 1]) changed.push(page);
  }
  const { memory } = layout;
  const skeletonLength = next.byteLength - memory.length;
  const skeletonPadded = (skeletonLength + 3) & ~3;
  const out = new Uint8Array(DELTA_HEADER_BYTES + skeletonPadded + changed.length * 4 + changed.length * PAGE);
  const fields = new DataView(out.buffer);
  fields.setUint32(Field.magic, DELTA_MAGIC, true);
  fields.setUint32(Field.version, DELTA_VERSION, true);
  fields.setUint32(Field.fullLength, next.byteLength, true);
  fields.setUint32(Field.baseLength, digest.length, true);
  fields.setUint32(Field.memoryOffset, memory.offset, true);
  fields.setUint32(Field.memoryLength, memory.length, true);
  fields.setUint32(Field.changedCount, changed.length, true);
  fields.setUint32(Field.skeletonLength, skeletonLength, true);
  fields.setUint32(Field.baseHash, digest.hash, true);
  let at = DELTA_HEADER_BYTES;
  out.set(next.subarray(0, memory.offset), at);
  out.set(next.subarray(memory.offset + memory.length), at + memory.offset);
  at += skeletonPadded;
  for (const page of changed) { fields.setUint32(at, page, true); at += 4; }
  for (const page of changed) {
    const from = memory.offset + offsets[page]!;
    out.set(next.subarray(from, from + PAGE), at);
    at += PAGE;
  }
  return gzip(out);
}

/** True when these (gunzipped) bytes are a delta, of any version. */
export function isDelta(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === DELTA_MAGIC;
}

/** A delta's version and the full size it rebuilds to, from its first bytes, or why they are not a delta. */
export function deltaHeader(bytes: Uint8Array): { version: number; fullLength: number } {
  if (bytes.byteLength < DELTA_HEADER_BYTES || !isDelta(bytes)) throw new Error('not a podwire state delta');
  const fields = new DataView(bytes.buffer, bytes.byteOffset, DELTA_HEADER_BYTES);
  return { version: fields.getUint32(Field.version, true), fullLength: fields.getUint32(Field.fullLength, true) };
}

/** The raw v86 state a (gunzipped) delta stands for, rebuilt on the base it was made against. */
export async function unpackState(base: Uint8Array, delta: Uint8Array): Promise<ArrayBuffer> {
  if (delta.byteLength < DELTA_HEADER_BYTES || !isDelta(delta)) throw new Error('the saved state is not a podwire state delta');
  const fields = new DataView(delta.buffer, delta.byteOffset, DELTA_HEADER_BYTES);
  const field = (name: keyof typeof Field) => fields.getUint32(Field[name], true);
  if (field('version') !== DELTA_VERSION) throw new Error(`the saved state is a state delta of format ${field('version')}; this version of podwire reads format ${DELTA_VERSION}`);
  layoutOf(base, 'the base snapshot');
  if (field('baseLength') !== base.byteLength || field('baseHash') !== headerHash(base)) throw new Error(`the saved state was made against another base snapshot (${field('baseLength')} bytes, this one has ${base.byteLength})`);
  const fullLength = field('fullLength');
  const memoryOffset = field('memoryOffset');
  const memoryLength = field('memoryLength');
  const changedCount = field('changedCount');
  const skeletonLength = field('skeletonLength');
  const skeletonPadded = (skeletonLength + 3) & ~3;
  const pagesAt = DELTA_HEADER_BYTES + skeletonPadded + changedCount * 4;
  if (fullLength > MAX_REBUILT_BYTES || skeletonLength + memoryLength !== fullLength || memoryOffset > skeletonLength || pagesAt + changedCount * PAGE !== delta.byteLength) {
    throw new Error('the saved state delta is damaged: its sizes do not add up');
  }
  const full = new Uint8Array(fullLength);
  const skeleton = delta.subarray(DELTA_HEADER_BYTES, DELTA_HEADER_BYTES + skeletonLength);
  full.set(skeleton.subarray(0, memoryOffset), 0);
  full.set(skeleton.subarray(memoryOffset), memoryOffset + memoryLength);
  const layout = layoutOf(full, 'the saved state');
  if (layout.memory.offset !== memoryOffset || layout.memory.length !== memoryLength) throw new Error('the saved state delta is damaged: its memory is not where its state says');
  const offsets = packedOffsets(full, layout);
  const baseLayout = layoutOf(base, 'the base snapshot');
  const baseOffsets = packedOffsets(base, baseLayout);
  const changed = new Map<number, number>();
  const numbers = new DataView(delta.buffer, delta.byteOffset + DELTA_HEADER_BYTES + skeletonPadded, changedCount * 4);
  for (let i = 0; i < changedCount; i++) changed.set(numbers.getUint32(i * 4, true), pagesAt + i * PAGE);
  // Pages from the base are copied in runs: most of memory is long stretches of them.
  let runFrom = -1;
  let runTo = -1;
  let runLength = 0;
  let sinceYield = 0;
  const flush = async () => {
    for (let done = 0; done < runLength; done += COPY_PIECE) {
      const length = Math.min(COPY_PIECE, runLength - done);
      full.set(base.subarray(runFrom + done, runFrom + done + length), runTo + done);
      sinceYield += length;
      if (sinceYield >= COPY_PIECE) { sinceYield = 0; await new Promise((resolve) => setTimeout(resolve, 0)); }
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
