// A bounded ring of captured frames. Bounded by count AND bytes because a lab left capturing
// overnight must not grow memory: the oldest frames are evicted first, like a tcpdump ring.
// Every frame gets the next sequence number of its ring, so a reader keeps a cursor and asks
// for what came `since` it: readers never clear a ring, and several can read one at a time.

import { wallClockMicros } from './host.js';

/** A frame as a capture file holds it (what pcapng and pcap read and write). */
export interface PacketRecord {
  /** Microseconds since the Unix epoch. */
  readonly timestampMicros: number;
  /** Becomes the pcapng interface (if_name): the link's name for captured frames. */
  readonly interfaceName: string;
  /** A private copy: live frames are handed on (and possibly transferred) after capture. */
  readonly bytes: Uint8Array;
  /** Length on the wire; larger than bytes.length when snapLength truncated the copy. */
  readonly originalLength: number;
  /** Free text shown by Wireshark as a packet comment (kept from a file that had one). */
  readonly comment?: string;
}

/** A frame a ring captured: numbered, and where it was seen, as data. */
export interface CapturedFrame extends PacketRecord {
  /** 1, 2, 3... per ring; never reused, not even after eviction. */
  readonly seq: number;
  /** The link (or switch port) it crossed. */
  readonly link: string;
  /** The device that sent it into the link, and the one it went to. */
  readonly from: string;
  readonly to: string;
}

/** Where a reader is in every ring: link name → the last sequence number it has seen. */
export type CaptureCursor = Record<string, number>;

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
  private lastSeq = 0;
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

  /** The sequence number of the newest frame recorded (0 before the first): a cursor for `since`. */
  get seq(): number {
    return this.lastSeq;
  }

  record(link: string, frame: Uint8Array, from: string, to: string): void {
    if (!this.enabled) return;
    const kept = Math.min(frame.length, this.snapLength);
    if (kept > this.maxBytes) {
      this.evicted++;
      return;
    }
    // Numbered only when kept, so the frames held always have consecutive numbers.
    const seq = ++this.lastSeq;
    while (this.count === this.maxFrames || this.bytesHeld + kept > this.maxBytes) this.evictOldest();
    const record: CapturedFrame = {
      seq,
      timestampMicros: this.nowMicros(),
      link,
      from,
      to,
      interfaceName: link,
      bytes: frame.slice(0, kept),
      originalLength: frame.length,
    };
    this.slots[(this.head + this.count) % this.maxFrames] = record;
    this.count++;
    this.bytesHeld += kept;
  }

  /** Oldest first. */
  frames(): CapturedFrame[] {
    return this.since(0);
  }

  /** The frames recorded after sequence number `seq` that are still held, oldest first. */
  since(seq: number): CapturedFrame[] {
    const out: CapturedFrame[] = [];
    // Sequence numbers grow by one per slot, so the first newer frame is found by arithmetic, not by a scan.
    const oldest = this.count ? this.slots[this.head]!.seq : this.lastSeq + 1;
    const skip = Math.max(0, Math.min(this.count, seq - oldest + 1));
    for (let i = skip; i < this.count; i++) {
      const frame = this.slots[(this.head + i) % this.maxFrames]!;
      if (frame.seq > seq) out.push(frame);
    }
    return out;
  }

  /** Forget the frames held; sequence numbers go on, so cursors stay valid. */
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

/** Where every ring is now. */
export function cursorOf(rings: ReadonlyMap<string, CaptureRing>): CaptureCursor {
  const cursor: CaptureCursor = {};
  for (const [name, ring] of rings) cursor[name] = ring.seq;
  return cursor;
}

/** Every ring's frames after the cursor (all of a ring the cursor does not know), oldest first across rings. */
export function framesSince(rings: ReadonlyMap<string, CaptureRing>, cursor: CaptureCursor): CapturedFrame[] {
  const frames: CapturedFrame[] = [];
  for (const [name, ring] of rings) frames.push(...ring.since(cursor[name] ?? 0));
  return frames.sort((a, b) => a.timestampMicros - b.timestampMicros || a.seq - b.seq);
}
