// A small TCP server stack for the virtual network (RFC 9293), for services that live in the
// network itself rather than in a node: the Kubernetes API at the `kubernetes` Service address.
// It takes IPv4 packets addressed to its listening address:port pairs and gives back the
// packets it answers with; whoever carries frames (router.ts) wraps them in Ethernet. Each
// accepted connection is handed, once established, to a StreamHandler as a byte stream.
//
// What it does, as a passive opener only:
//   - the three-way handshake, with the peer's MSS and window scale (RFC 7323 §2: when the peer
//     offers one, this end answers with shift 0, so only the peer's window is scaled); no SACK
//     or timestamps are offered, so the peer uses none (RFC 2018, RFC 7323 §3);
//   - in-order delivery: a segment at rcv.nxt is delivered, one ahead of it is held (up to
//     MAX_OUT_OF_ORDER bytes) until the gap fills, data already seen is trimmed; every data
//     segment is ACKed at once;
//   - sending within the peer's window (capped at maxSendWindow), go-back-N retransmission from snd.una on a timeout
//     (RFC 6298: 1 s first, doubling, here capped at MAX_RTO_MS) and after three duplicate
//     ACKs, a 1-byte probe when the peer's window is zero;
//   - FIN both ways (half-close is kept: the handler may still write after the peer's FIN),
//     RST both ways, and RST for segments of no connection (RFC 9293 §3.10.7.1).
// There is no congestion control (the link is a JS call; the window is the only limit) and no
// TIME-WAIT: a connection goes when both FINs are acknowledged, and a stray segment after that
// gets a RST. Caps: connections at once, bytes buffered per connection for sending.
//
// Sequence arithmetic is mod 2^32: seqLt etc. compare through a signed 32-bit difference.

import { onesComplementSum } from './checksum.js';
import { startTimer, stopTimer, type TimerHandle } from './host.js';
import {
  IP_PROTOCOL_TCP,
  IPV4_MIN_HEADER_LENGTH,
  TCP_ACK,
  TCP_CHECKSUM,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  buildTcp,
  ipv4PseudoHeaderSum,
  isWireError,
  readTcp,
  setU16,
  tcpChecksum,
  writeIpv4,
  type Ipv4Header,
} from './wire/index.js';

/** What a stream handler sees of one connection. */
export interface TcpStream {
  /** "a.b.c.d:port" of the peer. */
  readonly remote: string;
  /** Queues bytes; false when more than the high-water mark is queued (wait for onDrain). */
  write(bytes: Uint8Array): boolean;
  /** Sends FIN after everything queued. */
  end(): void;
  /** Sends RST and forgets the connection. */
  destroy(): void;
  onData: ((bytes: Uint8Array) => void) | undefined;
  /** The peer sent FIN: no more data will come. */
  onEnd: (() => void) | undefined;
  /** The connection is gone: closed cleanly, reset (error set), or timed out (error set). */
  onClose: ((error?: string) => void) | undefined;
  /** The queue fell below the high-water mark again. */
  onDrain: (() => void) | undefined;
}

export type StreamHandler = (stream: TcpStream) => void;

export interface TcpListen {
  /** Dotted quad. */
  address: string;
  port: number;
}

export interface TcpEndpointOptions {
  listen: TcpListen[];
  handler: StreamHandler;
  /** Connections at once (any state); a SYN beyond this gets a RST. */
  maxConnections?: number;
  /** Bytes queued for sending (unacknowledged included) above which write() returns false. */
  highWaterMark?: number;
  /** Bytes queued for sending above which write() throws: a handler that ignores backpressure. */
  maxQueued?: number;
  /** The window this end advertises (at most 65535: no window scaling). */
  window?: number;
  /** At most this much in flight, whatever window the peer offers (there is no congestion control). */
  maxSendWindow?: number;
  /** Our MSS: the link's MTU less 40. */
  mss?: number;
  initialRtoMs?: number;
  /** Retransmissions of one segment before the connection is reset. */
  maxRetries?: number;
  /** Initial sequence numbers; random by default. */
  isn?: () => number;
}

export interface TcpEndpointCounters {
  accepted: number;
  refused: number;
  resets: number;
  retransmits: number;
  badChecksum: number;
  outOfOrder: number;
  bytesIn: number;
  bytesOut: number;
}

/** Bytes of out-of-order data held per connection. */
export const MAX_OUT_OF_ORDER = 64 * 1024;
const MAX_RTO_MS = 8000;
/** How long a connection waits for the peer's FIN after ours is acknowledged (Linux's tcp_fin_timeout). */
const FIN_WAIT_2_MS = 60_000;
/** RFC 9293 §3.7.1: 536 when the peer names none. */
const DEFAULT_PEER_MSS = 536;

const seqDiff = (a: number, b: number): number => (a - b) | 0;
const seqLt = (a: number, b: number): boolean => seqDiff(a, b) < 0;
const seqLe = (a: number, b: number): boolean => seqDiff(a, b) <= 0;
const add = (a: number, n: number): number => (a + n) >>> 0;

function parseAddress(text: string): number {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`'${text}' is not an IPv4 address`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

const formatAddress = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

type State = 'syn-received' | 'established' | 'close-wait' | 'fin-wait-1' | 'fin-wait-2' | 'closing' | 'last-ack' | 'closed';

/** Segment fields of an arriving packet. */
interface Segment {
  seq: number;
  ack: number;
  flags: number;
  window: number;
  mss: number | undefined;
  windowScale: number | undefined;
  payload: Uint8Array;
}

class Connection implements TcpStream {
  onData: ((bytes: Uint8Array) => void) | undefined;
  onEnd: (() => void) | undefined;
  onClose: ((error?: string) => void) | undefined;
  onDrain: (() => void) | undefined;
  readonly remote: string;
  state: State = 'syn-received';
  // Send side. The queue holds bytes from snd.una on: sent-unacknowledged, then unsent.
  private readonly iss: number;
  private sndUna: number;
  private sndNxt: number;
  /** The highest sequence sent: after a go-back, ACKs up to it are still good. */
  private sndMax: number;
  private sndWnd = 0;
  /** The peer's window scale shift (0 unless both SYNs carried the option). */
  private readonly sndShift: number;
  private readonly peerScales: boolean;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private finQueued = false;
  private finSent = false;
  /** The sequence number our FIN takes, once sent. */
  private finSeq: number | undefined;
  private finAcked = false;
  private dupAcks = 0;
  private peerMss = DEFAULT_PEER_MSS;
  // Receive side.
  private rcvNxt: number;
  private readonly held = new Map<number, Uint8Array>();
  private heldBytes = 0;
  private finReceived = false;
  // Retransmission.
  private timer: TimerHandle | undefined;
  private rto: number;
  private retries = 0;
  private blocked = false;
  private probing = false;

  constructor(
    private readonly endpoint: TcpEndpoint,
    readonly key: string,
    readonly localAddress: number,
    readonly localPort: number,
    readonly remoteAddress: number,
    readonly remotePort: number,
    syn: Segment,
    private readonly send: (packet: Uint8Array) => void,
  ) {
    this.remote = `${formatAddress(remoteAddress)}:${remotePort}`;
    this.iss = endpoint.isn() >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = add(this.iss, 1);
    this.sndMax = this.sndNxt;
    this.rcvNxt = add(syn.seq, 1);
    this.sndWnd = syn.window; // never scaled in a SYN
    this.sndShift = syn.windowScale === undefined ? 0 : Math.min(14, syn.windowScale);
    this.peerMss = Math.max(64, Math.min(syn.mss ?? DEFAULT_PEER_MSS, endpoint.mss));
    this.peerScales = syn.windowScale !== undefined;
    this.rto = endpoint.initialRtoMs;
    this.sendSynAck();
    this.arm();
  }

  // --- TcpStream -------------------------------------------------------------

  write(bytes: Uint8Array): boolean {
    if (this.finQueued || this.state === 'closed') throw new Error('write after end');
    if (bytes.length === 0) return this.queued < this.endpoint.highWaterMark;
    if (this.queued + bytes.length > this.endpoint.maxQueued) throw new Error(`more than ${this.endpoint.maxQueued} bytes queued on ${this.remote}`);
    this.queue.push(bytes.slice());
    this.queued += bytes.length;
    if (this.state !== 'syn-received') this.pump();
    const below = this.queued < this.endpoint.highWaterMark;
    if (!below) this.blocked = true;
    return below;
  }

  end(): void {
    if (this.finQueued || this.state === 'closed') return;
    this.finQueued = true;
    if (this.state !== 'syn-received') this.pump();
  }

  destroy(): void {
    if (this.state === 'closed') return;
    this.emitSegment(this.sndNxt, TCP_RST | TCP_ACK, new Uint8Array(0));
    this.close('destroyed');
  }

  // --- arriving segments ---------------------------------------------------

  receive(segment: Segment): void {
    const { seq, flags } = segment;
    if (flags & TCP_RST) {
      // RFC 5961 §3.2, simplified: only a RST at rcv.nxt (or within the window) is believed.
      const offset = seqDiff(seq, this.rcvNxt);
      if (offset >= 0 && offset < this.endpoint.window) this.close('connection reset by peer');
      return;
    }
    if (flags & TCP_SYN) {
      // A retransmitted SYN: our SYN-ACK was lost. Anything else with SYN gets a challenge ACK.
      if (this.state === 'syn-received' && add(seq, 1) === this.rcvNxt) this.sendSynAck();
      else this.sendAck();
      return;
    }
    if (!(flags & TCP_ACK)) return;
    this.receiveAck(segment);
    if (this.state === 'closed') return;
    this.receiveData(segment);
  }

  private receiveAck({ ack, window: field }: Segment): void {
    const window = Math.min(field * 2 ** this.sndShift, this.endpoint.maxSendWindow);
    if (seqLt(this.sndMax, ack)) { this.sendAck(); return; } // acknowledges what we never sent
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack; // sent before a go-back, and it did arrive
    if (this.state === 'syn-received') {
      if (seqLt(ack, add(this.iss, 1))) return;
      this.state = 'established';
      this.sndUna = add(this.iss, 1);
      this.sndWnd = window;
      this.disarm();
      this.rto = this.endpoint.initialRtoMs;
      this.endpoint.established(this);
      if (this.state === 'established') this.pump();
      return;
    }
    const advanced = seqDiff(ack, this.sndUna);
    if (advanced > 0) {
      this.consume(advanced);
      this.sndUna = ack;
      if (this.finSeq !== undefined && seqLt(this.finSeq, ack)) { this.finAcked = true; this.finSent = true; }
      this.dupAcks = 0;
      this.retries = 0;
      this.rto = this.endpoint.initialRtoMs;
      this.disarm();
      if (this.sndUna !== this.sndNxt) this.arm();
    } else if (advanced === 0 && window === this.sndWnd && this.sndUna !== this.sndNxt) {
      // RFC 5681 §3.2: the third duplicate ACK means the segment at snd.una is lost.
      if (++this.dupAcks === 3) { this.endpoint.counters.retransmits++; this.goBack(); }
    }
    this.sndWnd = window;
    if (this.finAcked) {
      if (this.state === 'fin-wait-1') { this.state = 'fin-wait-2'; this.disarm(); this.timer = startTimer(() => this.close('no FIN from the peer'), FIN_WAIT_2_MS); }
      else if (this.state === 'closing' || this.state === 'last-ack') { this.close(); return; }
    }
    this.pump();
    if (this.blocked && this.queued < this.endpoint.highWaterMark) {
      this.blocked = false;
      this.onDrain?.();
    }
  }

  /** Drops `count` acknowledged bytes from the front of the queue (an acknowledged FIN is one more). */
  private consume(count: number): void {
    let left = Math.min(count, this.queued);
    while (left > 0 && this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.length <= left) { this.queue.shift(); left -= head.length; this.queued -= head.length; }
      else { this.queue[0] = head.subarray(left); this.queued -= left; left = 0; }
    }
  }

  private receiveData({ seq, flags, payload }: Segment): void {
    if (this.finReceived) { if (payload.length || flags & TCP_FIN) this.sendAck(); return; }
    let start = seq;
    let data = payload;
    let fin = (flags & TCP_FIN) !== 0;
    const behind = seqDiff(this.rcvNxt, start);
    if (behind > 0) {
      if (behind >= data.length + (fin ? 1 : 0)) { if (data.length || fin) this.sendAck(); return; } // all seen before
      data = data.subarray(Math.min(behind, data.length));
      start = this.rcvNxt;
    }
    if (data.length === 0 && !fin) return;
    if (start !== this.rcvNxt) {
      // Ahead of a gap: hold it (data only, within our window), and say what we still need.
      this.endpoint.counters.outOfOrder++;
      if (data.length && seqDiff(start, this.rcvNxt) < this.endpoint.window && !this.held.has(start) && this.heldBytes + data.length <= MAX_OUT_OF_ORDER) {
        this.held.set(start, data.slice());
        this.heldBytes += data.length;
      }
      this.sendAck();
      return;
    }
    this.deliver(data);
    // Held segments that now follow on.
    for (let next = this.takeHeld(); next !== undefined; next = this.takeHeld()) this.deliver(next);
    if (fin && this.state !== 'closed') {
      this.rcvNxt = add(this.rcvNxt, 1);
      this.finReceived = true;
      this.held.clear();
      this.heldBytes = 0;
      if (this.state === 'established') this.state = 'close-wait';
      else if (this.state === 'fin-wait-1') this.state = this.finAcked ? 'closed' : 'closing';
      else if (this.state === 'fin-wait-2') this.state = 'closed';
      this.sendAck();
      if (this.state === 'closed') { this.close(); return; }
      this.onEnd?.();
      return;
    }
    this.sendAck();
  }

  private takeHeld(): Uint8Array | undefined {
    for (const [start, data] of this.held) {
      const behind = seqDiff(this.rcvNxt, start);
      if (behind < 0) continue;
      this.held.delete(start);
      this.heldBytes -= data.length;
      if (behind < data.length) return data.subarray(behind);
    }
    return undefined;
  }

  private deliver(data: Uint8Array): void {
    if (data.length === 0) return;
    this.rcvNxt = add(this.rcvNxt, data.length);
    this.endpoint.counters.bytesIn += data.length;
    this.onData?.(data);
  }

  // --- sending ---------------------------------------------------------------

  /** Sends what the peer's window allows, then the FIN once everything is out. */
  private pump(): void {
    // Once the FIN is out, everything before it was sent too (a go-back takes the FIN back).
    if (this.state === 'closed' || this.state === 'syn-received' || this.finSent) return;
    for (;;) {
      const inFlight = seqDiff(this.sndNxt, this.sndUna);
      const unsent = this.queued - inFlight;
      if (unsent > 0) {
        let room = this.sndWnd - inFlight;
        if (room <= 0 && this.probing && inFlight === 0) room = 1;
        this.probing = false;
        if (room <= 0) {
          // Zero window: the timer sends a 1-byte probe (RFC 9293 §3.8.6.1).
          if (inFlight === 0 && this.timer === undefined) this.arm();
          return;
        }
        room = Math.min(room, unsent, this.peerMss);
        // State first, then the segment: a synchronous answer to it must find it sent.
        const data = this.bytesAt(inFlight, room);
        const seq = this.sndNxt;
        this.sndNxt = add(seq, data.length);
        if (seqLt(this.sndMax, this.sndNxt)) this.sndMax = this.sndNxt;
        this.endpoint.counters.bytesOut += data.length;
        if (this.timer === undefined) this.arm();
        this.emitSegment(seq, TCP_ACK | (room === unsent ? TCP_PSH : 0), data);
        continue;
      }
      if (this.finQueued && !this.finSent) {
        const seq = this.sndNxt;
        this.finSeq = seq;
        this.sndNxt = add(seq, 1);
        if (seqLt(this.sndMax, this.sndNxt)) this.sndMax = this.sndNxt;
        this.finSent = true;
        if (this.state === 'established') this.state = 'fin-wait-1';
        else if (this.state === 'close-wait') this.state = 'last-ack';
        if (this.timer === undefined) this.arm();
        this.emitSegment(seq, TCP_FIN | TCP_ACK, new Uint8Array(0));
      }
      return;
    }
  }

  /** `length` queued bytes from `offset` past snd.una, copied into one array. */
  private bytesAt(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let skip = offset;
    let filled = 0;
    for (const chunk of this.queue) {
      if (skip >= chunk.length) { skip -= chunk.length; continue; }
      const part = chunk.subarray(skip, Math.min(chunk.length, skip + length - filled));
      out.set(part, filled);
      filled += part.length;
      skip = 0;
      if (filled === length) break;
    }
    return out;
  }

  /** Go-back-N: everything after snd.una is sent again. */
  private goBack(): void {
    if (this.finSent && !this.finAcked) this.finSent = false;
    this.sndNxt = this.sndUna;
    this.dupAcks = 0;
    this.disarm();
    this.pump();
  }

  private arm(): void {
    this.timer = startTimer(() => this.timeout(), this.rto);
  }

  private disarm(): void {
    if (this.timer !== undefined) stopTimer(this.timer);
    this.timer = undefined;
  }

  private timeout(): void {
    this.timer = undefined;
    if (this.state === 'closed') return;
    if (++this.retries > this.endpoint.maxRetries) {
      this.emitSegment(this.sndNxt, TCP_RST | TCP_ACK, new Uint8Array(0));
      this.close('timed out');
      return;
    }
    this.rto = Math.min(this.rto * 2, MAX_RTO_MS);
    if (this.state === 'syn-received') {
      this.endpoint.counters.retransmits++;
      this.sendSynAck();
      this.arm();
      return;
    }
    const inFlight = seqDiff(this.sndNxt, this.sndUna);
    if (inFlight === 0 && this.queued > 0 && this.sndWnd === 0) {
      // Window probe: one byte past the window; its ACK carries the window.
      this.probing = true;
      this.pump();
      if (this.timer === undefined) this.arm();
      return;
    }
    if (inFlight === 0) return;
    this.endpoint.counters.retransmits++;
    this.goBack();
    if (this.timer === undefined) this.arm();
  }

  private sendSynAck(): void {
    this.emitSegment(this.iss, TCP_SYN | TCP_ACK, new Uint8Array(0), this.endpoint.mss, this.peerScales);
  }

  private sendAck(): void {
    this.emitSegment(this.sndNxt, TCP_ACK, new Uint8Array(0));
  }

  private emitSegment(seq: number, flags: number, payload: Uint8Array, mss?: number, windowScale = false): void {
    this.send(this.endpoint.packet(this.localAddress, this.remoteAddress, {
      sourcePort: this.localPort, destinationPort: this.remotePort, sequence: seq, acknowledgment: this.rcvNxt,
      flags, window: this.endpoint.window, ...(mss === undefined ? {} : { mss }), ...(windowScale ? { windowScale: 0 } : {}),
    }, payload));
  }

  close(error?: string): void {
    if (!this.endpoint.has(this)) return;
    this.state = 'closed';
    this.disarm();
    this.queue = [];
    this.queued = 0;
    this.held.clear();
    this.endpoint.forget(this);
    this.onClose?.(error);
  }
}

/** The TCP stack: give it packets with receive(); it answers through the `reply` it is given. */
export class TcpEndpoint {
  readonly counters: TcpEndpointCounters = { accepted: 0, refused: 0, resets: 0, retransmits: 0, badChecksum: 0, outOfOrder: 0, bytesIn: 0, bytesOut: 0 };
  readonly maxConnections: number;
  readonly highWaterMark: number;
  readonly maxQueued: number;
  readonly window: number;
  readonly mss: number;
  readonly maxSendWindow: number;
  readonly initialRtoMs: number;
  readonly maxRetries: number;
  readonly isn: () => number;
  private readonly listening: { address: number; port: number }[];
  private readonly handler: StreamHandler;
  private readonly connections = new Map<string, Connection>();
  private nextIpId = 1;

  constructor(options: TcpEndpointOptions) {
    this.listening = options.listen.map((l) => ({ address: parseAddress(l.address), port: l.port }));
    this.handler = options.handler;
    this.maxConnections = options.maxConnections ?? 64;
    this.highWaterMark = options.highWaterMark ?? 256 * 1024;
    this.maxQueued = options.maxQueued ?? 4 * 1024 * 1024;
    this.window = Math.min(65535, options.window ?? 65535);
    this.mss = options.mss ?? 1460;
    this.maxSendWindow = options.maxSendWindow ?? 256 * 1024;
    this.initialRtoMs = options.initialRtoMs ?? 1000;
    this.maxRetries = options.maxRetries ?? 8;
    this.isn = options.isn ?? (() => Math.floor(Math.random() * 0x1_0000_0000));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Whether a packet is ours to answer: TCP to a listening address (any port: a closed one gets a RST). */
  claims(address: number, protocol: number): boolean {
    return protocol === IP_PROTOCOL_TCP && this.listening.some((l) => l.address === address);
  }

  /**
   * One IPv4 packet (header at 0, `header` read from it, total length checked by the caller)
   * addressed to claims(). Packets sent in answer go to `reply`, as whole IPv4 packets.
   */
  receive(packet: Uint8Array, header: Ipv4Header, reply: (packet: Uint8Array) => void): void {
    const end = header.totalLength;
    const at = header.headerLength;
    if (header.protocol !== IP_PROTOCOL_TCP || header.moreFragments || header.fragmentOffset !== 0) return;
    const tcp = readTcp(packet, at, end);
    if (isWireError(tcp)) return;
    if (onesComplementSum(packet, at, end, ipv4PseudoHeaderSum(header.source, header.destination, IP_PROTOCOL_TCP, end - at)) !== 0xffff) {
      this.counters.badChecksum++;
      return;
    }
    const segment: Segment = {
      seq: tcp.sequence, ack: tcp.acknowledgment, flags: tcp.flags, window: tcp.window, mss: tcp.mss, windowScale: tcp.windowScale,
      payload: packet.subarray(at + tcp.headerLength, end),
    };
    const key = `${header.source}:${tcp.sourcePort}>${header.destination}:${tcp.destinationPort}`;
    const existing = this.connections.get(key);
    if (existing !== undefined) { existing.receive(segment); return; }

    const listens = this.listening.some((l) => l.address === header.destination && l.port === tcp.destinationPort);
    const synOnly = (tcp.flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) === TCP_SYN;
    if (listens && synOnly && this.connections.size < this.maxConnections) {
      this.counters.accepted++;
      this.connections.set(key, new Connection(this, key, header.destination, tcp.destinationPort, header.source, tcp.sourcePort, segment, reply));
      return;
    }
    if (listens && synOnly) this.counters.refused++;
    // RFC 9293 §3.10.7.1: no connection, so a RST, unless this was one.
    if (tcp.flags & TCP_RST) return;
    this.counters.resets++;
    const spec = (tcp.flags & TCP_ACK)
      ? { sequence: tcp.acknowledgment, flags: TCP_RST }
      : { sequence: 0, acknowledgment: add(tcp.sequence, segment.payload.length + (tcp.flags & TCP_SYN ? 1 : 0) + (tcp.flags & TCP_FIN ? 1 : 0)), flags: TCP_RST | TCP_ACK };
    reply(this.packet(header.destination, header.source, { sourcePort: tcp.destinationPort, destinationPort: tcp.sourcePort, window: 0, ...spec }, new Uint8Array(0)));
  }

  /** Resets every connection (the service is going away). */
  close(): void {
    for (const connection of [...this.connections.values()]) connection.destroy();
  }

  /** @internal */
  established(connection: Connection): void {
    this.handler(connection);
  }

  /** @internal */
  has(connection: Connection): boolean {
    return this.connections.get(connection.key) === connection;
  }

  /** @internal */
  forget(connection: Connection): void {
    if (this.has(connection)) this.connections.delete(connection.key);
  }

  /** @internal An IPv4 packet carrying one TCP segment, checksums filled. */
  packet(source: number, destination: number, spec: Parameters<typeof buildTcp>[0], payload: Uint8Array): Uint8Array {
    const segment = buildTcp(spec, payload);
    setU16(segment, TCP_CHECKSUM, tcpChecksum(segment, 0, segment.length, source, destination));
    const packet = new Uint8Array(IPV4_MIN_HEADER_LENGTH + segment.length);
    writeIpv4(packet, 0, { source, destination, protocol: IP_PROTOCOL_TCP, dontFragment: true, identification: this.nextIpId++ & 0xffff }, segment.length);
    packet.set(segment, IPV4_MIN_HEADER_LENGTH);
    return packet;
  }
}
