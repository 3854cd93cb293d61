import * as v from 'valibot';
import { decodeFrame, findLayer, findLayers, innermostIpv4, vniList, type DecodedFrame, type Ipv4Layer } from '../net/decode/index.js';
import type { CapturedFrame } from '../net/capture.js';
import { boolean, count, fields, oneOf, word } from './fields.js';
import { explainToolError, shorten } from './found.js';
import { compact, defineCheckKind } from './kind.js';

const PROTOCOL_NUMBERS = { icmp: 1, tcp: 6, udp: 17 } as const;

export const wire = defineCheckKind({
  kind: 'wire',
  description: 'run a `trigger` and look at the frames it put on the wire: a `protocol` packet from `src` to `dst`, optionally inside VXLAN `vni`, `ipip`, or raw in UDP to port `udpPort` (flannel\'s udp backend, 8285), or `unwrapped` in no tunnel at all, optionally only `on` one node\'s link',
  entries: {
    wire: fields({
      trigger: word(), protocol: v.optional(oneOf(['icmp', 'udp', 'tcp'])), src: v.optional(word()), dst: v.optional(word()),
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
    const expected = `a ${check.protocol.toUpperCase()}${check.protocol === 'icmp' ? ' echo' : ''} packet${check.src ? ` from ${check.src}` : ''}${check.dst ? ` to ${check.dst}` : ''} on the wire${check.on ? ` of ${check.on}` : ''}${wrapped}`;
    const verdicts = frames.map((frame) => matchesWire(frame, check));
    if (verdicts.some((verdict) => verdict.match)) return { passed: true, expected, found: 'seen on the wire' };
    if (frames.length === 0) {
      const why = trigger.exitCode === 0 ? '' : `: ${explainToolError(trigger.stderr || trigger.stdout) ?? shorten(trigger.stderr || trigger.stdout, 100)}`;
      return { passed: false, expected, found: `nothing crossed the wire${check.on ? ` of ${check.on}` : ''} (the trigger exited ${trigger.exitCode}${why})` };
    }
    // Say what did go by, by its addresses: first the packets to or from the ones we wanted.
    const wantedAddresses = [check.src, check.dst].filter((address): address is string => address !== undefined);
    const related = verdicts.filter((verdict) => verdict.onPort || verdict.addresses.some((address) => wantedAddresses.includes(address)));
    const distinct = (seen: FrameVerdict[]) => [...new Set(seen.map((verdict) => verdict.summary))];
    const found = related.length
      ? `only: ${shorten(distinct(related).slice(0, 3).join('; '), 300)}`
      : `${frames.length} frame(s), none of them it, e.g. ${shorten(distinct(verdicts).slice(0, 2).join('; '), 240)}`;
    return { passed: false, expected, found };
  },
});

/** What a frame is matched against. */
interface WantedPacket { protocol: keyof typeof PROTOCOL_NUMBERS; src?: string | undefined; dst?: string | undefined; vni?: number | undefined; ipip?: boolean | undefined; udpPort?: number | undefined; unwrapped?: boolean | undefined }

/** Whether a frame is the wanted packet, and how to tell the learner what it was instead. */
interface FrameVerdict { match: boolean; summary: string; addresses: string[]; onPort?: boolean }

function matchesWire(frame: CapturedFrame, check: WantedPacket): FrameVerdict {
  const decoded = decodeFrame(frame.bytes);
  const inner = innermostIpv4(decoded);
  const { text, addresses } = describeAddresses(decoded);
  // UDP to the wanted port whose payload is no IPv4 packet: say how it begins (a TUN's packet
  // information header is 00 00 08 00; an inner Ethernet header begins with a MAC address).
  const udp = check.udpPort === undefined ? undefined : findLayers(decoded, 'udp').find((layer) => layer.destinationPort === check.udpPort);
  const payload = udp && decoded.layers[decoded.layers.indexOf(udp) + 1]?.protocol !== 'ipv4' ? frame.bytes.subarray(udp.payloadOffset, Math.min(udp.payloadEnd, udp.payloadOffset + 4)) : undefined;
  const starts = payload ? `, its payload starting ${[...payload].map((byte) => byte.toString(16).padStart(2, '0')).join(' ')} (an IPv4 packet starts 45)` : '';
  const summary = `${frame.link}: ${text}${starts}`;
  const no = { match: false, summary, addresses, ...(payload ? { onPort: true } : {}) };
  if (!inner || inner.ipProtocol !== PROTOCOL_NUMBERS[check.protocol]) return no;
  const isEchoRequest = findLayer(decoded, 'icmp')?.type === 8 || decoded.layers.filter((layer) => layer.protocol === 'icmp').at(-1)?.type === 8;
  if (check.protocol === 'icmp' && !isEchoRequest) return no;
  if (check.src && inner.source !== check.src) return no;
  if (check.dst && inner.destination !== check.dst) return no;
  if (check.vni !== undefined && !vniList(decoded).includes(check.vni)) return no;
  const ipv4Layers = decoded.layers.filter((layer) => layer.protocol === 'ipv4').length;
  // IP-in-IP: an outer IPv4 header with protocol 4 right before the inner one.
  const carrier = decoded.layers[decoded.layers.indexOf(inner) - 1];
  if (check.ipip && !(carrier?.protocol === 'ipv4' && carrier.ipProtocol === 4)) return no;
  // flannel's udp backend: UDP to the port, whose payload is the inner packet itself.
  if (check.udpPort !== undefined && !(carrier?.protocol === 'udp' && carrier.destinationPort === check.udpPort)) return no;
  // The packet is matched by its innermost header; unwrapped also wants no outer one (no VXLAN, no IP-in-IP).
  if (check.unwrapped && ipv4Layers > 1) return no;
  return { match: true, summary, addresses };
}

/**
 * A frame told by its IP addresses, which are what a learner checks first: the packet's
 * source and destination, and for a tunnel the outer (node) pair and the inner (pod) pair.
 * The frame's own Info line is too terse for that: for a ping it names neither address.
 */
function describeAddresses(decoded: DecodedFrame): { text: string; addresses: string[] } {
  const ipv4 = findLayers(decoded, 'ipv4');
  const outer = ipv4[0];
  const inner = ipv4.at(-1);
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

/** What an IPv4 packet carries, in a few words: the ICMP type, or the protocol and ports. */
function carried(decoded: DecodedFrame, packet: Ipv4Layer): string {
  const payload = decoded.layers[decoded.layers.indexOf(packet) + 1];
  if (payload?.protocol === 'icmp') {
    // An ICMP error says which packet it answers: that is often the learner's own, going wrong.
    const about = payload.quoted ? ` for ${payload.quoted.source} → ${payload.quoted.destination}` : '';
    return `ICMP ${payload.typeName}${payload.codeName ? ` (${payload.codeName})` : ''}${about}`;
  }
  if (payload?.protocol === 'udp' || payload?.protocol === 'tcp') return `${packet.ipProtocolName} ${payload.sourcePort} → ${payload.destinationPort}`;
  return packet.ipProtocolName;
}
