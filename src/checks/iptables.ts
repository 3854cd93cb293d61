import * as v from 'valibot';
import { boolean, fields, oneOf, pattern, word } from './fields.js';
import { closestLines, shorten } from './found.js';
import { compact, defineCheckKind } from './kind.js';
import { matches } from './regex.js';

export const iptables = defineCheckKind({
  kind: 'iptables',
  description: 'in `table` (default filter) and `chain`, a `rule` matching a regex (`exists: false`: none does), or the chain\'s `policy`',
  entries: {
    iptables: fields({
      table: v.optional(oneOf(['filter', 'nat', 'mangle', 'raw', 'security'])), chain: word(),
      rule: v.optional(pattern()), policy: v.optional(oneOf(['ACCEPT', 'DROP'])), exists: v.optional(boolean()),
    }),
  },
  fields: ({ iptables: spec }) => compact({ table: spec.table ?? 'filter', chain: spec.chain, rule: spec.rule, policy: spec.policy, exists: spec.exists ?? true }),
  factsRead: () => ['iptables:'],
  async evaluate(check, context) {
    const facts = await context.facts(check.node);
    const chain = facts.iptables[check.table]?.chains[check.chain];
    const expected = check.rule
      ? `${check.exists ? 'a' : 'no'} rule matching /${check.rule}/ in ${check.table} ${check.chain}`
      : check.policy ? `policy ${check.policy} on ${check.table} ${check.chain}` : `chain ${check.chain} in table ${check.table}`;
    if (!chain) {
      const chains = Object.keys(facts.iptables[check.table]?.chains ?? {});
      const near = closestLines(chains, check.chain.replace(/[-_]/g, ' '), 4);
      return { passed: !check.exists, expected, found: `no chain ${check.chain} in table ${check.table}${chains.length ? ` (it has ${chains.length} chains, e.g. ${near.join(', ')})` : ''}` };
    }
    if (check.policy) return { passed: chain.policy === check.policy, expected, found: `policy ${chain.policy ?? '(none: a user chain)'}` };
    if (!check.rule) return { passed: check.exists, expected, found: `chain ${check.chain} has ${chain.rules.length} rule(s)` };
    const rule = check.rule;
    const matching = chain.rules.filter((r) => matches(rule, r.text));
    if (matching.length) return { passed: check.exists, expected, found: `found: ${shorten(matching.map((r) => r.text).join(' | '), 300)}` };
    if (!chain.rules.length) return { passed: !check.exists, expected, found: `${check.chain} is empty` };
    // The rules nearest to the pattern make the point: usually one of them is the rule, slightly wrong.
    const near = closestLines(chain.rules.map((r) => r.text), rule, 3);
    return { passed: !check.exists, expected, found: `${chain.rules.length} rule(s) in ${check.chain}, nearest: ${near.join(' | ')}` };
  },
});
