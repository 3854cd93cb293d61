import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CaptureRing } from '../../../src/net/capture.js';
import type { FramePort } from '../../../src/net/ports.js';
import { LearningSwitch } from '../../../src/net/switch.js';
import { BROADCAST, ethernet } from './frames.js';

/** Node can expose gc() at runtime; undefined if this runtime refuses. */
function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

/** A host that records what reaches it. */
function host(name: string): FramePort & { received: Uint8Array[] } {
  const received: Uint8Array[] = [];
  return { name, received, deliver: (frame) => void received.push(frame) };
}

const MAC = { a: '02:00:00:00:00:0a', b: '02:00:00:00:00:0b', c: '02:00:00:00:00:0c' };

function frame(dst: string, src: string): Uint8Array {
  return ethernet({ dst, src, type: 0x0800, payload: new Uint8Array(46) });
}

function threePortSwitch(options: ConstructorParameters<typeof LearningSwitch>[0] = {}) {
  const sw = new LearningSwitch({ name: 'sw', ...options });
  const hosts = [host('a'), host('b'), host('c')] as const;
  const ports = hosts.map((h, i) => {
    const port = sw.addPort(`p${i}`);
    port.connect(h);
    return port;
  });
  return { sw, hosts, ports };
}

describe('LearningSwitch', () => {
  it('floods unknown unicast to every port but the ingress, then forwards once learned', () => {
    const { sw, hosts, ports } = threePortSwitch();
    ports[0]!.deliver(frame(MAC.b, MAC.a));
    expect(hosts[0].received).toHaveLength(0);
    expect(hosts[1].received).toHaveLength(1);
    expect(hosts[2].received).toHaveLength(1);

    ports[1]!.deliver(frame(MAC.a, MAC.b)); // a is known now: unicast only to port 0
    expect(hosts[0].received).toHaveLength(1);
    expect(hosts[2].received).toHaveLength(1);

    ports[0]!.deliver(frame(MAC.b, MAC.a)); // b learned from its reply
    expect(hosts[1].received).toHaveLength(2);
    expect(hosts[2].received).toHaveLength(1);
    expect(sw.macTable().map((e) => [e.mac, e.port]).sort()).toEqual([
      [MAC.a, 'p0'],
      [MAC.b, 'p1'],
    ]);
  });

  it('floods broadcast and multicast, giving each receiver its own copy', () => {
    const { hosts, ports } = threePortSwitch();
    const original = frame(BROADCAST, MAC.a);
    ports[0]!.deliver(original);
    ports[0]!.deliver(frame('01:00:5e:00:00:fb', MAC.a));
    expect(hosts[1].received).toHaveLength(2);
    expect(hosts[2].received).toHaveLength(2);
    expect(hosts[1].received[0]).not.toBe(hosts[2].received[0]);
    expect(hosts[1].received[0]).toEqual(hosts[2].received[0]);
  });

  it('drops frames whose destination sits on the ingress port', () => {
    const { hosts, ports } = threePortSwitch();
    ports[0]!.deliver(frame(BROADCAST, MAC.a));
    ports[0]!.deliver(frame(BROADCAST, MAC.b)); // b also lives behind port 0
    ports[0]!.deliver(frame(MAC.b, MAC.a));
    expect(hosts[1].received).toHaveLength(2);
    expect(ports[0]!.counters.filteredDrops).toBe(1);
  });

  it('ages out MAC entries using the injected clock', () => {
    let now = 0;
    const { sw, hosts, ports } = threePortSwitch({ macAgingMs: 1000, now: () => now });
    ports[1]!.deliver(frame(BROADCAST, MAC.b));
    now = 999;
    ports[0]!.deliver(frame(MAC.b, MAC.a));
    expect(hosts[2].received).toHaveLength(1); // only the broadcast: b was still known
    now = 1500;
    expect(sw.macTable().map((e) => e.mac)).toEqual([MAC.a]); // b (seen at 0) expired, a (999) not
    ports[0]!.deliver(frame(MAC.b, MAC.a));
    expect(hosts[2].received).toHaveLength(2); // unknown again, so flooded
  });

  it('keeps a refreshed entry alive and forgets a silent one', () => {
    let now = 0;
    const { sw, hosts, ports } = threePortSwitch({ macAgingMs: 1000, now: () => now });
    ports[0]!.deliver(frame(BROADCAST, MAC.a));
    ports[1]!.deliver(frame(BROADCAST, MAC.b));
    for (now = 200; now <= 3000; now += 200) ports[0]!.deliver(frame(BROADCAST, MAC.a));
    expect(sw.macTable().map((e) => e.mac)).toEqual([MAC.a]);
    const beforeFlood = hosts[2].received.length;
    ports[0]!.deliver(frame(MAC.b, MAC.a)); // b aged out: flooded again
    expect(hosts[2].received.length).toBe(beforeFlood + 1);
    expect(hosts[1].received.at(-1)).toEqual(frame(MAC.b, MAC.a));
  });

  it('moves a MAC that appears on another port', () => {
    const { sw, hosts, ports } = threePortSwitch();
    ports[0]!.deliver(frame(BROADCAST, MAC.a));
    ports[2]!.deliver(frame(BROADCAST, MAC.a));
    ports[1]!.deliver(frame(MAC.a, MAC.b));
    expect(hosts[2].received.at(-1)).toEqual(frame(MAC.a, MAC.b));
    expect(sw.macMoves).toBe(1);
  });

  it('counts rx/tx frames and bytes per port', () => {
    const { ports } = threePortSwitch();
    const f = frame(BROADCAST, MAC.a);
    ports[0]!.deliver(f);
    ports[1]!.deliver(frame(MAC.a, MAC.b));
    expect(ports[0]!.counters).toMatchObject({ rxFrames: 1, rxBytes: 60, txFrames: 1, txBytes: 60, drops: 0 });
    expect(ports[1]!.counters).toMatchObject({ rxFrames: 1, rxBytes: 60, txFrames: 1, txBytes: 60 });
    expect(ports[2]!.counters).toMatchObject({ rxFrames: 0, txFrames: 1, txBytes: 60 });
  });

  it('drops and counts malformed frames without throwing', () => {
    const { hosts, ports } = threePortSwitch({ maxFrameBytes: 65_550 });
    const bad = [
      new Uint8Array(0),
      new Uint8Array(13),
      new Uint8Array(65_551),
      frame(MAC.b, '01:00:5e:00:00:01'), // multicast source
    ];
    for (const f of bad) expect(() => ports[0]!.deliver(f)).not.toThrow();
    expect(ports[0]!.counters).toMatchObject({ rxFrames: 4, malformedDrops: 4, drops: 4 });
    expect(hosts[1].received).toHaveLength(0);
  });

  it('keeps the MAC table at its bound under a MAC flood, evicting the oldest', () => {
    const gc = exposeGc();
    const sw = new LearningSwitch({ maxMacEntries: 1024, stormLimit: null });
    let victimFrames = 0;
    const victim = sw.addPort('victim');
    victim.connect({ name: 'victim', deliver: () => void victimFrames++ }); // retains nothing
    const attacker = sw.addPort('attacker');
    attacker.connect({ name: 'sink', deliver: () => {} });
    victim.deliver(frame(BROADCAST, MAC.a));

    const flood = frame(MAC.a, MAC.b);
    const floodRound = (seed: number): void => {
      let state = seed;
      for (let i = 0; i < 100_000; i++) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        flood[7] = state >>> 24;
        flood[8] = state >>> 16;
        flood[9] = state >>> 8;
        flood[10] = state;
        flood[11] = i;
        attacker.deliver(flood);
      }
    };
    floodRound(1);
    gc?.();
    const heapAfterFirst = process.memoryUsage().heapUsed;
    floodRound(2);
    floodRound(3);
    gc?.();
    const growth = process.memoryUsage().heapUsed - heapAfterFirst;

    expect(sw.macTableSize).toBe(1024);
    expect(sw.macEvictions).toBeGreaterThan(290_000);
    expect(victimFrames).toBe(300_000);
    // Only meaningful after a full collection; without one, garbage would count as growth.
    if (gc) expect(growth).toBeLessThan(1024 * 1024);
  });

  it('limits floods per ingress port with a token bucket', () => {
    let now = 0;
    const { hosts, ports } = threePortSwitch({ now: () => now, stormLimit: { floodsPerSecond: 100, burst: 10 } });
    for (let i = 0; i < 50; i++) ports[0]!.deliver(frame(BROADCAST, MAC.a));
    expect(hosts[1].received).toHaveLength(10);
    expect(ports[0]!.counters.stormDrops).toBe(40);
    now = 100; // 100 ms at 100/s refills 10 tokens
    for (let i = 0; i < 50; i++) ports[0]!.deliver(frame(BROADCAST, MAC.a));
    expect(hosts[1].received).toHaveLength(20);
    // Another port's budget is independent.
    ports[1]!.deliver(frame(BROADCAST, MAC.b));
    expect(hosts[0].received).toHaveLength(1);
  });

  it('survives a synchronous bridge loop: terminates, counts storm drops', () => {
    const s1 = new LearningSwitch({ name: 's1', now: () => 0 });
    const s2 = new LearningSwitch({ name: 's2', now: () => 0 });
    // Three parallel cables between the switches make every broadcast multiply.
    for (let i = 0; i < 3; i++) {
      const p1 = s1.addPort(`up${i}`);
      const p2 = s2.addPort(`down${i}`);
      p1.connect(p2);
      p2.connect(p1);
    }
    const h = host('h');
    const access = s1.addPort('access');
    access.connect(h);
    access.deliver(frame(BROADCAST, MAC.a));
    const stormDrops = [...s1.ports, ...s2.ports].reduce((n, p) => n + p.counters.stormDrops, 0);
    expect(stormDrops).toBeGreaterThan(0);
    expect(h.received.length).toBeLessThan(10_000);
  });

  it('records ingress frames in its capture ring', () => {
    const capture = new CaptureRing({ maxFrames: 10, nowMicros: () => 5 });
    const { ports } = threePortSwitch({ capture });
    const f = frame(BROADCAST, MAC.a);
    ports[0]!.deliver(f);
    expect(capture.frames()).toMatchObject([{ link: 'sw/p0', from: 'p0', to: 'sw', timestampMicros: 5, originalLength: 60 }]);
    expect(capture.frames()[0]!.bytes).not.toBe(f);
  });

  it('forgets MACs learned on a removed port', () => {
    const { sw, ports } = threePortSwitch();
    ports[1]!.deliver(frame(BROADCAST, MAC.b));
    sw.removePort(ports[1]!);
    expect(sw.macTableSize).toBe(0);
    expect(sw.ports.map((p) => p.name)).toEqual(['p0', 'p2']);
  });
});
