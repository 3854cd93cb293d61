// A bounded ring of captured frames. Bounded by count AND bytes because a lab left capturing
// overnight must not grow memory: the oldest frames are evicted first, like a tcpdump ring.

import { wallClockMicros } from './host.js';

export interface CapturedFrame {
  /** Microseconds since the Unix epoch. */
  readonly timestampMicros: number;
  /** Link or switch-port name; becomes the pcapng interface (if_name). */
  readonly interfaceName: string;
  /** A private copy: live frames are handed on (and possibly transferred) after capture. */
  readonly bytes: Uint8Array;
  /** Length on the wire; larger than bytes.length when snapLength truncated the copy. */
  readonly originalLength: number;
  /** Free text shown by Wireshark as a packet comment, e.g. the direction on a link. */
  readonly comment?: string;
}

export interface CaptureRingOptions {
  maxFrames?: number;
  maxBytes?: number;
  /** Bytes kept per frame, like tcpdump -s. */
  snapLength?: number;
  nowMicros?: () => number;
}

export class CaptureRing {
  readonly maxFrames: number;
  readonly maxBytes: number;
  readonly snapLength: number;
  private readonly nowMicros: () => number;
  private readonly slots: (CapturedFrame | undefined)[];
  private head = 0;
  private count = 0;
  private bytesHeld = 0;
  /** Frames pushed out by newer ones (or too large to keep at all). */
  evicted = 0;
  enabled = true;

  constructor(options: CaptureRingOptions = {}) {
    this.maxFrames = Math.max(1, Math.floor(options.maxFrames ?? 10_000));
    this.maxBytes = Math.max(1, Math.floor(options.maxBytes ?? 16 * 1024 * 1024));
    this.snapLength = Math.max(1, Math.floor(options.snapLength ?? 65_535));
    this.nowMicros = options.nowMicros ?? wallClockMicros;
    this.slots = new Array<CapturedFrame | undefined>(this.maxFrames);
  }

  get size(): number {
    return this.count;
  }

  get totalBytes(): number {
    return this.bytesHeld;
  }

  record(interfaceName: string, frame: Uint8Array, comment?: string): void {
    if (!this.enabled) return;
    const kept = Math.min(frame.length, this.snapLength);
    if (kept > this.maxBytes) {
      this.evicted++;
      return;
    }
    while (this.count === this.maxFrames || this.bytesHeld + kept > this.maxBytes) this.evictOldest();
    const record: CapturedFrame = {
      timestampMicros: this.nowMicros(),
      interfaceName,
      bytes: frame.slice(0, kept),
      originalLength: frame.length,
      ...(comment === undefined ? {} : { comment }),
    };
    this.slots[(this.head + this.count) % this.maxFrames] = record;
    this.count++;
    this.bytesHeld += kept;
  }

  /** Oldest first. */
  frames(): CapturedFrame[] {
    const out: CapturedFrame[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.slots[(this.head + i) % this.maxFrames]!);
    return out;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.bytesHeld = 0;
  }

  private evictOldest(): void {
    const oldest = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.maxFrames;
    this.count--;
    this.bytesHeld -= oldest?.bytes.length ?? 0;
    this.evicted++;
  }
}
