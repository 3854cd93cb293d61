import * as v from 'valibot';
import { walkPacket, WalkError, walkSettled, type Walk, type WalkHop } from '../observe/walk/walk.js';
import { fields, oneOf, word } from './fields.js';
import { shorten } from './found.js';
import { compact, defineCheckKind } from './kind.js';

/**
 * Follow one probe through the real kernels (see observe/walk) and judge its path: each of
 * `through` names a hop, in order (words its line must hold, any case: "DNAT 10.244.2.2",
 * "VXLAN VNI 1", "web arrives"); `dropped` says it must be dropped at a hop holding those
 * words (a rule, a chain, "no route"), or anywhere (`dropped: true`); otherwise it must be answered.
 */
export const path = defineCheckKind({
  kind: 'path',
  description: 'send one `probe` (icmp, tcp or dns) from `from` (a pod\'s namespace on the node, or the node) `to` an address[:port] and follow it hop by hop: it passes `through` the hops named, in order, and is answered, or is `dropped` at the hop named',
  entries: {
    path: fields({
      from: v.optional(word()), to: word(), probe: v.optional(oneOf(['icmp', 'tcp', 'dns'])), query: v.optional(word()),
      through: v.optional(v.array(word(), 'must be a list of hops')), dropped: v.optional(v.union([v.literal(true), word()], 'must be true or the words of the hop that drops it')),
    }),
  },
  fields: ({ path: spec }) => compact({ from: spec.from, to: spec.to, probe: spec.probe ?? 'icmp', query: spec.query, through: spec.through ?? [], dropped: spec.dropped }),
  factsRead: () => [],
  async evaluate(check, context) {
    const source = check.from ? `${check.node}/${check.from}` : check.node;
    const end = check.dropped === undefined ? 'and is answered' : check.dropped === true ? 'and is dropped' : `and is dropped at "${check.dropped}"`;
    const expected = `${check.probe} from ${check.from ?? check.node} to ${check.to}${check.through.length ? ` through ${check.through.map((hop) => `"${hop}"`).join(', ')}` : ''} ${end}`;
    let walk: Walk;
    try {
      walk = await walkPacket(context, { from: source, to: check.to, probe: check.probe, ...(check.query ? { query: check.query } : {}) });
      // The walk answers before its tracing is off the nodes; a check ends with the nodes as it found them.
      await walkSettled(context);
    } catch (error) {
      if (error instanceof WalkError) return { passed: false, expected, found: error.message };
      throw error;
    }
    const differs = firstDifference(walk, check.through);
    if (differs) return { passed: false, expected, found: differs };
    if (check.dropped !== undefined) {
      const drop = walk.hops.find((hop) => hop.kind === 'drop');
      if (!drop) return { passed: false, expected, found: walk.outcome === 'answered' ? 'it was answered: nothing dropped it' : `nothing says it was dropped; ${walk.summary}` };
      if (check.dropped !== true && !holds(drop, check.dropped)) return { passed: false, expected, found: `dropped elsewhere: ${shorten(drop.text, 200)}` };
      return { passed: true, expected, found: `dropped: ${shorten(drop.text, 200)}` };
    }
    if (walk.outcome !== 'answered') return { passed: false, expected, found: shorten(walk.summary, 300) };
    return { passed: true, expected, found: walk.summary };
  },
});

/**
 * A hop line holds every word of the wanted text, in any case, as a whole word: "VNI 1" is
 * not "VNI 12" (nor the 12 of 10.0.0.12), "10.244.2.2" is not "10.244.2.20". A word that ends in punctuation
 * ("(10.0.0.13:") may run on into what follows it.
 */
function holds(hop: WalkHop, wanted: string): boolean {
  const text = hop.text.toLowerCase();
  return wanted.toLowerCase().split(/\s+/).filter(Boolean).every((word) => wholeWord(word).test(text));
}

const ALNUM = /[a-z0-9]/;
function wholeWord(word: string): RegExp {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // A dot between characters joins them (10.0.0.12, flannel.1); a dot at the end of a sentence does not.
  return new RegExp(`${ALNUM.test(word[0]!) ? '(?<![a-z0-9]|[a-z0-9]\\.)' : ''}${escaped}${ALNUM.test(word.at(-1)!) ? '(?![a-z0-9]|\\.[a-z0-9])' : ''}`);
}

/** The first wanted hop the walk does not have after the ones before it, and what it had there instead. */
export function firstDifference(walk: Walk, through: readonly string[]): string | undefined {
  let at = 0;
  for (const wanted of through) {
    const found = walk.hops.findIndex((hop, index) => index >= at && holds(hop, wanted));
    if (found < 0) {
      const next = walk.hops[at];
      const instead = next ? `after hop ${at}, the path went on with hop ${at + 1}: ${shorten(next.text, 160)}` : `the path ended after hop ${at} (${walk.summary})`;
      return `no hop "${wanted}"${at ? ` after hop ${at}` : ''}: ${instead}`;
    }
    at = found + 1;
  }
  return undefined;
}
