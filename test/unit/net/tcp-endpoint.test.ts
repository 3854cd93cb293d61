// The network's own TCP server (src/net/tcp-endpoint.ts), driven with built segments: the
// handshake, in-order delivery with held out-of-order data, sending within the peer's window,
// retransmission, FIN and RST both ways, the connection cap, and the router seam.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseIpv4 } from '../../../src/net/addr.js';
import { Router } from '../../../src/net/router.js';
import { TcpEndpoint, type TcpStream } from '../../../src/net/tcp-endpoint.js';
import {
  IP_PROTOCOL_TCP, TCP_ACK, TCP_CHECKSUM, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN,
  buildTcp, isWireError, readIpv4, readTcp, setU16, tcpChecksum, type TcpHeader,
} from '../../../src/net/wire/index.js';
import { ethernet, icmpEcho, ipv4, tcp } from './frames.js';

const SERVER = '10.96.0.1';
const CLIENT = '10.0.0.11';
const PORT = 443;
const ISN = 1000;

interface Sent extends TcpHeader { payload: Uint8Array }

/** A peer that builds segments with right checksums and reads what the endpoint sends back. */
function setup(options: Partial<ConstructorParameters<typeof TcpEndpoint>[0]> = {}) {
  const streams: TcpStream[] = [];
  const endpoint = new TcpEndpoint({ listen: [{ address: SERVER, port: PORT }], handler: (s) => void streams.push(s), isn: () => ISN, ...options });
  const sent: Sent[] = [];
  const reply = (packet: Uint8Array) => {
    const ip = readIpv4(packet);
    if (isWireError(ip)) throw new Error(ip.error);
    const header = readTcp(packet, ip.headerLength, ip.totalLength);
    if (isWireError(header)) throw new Error(header.error);
    expect(tcpChecksum(packet, ip.headerLength, ip.totalLength, ip.source, ip.destination)).toBe(0);
    sent.push({ ...header, payload: packet.slice(ip.headerLength + header.headerLength, ip.totalLength) });
  };
  const send = (spec: Parameters<typeof tcp>[0], corrupt = false, srcPort = spec.srcPort, dst = SERVER) => {
    const segment = tcp({ ...spec, srcPort, dstPort: spec.dstPort });
    setU16(segment, TCP_CHECKSUM, tcpChecksum(segment, 0, segment.length, parseIpv4(CLIENT), parseIpv4(dst)) ^ (corrupt ? 1 : 0));
    const packet = ipv4({ src: CLIENT, dst, protocol: IP_PROTOCOL_TCP, payload: segment });
    const header = readIpv4(packet);
    if (isWireError(header)) throw new Error(header.error);
    endpoint.receive(packet, header, reply);
  };
  /** The handshake from client port 40000, client ISN 5000; returns the accepted stream. */
  const connect = (window = 64240, mss = 1460, port = 40000) => {
    send({ srcPort: port, dstPort: PORT, seq: 5000, flags: ['SYN'], window, mss });
    send({ srcPort: port, dstPort: PORT, seq: 5001, ack: ISN + 1, flags: ['ACK'], window });
    return streams.at(-1)!;
  };
  const data = (seq: number, text: string, flags: string[] = ['ACK', 'PSH'], ack = ISN + 1, window = 64240) =>
    send({ srcPort: 40000, dstPort: PORT, seq, ack, flags, window, payload: new TextEncoder().encode(text) });
  return { endpoint, streams, sent, send, connect, data };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

afterEach(() => vi.useRealTimers());

describe('TcpEndpoint', () => {
  it('answers a SYN with SYN-ACK (its MSS; no window scale unless offered) and hands the stream over on the ACK', () => {
    const { send, sent, streams, endpoint } = setup();
    send({ srcPort: 40000, dstPort: PORT, seq: 5000, flags: ['SYN'], mss: 1400 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ flags: TCP_SYN | TCP_ACK, sequence: ISN, acknowledgment: 5001, mss: 1460, window: 65535, sourcePort: PORT, destinationPort: 40000 });
    expect(sent[0]!.windowScale).toBeUndefined();
    expect(streams).toHaveLength(0);
    send({ srcPort: 40000, dstPort: PORT, seq: 5001, ack: ISN + 1, flags: ['ACK'] });
    expect(streams).toHaveLength(1);
    expect(streams[0]!.remote).toBe(`${CLIENT}:40000`);
    expect(endpoint.connectionCount).toBe(1);
  });

  it('answers Linux\'s SYN (MSS, SACK-permitted, timestamps, window scale 7) with MSS and scale 0 only', () => {
    const { endpoint, sent } = setup();
    // The option bytes as Linux 6.1 lays them out in a SYN (tcp_options_write).
    const options = Uint8Array.of(2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 1, 0xe2, 0x40, 0, 0, 0, 0, 1, 3, 3, 7);
    const segment = buildTcp({ sourcePort: 40000, destinationPort: PORT, sequence: 5000, flags: TCP_SYN, window: 64240, rawOptions: options }, new Uint8Array(0));
    setU16(segment, TCP_CHECKSUM, tcpChecksum(segment, 0, segment.length, parseIpv4(CLIENT), parseIpv4(SERVER)));
    const packet = ipv4({ src: CLIENT, dst: SERVER, protocol: IP_PROTOCOL_TCP, payload: segment });
    const header = readIpv4(packet);
    if (isWireError(header)) throw new Error(header.error);
    let answers = 0;
    endpoint.receive(packet, header, (answer) => {
      answers++;
      const ip = readIpv4(answer);
      if (isWireError(ip)) throw new Error(ip.error);
      // MSS (4) + NOP, window scale (4): 28 bytes of header, no SACK-permitted, no timestamps.
      expect(ip.totalLength - ip.headerLength).toBe(28);
    });
    expect(answers).toBe(1);
    expect(sent).toHaveLength(0); // the answer went to the callback above
    expect(endpoint.connectionCount).toBe(1);
  });

  it('scales the peer\'s window when both SYNs carry the option, up to maxSendWindow', () => {
    const { send, sent, streams } = setup({ maxSendWindow: 20_000 });
    send({ srcPort: 40000, dstPort: PORT, seq: 5000, flags: ['SYN'], mss: 1000, windowScale: 4 });
    expect(sent[0]!.windowScale).toBe(0); // ours: unscaled
    send({ srcPort: 40000, dstPort: PORT, seq: 5001, ack: ISN + 1, flags: ['ACK'], window: 1000 }); // 16000 bytes
    sent.length = 0;
    streams[0]!.write(new Uint8Array(50_000));
    expect(sent.reduce((n, s) => n + s.payload.length, 0)).toBe(16_000);
    send({ srcPort: 40000, dstPort: PORT, seq: 5001, ack: ISN + 1, flags: ['ACK'], window: 4000 }); // 64000: capped
    expect(sent.reduce((n, s) => n + s.payload.length, 0)).toBe(20_000);
    // Without the option in the SYN, the window is taken as it stands.
    const plain = setup();
    const stream = plain.connect(1000, 1000);
    plain.sent.length = 0;
    stream.write(new Uint8Array(5000));
    expect(plain.sent.reduce((n, s) => n + s.payload.length, 0)).toBe(1000);
    expect(plain.sent.every((s) => s.windowScale === undefined)).toBe(true);
  });

  it('delivers in order, holds a segment that comes early, trims what it saw before, and ACKs each', () => {
    const { connect, data, sent } = setup();
    const stream = connect();
    const got: string[] = [];
    stream.onData = (b) => void got.push(text(b));
    sent.length = 0;
    data(5001, 'GET ');
    expect(sent.at(-1)!.acknowledgment).toBe(5005);
    data(5009, 'HTTP'); // ahead of a gap: held, and the ACK still asks for 5005
    expect(got).toEqual(['GET ']);
    expect(sent.at(-1)!.acknowledgment).toBe(5005);
    data(5003, 'T /x '); // "T " seen already: only "/x " is new... and then "HTTP" follows on
    expect(sent.at(-1)!.acknowledgment).toBe(5008);
    data(5008, ' '); // fills the gap: the held HTTP is delivered after it
    expect(got.join('')).toBe('GET /x  HTTP');
    expect(sent.at(-1)!.acknowledgment).toBe(5013);
  });

  it('sends within the peer\'s window and MSS, and more as ACKs open it', () => {
    const { connect, sent, send } = setup();
    const stream = connect(2500, 1000);
    sent.length = 0;
    expect(stream.write(new Uint8Array(4000).fill(7))).toBe(true);
    expect(sent.map((s) => s.payload.length)).toEqual([1000, 1000, 500]);
    expect(sent.map((s) => s.sequence)).toEqual([ISN + 1, ISN + 1001, ISN + 2001]);
    send({ srcPort: 40000, dstPort: PORT, seq: 5001, ack: ISN + 2001, flags: ['ACK'], window: 2500 });
    expect(sent.slice(3).map((s) => s.payload.length)).toEqual([1000, 500]); // 500 still in flight
    expect(sent.at(-1)!.flags & TCP_PSH).toBe(TCP_PSH); // the last of what was queued
  });

  it('resends from the first unacknowledged byte on a timeout, backing off, and resets after the last try', () => {
    vi.useFakeTimers();
    const { connect, sent, send, endpoint } = setup({ initialRtoMs: 200, maxRetries: 2 });
    const stream = connect();
    const closed: (string | undefined)[] = [];
    stream.onClose = (e) => void closed.push(e);
    sent.length = 0;
    stream.write(new TextEncoder().encode('hello'));
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(199);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject({ sequence: ISN + 1 });
    expect(text(sent[1]!.payload)).toBe('hello');
    vi.advanceTimersByTime(399); // doubled
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(3);
    expect(endpoint.counters.retransmits).toBe(2);
    vi.advanceTimersByTime(800);
    expect(sent.at(-1)!.flags & TCP_RST).toBe(TCP_RST);
    expect(closed).toEqual(['timed out']);
    expect(endpoint.connectionCount).toBe(0);
    // And the peer's next segment meets no connection: a RST.
    send({ srcPort: 40000, dstPort: PORT, seq: 5001, ack: ISN + 6, flags: ['ACK'] });
    expect(sent.at(-1)).toMatchObject({ flags: TCP_RST, sequence: ISN + 6 });
  });

  it('resends at once on the third duplicate ACK', () => {
    const { connect, sent, send } = setup();
    const stream = connect(64240, 100);
    sent.length = 0;
    stream.write(new Uint8Array(300));
    expect(sent).toHaveLength(3);
    for (let i = 0; i < 4; i++) send( // one that moves snd.una, then three duplicates
      { srcPort: 40000, dstPort: PORT, seq: 5001, ack: ISN + 101, flags: ['ACK'] });
    expect(sent.slice(3).map((s) => s.sequence)).toEqual([ISN + 101, ISN + 201]);
  });

  it('probes a zero window with one byte until the window opens', () => {
    vi.useFakeTimers();
    const { connect, sent, send } = setup({ initialRtoMs: 100 });
    const stream = connect(0);
    sent.length = 0;
    stream.write(new TextEncoder().encode('abc'));
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(1);
    expect(text(sent[0]!.payload)).toBe('a');
    send({ srcPort: 40000, dstPort: PORT, seq: 5001, ack: ISN + 2, flags: ['ACK'], window: 1000 });
    expect(text(sent[1]!.payload)).toBe('bc');
  });

  it('peer FIN: onEnd and an ACK for it; the handler can still answer, then its FIN closes the connection', () => {
    const { connect, data, sent, send, endpoint } = setup();
    const stream = connect();
    const events: string[] = [];
    stream.onEnd = () => { events.push('end'); stream.write(new TextEncoder().encode('bye')); stream.end(); };
    stream.onClose = (e) => void events.push(`close ${e ?? 'clean'}`);
    sent.length = 0;
    data(5001, 'hi', ['ACK', 'FIN']);
    expect(events).toEqual(['end']);
    expect(sent.map((s) => [s.flags, s.acknowledgment, text(s.payload)])).toEqual([
      [TCP_ACK, 5004, ''], [TCP_ACK | TCP_PSH, 5004, 'bye'], [TCP_ACK | TCP_FIN, 5004, ''],
    ]);
    send({ srcPort: 40000, dstPort: PORT, seq: 5004, ack: ISN + 5, flags: ['ACK'] });
    expect(events).toEqual(['end', 'close clean']);
    expect(endpoint.connectionCount).toBe(0);
  });

  it('our FIN first: FIN-WAIT, then the peer\'s FIN closes it', () => {
    const { connect, data, sent, send, endpoint } = setup();
    const stream = connect();
    const events: string[] = [];
    stream.onClose = (e) => void events.push(`close ${e ?? 'clean'}`);
    sent.length = 0;
    stream.end();
    expect(sent[0]!.flags).toBe(TCP_FIN | TCP_ACK);
    send({ srcPort: 40000, dstPort: PORT, seq: 5001, ack: ISN + 2, flags: ['ACK'] });
    expect(endpoint.connectionCount).toBe(1);
    expect(sent).toHaveLength(1); // nothing after an acknowledged FIN
    data(5001, '', ['ACK', 'FIN'], ISN + 2);
    expect(sent.at(-1)).toMatchObject({ flags: TCP_ACK, acknowledgment: 5002 });
    expect(events).toEqual(['close clean']);
  });

  it('gives up on a peer that never sends its FIN, after a minute in FIN-WAIT-2', () => {
    vi.useFakeTimers();
    const { connect, send, endpoint } = setup();
    const stream = connect();
    const closed: (string | undefined)[] = [];
    stream.onClose = (e) => void closed.push(e);
    stream.end();
    send({ srcPort: 40000, dstPort: PORT, seq: 5001, ack: ISN + 2, flags: ['ACK'] });
    vi.advanceTimersByTime(59_999);
    expect(endpoint.connectionCount).toBe(1);
    vi.advanceTimersByTime(1);
    expect(closed).toEqual(['no FIN from the peer']);
    expect(endpoint.connectionCount).toBe(0);
  });

  it('a RST in the window closes the connection with an error; one outside it is ignored', () => {
    const { connect, send, endpoint } = setup();
    const stream = connect();
    const closed: (string | undefined)[] = [];
    stream.onClose = (e) => void closed.push(e);
    send({ srcPort: 40000, dstPort: PORT, seq: 5001 + 100_000, flags: ['RST'] });
    expect(closed).toEqual([]);
    send({ srcPort: 40000, dstPort: PORT, seq: 5001, flags: ['RST'] });
    expect(closed).toEqual(['connection reset by peer']);
    expect(endpoint.connectionCount).toBe(0);
  });

  it('a SYN to a port nobody listens on gets RST-ACK; a bad checksum gets nothing', () => {
    const { send, sent, endpoint } = setup();
    send({ srcPort: 40000, dstPort: 80, seq: 77, flags: ['SYN'] });
    expect(sent[0]).toMatchObject({ flags: TCP_RST | TCP_ACK, sequence: 0, acknowledgment: 78 });
    send({ srcPort: 40001, dstPort: PORT, seq: 77, flags: ['SYN'] }, true);
    expect(sent).toHaveLength(1);
    expect(endpoint.counters.badChecksum).toBe(1);
  });

  it('refuses connections over the cap with a RST', () => {
    const { connect, send, sent, endpoint } = setup({ maxConnections: 2 });
    connect(64240, 1460, 40000);
    connect(64240, 1460, 40001);
    sent.length = 0;
    send({ srcPort: 40002, dstPort: PORT, seq: 5000, flags: ['SYN'] });
    expect(sent[0]!.flags).toBe(TCP_RST | TCP_ACK);
    expect(endpoint.counters.refused).toBe(1);
  });

  it('refuses a write beyond maxQueued and signals drain under the high-water mark', () => {
    const { connect, send } = setup({ highWaterMark: 1200, maxQueued: 3000 });
    const stream = connect(500, 500);
    let drained = 0;
    stream.onDrain = () => void drained++;
    expect(stream.write(new Uint8Array(1500))).toBe(false);
    expect(() => stream.write(new Uint8Array(2000))).toThrow(/more than 3000 bytes/);
    send({ srcPort: 40000, dstPort: PORT, seq: 5001, ack: ISN + 501, flags: ['ACK'], window: 500 });
    expect(drained).toBe(1);
  });
});

describe('Router.attachService', () => {
  it('hands packets for a claimed address to the service and sends its answer back to the MAC it came from', () => {
    const router = new Router();
    const eth0 = router.addInterface({ name: 'eth0', mac: '02:00:00:00:00:01', address: '10.0.0.1/24' });
    const out: Uint8Array[] = [];
    eth0.connect({ name: 'lan', deliver: (f) => void out.push(f) });
    const endpoint = new TcpEndpoint({ listen: [{ address: SERVER, port: PORT }], handler: () => {} });
    router.attachService(endpoint);
    const segment = tcp({ srcPort: 40000, dstPort: PORT, seq: 1, flags: ['SYN'] });
    setU16(segment, TCP_CHECKSUM, tcpChecksum(segment, 0, segment.length, parseIpv4('10.244.1.5'), parseIpv4(SERVER)));
    // A pod's SYN, forwarded by its node (MAC :0b): the router has no route to 10.244.1.0/24.
    eth0.deliver(ethernet({ dst: '02:00:00:00:00:01', src: '02:00:00:00:00:0b', type: 0x0800, payload: ipv4({ src: '10.244.1.5', dst: SERVER, protocol: IP_PROTOCOL_TCP, payload: segment }) }));
    expect(out).toHaveLength(1);
    expect(Array.from(out[0]!.subarray(0, 12))).toEqual([2, 0, 0, 0, 0, 0x0b, 2, 0, 0, 0, 0, 1]);
    const header = readTcp(out[0]!, 34);
    expect(isWireError(header) ? header : header.flags).toBe(TCP_SYN | TCP_ACK);
    expect(router.counters.servicePackets).toBe(1);
    router.attachService(null);
  });

  it('leaves the router its own ping when the service listens on the router\'s address', () => {
    const router = new Router();
    const eth0 = router.addInterface({ name: 'eth0', mac: '02:00:00:00:00:01', address: '10.0.0.1/24' });
    const out: Uint8Array[] = [];
    eth0.connect({ name: 'lan', deliver: (f) => void out.push(f) });
    router.attachService(new TcpEndpoint({ listen: [{ address: '10.0.0.1', port: 6443 }], handler: () => {} }));
    eth0.deliver(ethernet({ dst: '02:00:00:00:00:01', src: '02:00:00:00:00:0b', type: 0x0800, payload: ipv4({ src: '10.0.0.11', dst: '10.0.0.1', protocol: 1, payload: icmpEcho({ id: 1, seq: 1 }) }) }));
    expect(router.counters.echoReplies).toBe(1);
    expect(router.counters.servicePackets).toBe(0);
  });
});
