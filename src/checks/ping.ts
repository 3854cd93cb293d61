import * as v from 'valibot';
import { count, fields, oneOf, word } from './fields.js';
import { explainToolError, shorten } from './found.js';
import { compact, defineCheckKind, inNetns, shellQuote, where } from './kind.js';

export const ping = defineCheckKind({
  kind: 'ping',
  description: 'a ping from `netns` `to` an address gets replies (`expect: failure`: gets none), with `count` probes',
  entries: { ping: fields({ netns: v.optional(word()), to: word(), expect: v.optional(oneOf(['success', 'failure'])), count: v.optional(count(1, 20)) }) },
  fields: ({ ping: spec }) => compact({ to: spec.to, expect: spec.expect ?? 'success', netns: spec.netns, count: spec.count }),
  factsRead: () => [],
  async evaluate(check, context) {
    // The fewest probes that prove the point: one with a short wait, then one more with a
    // longer wait if it got no reply, so "slow" is not taken for "blocked".
    const send = (probes: number, wait: number) =>
      context.exec(check.node, inNetns(check.netns, `ping -c ${probes} -W ${wait} -i 0.2 ${shellQuote(check.to)}`), { timeout: probes * 0.2 + wait + 5 });
    const summaryOf = (stdout: string) => /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(stdout)?.[0];
    let result = await send(check.count ?? 1, 1);
    if (result.exitCode !== 0 && summaryOf(result.stdout)) result = await send(1, 2);
    const wantReplies = check.expect === 'success';
    const expected = `ping ${where(check.netns)} to ${check.to} ${wantReplies ? 'gets replies' : 'gets no reply'}`;
    const summary = summaryOf(result.stdout);
    if (summary) return { passed: (result.exitCode === 0) === wantReplies, expected, found: summary };
    // No summary: ping did not get to send. A target it cannot use proves nothing either way;
    // an unreachable network is a ping that got no reply.
    const output = result.stderr || result.stdout;
    const explained = explainToolError(output, { target: check.to, netns: check.netns });
    const unreachable = /Network (is )?unreachable/i.test(output);
    return { passed: unreachable ? !wantReplies : explained ? false : (result.exitCode === 0) === wantReplies, expected, found: explained ?? shorten(output, 120) };
  },
});
