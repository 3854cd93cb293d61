// Longest-prefix-match table. A lab router has tens of routes, so a sorted array scanned
// linearly is both fastest in practice and easy to show in the UI.

import { formatCidr, formatIpv4, prefixMask } from './addr.js';

export interface Route {
  readonly destination: number;
  readonly prefixLength: number;
  readonly mask: number;
  /** Next-hop gateway; undefined for a connected subnet (the destination itself is the next hop). */
  readonly via: number | undefined;
  /** Interface for connected routes; static routes find theirs through the gateway's subnet. */
  readonly interfaceName: string | undefined;
  readonly kind: 'connected' | 'static';
}

export interface RouteView {
  readonly destination: string;
  readonly via?: string;
  readonly interface?: string;
  readonly kind: 'connected' | 'static';
}

export class RoutingTable {
  private sorted: Route[] = [];

  add(route: Omit<Route, 'mask' | 'destination'> & { destination: number }): Route {
    const mask = prefixMask(route.prefixLength);
    const entry: Route = { ...route, destination: (route.destination & mask) >>> 0, mask };
    this.remove(entry.destination, entry.prefixLength, entry.kind);
    this.sorted.push(entry);
    // Longest prefix first; on a tie a connected route beats a static one, as with Linux metrics.
    this.sorted.sort(
      (x, y) => y.prefixLength - x.prefixLength || Number(x.kind === 'static') - Number(y.kind === 'static'),
    );
    return entry;
  }

  remove(destination: number, prefixLength: number, kind: Route['kind']): boolean {
    const mask = prefixMask(prefixLength);
    const before = this.sorted.length;
    this.sorted = this.sorted.filter(
      (r) => !(r.destination === ((destination & mask) >>> 0) && r.prefixLength === prefixLength && r.kind === kind),
    );
    return this.sorted.length !== before;
  }

  /** The most specific route covering address that `usable` accepts (e.g. whose gateway is reachable). */
  lookup(address: number, usable: (route: Route) => boolean = () => true): Route | undefined {
    for (const route of this.sorted) {
      if (((address & route.mask) >>> 0) === route.destination && usable(route)) return route;
    }
    return undefined;
  }

  get routes(): readonly Route[] {
    return this.sorted;
  }

  view(): RouteView[] {
    return this.sorted.map((r) => ({
      destination: formatCidr({ address: r.destination, prefixLength: r.prefixLength }),
      kind: r.kind,
      ...(r.via === undefined ? {} : { via: formatIpv4(r.via) }),
      ...(r.interfaceName === undefined ? {} : { interface: r.interfaceName }),
    }));
  }
}
