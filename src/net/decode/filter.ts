// The capture view's filter: every given criterion must match (AND). Matching looks at every
// layer, so a pod IP matches whether it is the outer packet or inside a VXLAN/IP-in-IP tunnel.

import { cidrContains, formatIpv4, tryParseCidr, tryParseIpv4 } from '../addr.js';
import type { DecodedFrame, DecodedLayer } from './frame.js';

export interface FrameFilter {
  /** An IPv4/IPv6 address, a MAC, or an IPv4 CIDR such as "10.244.1.0/24". */
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
  if (wanted.includes('/')) {
    const cidr = tryParseCidr(wanted);
    if (cidr === undefined) return () => false;
    return (address) => {
      const value = tryParseIpv4(address);
      return value !== undefined && cidrContains(cidr, value);
    };
  }
  const asIpv4 = tryParseIpv4(wanted);
  const normalized = asIpv4 === undefined ? wanted.replace(/-/g, ':') : formatIpv4(asIpv4);
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
