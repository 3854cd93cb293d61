import { afterEach, describe, expect, it, vi } from 'vitest';
import { Link } from '../../../src/net/link.js';
import type { FramePort } from '../../../src/net/ports.js';
import { Router } from '../../../src/net/router.js';
import { LearningSwitch } from '../../../src/net/switch.js';
import { arp, be16, BROADCAST, bytes, checksum, ethernet, icmpEcho, ip, ipFrame, ipv4, mac, udp } from './frames.js';

const R0 = { mac: '02:00:00:00:01:01', ip: '10.0.1.1' };
const R1 = { mac: '02:00:00:00:02:01', ip: '10.0.2.1' };
const A = { mac: '02:00:00:00:01:0a', ip: '10.0.1.10' };
const B = { mac: '02:00:00:00:02:0b', ip: '10.0.2.20' };

function segment(name: string): FramePort & { received: Uint8Array[] } {
  const received: Uint8Array[] = [];
  return { name, received, deliver: (frame) => void received.push(frame) };
}

function setup(options: ConstructorParameters<typeof Router>[0] = {}) {
  const router = new Router({ name: 'r1', ...options });
  const eth0 = router.addInterface({ name: 'eth0', mac: R0.mac, address: `${R0.ip}/24` });
  const eth1 = router.addInterface({ name: 'eth1', mac: R1.mac, address: `${R1.ip}/24` });
  const lan0 = segment('lan0');
  const lan1 = segment('lan1');
  eth0.connect(lan0);
  eth1.connect(lan1);
  return { router, eth0, eth1, lan0, lan1 };
}

const arpRequest = (from: { mac: string; ip: string }, target: string): Uint8Array =>
  ethernet({ dst: BROADCAST, src: from.mac, type: 0x0806, payload: arp({ op: 1, senderMac: from.mac, senderIp: from.ip, targetIp: target }), pad: true });

const arpReply = (from: { mac: string; ip: string }, to: { mac: string; ip: string }): Uint8Array =>
  ethernet({ dst: to.mac, src: from.mac, type: 0x0806, payload: arp({ op: 2, senderMac: from.mac, senderIp: from.ip, targetMac: to.mac, targetIp: to.ip }) });

const ping = (dstIp: string, ttl = 64, seq = 1): Uint8Array =>
  ipFrame({ srcMac: A.mac, dstMac: R0.mac, src: A.ip, dst: dstIp, protocol: 1, ttl, payload: icmpEcho({ id: 0x77, seq }) });

const u16At = (f: Uint8Array, at: number): number => (f[at]! << 8) | f[at + 1]!;
const ipText = (f: Uint8Array, at: number): string => Array.from(f.subarray(at, at + 4)).join('.');
const macOf = (f: Uint8Array, at: number): number[] => Array.from(f.subarray(at, at + 6));

function expectValidIpv4(f: Uint8Array): void {
  const headerLength = (f[14]! & 15) * 4;
  expect(checksum(f.subarray(14, 14 + headerLength))).toBe(0);
}

/** A learns the router and the router learns A: the normal start of any conversation. */
function introduceA(eth0: { deliver(f: Uint8Array): void }, lan0: { received: Uint8Array[] }): void {
  eth0.deliver(arpRequest(A, R0.ip));
  lan0.received.length = 0;
}

afterEach(() => vi.useRealTimers());

describe('Router', () => {
  it('answers ARP requests for its own address on that interface only', () => {
    const { router, eth0, lan0 } = setup();
    eth0.deliver(arpRequest(A, R0.ip));
    eth0.deliver(arpRequest(A, R1.ip)); // not this segment's address
    eth0.deliver(arpRequest(A, '10.0.1.99'));
    expect(lan0.received).toHaveLength(1);
    const reply = lan0.received[0]!;
    expect(macOf(reply, 0)).toEqual(mac(A.mac));
    expect(u16At(reply, 12)).toBe(0x0806);
    expect(u16At(reply, 20)).toBe(2);
    expect(macOf(reply, 22)).toEqual(mac(R0.mac));
    expect(ipText(reply, 28)).toBe(R0.ip);
    expect(macOf(reply, 32)).toEqual(mac(A.mac));
    expect(ipText(reply, 38)).toBe(A.ip);
    expect(router.neighbors()).toMatchObject([{ address: A.ip, mac: A.mac, interface: 'eth0' }]);
  });

  it('resolves the next hop, queues while resolving, then forwards with TTL-1 and a valid checksum', () => {
    const { router, eth0, lan1 } = setup();
    const packet = ipFrame({ srcMac: A.mac, dstMac: R0.mac, src: A.ip, dst: B.ip, protocol: 17, ttl: 64, payload: udp({ srcPort: 1000, dstPort: 2000, payload: bytes([1, 2, 3]) }) });
    const original = packet.slice();
    eth0.deliver(packet);
    expect(lan1.received).toHaveLength(1);
    const request = lan1.received[0]!;
    expect(macOf(request, 0)).toEqual(mac(BROADCAST));
    expect(u16At(request, 20)).toBe(1);
    expect(ipText(request, 28)).toBe(R1.ip);
    expect(ipText(request, 38)).toBe(B.ip);

    router.interface('eth1')!.deliver(arpReply(B, { mac: R1.mac, ip: R1.ip }));
    expect(lan1.received).toHaveLength(2);
    const forwarded = lan1.received[1]!;
    expect(macOf(forwarded, 0)).toEqual(mac(B.mac));
    expect(macOf(forwarded, 6)).toEqual(mac(R1.mac));
    expect(forwarded[22]).toBe(63);
    expectValidIpv4(forwarded);
    expect(forwarded.subarray(23, 24)).toEqual(original.subarray(23, 24));
    expect(forwarded.subarray(26)).toEqual(original.subarray(26)); // addresses and payload untouched
    expect(router.counters).toMatchObject({ forwarded: 1, arpRequestsSent: 1 });

    eth0.deliver(ping(B.ip)); // now cached: no second ARP
    expect(lan1.received).toHaveLength(3);
    expect(router.counters.arpRequestsSent).toBe(1);
  });

  it('bounds the queue of packets waiting for ARP', () => {
    const { router, eth0, eth1, lan1 } = setup({ maxQueuedPerNextHop: 4 });
    for (let seq = 0; seq < 10; seq++) eth0.deliver(ping(B.ip, 64, seq));
    eth1.deliver(arpReply(B, R1));
    const echoes = lan1.received.filter((f) => u16At(f, 12) === 0x0800);
    expect(echoes.map((f) => u16At(f, 40))).toEqual([6, 7, 8, 9]); // newest kept
    expect(router.counters.pendingDrops).toBe(6);
  });

  it('sends ICMP time exceeded when TTL would reach 0', () => {
    const { router, eth0, lan0, lan1 } = setup();
    introduceA(eth0, lan0);
    const expiring = ping(B.ip, 1);
    eth0.deliver(expiring.slice());
    expect(lan1.received).toHaveLength(0);
    expect(lan0.received).toHaveLength(1);
    const error = lan0.received[0]!;
    expect(macOf(error, 0)).toEqual(mac(A.mac));
    expect(error[23]).toBe(1);
    expect(ipText(error, 26)).toBe(R0.ip);
    expect(ipText(error, 30)).toBe(A.ip);
    expectValidIpv4(error);
    expect([error[34], error[35]]).toEqual([11, 0]);
    expect(checksum(error.subarray(34))).toBe(0);
    expect(error.subarray(42)).toEqual(expiring.subarray(14, 14 + 28)); // header + 8 bytes quoted
    expect(router.counters.ttlExceeded).toBe(1);
  });

  it('sends ICMP net unreachable when no route matches', () => {
    const { router, eth0, lan0 } = setup();
    introduceA(eth0, lan0);
    eth0.deliver(ping('192.168.50.5'));
    const error = lan0.received[0]!;
    expect([error[34], error[35]]).toEqual([3, 0]);
    expect(checksum(error.subarray(34))).toBe(0);
    expect(ipText(error, 42 + 16)).toBe('192.168.50.5');
    expect(router.counters.noRoute).toBe(1);
  });

  it('answers echo requests to any of its addresses', () => {
    const { router, eth0, lan0 } = setup();
    introduceA(eth0, lan0);
    const request = ping(R1.ip, 64, 9);
    const payload = request.slice(42);
    eth0.deliver(request);
    const reply = lan0.received[0]!;
    expect(macOf(reply, 0)).toEqual(mac(A.mac));
    expect(ipText(reply, 26)).toBe(R1.ip);
    expect(ipText(reply, 30)).toBe(A.ip);
    expectValidIpv4(reply);
    expect(reply[34]).toBe(0);
    expect(checksum(reply.subarray(34))).toBe(0);
    expect([u16At(reply, 38), u16At(reply, 40)]).toEqual([0x77, 9]);
    expect(reply.slice(42)).toEqual(payload);
    expect(router.counters.echoReplies).toBe(1);
  });

  it('routes by longest prefix match over static routes', () => {
    const { router, eth0, lan1 } = setup();
    router.addRoute('10.244.0.0/16', '10.0.2.100');
    router.addRoute('10.244.7.0/24', '10.0.2.107');
    router.addRoute('0.0.0.0/0', '10.0.2.254');
    eth0.deliver(ping('10.244.7.3'));
    eth0.deliver(ping('10.244.9.3'));
    eth0.deliver(ping('8.8.8.8'));
    expect(lan1.received.map((f) => ipText(f, 38))).toEqual(['10.0.2.107', '10.0.2.100', '10.0.2.254']);
    expect(router.routes().map((r) => r.destination)).toEqual(['10.0.1.0/24', '10.0.2.0/24', '10.244.7.0/24', '10.244.0.0/16', '0.0.0.0/0']);
    expect(router.removeRoute('10.244.7.0/24')).toBe(true);
  });

  it('gives up on ARP after its attempts and reports host unreachable', () => {
    vi.useFakeTimers();
    const { router, eth0, lan0, lan1 } = setup({ arpRetryMs: 1000, arpAttempts: 3 });
    introduceA(eth0, lan0);
    eth0.deliver(ping(B.ip));
    vi.advanceTimersByTime(2999);
    expect(lan1.received).toHaveLength(3); // three ARP requests
    expect(lan0.received).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(lan0.received).toHaveLength(1);
    expect([lan0.received[0]![34], lan0.received[0]![35]]).toEqual([3, 1]);
    expect(router.counters.arpResolutionFailures).toBe(1);
    router.dispose();
  });

  it('sends fragmentation-needed for DF packets over the egress MTU', () => {
    const { router, eth0, eth1, lan0 } = setup();
    router.interface('eth1')!.mtu = 1000;
    introduceA(eth0, lan0);
    eth1.deliver(arpReply(B, R1));
    eth0.deliver(ipFrame({ srcMac: A.mac, dstMac: R0.mac, src: A.ip, dst: B.ip, protocol: 17, dontFragment: true, payload: udp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(1200) }) }));
    const error = lan0.received[0]!;
    expect([error[34], error[35], u16At(error, 40)]).toEqual([3, 4, 1000]);
    expect(router.counters.fragmentationNeeded).toBe(1);
  });

  it('never sends an ICMP error about an ICMP error', () => {
    const { router, eth0, lan0 } = setup();
    introduceA(eth0, lan0);
    const timeExceeded = bytes([11, 0, 0, 0, 0, 0, 0, 0], new Uint8Array(28));
    timeExceeded.set(be16(checksum(timeExceeded)), 2);
    eth0.deliver(ipFrame({ srcMac: A.mac, dstMac: R0.mac, src: A.ip, dst: B.ip, protocol: 1, ttl: 1, payload: timeExceeded }));
    expect(lan0.received).toHaveLength(0);
    expect(router.counters.ttlExceeded).toBe(1);
    expect(router.counters.icmpErrorsSent).toBe(0);
  });

  it('drops malformed and foreign packets without throwing', () => {
    const { router, eth0, lan0, lan1 } = setup();
    const good = ping(B.ip);
    const badChecksum = ipFrame({ srcMac: A.mac, dstMac: R0.mac, src: A.ip, dst: B.ip, protocol: 1, checksum: 0xdead, payload: icmpEcho({ id: 1, seq: 1 }) });
    const shortTotalLength = good.slice();
    shortTotalLength.set(be16(10), 16);
    const frames = [
      new Uint8Array(3),
      good.slice(0, 20),
      badChecksum,
      shortTotalLength,
      ethernet({ dst: R0.mac, src: A.mac, type: 0x0806, payload: new Uint8Array(10) }),
      ethernet({ dst: '02:99:99:99:99:99', src: A.mac, type: 0x0800, payload: ipv4({ src: A.ip, dst: B.ip, protocol: 1, payload: new Uint8Array(8) }) }),
      ethernet({ dst: R0.mac, src: A.mac, type: 0x86dd, payload: new Uint8Array(40) }),
    ];
    for (const f of frames) expect(() => eth0.deliver(f)).not.toThrow();
    expect(lan0.received).toHaveLength(0);
    expect(lan1.received).toHaveLength(0);
    expect(router.counters).toMatchObject({ malformedDrops: 5, notForUsDrops: 1, unsupportedDrops: 1 });
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      const f = new Uint8Array((i % 120) + 1);
      for (let j = 0; j < f.length; j++) f[j] = (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
      if (i % 3 === 0 && f.length >= 6) f.set(mac(R0.mac), 0);
      if (i % 6 === 0 && f.length > 14) f.set([0x08, 0x00, 0x45], 12);
      expect(() => eth0.deliver(f)).not.toThrow();
    }
  });

  it('pings across two switched segments end to end', () => {
    const router = new Router({ name: 'gw' });
    const lans = ['lan-a', 'lan-b'].map((name) => new LearningSwitch({ name }));
    const gw0 = router.addInterface({ name: 'eth0', mac: R0.mac, address: `${R0.ip}/24` });
    const gw1 = router.addInterface({ name: 'eth1', mac: R1.mac, address: `${R1.ip}/24` });
    Link.between(gw0, lans[0]!.addPort('uplink'));
    Link.between(gw1, lans[1]!.addPort('uplink'));
    // Host B: answers ARP and echo, like a minimal Linux stack would.
    const hostBPort = lans[1]!.addPort('b');
    hostBPort.connect({
      name: 'hostB',
      deliver(frame) {
        if (u16At(frame, 12) === 0x0806 && u16At(frame, 20) === 1 && ipText(frame, 38) === B.ip) {
          hostBPort.deliver(arpReply(B, { mac: Array.from(frame.subarray(22, 28), (b) => b.toString(16).padStart(2, '0')).join(':'), ip: ipText(frame, 28) }));
        } else if (u16At(frame, 12) === 0x0800 && frame[34] === 8) {
          const reply = frame.slice();
          reply.set(frame.subarray(6, 12), 0);
          reply.set(mac(B.mac), 6);
          reply.set(frame.subarray(30, 34), 26);
          reply.set(frame.subarray(26, 30), 30);
          reply[34] = 0;
          reply.set([0, 0], 36);
          reply.set(be16(checksum(reply.subarray(34))), 36);
          reply[22] = 64;
          reply.set([0, 0], 24);
          reply.set(be16(checksum(reply.subarray(14, 34))), 24);
          hostBPort.deliver(reply);
        }
      },
    });
    const received: Uint8Array[] = [];
    const hostAPort = lans[0]!.addPort('a');
    hostAPort.connect({ name: 'hostA', deliver: (f) => void received.push(f) });
    hostAPort.deliver(arpRequest(A, R0.ip));
    hostAPort.deliver(ping(B.ip, 64, 1));
    const replies = received.filter((f) => u16At(f, 12) === 0x0800);
    expect(replies).toHaveLength(1);
    expect(ipText(replies[0]!, 26)).toBe(B.ip);
    expect(replies[0]![22]).toBe(63);
    expect(replies[0]![34]).toBe(0);
    expect(ip(ipText(replies[0]!, 30))).toEqual(ip(A.ip));
  });
});
