// ARP cache plus the queue of packets waiting for a next hop to resolve. Both are bounded:
// a scan of a /16 must not let the router hold unbounded entries or packets.

import { formatIpv4, formatMac } from './addr.js';
import type { TimerHandle } from './host.js';

export interface NeighborView {
  readonly address: string;
  readonly mac: string;
  readonly interface: string;
  readonly ageMs: number;
}

interface Neighbor {
  mac: Uint8Array;
  interfaceName: string;
  learnedAt: number;
}

export class NeighborCache {
  private readonly entries = new Map<number, Neighbor>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(ttlMs: number, maxEntries: number, now: () => number) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
    this.now = now;
  }

  lookup(address: number): Uint8Array | undefined {
    const entry = this.entries.get(address);
    if (entry === undefined) return undefined;
    if (this.now() - entry.learnedAt > this.ttlMs) {
      this.entries.delete(address);
      return undefined;
    }
    return entry.mac;
  }

  has(address: number): boolean {
    return this.lookup(address) !== undefined;
  }

  /** Copies the MAC: it usually points into a frame we are about to hand on. */
  learn(address: number, mac: Uint8Array, interfaceName: string): void {
    this.entries.delete(address);
    if (this.entries.size >= this.maxEntries) {
      for (const oldest of this.entries.keys()) {
        this.entries.delete(oldest);
        break;
      }
    }
    this.entries.set(address, { mac: mac.slice(0, 6), interfaceName, learnedAt: this.now() });
  }

  view(): NeighborView[] {
    const now = this.now();
    return [...this.entries]
      .filter(([, n]) => now - n.learnedAt <= this.ttlMs)
      .map(([address, n]) => ({
        address: formatIpv4(address),
        mac: formatMac(n.mac),
        interface: n.interfaceName,
        ageMs: now - n.learnedAt,
      }));
  }
}

/** Packets parked until their next hop answers ARP. */
export interface PendingResolution {
  readonly interfaceName: string;
  readonly frames: Uint8Array[];
  attempts: number;
  timer: TimerHandle | undefined;
}
