import { count, fields, word } from './fields.js';
import { defineCheckKind } from './kind.js';

export const ipam = defineCheckKind({
  kind: 'ipam',
  description: 'the number of host-local IPAM `leases` of CNI `network`',
  entries: { ipam: fields({ network: word(), leases: count() }) },
  fields: ({ ipam: spec }) => ({ network: spec.network, leases: spec.leases }),
  factsRead: () => ['cni:'],
  async evaluate(check, context) {
    const facts = await context.facts(check.node);
    const network = facts.cniIpam.find((n) => n.network === check.network);
    const leases = network?.leases.length ?? 0;
    return {
      passed: leases === check.leases,
      expected: `${check.leases} lease(s) in /var/lib/cni/networks/${check.network}`,
      found: network ? `${leases} lease(s)${leases ? `: ${network.leases.map((l) => l.ip).join(', ')}` : ''}` : `no host-local state for network ${check.network}`,
    };
  },
});
