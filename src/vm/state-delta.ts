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
// Restoring one needs the base itself: its pages and the delta's are written straight into
// the new machine's memory (planDeltaRestore), once, before the machine runs.
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
/** A buffer of the state: where it is (from the state's start) and its index in `buffer_infos`. */
interface StateBuffer extends Span { id: number }
/** The state's info block as read (its CPU state and where its buffers are), and the two buffers that hold guest memory. */
interface StateLayout { info: { buffer_infos: Span[] }; bufferStart: number; memory: StateBuffer; bitmap: StateBuffer }

/** What a worker keeps of a base to make deltas against it. */
export interface BaseDigest {
  /** The base's length and the hash of its header and info block: which base a delta needs. */
  length: number;
  hash: number;
  /** Two hashes per guest page; both 0 and `present` unset for a zero page. */
  pages: Uint32Array;
  present: Uint8Array;
}

/**
 * A state's bytes, wherever they are kept: in memory (shared or not), or in a file that is
 * read a piece at a time (state-file.ts), so that a node can restore from a base snapshot
 * without the page or the worker holding a copy of it.
 */
export interface StateSource {
  readonly byteLength: number;
  /** `length` bytes from `offset`: a view when the state is in memory, a new array when it is read from a file. */
  read(offset: number, length: number): Uint8Array;
  /** The bytes from `offset` on into all of `target`. */
  readInto(target: Uint8Array, offset: number): void;
}

/** A state in memory as a source. */
export function bytesSource(bytes: Uint8Array): StateSource {
  return {
    byteLength: bytes.byteLength,
    read: (offset, length) => bytes.subarray(offset, offset + length),
    readInto: (target, offset) => target.set(bytes.subarray(offset, offset + target.byteLength)),
  };
}

const sourceOf = (state: Uint8Array | StateSource): StateSource => (state instanceof Uint8Array ? bytesSource(state) : state);

/** A state's header and info block: all that is needed to find its buffers. */
function headOf(source: StateSource): Uint8Array {
  if (source.byteLength < 16) return source.read(0, source.byteLength);
  const infoLength = new DataView(source.read(0, 16).slice().buffer).getUint32(12, true);
  return source.read(0, Math.min(source.byteLength, 16 + infoLength));
}

/**
 * Where a v86 state keeps its packed memory and bitmap; throws for anything else. `bytes`
 * holds at least the state's header and info block; `length` is the whole state's.
 */
function layoutOf(bytes: Uint8Array, what: string, length = bytes.byteLength): StateLayout {
  if (bytes.byteLength < 16) throw new Error(`${what} is not a v86 state: ${bytes.byteLength} bytes`);
  const header = new DataView(bytes.buffer, bytes.byteOffset, 16);
  if (header.getUint32(0, true) !== V86_MAGIC || header.getInt32(4, true) !== V86_VERSION) throw new Error(`${what} is not a v86 state of format ${V86_VERSION}`);
  const infoLength = header.getUint32(12, true);
  if (16 + infoLength > Math.min(length, bytes.byteLength)) throw new Error(`${what}: its info block runs past its end`);
  let info: { buffer_infos?: Span[]; state?: { buffer_id?: number }[] };
  try {
    // A SharedArrayBuffer's bytes cannot be decoded directly.
    info = JSON.parse(new TextDecoder().decode(bytes.slice(16, 16 + infoLength)));
  } catch (error) {
    throw new Error(`${what}: its info block is not JSON (${(error as Error).message})`);
  }
  const bufferStart = (16 + infoLength + 3) & ~3;
  const buffer = (field: number): StateBuffer => {
    const id = info.state?.[field]?.buffer_id;
    const found = id === undefined ? undefined : info.buffer_infos?.[id];
    if (!found || !Number.isInteger(found.offset) || !Number.isInteger(found.length) || found.offset < 0 || found.length < 0) throw new Error(`${what}: no buffer at CPU state field ${field}`);
    const at = { id: id!, offset: bufferStart + found.offset, length: found.length };
    if (at.offset + at.length > length) throw new Error(`${what}: buffer ${id} runs past its end`);
    return at;
  };
  const layout = { info: info as StateLayout['info'], bufferStart, memory: buffer(PACKED_MEMORY_FIELD), bitmap: buffer(MEMORY_BITMAP_FIELD) };
  if (layout.memory.length % PAGE) throw new Error(`${what}: its packed memory is not whole pages`);
  return layout;
}

/** For each guest page, where its bytes start in the packed memory (-1 for a zero page), from the memory bitmap. */
function packedOffsetsOf(bits: Uint8Array, memoryLength: number): Int32Array {
  const offsets = new Int32Array(bits.length * 8).fill(-1);
  let next = 0;
  for (let page = 0; page < offsets.length; page++) {
    if (bits[page >> 3]! & (1 << (page & 7))) { offsets[page] = next; next += PAGE; }
  }
  if (next !== memoryLength) throw new Error(`the state's memory bitmap names ${next / PAGE} pages, its packed memory holds ${memoryLength / PAGE}`);
  return offsets;
}

function packedOffsets(state: StateSource, layout: StateLayout): Int32Array {
  return packedOffsetsOf(state.read(layout.bitmap.offset, layout.bitmap.length), layout.memory.length);
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

/** Pages of the base read at a time while digesting it: 1 MiB, reused. */
const DIGEST_CHUNK_PAGES = 256;

/**
 * What a worker keeps of a base to make deltas against it, without the base itself. The
 * packed memory is read a chunk at a time into one buffer, so a base in a file is never
 * held whole.
 */
export function digestState(state: Uint8Array | StateSource): BaseDigest {
  const base = sourceOf(state);
  const head = headOf(base);
  const layout = layoutOf(head, 'the base snapshot', base.byteLength);
  const offsets = packedOffsets(base, layout);
  const pages = new Uint32Array(offsets.length * 2);
  const present = new Uint8Array(offsets.length);
  const chunk = new Uint8Array(DIGEST_CHUNK_PAGES * PAGE);
  const words = new Uint32Array(chunk.buffer);
  const packedPages = layout.memory.length / PAGE;
  let chunkFirst = -DIGEST_CHUNK_PAGES;
  for (let page = 0; page < offsets.length; page++) {
    const at = offsets[page]!;
    if (at < 0) continue;
    const packed = at / PAGE;
    if (packed >= chunkFirst + DIGEST_CHUNK_PAGES) {
      chunkFirst = packed;
      const count = Math.min(DIGEST_CHUNK_PAGES, packedPages - packed);
      base.readInto(chunk.subarray(0, count * PAGE), layout.memory.offset + at);
    }
    present[page] = 1;
    hashPage(words, (packed - chunkFirst) * PAGE_WORDS, pages, page * 2);
  }
  return { length: base.byteLength, hash: headerHash(head), pages, present };
}

/** The delta of `next` (a raw v86 state) against the base `digest` stands for, gzipped. */
export async function packState(digest: BaseDigest, next: Uint8Array): Promise<Uint8Array> {
  const layout = layoutOf(next, "the node's state");
  const offsets = packedOffsets(bytesSource(next), layout);
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

/** `count` guest pages from guest page `page` on, whose bytes are in `source` from `from` on. */
interface PageRun { page: number; count: number; source: StateSource; from: number }

/**
 * A state made ready for v86 to restore, without a copy of the guest's memory on the way:
 * `machine` is the state with its packed memory left out (empty) and its memory bitmap
 * clear, which v86 restores in a moment; then `writeMemory` writes the guest's pages
 * straight into the machine's memory, from wherever they are (the state itself, a delta,
 * the base in shared memory or in a kept file). A whole state handed to v86 is copied twice before its pages reach
 * the guest (rebuilt here from a delta or copied out of shared memory, then sliced out by
 * v86's loader, state.js): on a machine where first touches of memory are slow, each copy
 * of 117 MB costs a few hundred ms of CPU per node.
 */
export interface RestorePlan {
  machine: ArrayBuffer;
  /** The guest memory the pages need, in bytes: the machine must have at least this much. */
  memoryBytes: number;
  /** Writes every non-zero page into `memory` (the guest's memory, zero where no page goes), then lets go of the sources. */
  writeMemory(memory: Uint8Array): void;
}

/** A state's bytes, addressed as in the whole state: a delta holds them with the packed memory cut out. */
type ReadWhole = (offset: number, length: number) => Uint8Array;

/** The state v86 restores without guest memory: the same header and CPU state, the packed memory empty, the bitmap clear. */
function machineState(read: ReadWhole, wholeLength: number, layout: StateLayout): ArrayBuffer {
  const { info, bufferStart } = layout;
  const kept: { from: number; length: number; clear: boolean }[] = [];
  let size = 0;
  const infos = info.buffer_infos.map((span, id) => {
    const from = bufferStart + span.offset;
    const length = id === layout.memory.id ? 0 : span.length;
    if (from + length > wholeLength) throw new Error('the state is damaged: a buffer runs past its end');
    kept.push({ from, length, clear: id === layout.bitmap.id });
    const at = { offset: size, length };
    size = (size + length + 3) & ~3;
    return at;
  });
  const newInfo = new TextEncoder().encode(JSON.stringify({ ...info, buffer_infos: infos }));
  const newStart = (16 + newInfo.length + 3) & ~3;
  const out = new Uint8Array(newStart + size);
  const fields = new DataView(out.buffer);
  fields.setUint32(0, V86_MAGIC, true);
  fields.setInt32(4, V86_VERSION, true);
  fields.setUint32(8, out.byteLength, true);
  fields.setUint32(12, newInfo.length, true);
  out.set(newInfo, 16);
  kept.forEach((buffer, i) => { if (!buffer.clear) out.set(read(buffer.from, buffer.length), newStart + infos[i]!.offset); });
  return out.buffer;
}

/** Guest pages in runs: consecutive pages whose bytes follow each other in one source. */
function pageRuns(present: Int32Array, whereIs: (page: number) => { source: StateSource; from: number }): PageRun[] {
  const runs: PageRun[] = [];
  let last: PageRun | undefined;
  for (let page = 0; page < present.length; page++) {
    if (present[page]! < 0) continue;
    const { source, from } = whereIs(page);
    if (last && last.source === source && last.page + last.count === page && last.from + last.count * PAGE === from) { last.count++; continue; }
    last = { page, count: 1, source, from };
    runs.push(last);
  }
  return runs;
}

function planOf(machine: ArrayBuffer, runs: PageRun[]): RestorePlan {
  const end = runs.length ? runs[runs.length - 1]! : undefined;
  return {
    machine,
    memoryBytes: end ? (end.page + end.count) * PAGE : 0,
    writeMemory(memory) {
      for (const run of runs) {
        const length = run.count * PAGE;
        if (run.page * PAGE + length > memory.byteLength) throw new Error(`the state holds guest memory up to ${this.memoryBytes >> 20} MB, the machine has ${memory.byteLength >> 20} MB`);
        run.source.readInto(memory.subarray(run.page * PAGE, run.page * PAGE + length), run.from);
      }
      // The sources (a delta, a state) are not needed any more; a shared base stays the process's, a kept file is closed by the caller.
      runs.length = 0;
    },
  };
}

/** A raw v86 state (in shared memory, private, or in a file), planned for a restore. */
export function planRestore(given: Uint8Array | StateSource): RestorePlan {
  const state = sourceOf(given);
  const layout = layoutOf(headOf(state), 'the saved state', state.byteLength);
  const offsets = packedOffsets(state, layout);
  const read: ReadWhole = (offset, length) => state.read(offset, length);
  const runs = pageRuns(offsets, (page) => ({ source: state, from: layout.memory.offset + offsets[page]! }));
  return planOf(machineState(read, state.byteLength, layout), runs);
}

/** A (gunzipped) delta, planned for a restore on the base it was made against. */
export function planDeltaRestore(givenBase: Uint8Array | StateSource, delta: Uint8Array): RestorePlan {
  const base = sourceOf(givenBase);
  if (delta.byteLength < DELTA_HEADER_BYTES || !isDelta(delta)) throw new Error('the saved state is not a podwire state delta');
  const fields = new DataView(delta.buffer, delta.byteOffset, DELTA_HEADER_BYTES);
  const field = (name: keyof typeof Field) => fields.getUint32(Field[name], true);
  if (field('version') !== DELTA_VERSION) throw new Error(`the saved state is a state delta of format ${field('version')}; this version of podwire reads format ${DELTA_VERSION}`);
  const baseHead = headOf(base);
  const baseLayout = layoutOf(baseHead, 'the base snapshot', base.byteLength);
  if (field('baseLength') !== base.byteLength || field('baseHash') !== headerHash(baseHead)) throw new Error(`the saved state was made against another base snapshot (${field('baseLength')} bytes, this one has ${base.byteLength})`);
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
  const skeleton = delta.subarray(DELTA_HEADER_BYTES, DELTA_HEADER_BYTES + skeletonLength);
  // The skeleton is the whole state with its packed memory cut out.
  const read: ReadWhole = (offset, length) => {
    if (offset + length <= memoryOffset) return skeleton.subarray(offset, offset + length);
    if (offset >= memoryOffset + memoryLength) return skeleton.subarray(offset - memoryLength, offset - memoryLength + length);
    throw new Error('the saved state delta is damaged: a buffer overlaps its memory');
  };
  // The whole state's header and info block come before its memory, so the skeleton holds them as they are.
  const layout = layoutOf(skeleton.subarray(0, memoryOffset), 'the saved state', fullLength);
  if (layout.memory.offset !== memoryOffset || layout.memory.length !== memoryLength) throw new Error('the saved state delta is damaged: its memory is not where its state says');
  const offsets = packedOffsetsOf(read(layout.bitmap.offset, layout.bitmap.length), memoryLength);
  const baseOffsets = packedOffsets(base, baseLayout);
  const changed = new Map<number, number>();
  const numbers = new DataView(delta.buffer, delta.byteOffset + DELTA_HEADER_BYTES + skeletonPadded, changedCount * 4);
  for (let i = 0; i < changedCount; i++) changed.set(numbers.getUint32(i * 4, true), pagesAt + i * PAGE);
  const deltaPages = bytesSource(delta);
  const runs = pageRuns(offsets, (page) => {
    const fromDelta = changed.get(page);
    if (fromDelta !== undefined) return { source: deltaPages, from: fromDelta };
    const baseAt = page < baseOffsets.length ? baseOffsets[page]! : -1;
    if (baseAt < 0) throw new Error(`the saved state delta is damaged: page ${page} is neither in it nor in the base`);
    return { source: base, from: baseLayout.memory.offset + baseAt };
  });
  return planOf(machineState(read, fullLength, layout), runs);
}
