import * as v from 'valibot';
import { boolean, count, fields, word } from './fields.js';
import { compact, defineCheckKind, where } from './kind.js';
import { namespaceOf, noNamespace } from './namespaces.js';

export const link = defineCheckKind({
  kind: 'link',
  description: 'a network device `name` in `netns`, optionally of `type`, `up`, attached to `master`, with `mtu` and VXLAN `vni`',
  entries: {
    link: fields({
      netns: v.optional(word()), name: word(), type: v.optional(word()), up: v.optional(boolean()),
      master: v.optional(word()), mtu: v.optional(count(68, 65535)), vni: v.optional(count(0, 16_777_215)),
    }),
  },
  fields: ({ link: spec }) => compact({ link: spec.name, netns: spec.netns, type: spec.type, up: spec.up, master: spec.master, mtu: spec.mtu, vni: spec.vni }),
  factsRead: (check) => [`ip:${check.netns ?? ''}`],
  async evaluate(check, context) {
    const facts = await context.facts(check.node);
    const ns = namespaceOf(facts, check.netns);
    if (!ns) return noNamespace(facts, check.netns);
    const found = ns.links.find((l) => l.name === check.link);
    const wanted = [
      check.type && `type ${check.type}`, check.up !== undefined && (check.up ? 'up' : 'down'), check.master && `attached to ${check.master}`,
      check.mtu && `MTU ${check.mtu}`, check.vni !== undefined && `VNI ${check.vni}`,
    ].filter(Boolean).join(', ');
    const expected = `a link ${check.link}${wanted ? ` (${wanted})` : ''} ${where(check.netns)}`;
    if (!found) return { passed: false, expected, found: `links: ${ns.links.map((l) => l.name).join(', ') || 'none'}` };
    const problems = [
      check.type && found.type !== check.type && `type ${found.type}`,
      check.up !== undefined && found.up !== check.up && (found.up ? 'up' : 'down'),
      check.master && found.master !== check.master && (found.master ? `attached to ${found.master}` : 'not attached to a bridge'),
      check.mtu && found.mtu !== check.mtu && `MTU ${found.mtu}`,
      check.vni !== undefined && found.vxlan?.vni !== check.vni && (found.vxlan ? `VNI ${found.vxlan.vni}` : 'not a VXLAN device'),
    ].filter(Boolean);
    return { passed: problems.length === 0, expected, found: problems.length ? `${check.link} is ${problems.join(', ')}` : 'as expected' };
  },
});
