import { fields, text, word } from './fields.js';
import { explainToolError, shorten } from './found.js';
import { defineCheckKind, shellQuote } from './kind.js';

export const sysctl = defineCheckKind({
  kind: 'sysctl',
  description: 'a kernel setting `key` of the node namespace has `value`',
  entries: { sysctl: fields({ key: word(), value: text() }) },
  fields: ({ sysctl: spec }) => ({ key: spec.key, value: spec.value }),
  factsRead: () => ['sysctl:'],
  async evaluate(check, context) {
    const expected = `${check.key} = ${check.value}`;
    // From the node's facts when they have it (no extra round trip); else read it, for the error a missing key gives.
    const known = (await context.facts(check.node)).sysctls[check.key];
    if (known !== undefined) return { passed: known === check.value, expected, found: `${check.key} = ${known}` };
    const result = await context.exec(check.node, `sysctl -n ${shellQuote(check.key)}`);
    const value = result.stdout.trim();
    if (result.exitCode !== 0) return { passed: false, expected, found: explainToolError(result.stderr) ?? shorten(result.stderr) };
    return { passed: value === check.value, expected, found: `${check.key} = ${value}` };
  },
});
