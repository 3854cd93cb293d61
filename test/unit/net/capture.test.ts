import { describe, expect, it } from 'vitest';
import { CaptureRing, cursorOf, framesSince } from '../../../src/net/capture.js';
import { readCaptureFile, readPcap } from '../../../src/net/pcap.js';
import { readPcapng, writePcapng } from '../../../src/net/pcapng.js';

const frameOf = (length: number, fill: number): Uint8Array => new Uint8Array(length).fill(fill);

describe('CaptureRing', () => {
  it('copies frames so later mutation (or transfer) does not change the capture', () => {
    const ring = new CaptureRing({ nowMicros: () => 123 });
    const frame = frameOf(60, 1);
    ring.record('eth0', frame, 'a', 'b');
    frame.fill(9);
    expect(ring.frames()[0]).toMatchObject({ timestampMicros: 123, interfaceName: 'eth0', originalLength: 60 });
    expect(ring.frames()[0]!.bytes.every((b) => b === 1)).toBe(true);
  });

  it('is bounded by count, evicting the oldest', () => {
    const ring = new CaptureRing({ maxFrames: 3 });
    for (let i = 0; i < 10; i++) ring.record('l', frameOf(20, i), 'a', 'b');
    expect(ring.frames().map((f) => f.bytes[0])).toEqual([7, 8, 9]);
    expect(ring.size).toBe(3);
    expect(ring.evicted).toBe(7);
  });

  it('is bounded by total bytes', () => {
    const ring = new CaptureRing({ maxFrames: 1000, maxBytes: 1000 });
    for (let i = 0; i < 50; i++) ring.record('l', frameOf(300, i), 'a', 'b');
    expect(ring.totalBytes).toBeLessThanOrEqual(1000);
    expect(ring.frames().map((f) => f.bytes[0])).toEqual([47, 48, 49]);
    ring.record('l', frameOf(5000, 1), 'a', 'b'); // larger than the whole budget: not kept, nothing evicted for it
    expect(ring.size).toBe(3);
  });

  it('truncates to the snap length but remembers the original length', () => {
    const ring = new CaptureRing({ snapLength: 64 });
    ring.record('l', frameOf(1514, 2), 'a', 'b');
    expect(ring.frames()[0]).toMatchObject({ originalLength: 1514 });
    expect(ring.frames()[0]!.bytes.length).toBe(64);
  });

  it('can be paused and cleared', () => {
    const ring = new CaptureRing();
    ring.enabled = false;
    ring.record('l', frameOf(60, 0), 'a', 'b');
    expect(ring.size).toBe(0);
    ring.enabled = true;
    ring.record('l', frameOf(60, 0), 'a', 'b');
    ring.clear();
    expect([ring.size, ring.totalBytes]).toEqual([0, 0]);
  });

  it('numbers its frames and returns only those after a sequence number', () => {
    const ring = new CaptureRing();
    expect(ring.seq).toBe(0);
    for (let i = 1; i <= 5; i++) ring.record('node1', frameOf(20, i), 'node1:eth0', 'node1');
    expect(ring.frames().map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(ring.since(3).map((f) => f.bytes[0])).toEqual([4, 5]);
    expect(ring.since(5)).toEqual([]);
    expect(ring.since(0)[0]).toMatchObject({ seq: 1, link: 'node1', from: 'node1:eth0', to: 'node1' });
  });

  it('keeps numbering across eviction and clear, and a stale cursor gets what is still held', () => {
    const ring = new CaptureRing({ maxFrames: 3, maxBytes: 100 });
    for (let i = 1; i <= 6; i++) ring.record('l', frameOf(20, i), 'a', 'b');
    expect(ring.since(1).map((f) => f.seq)).toEqual([4, 5, 6]);
    expect(ring.since(4).map((f) => f.seq)).toEqual([5, 6]);
    ring.record('l', frameOf(500, 0), 'a', 'b'); // too big to keep: not numbered, so numbers held stay consecutive
    ring.record('l', frameOf(20, 7), 'a', 'b');
    expect(ring.since(6).map((f) => f.seq)).toEqual([7]);
    ring.clear();
    ring.record('l', frameOf(20, 8), 'a', 'b');
    expect(ring.since(7).map((f) => f.seq)).toEqual([8]);
  });

  it('reads several rings by one cursor, oldest first, and nothing is taken from another reader', () => {
    let clock = 0;
    const rings = new Map([['node1', new CaptureRing({ nowMicros: () => ++clock })], ['node2', new CaptureRing({ nowMicros: () => ++clock })]]);
    rings.get('node1')!.record('node1', frameOf(20, 1), 'node1:eth0', 'node1');
    const cursor = cursorOf(rings);
    expect(cursor).toEqual({ node1: 1, node2: 0 });
    rings.get('node2')!.record('node2', frameOf(20, 2), 'node2:eth0', 'node2');
    rings.get('node1')!.record('node1', frameOf(20, 3), 'node1', 'node1:eth0');
    expect(framesSince(rings, cursor).map((f) => [f.link, f.bytes[0]])).toEqual([['node2', 2], ['node1', 3]]);
    expect(framesSince(rings, {}).length).toBe(3); // a cursor that knows no ring gets all of it
    expect(framesSince(rings, cursor).length).toBe(2); // reading took nothing away
  });
});

/** Walks pcapng blocks by hand (independent of readPcapng). */
function blocks(file: Uint8Array): { type: number; body: DataView }[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: { type: number; body: DataView }[] = [];
  for (let at = 0; at < file.length; ) {
    const type = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    expect(length % 4).toBe(0);
    expect(view.getUint32(at + length - 4, true)).toBe(length); // trailing length repeats
    out.push({ type, body: new DataView(file.buffer, file.byteOffset + at + 8, length - 12) });
    at += length;
  }
  return out;
}

function optionsOf(body: DataView, start: number): Map<number, Uint8Array> {
  const options = new Map<number, Uint8Array>();
  for (let at = start; at + 4 <= body.byteLength; ) {
    const code = body.getUint16(at, true);
    const length = body.getUint16(at + 2, true);
    if (code === 0) break;
    options.set(code, new Uint8Array(body.buffer, body.byteOffset + at + 4, length));
    at += 4 + ((length + 3) & ~3);
  }
  return options;
}

describe('pcapng', () => {
  const frames = [
    { timestampMicros: 1_700_000_000_123_456, interfaceName: 'node1-eth0', bytes: frameOf(61, 0xaa), originalLength: 61, comment: 'node1 -> sw1' },
    { timestampMicros: 1_700_000_000_200_000, interfaceName: 'sw1/p2', bytes: frameOf(60, 0xbb), originalLength: 1514 },
    { timestampMicros: 1_700_000_000_300_000, interfaceName: 'node1-eth0', bytes: frameOf(64, 0xcc), originalLength: 64 },
  ];

  it('writes SHB, one IDB per interface (Ethernet, if_name, µs) and EPBs', () => {
    const file = writePcapng(frames, { application: 'podwire-test' });
    const list = blocks(file);
    expect(list.map((b) => b.type)).toEqual([0x0a0d0d0a, 1, 1, 6, 6, 6]);

    const shb = list[0]!.body;
    expect(shb.getUint32(0, true)).toBe(0x1a2b3c4d);
    expect([shb.getUint16(4, true), shb.getUint16(6, true)]).toEqual([1, 0]);
    expect(shb.getBigInt64(8, true)).toBe(-1n);
    expect(new TextDecoder().decode(optionsOf(shb, 16).get(4))).toBe('podwire-test');

    const idbs = list.filter((b) => b.type === 1).map((b) => b.body);
    expect(idbs.map((b) => b.getUint16(0, true))).toEqual([1, 1]);
    expect(idbs.map((b) => new TextDecoder().decode(optionsOf(b, 8).get(2)))).toEqual(['node1-eth0', 'sw1/p2']);
    expect(idbs.map((b) => optionsOf(b, 8).get(9)?.[0])).toEqual([6, 6]);

    const epbs = list.filter((b) => b.type === 6).map((b) => b.body);
    expect(epbs.map((b) => b.getUint32(0, true))).toEqual([0, 1, 0]);
    const ts = (b: DataView): number => b.getUint32(4, true) * 2 ** 32 + b.getUint32(8, true);
    expect(epbs.map(ts)).toEqual(frames.map((f) => f.timestampMicros));
    expect(epbs.map((b) => [b.getUint32(12, true), b.getUint32(16, true)])).toEqual([[61, 61], [60, 1514], [64, 64]]);
    expect(new Uint8Array(epbs[0]!.buffer, epbs[0]!.byteOffset + 20, 61).every((x) => x === 0xaa)).toBe(true);
    expect(new TextDecoder().decode(optionsOf(epbs[0]!, 20 + 64).get(1))).toBe('node1 -> sw1');
  });

  it('round-trips through readPcapng', () => {
    const file = writePcapng(frames, { interfaceNames: ['idle-link'] });
    const read = readPcapng(file);
    expect(read.interfaces.map((i) => i.name)).toEqual(['idle-link', 'node1-eth0', 'sw1/p2']);
    expect(read.interfaces.every((i) => i.linkType === 1)).toBe(true);
    expect(read.application).toBe('podwire');
    expect(read.truncated).toBe(false);
    expect(read.frames).toEqual(frames);
    expect(readCaptureFile(file).frames).toHaveLength(3);
  });

  it('reports a file cut mid-block as truncated, keeping earlier frames', () => {
    const file = writePcapng(frames);
    const read = readPcapng(file.slice(0, file.length - 10));
    expect(read.truncated).toBe(true);
    expect(read.frames).toHaveLength(2);
    expect(() => readPcapng(new Uint8Array(40))).toThrow(/not a pcapng/);
  });

  it('writes an empty but valid file when nothing was captured', () => {
    const read = readPcapng(writePcapng([]));
    expect(read).toMatchObject({ interfaces: [], frames: [], truncated: false });
  });
});

describe('classic pcap', () => {
  it('reads tcpdump -w output (µs, little-endian)', () => {
    const header = new DataView(new ArrayBuffer(24));
    header.setUint32(0, 0xa1b2c3d4, true);
    header.setUint16(4, 2, true);
    header.setUint16(6, 4, true);
    header.setUint32(16, 262144, true);
    header.setUint32(20, 1, true);
    const record = new DataView(new ArrayBuffer(16 + 42));
    record.setUint32(0, 1_700_000_000, true);
    record.setUint32(4, 250_000, true);
    record.setUint32(8, 42, true);
    record.setUint32(12, 42, true);
    const file = new Uint8Array(24 + 58);
    file.set(new Uint8Array(header.buffer), 0);
    file.set(new Uint8Array(record.buffer), 24);
    const read = readCaptureFile(file);
    expect(read.interfaces).toEqual([{ name: 'pcap0', linkType: 1, snapLength: 262144 }]);
    expect(read.frames).toMatchObject([{ timestampMicros: 1_700_000_000_250_000, originalLength: 42 }]);
    expect(() => readPcap(new Uint8Array(24))).toThrow(/bad magic/);
  });
});
