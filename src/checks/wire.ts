import * as v from 'valibot';
import { decodeFrame, findLayer, innermostIpv4, vniList } from '../net/decode/index.js';
import type { CapturedFrame } from '../net/capture.js';
import { boolean, count, fields, oneOf, word } from './fields.js';
import { explainToolError, shorten } from './found.js';
import { compact, defineCheckKind } from './kind.js';

const PROTOCOL_NUMBERS = { icmp: 1, tcp: 6, udp: 17 } as const;

export const wire = defineCheckKind({
  kind: 'wire',
  description: 'run a `trigger` and look at the frames it put on the wire: a `protocol` packet from `src` to `dst`, optionally inside VXLAN `vni` or `ipip`, or `unwrapped` in no tunnel at all, optionally only `on` one node\'s link',
  entries: {
    wire: fields({
      trigger: word(), protocol: v.optional(oneOf(['icmp', 'udp', 'tcp'])), src: v.optional(word()), dst: v.optional(word()),
      vni: v.optional(count(0, 16_777_215)), ipip: v.optional(boolean()), unwrapped: v.optional(boolean()), on: v.optional(word()),
    }),
  },
  fields: ({ wire: spec }) => compact({ trigger: spec.trigger, protocol: spec.protocol ?? 'icmp', src: spec.src, dst: spec.dst, vni: spec.vni, ipip: spec.ipip, unwrapped: spec.unwrapped, on: spec.on }),
  nodes: (check) => (check.on === undefined ? [] : [{ path: ['wire', 'on'], node: check.on }]),
  factsRead: () => [],
  async evaluate(check, context) {
    // Only the frames since the trigger started; the capture stays as it is for everyone else.
    const cursor = context.captureCursor();
    const trigger = await context.exec(check.node, check.trigger, { timeout: 30 });
    const frames = context.framesSince(cursor).filter((frame) => !check.on || frame.link === check.on);
    const wrapped = check.vni !== undefined ? ` inside VXLAN VNI ${check.vni}` : check.ipip ? ' inside IP-in-IP' : check.unwrapped ? ', in no tunnel' : '';
    const expected = `a ${check.protocol.toUpperCase()}${check.protocol === 'icmp' ? ' echo' : ''} packet${check.src ? ` from ${check.src}` : ''}${check.dst ? ` to ${check.dst}` : ''} on the wire${check.on ? ` of ${check.on}` : ''}${wrapped}`;
    const verdicts = frames.map((frame) => matchesWire(frame, check));
    if (verdicts.some((verdict) => verdict.match)) return { passed: true, expected, found: 'seen on the wire' };
    if (frames.length === 0) {
      const why = trigger.exitCode === 0 ? '' : `: ${explainToolError(trigger.stderr || trigger.stdout) ?? shorten(trigger.stderr || trigger.stdout, 100)}`;
      return { passed: false, expected, found: `nothing crossed the wire${check.on ? ` of ${check.on}` : ''} (the trigger exited ${trigger.exitCode}${why})` };
    }
    // Say what did go by: the nearest thing to the packet we wanted.
    const related = verdicts.map((verdict) => verdict.summary).filter((summary) => (check.dst && summary.includes(check.dst)) || (check.src && summary.includes(check.src)));
    const found = related.length
      ? `only: ${shorten([...new Set(related)].slice(0, 3).join('; '), 300)}`
      : `${frames.length} frame(s), none of them it, e.g. ${shorten(verdicts[0]!.summary, 120)}`;
    return { passed: false, expected, found };
  },
});

/** What a frame is matched against. */
interface WantedPacket { protocol: keyof typeof PROTOCOL_NUMBERS; src?: string | undefined; dst?: string | undefined; vni?: number | undefined; ipip?: boolean | undefined; unwrapped?: boolean | undefined }

function matchesWire(frame: CapturedFrame, check: WantedPacket): { match: boolean; summary: string } {
  const decoded = decodeFrame(frame.bytes);
  const inner = innermostIpv4(decoded);
  const summary = `${frame.link}: ${decoded.summary}`;
  const no = { match: false, summary };
  if (!inner || inner.ipProtocol !== PROTOCOL_NUMBERS[check.protocol]) return no;
  const isEchoRequest = findLayer(decoded, 'icmp')?.type === 8 || decoded.layers.filter((layer) => layer.protocol === 'icmp').at(-1)?.type === 8;
  if (check.protocol === 'icmp' && !isEchoRequest) return no;
  if (check.src && inner.source !== check.src) return no;
  if (check.dst && inner.destination !== check.dst) return no;
  if (check.vni !== undefined && !vniList(decoded).includes(check.vni)) return no;
  const ipv4Layers = decoded.layers.filter((layer) => layer.protocol === 'ipv4').length;
  if (check.ipip && ipv4Layers < 2) return no;
  // The packet is matched by its innermost header; unwrapped also wants no outer one (no VXLAN, no IP-in-IP).
  if (check.unwrapped && ipv4Layers > 1) return no;
  return { match: true, summary };
}
