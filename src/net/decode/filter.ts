// The capture view's filter: every given criterion must match (AND). Matching looks at every
// layer, so a pod IP matches whether it is the outer packet or inside a VXLAN/IP-in-IP tunnel.

import { formatIpv4, formatIpv6, ipInCidr, tryParseIpv4, tryParseIpv6 } from '../addr.js';
import type { DecodedFrame, DecodedLayer } from './frame.js';

export interface FrameFilter {
  /** An IPv4/IPv6 address (in any spelling), a MAC, or a CIDR of either family such as "10.244.1.0/24" or "fd00:10:244:1::/64". */
  host?: string;
  /** A layer name ("tcp", "dns", "vxlan", ...) or an alias: ip, eth, ipip, vlan, ping. */
  protocol?: string;
  vni?: number;
}

function addressesOf(layer: DecodedLayer): string[] {
  switch (layer.protocol) {
    case 'ethernet':
      return [layer.source, layer.destination];
    case 'arp':
      return [layer.senderIp, layer.targetIp, layer.senderMac, layer.targetMac];
    case 'ipv4':
    case 'ipv6':
      return [layer.source, layer.destination];
    default:
      return [];
  }
}

function hostMatcher(host: string): (address: string) => boolean {
  const wanted = host.trim().toLowerCase();
  if (wanted.includes('/')) return (address) => ipInCidr(address, wanted);
  const asIpv4 = tryParseIpv4(wanted);
  const asIpv6 = asIpv4 === undefined ? tryParseIpv6(wanted) : undefined;
  const normalized = asIpv4 !== undefined ? formatIpv4(asIpv4) : asIpv6 !== undefined ? formatIpv6(asIpv6) : wanted.replace(/-/g, ':');
  return (address) => address === normalized;
}

function protocolMatches(frame: DecodedFrame, wanted: string): boolean {
  const name = wanted.trim().toLowerCase();
  const layers = frame.layers;
  switch (name) {
    case 'ip':
      return layers.some((l) => l.protocol === 'ipv4');
    case 'eth':
      return layers.some((l) => l.protocol === 'ethernet');
    case 'ipip':
      return layers.some((l) => l.protocol === 'ipv4' && l.ipProtocol === 4);
    case 'vlan':
      return layers.some((l) => l.protocol === 'ethernet' && l.vlanTags.length > 0);
    case 'ping':
      return layers.some((l) => (l.protocol === 'icmp' || l.protocol === 'icmpv6') && l.identifier !== undefined);
    default:
      return layers.some((l) => l.protocol === name);
  }
}

export function matchesFilter(frame: DecodedFrame, filter: FrameFilter): boolean {
  if (filter.protocol !== undefined && filter.protocol.trim() !== '' && !protocolMatches(frame, filter.protocol)) return false;
  if (filter.vni !== undefined && !frame.layers.some((l) => l.protocol === 'vxlan' && l.vni === filter.vni)) return false;
  if (filter.host !== undefined && filter.host.trim() !== '') {
    const matches = hostMatcher(filter.host);
    if (!frame.layers.some((layer) => addressesOf(layer).some(matches))) return false;
  }
  return true;
}
