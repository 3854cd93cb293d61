import * as v from 'valibot';
import { fields, word } from './fields.js';
import { compact, defineCheckKind, where } from './kind.js';
import { namespaceOf, noNamespace } from './namespaces.js';

const describe = (route: { destination: string; via?: string | undefined; dev?: string | undefined }) =>
  `${route.destination}${route.via ? ` via ${route.via}` : ''}${route.dev ? ` dev ${route.dev}` : ''}`;

export const route = defineCheckKind({
  kind: 'route',
  description: 'a route in the main table to `destination` (a CIDR or `default`), optionally `via` a gateway and on `dev`, in `netns`',
  entries: { route: fields({ netns: v.optional(word()), destination: word(), via: v.optional(word()), dev: v.optional(word()) }) },
  fields: ({ route: spec }) => compact({ destination: spec.destination, netns: spec.netns, via: spec.via, dev: spec.dev }),
  factsRead: (check) => [`ip:${check.netns ?? ''}`],
  async evaluate(check, context) {
    const facts = await context.facts(check.node);
    const ns = namespaceOf(facts, check.netns);
    if (!ns) return noNamespace(facts, check.netns);
    const routes = ns.routes.filter((r) => r.table === 'main' || r.table === undefined || r.table === '');
    const passed = routes.some((r) => r.destination === check.destination && (!check.via || r.via === check.via) && (!check.dev || r.dev === check.dev));
    const sameDestination = routes.filter((r) => r.destination === check.destination);
    return {
      passed,
      expected: `a route ${describe(check)} ${where(check.netns)}`,
      found: sameDestination.length ? `the route is ${sameDestination.map(describe).join(', ')}` : `routes: ${routes.map(describe).join(', ') || 'none'}`,
    };
  },
});
