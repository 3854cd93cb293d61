// A cable between two ports with the properties worth teaching: up/down, latency, loss, MTU,
// and capture. Zero latency delivers synchronously; otherwise a per-direction delay line keeps order.

import type { CaptureRing } from './capture.js';
import { monotonicMs, startTimer, stopTimer, type TimerHandle } from './host.js';
import type { FramePort, WiredPort } from './ports.js';

export interface LinkOptions {
  name?: string;
  up?: boolean;
  latencyMs?: number;
  /** Probability in [0, 1] that a frame is lost. */
  lossProbability?: number;
  /** Uniform [0, 1); injectable so loss is deterministic in tests. */
  random?: () => number;
  /** Largest L3 payload carried (Ethernet header and one 802.1Q tag do not count). */
  mtu?: number;
  /** Drop IPv4 fragments, as some real networks do (firewalls, cloud fabrics, NAT). */
  dropFragments?: boolean;
  /** Frames in flight per direction before the link tail-drops, like a qdisc limit. */
  maxQueuedFrames?: number;
  capture?: CaptureRing;
  now?: () => number;
}

export interface LinkDirectionCounters {
  deliveredFrames: number;
  deliveredBytes: number;
  /** Sum of the reasons below. */
  drops: number;
  downDrops: number;
  mtuDrops: number;
  /** IPv4 fragments, on a link that drops them. */
  fragmentDrops: number;
  lossDrops: number;
  queueDrops: number;
  malformedDrops: number;
}

function newCounters(): LinkDirectionCounters {
  return {
    deliveredFrames: 0,
    deliveredBytes: 0,
    drops: 0,
    downDrops: 0,
    mtuDrops: 0,
    fragmentDrops: 0,
    lossDrops: 0,
    queueDrops: 0,
    malformedDrops: 0,
  };
}

type DropReason = 'downDrops' | 'mtuDrops' | 'fragmentDrops' | 'lossDrops' | 'queueDrops' | 'malformedDrops';

/** An IPv4 packet with More Fragments set or a non-zero fragment offset. */
function isIpv4Fragment(frame: Uint8Array, l3: number): boolean {
  if (frame[l3 - 2] !== 0x08 || frame[l3 - 1] !== 0x00 || frame.length < l3 + 8) return false;
  return ((frame[l3 + 6]! & 0x3f) | frame[l3 + 7]!) !== 0;
}

/** One direction of the cable: frames enter here and leave at `receiver`. */
class LinkDirection implements FramePort {
  readonly name: string;
  readonly counters = newCounters();
  private readonly link: Link;
  private readonly receiver: FramePort;
  private readonly sender: string;
  // Delay line as parallel arrays with a moving head, compacted lazily, to avoid per-frame objects.
  private queuedFrames: Uint8Array[] = [];
  private queuedDueAt: number[] = [];
  private head = 0;
  private timer: TimerHandle | undefined;

  constructor(link: Link, sender: string, receiver: FramePort) {
    this.link = link;
    this.receiver = receiver;
    this.name = `${link.name}:${sender}->${receiver.name}`;
    this.sender = sender;
  }

  get queued(): number {
    return this.queuedFrames.length - this.head;
  }

  deliver(frame: Uint8Array): void {
    const link = this.link;
    if (!link.up) return this.drop('downDrops');
    if (frame.length < 14) return this.drop('malformedDrops');
    const tagged = frame[12] === 0x81 && frame[13] === 0x00;
    if (frame.length - 14 - (tagged ? 4 : 0) > link.mtu) return this.drop('mtuDrops');
    if (link.dropFragments && isIpv4Fragment(frame, tagged ? 18 : 14)) return this.drop('fragmentDrops');
    link.capture?.record(link.name, frame, this.sender, this.receiver.name);
    if (link.lossProbability > 0 && link.random() < link.lossProbability) return this.drop('lossDrops');

    if (link.latencyMs <= 0 && this.queued === 0) return this.handOver(frame);
    if (this.queued >= link.maxQueuedFrames) return this.drop('queueDrops');
    const now = link.now();
    const lastDue = this.queued > 0 ? this.queuedDueAt[this.queuedDueAt.length - 1]! : -Infinity;
    // Never earlier than the frame ahead of it: lowering latency must not reorder the wire.
    this.queuedFrames.push(frame);
    this.queuedDueAt.push(Math.max(now + link.latencyMs, lastDue));
    if (this.timer === undefined) this.arm(now);
  }

  /** Drops everything in flight, as unplugging a cable would. */
  discardInFlight(reason: DropReason): void {
    const lost = this.queued;
    this.counters[reason] += lost;
    this.counters.drops += lost;
    this.resetQueue();
  }

  private handOver(frame: Uint8Array): void {
    this.counters.deliveredFrames++;
    this.counters.deliveredBytes += frame.length;
    this.receiver.deliver(frame);
  }

  private drop(reason: DropReason): void {
    this.counters[reason]++;
    this.counters.drops++;
  }

  private arm(now: number): void {
    const due = this.queuedDueAt[this.head]!;
    this.timer = startTimer(() => this.drain(), Math.max(0, due - now));
  }

  private drain(): void {
    this.timer = undefined;
    try {
      // Timers may fire a hair early against a sub-millisecond clock; half a millisecond is "due".
      while (this.queued > 0 && this.queuedDueAt[this.head]! <= this.link.now() + 0.5) {
        const frame = this.queuedFrames[this.head]!;
        this.head++;
        this.handOver(frame);
      }
    } finally {
      if (this.queued === 0) this.resetQueue();
      else {
        if (this.head > 1024 && this.head * 2 > this.queuedFrames.length) this.compact();
        if (this.timer === undefined) this.arm(this.link.now());
      }
    }
  }

  private compact(): void {
    this.queuedFrames = this.queuedFrames.slice(this.head);
    this.queuedDueAt = this.queuedDueAt.slice(this.head);
    this.head = 0;
  }

  private resetQueue(): void {
    if (this.timer !== undefined) stopTimer(this.timer);
    this.timer = undefined;
    this.queuedFrames = [];
    this.queuedDueAt = [];
    this.head = 0;
  }
}

export class Link {
  readonly name: string;
  latencyMs: number;
  lossProbability: number;
  mtu: number;
  dropFragments: boolean;
  readonly maxQueuedFrames: number;
  capture: CaptureRing | undefined;
  readonly random: () => number;
  readonly now: () => number;
  /** Hand frames that side A transmits to this port; they come out at B. */
  readonly fromA: FramePort;
  /** Hand frames that side B transmits to this port; they come out at A. */
  readonly fromB: FramePort;
  private readonly aToB: LinkDirection;
  private readonly bToA: LinkDirection;
  private isUp: boolean;

  constructor(a: FramePort, b: FramePort, options: LinkOptions = {}) {
    this.name = options.name ?? `${a.name}--${b.name}`;
    this.isUp = options.up ?? true;
    this.latencyMs = options.latencyMs ?? 0;
    this.lossProbability = options.lossProbability ?? 0;
    this.mtu = options.mtu ?? 1500;
    this.dropFragments = options.dropFragments ?? false;
    this.maxQueuedFrames = options.maxQueuedFrames ?? 10_000;
    this.capture = options.capture;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? monotonicMs;
    this.aToB = new LinkDirection(this, a.name, b);
    this.bToA = new LinkDirection(this, b.name, a);
    this.fromA = this.aToB;
    this.fromB = this.bToA;
  }

  /** Builds the link and plugs both devices into it. */
  static between(a: WiredPort, b: WiredPort, options: LinkOptions = {}): Link {
    const link = new Link(a, b, options);
    a.connect(link.fromA);
    b.connect(link.fromB);
    return link;
  }

  get up(): boolean {
    return this.isUp;
  }

  set up(value: boolean) {
    this.isUp = value;
    if (!value) {
      this.aToB.discardInFlight('downDrops');
      this.bToA.discardInFlight('downDrops');
    }
  }

  get counters(): { readonly aToB: LinkDirectionCounters; readonly bToA: LinkDirectionCounters } {
    return { aToB: this.aToB.counters, bToA: this.bToA.counters };
  }

  /** Frames currently delayed in each direction. */
  get inFlight(): { readonly aToB: number; readonly bToA: number } {
    return { aToB: this.aToB.queued, bToA: this.bToA.queued };
  }

  /** Cancels timers and drops anything in flight; the link stays usable. */
  close(): void {
    this.aToB.discardInFlight('downDrops');
    this.bToA.discardInFlight('downDrops');
  }
}
