// Saved states as deltas against the base snapshot, on states laid out as v86 lays them out
// (src/state.js and cpu.js pack_memory): header, info JSON, 4-aligned buffers, and guest
// memory packed as its non-zero pages with a bitmap. The real thing is exercised end to end
// in test/integration/lab-run.test.ts (a node saved as a delta and restored from it).
import { describe, expect, it } from 'vitest';
import { gunzip, gzip } from '../../../src/vm/compress.js';
import { digestState, isDelta, packState, planDeltaRestore, planRestore, MAX_REBUILT_BYTES, type RestorePlan, type StateSource } from '../../../src/vm/state-delta.js';

const PAGE = 4096;

/** A v86-format state: guest memory of `pages` pages given as page number → fill byte (0 = a zero page), and some other buffer. */
function v86State(memory: Map<number, number>, pages: number, other: Uint8Array, extra = ''): ArrayBuffer {
  const bitmap = new Uint8Array(Math.ceil(pages / 8));
  const nonZero = [...memory.entries()].filter(([, fill]) => fill !== 0).sort(([a], [b]) => a - b);
  const packed = new Uint8Array(nonZero.length * PAGE);
  nonZero.forEach(([page, fill], index) => {
    bitmap[page >> 3]! |= 1 << (page & 7);
    packed.fill(fill, index * PAGE, (index + 1) * PAGE);
    packed[index * PAGE] = page & 0xff; // pages differ from each other, not only in fill
  });
  const buffers = [other, packed, bitmap];
  const infos: { offset: number; length: number }[] = [];
  let size = 0;
  for (const buffer of buffers) { infos.push({ offset: size, length: buffer.length }); size = (size + buffer.length + 3) & ~3; }
  const state: unknown[] = Array.from({ length: 90 }, (_, i) => i);
  state[5] = { __state_type__: 'Uint8Array', buffer_id: 0 };
  state[77] = { __state_type__: 'Uint8Array', buffer_id: 1 };
  state[78] = { __state_type__: 'Uint8Array', buffer_id: 2 };
  state[89] = extra;
  const info = new TextEncoder().encode(JSON.stringify({ buffer_infos: infos, state }));
  const start = (16 + info.length + 3) & ~3;
  const out = new Uint8Array(start + size);
  const header = new DataView(out.buffer);
  header.setUint32(0, 0x86768676, true);
  header.setInt32(4, 6, true);
  header.setUint32(8, out.length, true);
  header.setUint32(12, info.length, true);
  out.set(info, 16);
  buffers.forEach((buffer, i) => out.set(buffer, start + infos[i]!.offset));
  return out.buffer;
}

const pagesOf = (entries: [number, number][]) => new Map(entries);
const base = new Uint8Array(v86State(pagesOf([[0, 1], [1, 2], [2, 3], [5, 4], [9, 5]]), 16, new Uint8Array([1, 2, 3]), 'a'));
const pack = (from: Uint8Array, next: ArrayBuffer) => packState(digestState(from), new Uint8Array(next));
/** What a machine gets from a plan: the state v86 restores (without memory), and the guest's memory of 16 pages. */
function restoreOf(plan: RestorePlan, pages = 16): { machine: Uint8Array; memory: Uint8Array } {
  const memory = new Uint8Array(pages * PAGE);
  plan.writeMemory(memory);
  return { machine: new Uint8Array(plan.machine), memory };
}
const rebuild = async (from: Uint8Array, packed: Uint8Array) => restoreOf(planDeltaRestore(from, await gunzip(packed)));
const whole = (state: ArrayBuffer | Uint8Array) => restoreOf(planRestore(new Uint8Array(state as ArrayBuffer)));
const planDelta = async (from: Uint8Array, delta: Uint8Array) => planDeltaRestore(from, delta);

/** The guest memory v86 would unpack from a state made by v86State. */
function memoryOf(memory: Map<number, number>): Uint8Array {
  const out = new Uint8Array(16 * PAGE);
  for (const [page, fill] of memory) {
    if (!fill) continue;
    out.fill(fill, page * PAGE, (page + 1) * PAGE);
    out[page * PAGE] = page & 0xff;
  }
  return out;
}

/** A v86 state read back: its CPU state and its buffers. */
function parse(state: Uint8Array): { state: unknown[]; buffers: Uint8Array[] } {
  const view = new DataView(state.buffer, state.byteOffset);
  expect(view.getUint32(0, true)).toBe(0x86768676);
  expect(view.getUint32(8, true), 'the length in the header').toBe(state.byteLength);
  const infoLength = view.getUint32(12, true);
  const info = JSON.parse(new TextDecoder().decode(state.subarray(16, 16 + infoLength))) as { buffer_infos: { offset: number; length: number }[]; state: unknown[] };
  const start = (16 + infoLength + 3) & ~3;
  return { state: info.state, buffers: info.buffer_infos.map(({ offset, length }) => state.slice(start + offset, start + offset + length)) };
}

describe('a state planned for a restore', () => {
  it('hands v86 the state without its memory, and writes the guest\'s pages where v86 would', () => {
    const pages = pagesOf([[0, 1], [1, 2], [2, 3], [5, 4], [9, 5]]);
    const state = new Uint8Array(v86State(pages, 16, new Uint8Array([1, 2, 3]), 'a'));
    const { machine, memory } = whole(state);
    expect(memory).toEqual(memoryOf(pages));
    const original = parse(state);
    const thin = parse(machine);
    expect(thin.state, 'the CPU state, unchanged').toEqual(original.state);
    expect(thin.buffers[0], 'another buffer, unchanged').toEqual(original.buffers[0]);
    expect(thin.buffers[1]!.byteLength, 'the packed memory, left out').toBe(0);
    expect(thin.buffers[2], 'the bitmap, clear: v86 writes no page').toEqual(new Uint8Array(original.buffers[2]!.byteLength));
    expect(machine.byteLength).toBeLessThan(state.byteLength - 4 * PAGE);
  });

  it('reads a state in shared memory, and refuses memory larger than the machine\'s', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(base.byteLength));
    shared.set(base);
    expect(whole(shared)).toEqual(whole(base));
    const plan = planRestore(base);
    expect(plan.memoryBytes).toBe(10 * PAGE);
    expect(() => plan.writeMemory(new Uint8Array(8 * PAGE))).toThrow(/guest memory/);
  });
});

describe('a saved state as a delta against the base snapshot', () => {
  it('holds only the changed pages, and rebuilds the state byte for byte', async () => {
    // Page 1 changed, page 2 became zero, page 7 is new, the rest is the base's; the info block grew.
    const next = v86State(pagesOf([[0, 1], [1, 9], [5, 4], [7, 6], [9, 5]]), 16, new Uint8Array([4, 5, 6, 7, 8]), 'a longer info block');
    const packed = await pack(base, next);
    const delta = await gunzip(packed);
    expect(isDelta(delta)).toBe(true);
    expect(new DataView(delta.buffer, delta.byteOffset).getUint32(24, true), 'the count of changed pages: 1 and 7').toBe(2);
    expect(await rebuild(base, packed)).toEqual(whole(next));
  });

  it('sees a change of one word in a page', async () => {
    const next = new Uint8Array(base);
    // The last word of the packed memory (the last page's last bytes); the bitmap follows it.
    const info = new DataView(next.buffer).getUint32(12, true);
    const memoryEnd = ((16 + info + 3) & ~3) + 4 + 5 * 4096;
    next[memoryEnd - 1] = next[memoryEnd - 1]! ^ 0x80;
    const delta = await gunzip(await pack(base, next.buffer));
    expect(new DataView(delta.buffer, delta.byteOffset).getUint32(24, true)).toBe(1);
    expect(await rebuild(base, await pack(base, next.buffer))).toEqual(whole(next));
  });

  it('rebuilds a state identical to the base, and one that shares no page with it', async () => {
    expect(await rebuild(base, await pack(base, base.buffer))).toEqual(whole(base));
    const other = v86State(pagesOf([[3, 7], [4, 8], [15, 9]]), 16, new Uint8Array(0));
    expect(await rebuild(base, await pack(base, other))).toEqual(whole(other));
  });

  it('reads a base in shared memory, as the nodes of a process share it', async () => {
    const shared = new Uint8Array(new SharedArrayBuffer(base.byteLength));
    shared.set(base);
    const next = v86State(pagesOf([[0, 1], [1, 9]]), 16, new Uint8Array([4]));
    expect(await rebuild(shared, await pack(shared, next))).toEqual(whole(next));
  });

  it('tells a delta from a whole state', async () => {
    expect(isDelta(base)).toBe(false);
    expect(isDelta(await gunzip(await gzip(base)))).toBe(false);
  });

  it('refuses a delta made on another base, or a damaged one, saying so', async () => {
    const next = v86State(pagesOf([[0, 1], [1, 9]]), 16, new Uint8Array([4]));
    const packed = await pack(base, next);
    const otherBase = new Uint8Array(v86State(pagesOf([[0, 1]]), 16, new Uint8Array([4])));
    await expect(rebuild(otherBase, packed)).rejects.toThrow(/another base snapshot/);
    // Same size, another snapshot: its CPU state (the info block) differs.
    const sameSize = new Uint8Array(v86State(pagesOf([[0, 1], [1, 2], [2, 3], [5, 4], [9, 5]]), 16, new Uint8Array([1, 2, 3]), 'b'));
    expect(sameSize.byteLength).toBe(base.byteLength);
    await expect(rebuild(sameSize, packed)).rejects.toThrow(/another base snapshot/);
    const delta = await gunzip(packed);
    await expect(planDelta(base, delta.subarray(0, delta.length - 100))).rejects.toThrow(/damaged/);
    await expect(planDelta(base, base)).rejects.toThrow(/not a podwire state delta/);
    expect(() => digestState(new Uint8Array(64))).toThrow(/base snapshot is not a v86 state/);
  });

  it('refuses a delta that claims to rebuild to more than any node holds, before allocating it', async () => {
    const delta = await gunzip(await pack(base, v86State(pagesOf([[0, 1]]), 16, new Uint8Array([4]))));
    new DataView(delta.buffer, delta.byteOffset).setUint32(8, MAX_REBUILT_BYTES + 4096, true);
    await expect(planDelta(base, delta)).rejects.toThrow(/sizes do not add up/);
  });
});

/** A state read as a kept file is read (state-file.ts): every piece a copy, and every piece's size noted. */
function fileLike(bytes: Uint8Array): { source: StateSource; reads: number[] } {
  const reads: number[] = [];
  const source: StateSource = {
    byteLength: bytes.byteLength,
    read(offset, length) { reads.push(length); return bytes.slice(offset, offset + length); },
    readInto(target, offset) { reads.push(target.byteLength); target.set(bytes.subarray(offset, offset + target.byteLength)); },
  };
  return { source, reads };
}

describe('a base snapshot read from a file, a piece at a time', () => {
  it('restores as from memory, reading each page once', () => {
    const { source, reads } = fileLike(base);
    expect(restoreOf(planRestore(source))).toEqual(whole(base));
    const read = reads.reduce((sum, n) => sum + n, 0);
    expect(read).toBeLessThan(base.byteLength + 1024); // the head twice, the bitmap, the other buffers and the pages
    expect(read).toBeGreaterThanOrEqual(5 * PAGE);
  });

  it('digests a base larger than one chunk: a copy of it differs in no page, a change past the first chunk in that page only', async () => {
    // 700 non-zero pages of 1024, with holes: the digest reads 256 pages at a time.
    const pages = new Map<number, number>();
    for (let page = 0; page < 1024; page++) if (page % 3 !== 1) pages.set(page, (page % 200) + 1);
    const big = new Uint8Array(v86State(pages, 1024, new Uint8Array([1, 2])));
    const { source, reads } = fileLike(big);
    const digest = digestState(source);
    expect(Math.max(...reads), 'no piece larger than a chunk').toBeLessThanOrEqual(256 * PAGE);
    const changedCount = async (next: Uint8Array) => new DataView((await gunzip(await packState(digest, next))).buffer).getUint32(24, true);
    expect(await changedCount(big)).toBe(0);
    const changed = new Map(pages);
    changed.set(900, 255);
    const next = new Uint8Array(v86State(changed, 1024, new Uint8Array([1, 2])));
    expect(await changedCount(next)).toBe(1);
    // Restored on the base read from the file: the same memory as the whole state's.
    const rebuilt = restoreOf(planDeltaRestore(fileLike(big).source, await gunzip(await packState(digest, next))), 1024);
    const expected = restoreOf(planRestore(next), 1024);
    // Compared as bytes: toEqual on 4 MB arrays takes seconds.
    expect(Buffer.compare(rebuilt.memory, expected.memory)).toBe(0);
    expect(Buffer.compare(rebuilt.machine, expected.machine)).toBe(0);
  });
});
