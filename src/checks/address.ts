import * as v from 'valibot';
import { ipInCidr } from '../observe/parse/cidr.js';
import { cidr, fields, word } from './fields.js';
import { compact, defineCheckKind, where } from './kind.js';
import { namespaceOf, noNamespace } from './namespaces.js';

export const address = defineCheckKind({
  kind: 'address',
  description: 'an IPv4 address `in` a CIDR, optionally on device `dev`, in `netns`',
  entries: { address: fields({ netns: v.optional(word()), dev: v.optional(word()), in: cidr() }) },
  fields: ({ address: spec }) => compact({ in: spec.in, netns: spec.netns, dev: spec.dev }),
  factsRead: (check) => [`ip:${check.netns ?? ''}`],
  async evaluate(check, context) {
    const facts = await context.facts(check.node);
    const ns = namespaceOf(facts, check.netns);
    if (!ns) return noNamespace(facts, check.netns);
    const candidates = ns.addresses.filter((a) => a.family === 4 && (!check.dev || a.dev === check.dev));
    return {
      passed: candidates.some((a) => ipInCidr(a.address, check.in)),
      expected: `an IPv4 address in ${check.in}${check.dev ? ` on ${check.dev}` : ''} ${where(check.netns)}`,
      found: candidates.length ? candidates.map((a) => `${a.cidr} on ${a.dev}`).join(', ') : `no IPv4 address${check.dev ? ` on ${check.dev}` : ''}`,
    };
  },
});
