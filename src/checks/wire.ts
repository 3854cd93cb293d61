import * as v from 'valibot';
import { formatIpv6, tryParseIpv6 } from '../net/addr.js';
import { decodeFrame, findLayer, findLayers, ipProtocolName, vniList, type DecodedFrame, type Ipv4Layer, type Ipv6Layer } from '../net/decode/index.js';
import type { CapturedFrame } from '../net/capture.js';
import { ARP_REPLY } from '../net/wire/index.js';
import { boolean, count, fields, oneOf, word } from './fields.js';
import { explainToolError, shorten } from './found.js';
import { compact, defineCheckKind } from './kind.js';

const PROTOCOL_NUMBERS = { icmp: 1, tcp: 6, udp: 17 } as const;
/** For an IPv6 packet, `icmp` means ICMPv6 (next header 58), whose echo request is type 128. */
const IPV6_PROTOCOL_NUMBERS = { icmp: 58, tcp: 6, udp: 17 } as const;
const ECHO_REQUEST = { ipv4: 8, ipv6: 128 } as const;

export const wire = defineCheckKind({
  kind: 'wire',
  description: 'run a `trigger` and look at the frames it put on the wire: a `protocol` packet from `src` to `dst` (IPv4, or IPv6 where `icmp` is ICMPv6), optionally inside VXLAN `vni`, `ipip`, or raw in UDP to port `udpPort` (flannel\'s udp backend, 8285), or `unwrapped` in no tunnel at all, optionally only `on` one node\'s link; `arp`: an ARP reply (or gratuitous ARP) saying `src` is at its sender\'s MAC, sent by the node `on` names',
  entries: {
    wire: fields({
      trigger: word(), protocol: v.optional(oneOf(['icmp', 'udp', 'tcp', 'arp'])), src: v.optional(word()), dst: v.optional(word()),
      vni: v.optional(count(0, 16_777_215)), ipip: v.optional(boolean()), udpPort: v.optional(count(1, 65_535)), unwrapped: v.optional(boolean()), on: v.optional(word()),
    }),
  },
  fields: ({ wire: spec }) => compact({ trigger: spec.trigger, protocol: spec.protocol ?? 'icmp', src: spec.src, dst: spec.dst, vni: spec.vni, ipip: spec.ipip, udpPort: spec.udpPort, unwrapped: spec.unwrapped, on: spec.on }),
  nodes: (check) => (check.on === undefined ? [] : [{ path: ['wire', 'on'], node: check.on }]),
  factsRead: () => [],
  async evaluate(check, context) {
    // Only the frames since the trigger started; the capture stays as it is for everyone else.
    const cursor = context.captureCursor();
    const trigger = await context.exec(check.node, check.trigger, { timeout: 30 });
    const frames = context.framesSince(cursor).filter((frame) => !check.on || frame.link === check.on);
    const wrapped = check.vni !== undefined ? ` inside VXLAN VNI ${check.vni}` : check.ipip ? ' inside IP-in-IP' : check.udpPort !== undefined ? `, the raw IP packet (no inner Ethernet) inside UDP to port ${check.udpPort}` : check.unwrapped ? ', in no tunnel' : '';
    const ipv6 = isIpv6(check.src) || isIpv6(check.dst);
    const protocolName = check.protocol === 'icmp' && ipv6 ? 'ICMPv6' : check.protocol.toUpperCase();
    const expected = check.protocol === 'arp'
      ? `an ARP reply saying ${check.src ?? 'an address'} is at the sender's MAC${check.on ? `, sent by ${check.on}` : ''}`
      : `a ${protocolName}${check.protocol === 'icmp' ? ' echo' : ''} packet${check.src ? ` from ${check.src}` : ''}${check.dst ? ` to ${check.dst}` : ''} on the wire${check.on ? ` of ${check.on}` : ''}${wrapped}`;
    const verdicts = frames.map((frame) => (check.protocol === 'arp' ? matchesArp(frame, check) : matchesWire(frame, check)));
    if (verdicts.some((verdict) => verdict.match)) return { passed: true, expected, found: 'seen on the wire' };
    if (frames.length === 0) {
      const why = trigger.exitCode === 0 ? '' : `: ${explainToolError(trigger.stderr || trigger.stdout) ?? shorten(trigger.stderr || trigger.stdout, 100)}`;
      return { passed: false, expected, found: `nothing crossed the wire${check.on ? ` of ${check.on}` : ''} (the trigger exited ${trigger.exitCode}${why})` };
    }
    // Say what did go by, by its addresses: first the packets to or from the ones we wanted.
    const wantedAddresses = [check.src, check.dst].filter((address): address is string => address !== undefined).map(canonical);
    const related = verdicts.filter((verdict) => verdict.onPort || verdict.addresses.some((address) => wantedAddresses.includes(address)));
    const distinct = (seen: FrameVerdict[]) => [...new Set(seen.map((verdict) => verdict.summary))];
    const found = related.length
      ? `only: ${shorten(distinct(related).slice(0, 3).join('; '), 300)}`
      : `${frames.length} frame(s), none of them it, e.g. ${shorten(distinct(verdicts).slice(0, 2).join('; '), 240)}`;
    return { passed: false, expected, found };
  },
});

/** What a frame is matched against. */
interface WantedPacket { protocol: keyof typeof PROTOCOL_NUMBERS | 'arp'; on?: string | undefined; src?: string | undefined; dst?: string | undefined; vni?: number | undefined; ipip?: boolean | undefined; udpPort?: number | undefined; unwrapped?: boolean | undefined }

/** Whether a frame is the wanted packet, and how to tell the learner what it was instead. */
interface FrameVerdict { match: boolean; summary: string; addresses: string[]; onPort?: boolean }

const isIpv6 = (address: string | undefined) => address?.includes(':') === true;

/** An address as the decoders write it: IPv6 in RFC 5952 form, so fd00:0:0::2 is fd00::2. */
function canonical(address: string): string {
  const v6 = tryParseIpv6(address);
  return v6 === undefined ? address : formatIpv6(v6);
}

/**
 * An ARP reply or a gratuitous ARP (request or reply: MetalLB's speaker sends both) whose
 * sender IP is `src`, and with `on`, one the node sent itself: a broadcast from another node
 * crosses this node's link too, on its way in. The summary names the sender's MAC.
 */
function matchesArp(frame: CapturedFrame, check: WantedPacket): FrameVerdict {
  const decoded = decodeFrame(frame.bytes);
  const arp = findLayer(decoded, 'arp');
  if (!arp) return { match: false, summary: `${frame.link}: ${decoded.summary}`, addresses: describeAddresses(decoded).addresses };
  const summary = `${frame.link}: ${arp.summary} (sender MAC ${arp.senderMac}, sent by ${frame.from.split(':')[0]})`;
  const answers = arp.operation === ARP_REPLY || arp.gratuitous;
  const match = answers && (!check.src || arp.senderIp === check.src) && (!check.on || frame.from.split(':')[0] === check.on);
  return { match, summary, addresses: [arp.senderIp, arp.targetIp] };
}

function matchesWire(frame: CapturedFrame, check: WantedPacket): FrameVerdict {
  const decoded = decodeFrame(frame.bytes);
  const { text, addresses } = describeAddresses(decoded);
  // UDP to the wanted port whose payload is no IP packet: say how it begins (a TUN's packet
  // information header is 00 00 08 00; an inner Ethernet header begins with a MAC address).
  const udp = check.udpPort === undefined ? undefined : findLayers(decoded, 'udp').find((layer) => layer.destinationPort === check.udpPort);
  const next = udp && decoded.layers[decoded.layers.indexOf(udp) + 1]?.protocol;
  const payload = udp && next !== 'ipv4' && next !== 'ipv6' ? frame.bytes.subarray(udp.payloadOffset, Math.min(udp.payloadEnd, udp.payloadOffset + 4)) : undefined;
  const starts = payload ? `, its payload starting ${[...payload].map((byte) => byte.toString(16).padStart(2, '0')).join(' ')} (an IPv4 packet starts 45)` : '';
  const summary = `${frame.link}: ${text}${starts}`;
  const no = { match: false, summary, addresses, ...(payload ? { onPort: true } : {}) };
  // The packet is matched by its innermost IP header, of the family the check's addresses are.
  if (check.protocol === 'arp') return no;
  const family = isIpv6(check.src) || isIpv6(check.dst) ? 'ipv6' : 'ipv4';
  const ipLayers = ipLayersOf(decoded);
  const inner = ipLayers.at(-1);
  if (!inner || inner.protocol !== family) return no;
  const protocol = inner.protocol === 'ipv6' ? inner.upperProtocol : inner.ipProtocol;
  if (protocol !== (family === 'ipv6' ? IPV6_PROTOCOL_NUMBERS : PROTOCOL_NUMBERS)[check.protocol]) return no;
  if (check.protocol === 'icmp') {
    const icmp = decoded.layers.filter((layer) => layer.protocol === (family === 'ipv6' ? 'icmpv6' : 'icmp')).at(-1);
    if (!icmp || !('type' in icmp) || icmp.type !== ECHO_REQUEST[family]) return no;
  }
  if (check.src && inner.source !== canonical(check.src)) return no;
  if (check.dst && inner.destination !== canonical(check.dst)) return no;
  if (check.vni !== undefined && !vniList(decoded).includes(check.vni)) return no;
  const carrier = decoded.layers[decoded.layers.indexOf(inner) - 1];
  // IP-in-IP: an outer IPv4 header with protocol 4 right before the inner one.
  if (check.ipip && !(carrier?.protocol === 'ipv4' && carrier.ipProtocol === 4)) return no;
  // flannel's udp backend: UDP to the port, whose payload is the inner packet itself.
  if (check.udpPort !== undefined && !(carrier?.protocol === 'udp' && carrier.destinationPort === check.udpPort)) return no;
  // Unwrapped also wants no outer header (no VXLAN, no IP-in-IP, no IPv6 in IPv4).
  if (check.unwrapped && ipLayers.length > 1) return no;
  return { match: true, summary, addresses };
}

/** The frame's IP headers of either family, outermost first. */
function ipLayersOf(decoded: DecodedFrame): (Ipv4Layer | Ipv6Layer)[] {
  return decoded.layers.filter((layer): layer is Ipv4Layer | Ipv6Layer => layer.protocol === 'ipv4' || layer.protocol === 'ipv6');
}

/**
 * A frame told by its IP addresses, which are what a learner checks first: the packet's
 * source and destination, and for a tunnel the outer (node) pair and the inner (pod) pair.
 * The frame's own Info line is too terse for that: for a ping it names neither address.
 */
function describeAddresses(decoded: DecodedFrame): { text: string; addresses: string[] } {
  const ip = ipLayersOf(decoded);
  const outer = ip[0];
  const inner = ip.at(-1);
  if (!outer || !inner) {
    const arp = findLayer(decoded, 'arp');
    return { text: decoded.summary, addresses: arp ? [arp.senderIp, arp.targetIp] : [] };
  }
  const packet = `${inner.source} → ${inner.destination} ${carried(decoded, inner)}`;
  if (outer === inner) return { text: packet, addresses: [inner.source, inner.destination] };
  const vnis = vniList(decoded);
  const carrier = decoded.layers[decoded.layers.indexOf(inner) - 1];
  const tunnel = vnis.length ? `VXLAN VNI ${vnis.join('/')}` : carrier?.protocol === 'udp' ? `raw IP in UDP ${carrier.destinationPort}` : 'IP-in-IP';
  return {
    text: `outer ${outer.source} → ${outer.destination} (${tunnel}), inner ${packet}`,
    addresses: [inner.source, inner.destination, outer.source, outer.destination],
  };
}

/** What an IP packet carries, in a few words: the ICMP type, or the protocol and ports. */
function carried(decoded: DecodedFrame, packet: Ipv4Layer | Ipv6Layer): string {
  const payload = decoded.layers[decoded.layers.indexOf(packet) + 1];
  if (payload?.protocol === 'icmpv6') return `ICMPv6 ${payload.typeName}${payload.targetAddress ? ` for ${payload.targetAddress}` : ''}`;
  if (payload?.protocol === 'icmp') {
    // An ICMP error says which packet it answers: that is often the learner's own, going wrong.
    const about = payload.quoted ? ` for ${payload.quoted.source} → ${payload.quoted.destination}` : '';
    return `ICMP ${payload.typeName}${payload.codeName ? ` (${payload.codeName})` : ''}${about}`;
  }
  const name = packet.protocol === 'ipv4' ? packet.ipProtocolName : ipProtocolName(packet.upperProtocol);
  if (payload?.protocol === 'udp' || payload?.protocol === 'tcp') return `${name} ${payload.sourcePort} → ${payload.destinationPort}`;
  return name;
}
