import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CaptureRing } from '../../../src/net/capture.js';
import { Link } from '../../../src/net/link.js';
import type { FramePort, WiredPort } from '../../../src/net/ports.js';
import { LearningSwitch } from '../../../src/net/switch.js';
import { BROADCAST, ethernet } from './frames.js';

function endpoint(name: string): WiredPort & { received: Uint8Array[]; peer: FramePort | null } {
  const received: Uint8Array[] = [];
  const self = {
    name,
    received,
    peer: null as FramePort | null,
    deliver: (frame: Uint8Array) => void received.push(frame),
    connect: (peer: FramePort | null) => void (self.peer = peer),
  };
  return self;
}

/** A frame whose L3 payload is exactly `payload` bytes; the first payload byte tags it. */
function sized(payload: number, tag = 0, vlans?: number[]): Uint8Array {
  const data = new Uint8Array(payload);
  data[0] = tag;
  return ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800, payload: data, ...(vlans ? { vlans } : {}) });
}

describe('Link', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('carries frames both ways and plugs devices in with Link.between', () => {
    const a = endpoint('a');
    const b = endpoint('b');
    const link = Link.between(a, b);
    a.peer!.deliver(sized(100, 1));
    b.peer!.deliver(sized(100, 2));
    expect(b.received.map((f) => f[14])).toEqual([1]);
    expect(a.received.map((f) => f[14])).toEqual([2]);
    expect(link.counters.aToB).toMatchObject({ deliveredFrames: 1, deliveredBytes: 114, drops: 0 });
  });

  it('drops everything while down and resumes when up', () => {
    const a = endpoint('a');
    const b = endpoint('b');
    const link = Link.between(a, b, { up: false });
    a.peer!.deliver(sized(50));
    expect(b.received).toHaveLength(0);
    expect(link.counters.aToB.downDrops).toBe(1);
    link.up = true;
    a.peer!.deliver(sized(50));
    expect(b.received).toHaveLength(1);
  });

  it('drops frames whose L3 payload exceeds the MTU, not counting one 802.1Q tag', () => {
    const a = endpoint('a');
    const b = endpoint('b');
    const link = Link.between(a, b, { mtu: 1500 });
    a.peer!.deliver(sized(1500));
    a.peer!.deliver(sized(1501));
    a.peer!.deliver(sized(1500, 0, [100]));
    a.peer!.deliver(sized(1501, 0, [100]));
    expect(b.received.map((f) => f.length)).toEqual([1514, 1518]);
    expect(link.counters.aToB).toMatchObject({ mtuDrops: 2, drops: 2 });
    link.mtu = 1450; // VXLAN-sized overlay MTU
    a.peer!.deliver(sized(1451));
    expect(link.counters.aToB.mtuDrops).toBe(3);
  });

  it('drops IPv4 fragments when told to, and only them', () => {
    const a = endpoint('a');
    const b = endpoint('b');
    const link = Link.between(a, b, { dropFragments: true });
    // Bytes 6-7 of the IPv4 header: flags (More Fragments = 0x20) and fragment offset.
    const packet = (flagsAndOffset: number, vlans?: number[]) => {
      const frame = sized(100, 0x45, vlans);
      const ip = vlans ? 18 : 14;
      frame[ip + 6] = flagsAndOffset >> 8;
      frame[ip + 7] = flagsAndOffset & 255;
      return frame;
    };
    a.peer!.deliver(packet(0x4000)); // Don't Fragment: a whole packet
    a.peer!.deliver(packet(0x2000)); // first fragment
    a.peer!.deliver(packet(0x00b9)); // last fragment, offset 185 * 8
    a.peer!.deliver(packet(0x2000, [100]));
    expect(b.received).toHaveLength(1);
    expect(link.counters.aToB).toMatchObject({ fragmentDrops: 3, drops: 3 });
    link.dropFragments = false;
    a.peer!.deliver(packet(0x2000));
    expect(b.received).toHaveLength(2);
  });

  it('loses frames according to the injected random source', () => {
    const a = endpoint('a');
    const b = endpoint('b');
    const rolls = [0.1, 0.9, 0.2, 0.6];
    let i = 0;
    const link = Link.between(a, b, { lossProbability: 0.5, random: () => rolls[i++ % rolls.length]! });
    for (let n = 0; n < 4; n++) a.peer!.deliver(sized(10, n));
    expect(b.received.map((f) => f[14])).toEqual([1, 3]);
    expect(link.counters.aToB.lossDrops).toBe(2);
  });

  it('delays by the latency and preserves order, even when latency drops mid-flight', () => {
    const a = endpoint('a');
    const b = endpoint('b');
    const link = Link.between(a, b, { latencyMs: 50, now: () => Date.now() });
    a.peer!.deliver(sized(10, 1));
    vi.advanceTimersByTime(10);
    a.peer!.deliver(sized(10, 2));
    link.latencyMs = 0; // must not overtake frames already on the wire
    a.peer!.deliver(sized(10, 3));
    expect(b.received).toHaveLength(0);
    expect(link.inFlight.aToB).toBe(3);
    vi.advanceTimersByTime(39);
    expect(b.received).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(b.received.map((f) => f[14])).toEqual([1]);
    vi.advanceTimersByTime(10);
    expect(b.received.map((f) => f[14])).toEqual([1, 2, 3]);
    a.peer!.deliver(sized(10, 4)); // queue empty and latency 0: synchronous again
    expect(b.received.map((f) => f[14])).toEqual([1, 2, 3, 4]);
  });

  it('loses in-flight frames when taken down, and bounds the delay queue', () => {
    const a = endpoint('a');
    const b = endpoint('b');
    const link = Link.between(a, b, { latencyMs: 20, maxQueuedFrames: 3, now: () => Date.now() });
    for (let n = 0; n < 5; n++) a.peer!.deliver(sized(10, n));
    expect(link.counters.aToB.queueDrops).toBe(2);
    link.up = false;
    vi.advanceTimersByTime(100);
    expect(b.received).toHaveLength(0);
    expect(link.counters.aToB).toMatchObject({ downDrops: 3, drops: 5 });
  });

  it('captures accepted frames with their link and direction', () => {
    const capture = new CaptureRing({ nowMicros: () => 1 });
    const a = endpoint('node1');
    const b = endpoint('sw1');
    const link = Link.between(a, b, { name: 'node1-eth0', capture, mtu: 100 });
    a.peer!.deliver(sized(20, 7));
    b.peer!.deliver(sized(200)); // over MTU: never on the wire, so not captured
    expect(capture.frames()).toMatchObject([{ seq: 1, link: 'node1-eth0', interfaceName: 'node1-eth0', from: 'node1', to: 'sw1', originalLength: 34 }]);
    expect(link.counters.bToA.mtuDrops).toBe(1);
  });

  it('drops runts as malformed', () => {
    const a = endpoint('a');
    const b = endpoint('b');
    const link = Link.between(a, b);
    expect(() => a.peer!.deliver(new Uint8Array(5))).not.toThrow();
    expect(link.counters.aToB.malformedDrops).toBe(1);
  });

  it('a bridge loop through delayed links is rate-limited, not a runaway', () => {
    let now = 0;
    const clock = () => now;
    const s1 = new LearningSwitch({ name: 's1', now: clock, stormLimit: { floodsPerSecond: 100, burst: 10 } });
    const s2 = new LearningSwitch({ name: 's2', now: clock, stormLimit: { floodsPerSecond: 100, burst: 10 } });
    const links = [0, 1].map((i) => Link.between(s1.addPort(`u${i}`), s2.addPort(`d${i}`), { latencyMs: 1, now: () => Date.now() }));
    const h = endpoint('h');
    const access = s1.addPort('access');
    access.connect(h);
    access.deliver(ethernet({ dst: BROADCAST, src: '02:00:00:00:00:01', type: 0x0806, payload: new Uint8Array(28) }));
    for (let t = 0; t < 1000; t++) {
      now = t;
      vi.advanceTimersByTime(1);
    }
    const delivered = links.reduce((n, l) => n + l.counters.aToB.deliveredFrames + l.counters.bToA.deliveredFrames, 0);
    // Unlimited, two copies would circle forever (~2000 deliveries in this second). With a budget
    // the copies burn the bursts, get dropped, and the storm dies out.
    expect(delivered).toBeLessThan(200);
    expect(links.every((l) => l.inFlight.aToB === 0 && l.inFlight.bToA === 0)).toBe(true);
    expect([...s1.ports, ...s2.ports].some((p) => p.counters.stormDrops > 0)).toBe(true);
    links.forEach((l) => l.close());
  });
});
