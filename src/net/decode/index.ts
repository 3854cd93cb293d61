// decodeFrame walks the layers outermost first, choosing each next decoder from the previous
// layer's fields (EtherType, IP protocol, UDP port). Tunnels simply restart the walk.

import { decodeArp, type ArpLayer } from './arp.js';
import { decodeDns, type DnsLayer } from './dns.js';
import { decodeEthernet, type EthernetLayer } from './ethernet.js';
import { decodeIcmp, type IcmpLayer } from './icmp.js';
import { decodeIcmpv6, type Icmpv6Layer } from './icmpv6.js';
import { decodeIpv4, ipProtocolName, type Ipv4Layer } from './ipv4.js';
import { decodeIpv6, type Ipv6Layer } from './ipv6.js';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  IP_PROTOCOL_ICMP,
  IP_PROTOCOL_ICMPV6,
  IP_PROTOCOL_IPIP,
  IP_PROTOCOL_IPV6,
  IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
  UDP_PORT_DNS,
  UDP_PORT_FLANNEL,
  UDP_PORT_MDNS,
} from '../wire/index.js';
import { hexToBytes } from './read.js';
import { decodeTcp, type TcpLayer } from './tcp.js';
import type { DecodedFrame, DecodedLayer, LayerOf } from './frame.js';
import type { DataLayer, LayerBase, MalformedLayer, ProtocolName } from './types.js';
import { decodeUdp, type UdpLayer } from './udp.js';
import { decodeVxlan, VXLAN_PORTS, type VxlanLayer } from './vxlan.js';

export type { DecodedFrame, DecodedLayer, LayerOf } from './frame.js';

/** Tunnels inside tunnels are legal; garbage that keeps "looking like" one must still stop. */
const MAX_LAYERS = 24;
const DNS_PORTS = new Set([UDP_PORT_DNS, UDP_PORT_MDNS]);

type Step = { readonly decode: ProtocolName; readonly offset: number; readonly end: number; readonly truncated?: boolean };

function decodeStep(bytes: Uint8Array, step: Step): DecodedLayer {
  const { offset, end } = step;
  switch (step.decode) {
    case 'ethernet':
      return decodeEthernet(bytes, offset, end);
    case 'arp':
      return decodeArp(bytes, offset, end);
    case 'ipv4':
      return decodeIpv4(bytes, offset, end);
    case 'ipv6':
      return decodeIpv6(bytes, offset, end);
    case 'icmp':
      return decodeIcmp(bytes, offset, end, step.truncated ?? false);
    case 'icmpv6':
      return decodeIcmpv6(bytes, offset, end);
    case 'udp':
      return decodeUdp(bytes, offset, end);
    case 'tcp':
      return decodeTcp(bytes, offset, end);
    case 'dns':
      return decodeDns(bytes, offset, end, false);
    case 'vxlan':
      return decodeVxlan(bytes, offset, end);
    default:
      return dataLayer(offset, end);
  }
}

function dataLayer(offset: number, end: number): DataLayer {
  const length = Math.max(0, end - offset);
  return { protocol: 'data', offset, headerLength: length, length, summary: `Data (${length} bytes)` };
}

function byIpProtocol(ipProtocol: number, offset: number, end: number, truncated: boolean): Step {
  const decode: ProtocolName =
    ipProtocol === IP_PROTOCOL_ICMP ? 'icmp'
    : ipProtocol === IP_PROTOCOL_IPIP ? 'ipv4'
    : ipProtocol === IP_PROTOCOL_TCP ? 'tcp'
    : ipProtocol === IP_PROTOCOL_UDP ? 'udp'
    : ipProtocol === IP_PROTOCOL_IPV6 ? 'ipv6'
    : ipProtocol === IP_PROTOCOL_ICMPV6 ? 'icmpv6'
    : 'data';
  return { decode, offset, end, truncated };
}

/** Version 4 and a header length of at least 20 bytes, in the first byte of what may be an IPv4 packet. */
function startsLikeIpv4(bytes: Uint8Array, offset: number, end: number): boolean {
  const first = offset < end ? bytes[offset] : undefined;
  return first !== undefined && first >> 4 === 4 && (first & 0x0f) >= 5;
}

/** What follows a layer, or undefined when the frame ends here. */
function nextStep(layer: DecodedLayer, bytes: Uint8Array): Step | undefined {
  switch (layer.protocol) {
    case 'ethernet': {
      const { payloadOffset: offset, payloadEnd: end } = layer;
      if (layer.etherType === ETHERTYPE_IPV4) return { decode: 'ipv4', offset, end };
      if (layer.etherType === ETHERTYPE_ARP) return { decode: 'arp', offset, end };
      if (layer.etherType === ETHERTYPE_IPV6) return { decode: 'ipv6', offset, end };
      return { decode: 'data', offset, end };
    }
    case 'ipv4':
      // Only the first fragment carries the transport header.
      if (layer.fragmentOffset > 0) return { decode: 'data', offset: layer.payloadOffset, end: layer.payloadEnd };
      return byIpProtocol(layer.ipProtocol, layer.payloadOffset, layer.payloadEnd, layer.truncated === true);
    case 'ipv6':
      return byIpProtocol(layer.upperProtocol, layer.payloadOffset, layer.payloadEnd, layer.truncated === true);
    case 'udp': {
      const { payloadOffset: offset, payloadEnd: end } = layer;
      if (VXLAN_PORTS.has(layer.destinationPort)) return { decode: 'vxlan', offset, end };
      if (DNS_PORTS.has(layer.sourcePort) || DNS_PORTS.has(layer.destinationPort)) return { decode: 'dns', offset, end };
      // flannel's udp backend: the payload is the pod's raw IP packet. Only an IPv4 header
      // (version 4, at least 20 bytes) is taken as one; anything else on 8285 stays data.
      if (layer.destinationPort === UDP_PORT_FLANNEL && startsLikeIpv4(bytes, offset, end)) return { decode: 'ipv4', offset, end };
      return { decode: 'data', offset, end };
    }
    case 'tcp':
      return { decode: 'data', offset: layer.payloadOffset, end: layer.payloadEnd };
    case 'vxlan':
      return { decode: 'ethernet', offset: layer.payloadOffset, end: layer.payloadEnd };
    default:
      return undefined;
  }
}

export function decodeFrame(bytes: Uint8Array): DecodedFrame {
  const layers: DecodedLayer[] = [];
  let step: Step | undefined = { decode: 'ethernet', offset: 0, end: bytes.length };
  while (step !== undefined && layers.length < MAX_LAYERS) {
    if (step.decode === 'data' && step.end <= step.offset) break;
    const previous = layers[layers.length - 1];
    // DNS over TCP needs the length prefix skipped, and only when there is a payload.
    const layer =
      step.decode === 'data' && previous?.protocol === 'tcp' && (DNS_PORTS.has(previous.sourcePort) || DNS_PORTS.has(previous.destinationPort))
        ? decodeDns(bytes, step.offset, step.end, true)
        : decodeStep(bytes, step);
    layers.push(layer);
    step = nextStep(layer, bytes);
  }
  const meaningful = layers.filter((l) => l.protocol !== 'data' && l.protocol !== 'malformed');
  const last = layers[layers.length - 1];
  const isMalformed = last?.protocol === 'malformed';
  let summary = meaningful[meaningful.length - 1]?.summary ?? last?.summary ?? 'Empty frame';
  if (isMalformed && last !== undefined && meaningful.length > 0) summary += ` ${last.summary}`;
  return {
    length: bytes.length,
    layers,
    summary,
    protocols: layers.map((l) => (l.protocol === 'malformed' ? `malformed(${l.expected})` : l.protocol)).join(':'),
    malformed: isMalformed,
  };
}

/** For fixtures: decode a hex dump (see hexToBytes for accepted forms). */
export function decodeFrameHex(hex: string): DecodedFrame {
  return decodeFrame(hexToBytes(hex));
}

export function findLayers<P extends ProtocolName>(frame: DecodedFrame, protocol: P): LayerOf<P>[] {
  return frame.layers.filter((l): l is LayerOf<P> => l.protocol === protocol);
}

export function findLayer<P extends ProtocolName>(frame: DecodedFrame, protocol: P): LayerOf<P> | undefined {
  return findLayers(frame, protocol)[0];
}

export function outermostIpv4(frame: DecodedFrame): Ipv4Layer | undefined {
  return findLayer(frame, 'ipv4');
}

/** The packet the pods actually exchanged, below any VXLAN or IP-in-IP encapsulation. */
export function innermostIpv4(frame: DecodedFrame): Ipv4Layer | undefined {
  const all = findLayers(frame, 'ipv4');
  return all[all.length - 1];
}

export function vniList(frame: DecodedFrame): number[] {
  return findLayers(frame, 'vxlan').map((l) => l.vni);
}

const BASE_KEYS = new Set<string>(['protocol', 'offset', 'headerLength', 'summary', 'payloadOffset', 'payloadEnd']);

/** Field name/value pairs for a detail pane, without the positional bookkeeping. */
export function layerFields(layer: DecodedLayer): [string, string][] {
  const base: LayerBase = layer;
  return Object.entries(base)
    .filter(([key]) => !BASE_KEYS.has(key))
    .map(([key, value]) => [key, typeof value === 'object' ? JSON.stringify(value) : String(value)]);
}

export { matchesFilter, type FrameFilter } from './filter.js';
export { bytesToHex, hexToBytes } from './read.js';
export type { ArpLayer, DnsLayer, EthernetLayer, IcmpLayer, Icmpv6Layer, Ipv4Layer, Ipv6Layer, TcpLayer, UdpLayer, VxlanLayer };
export type { DnsQuestion, DnsRecord } from './dns.js';
export type { VlanTag } from './ethernet.js';
export type { IcmpQuotedPacket } from './icmp.js';
export type { TcpFlags } from './tcp.js';
export type { DataLayer, LayerBase, MalformedLayer, PayloadRange, ProtocolName } from './types.js';
export { ipProtocolName };
export { decodeArp, decodeDns, decodeEthernet, decodeIcmp, decodeIcmpv6, decodeIpv4, decodeIpv6, decodeTcp, decodeUdp, decodeVxlan };
