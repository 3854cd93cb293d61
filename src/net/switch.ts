// An L2 learning switch. Hot path (known unicast) does no allocation: MACs become 48-bit
// numbers read straight from the frame, and the MAC table is a Map<number, entry>.

import type { CaptureRing } from './capture.js';
import { macKey, macKeyToString } from './addr.js';
import * as ethernet from './wire/ethernet.js';

// Module-local copies: the forwarding loop reads them per frame, and imported bindings cost more.
const { ETH_DESTINATION, ETH_HEADER_LENGTH, ETH_SOURCE } = ethernet;
import { monotonicMs } from './host.js';
import type { FramePort, WiredPort } from './ports.js';

export interface PortCounters {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Every received frame that was forwarded nowhere, whatever the reason below. */
  drops: number;
  /** Shorter than an Ethernet header, longer than maxFrameBytes, or a multicast source MAC. */
  malformedDrops: number;
  /** Flood budget exhausted, or re-entered too deeply: the signature of a bridge loop. */
  stormDrops: number;
  /** Destination lives on the port it came from, so there is nowhere to send it. */
  filteredDrops: number;
}

export interface StormLimit {
  /** Flooded frames per second each ingress port may cause. */
  floodsPerSecond: number;
  /** Bucket depth: how many floods may burst before the rate applies. */
  burst: number;
}

export interface LearningSwitchOptions {
  name?: string;
  /** Entries unseen for this long are forgotten (Linux bridge default: 300 s). */
  macAgingMs?: number;
  /** MAC table bound; when full the least recently refreshed entry is evicted. */
  maxMacEntries?: number;
  maxFrameBytes?: number;
  /** null disables storm protection (not recommended outside benchmarks). */
  stormLimit?: StormLimit | null;
  /** Synchronous re-entry depth allowed before frames are treated as looping. */
  maxReentryDepth?: number;
  now?: () => number;
  /** Records every frame received on any port, named "<switch>/<port>". */
  capture?: CaptureRing;
}

export interface MacTableEntry {
  readonly mac: string;
  readonly port: string;
  readonly ageMs: number;
}

interface LearnedMac {
  port: SwitchPort;
  lastSeen: number;
}

type IngressHandler = (port: SwitchPort, frame: Uint8Array) => void;

export class SwitchPort implements WiredPort {
  readonly name: string;
  readonly counters: PortCounters = {
    rxFrames: 0,
    rxBytes: 0,
    txFrames: 0,
    txBytes: 0,
    drops: 0,
    malformedDrops: 0,
    stormDrops: 0,
    filteredDrops: 0,
  };
  /** Where frames leaving the switch through this port go. */
  peer: FramePort | null = null;
  floodTokens: number;
  floodTokensUpdatedAt: number;
  readonly captureName: string;
  private readonly ingress: IngressHandler;

  constructor(name: string, switchName: string, ingress: IngressHandler, initialTokens: number, now: number) {
    this.name = name;
    this.captureName = `${switchName}/${name}`;
    this.ingress = ingress;
    this.floodTokens = initialTokens;
    this.floodTokensUpdatedAt = now;
  }

  /** A frame arriving from the wire into the switch. */
  deliver(frame: Uint8Array): void {
    this.ingress(this, frame);
  }

  connect(peer: FramePort | null): void {
    this.peer = peer;
  }
}

const DEFAULT_STORM_LIMIT: StormLimit = { floodsPerSecond: 5_000, burst: 500 };

export class LearningSwitch {
  readonly name: string;
  readonly macAgingMs: number;
  readonly maxMacEntries: number;
  readonly maxFrameBytes: number;
  readonly stormLimit: StormLimit | null;
  readonly maxReentryDepth: number;
  capture: CaptureRing | undefined;
  /** Entries pushed out because the table was full (a MAC flood shows up here). */
  macEvictions = 0;
  /** A known MAC seen on a different port than before. */
  macMoves = 0;

  private readonly now: () => number;
  private readonly portList: SwitchPort[] = [];
  // Insertion order approximates last-seen order (entries are re-inserted when refreshed after
  // refreshGranularityMs), so the first entry is the eviction victim and aging sweeps stop early.
  private readonly table = new Map<number, LearnedMac>();
  private readonly refreshGranularityMs: number;
  private readonly floodTokensPerMs: number;
  private depth = 0;
  private readonly handleIngress: IngressHandler = (port, frame) => this.receive(port, frame);

  constructor(options: LearningSwitchOptions = {}) {
    this.name = options.name ?? 'switch';
    this.macAgingMs = options.macAgingMs ?? 300_000;
    this.maxMacEntries = Math.max(1, Math.floor(options.maxMacEntries ?? 4096));
    this.maxFrameBytes = options.maxFrameBytes ?? 65_550;
    this.stormLimit = options.stormLimit === undefined ? DEFAULT_STORM_LIMIT : options.stormLimit;
    this.maxReentryDepth = options.maxReentryDepth ?? 32;
    this.now = options.now ?? monotonicMs;
    this.capture = options.capture;
    this.refreshGranularityMs = Math.min(1000, this.macAgingMs / 16);
    this.floodTokensPerMs = (this.stormLimit?.floodsPerSecond ?? 0) / 1000;
  }

  get ports(): readonly SwitchPort[] {
    return this.portList;
  }

  get macTableSize(): number {
    return this.table.size;
  }

  addPort(name = `port${this.portList.length}`): SwitchPort {
    if (this.portList.some((p) => p.name === name)) throw new Error(`${this.name}: duplicate port name ${name}`);
    const port = new SwitchPort(name, this.name, this.handleIngress, this.stormLimit?.burst ?? 0, this.now());
    this.portList.push(port);
    return port;
  }

  /** Unplugs a port and forgets every MAC learned on it. */
  removePort(port: SwitchPort): void {
    const index = this.portList.indexOf(port);
    if (index < 0) return;
    this.portList.splice(index, 1);
    port.peer = null;
    for (const [key, entry] of this.table) if (entry.port === port) this.table.delete(key);
  }

  port(name: string): SwitchPort | undefined {
    return this.portList.find((p) => p.name === name);
  }

  flushMacTable(): void {
    this.table.clear();
  }

  macTable(): MacTableEntry[] {
    const now = this.now();
    this.sweepExpired(now);
    const entries: MacTableEntry[] = [];
    for (const [key, entry] of this.table) {
      if (now - entry.lastSeen > this.macAgingMs) continue;
      entries.push({ mac: macKeyToString(key), port: entry.port.name, ageMs: now - entry.lastSeen });
    }
    return entries;
  }

  private receive(ingress: SwitchPort, frame: Uint8Array): void {
    const length = frame.length;
    const counters = ingress.counters;
    counters.rxFrames++;
    counters.rxBytes += length;
    // A multicast source MAC is invalid; learning it would poison the table.
    if (length < ETH_HEADER_LENGTH || length > this.maxFrameBytes || (frame[ETH_SOURCE]! & 1) !== 0) {
      counters.malformedDrops++;
      counters.drops++;
      return;
    }
    if (this.depth >= this.maxReentryDepth) {
      counters.stormDrops++;
      counters.drops++;
      return;
    }
    if (this.capture !== undefined) this.capture.record(ingress.captureName, frame, ingress.name, this.name);

    const now = this.now();
    this.learn(macKey(frame, ETH_SOURCE), ingress, now);

    if ((frame[ETH_DESTINATION]! & 1) === 0) {
      const dstKey = macKey(frame, ETH_DESTINATION);
      const entry = this.table.get(dstKey);
      if (entry !== undefined) {
        if (now - entry.lastSeen <= this.macAgingMs) {
          const egress = entry.port;
          if (egress === ingress) {
            counters.filteredDrops++;
            counters.drops++;
            return;
          }
          this.transmit(egress, frame);
          return;
        }
        this.table.delete(dstKey);
      }
    }
    this.flood(ingress, frame, now);
  }

  private transmit(egress: SwitchPort, frame: Uint8Array): void {
    const peer = egress.peer;
    if (peer === null) return;
    egress.counters.txFrames++;
    egress.counters.txBytes += frame.length;
    this.depth++;
    try {
      peer.deliver(frame);
    } finally {
      this.depth--;
    }
  }

  private flood(ingress: SwitchPort, frame: Uint8Array, now: number): void {
    if (!this.takeFloodToken(ingress, now)) {
      ingress.counters.stormDrops++;
      ingress.counters.drops++;
      return;
    }
    let last: SwitchPort | undefined;
    for (const port of this.portList) {
      if (port === ingress || port.peer === null) continue;
      // Each receiver owns what it is given, so all but the last get their own copy.
      if (last !== undefined) this.transmit(last, frame.slice());
      last = port;
    }
    if (last !== undefined) this.transmit(last, frame);
  }

  private takeFloodToken(port: SwitchPort, now: number): boolean {
    const limit = this.stormLimit;
    if (limit === null) return true;
    const elapsed = now - port.floodTokensUpdatedAt;
    if (elapsed > 0) {
      port.floodTokens = Math.min(limit.burst, port.floodTokens + elapsed * this.floodTokensPerMs);
      port.floodTokensUpdatedAt = now;
    }
    if (port.floodTokens < 1) return false;
    port.floodTokens -= 1;
    return true;
  }

  private learn(key: number, port: SwitchPort, now: number): void {
    const table = this.table;
    const entry = table.get(key);
    if (entry !== undefined) {
      if (entry.port !== port) {
        entry.port = port;
        this.macMoves++;
      }
      if (now - entry.lastSeen >= this.refreshGranularityMs) {
        table.delete(key);
        table.set(key, entry);
      }
      entry.lastSeen = now;
      return;
    }
    this.sweepExpired(now);
    if (table.size >= this.maxMacEntries) {
      for (const oldest of table.keys()) {
        table.delete(oldest);
        this.macEvictions++;
        break;
      }
    }
    table.set(key, { port, lastSeen: now });
  }

  /** Drops expired entries from the old end; stops at the first live one, so it is usually O(1). */
  private sweepExpired(now: number): void {
    for (const [key, entry] of this.table) {
      if (now - entry.lastSeen <= this.macAgingMs) return;
      this.table.delete(key);
    }
  }
}
