import * as v from 'valibot';
import { boolean, fields, word } from './fields.js';
import { defineCheckKind } from './kind.js';
import { namespaceNames } from './namespaces.js';

export const netns = defineCheckKind({
  kind: 'netns',
  description: 'a network namespace `name` exists (`exists: false`: it is gone)',
  entries: { netns: fields({ name: word(), exists: v.optional(boolean()) }) },
  fields: (input) => ({ netns: input.netns.name, exists: input.netns.exists ?? true }),
  // The list of namespaces comes with every gathering; this kind reads no other section.
  factsRead: () => [],
  async evaluate(check, context) {
    const facts = await context.facts(check.node);
    const exists = facts.netns.some((ns) => ns.name === check.netns);
    return { passed: exists === check.exists, expected: `network namespace ${check.netns} ${check.exists ? 'exists' : 'is gone'}`, found: namespaceNames(facts) };
  },
});
