// NetworkPolicy rules (src/kube/policy/iptables.ts) judged by what they do to packets, on the
// model upstream's conformance tests use (kubernetes test/e2e/network/netpol/model.go):
// namespaces x, y, z (labelled ns=<name>), pods a, b, c in each (labelled pod=<name>), each
// serving TCP 80 and 81 under the named ports serve-80-tcp and serve-81-tcp. Each case is
// one of test/e2e/network/netpol/network_policy.go's (named in the test) or an example of the
// API docs (https://kubernetes.io/docs/concepts/services-networking/network-policies/), with
// the reachability it expects. A small interpreter of the filter rules follows a NEW packet
// through KUBE-NWPLCY-FORWARD: "allow" is a RETURN to FORWARD, "deny" a DROP.
import { describe, expect, it } from 'vitest';
import { ipInCidr } from '../../../src/net/addr.js';
import { podChainName, policyRules, policyTypes } from '../../../src/kube/policy/iptables.js';
import { parseRestore } from './iptables-trace.js';

type Obj = Record<string, any>;
const NAMESPACES = ['x', 'y', 'z'];
const PODS = ['a', 'b', 'c'];
const ip = (ns: string, pod: string) => `10.244.${NAMESPACES.indexOf(ns) + 1}.${PODS.indexOf(pod) + 10}`;
const pods: Obj[] = NAMESPACES.flatMap((ns) => PODS.map((pod) => ({
  metadata: { namespace: ns, name: pod, labels: { pod } },
  spec: { nodeName: 'node1', containers: [{ name: `cont-80-tcp`, ports: [{ name: 'serve-80-tcp', containerPort: 80 }, { name: 'serve-81-tcp', containerPort: 81 }] }] },
  status: { phase: 'Running', podIP: ip(ns, pod) },
})));
const namespaces: Obj[] = NAMESPACES.map((ns) => ({ metadata: { name: ns, labels: { ns } } }));
const policy = (name: string, spec: Obj, namespace = 'x'): Obj => ({ metadata: { namespace, name }, spec });

/** What happens to a NEW TCP packet in KUBE-NWPLCY-FORWARD: 'allow' (it returns) or 'deny'. */
function verdict(text: string, src: string, dst: string, dport: number): 'allow' | 'deny' {
  const filter = parseRestore(text).filter!;
  let mark = 0;
  const run = (chain: string): 'return' | 'deny' => {
    for (const rule of filter.rules.filter((r) => r.chain === chain)) {
      const w = rule.words;
      let ok = true;
      let target = '';
      let setMark: [number, number] | undefined;
      for (let i = 0; i < w.length && ok; i++) {
        const neg = w[i] === '!';
        if (neg) i++;
        const flag = w[i]!;
        const arg = w[i + 1]!;
        const test = (m: boolean) => { ok = neg ? !m : m; i++; };
        switch (flag) {
          case '-m': if (w[i + 1] === 'comment') i += 3; else i++; break;
          case '-s': test(ipInCidr(src, arg.includes('/') ? arg : `${arg}/32`)); break;
          case '-d': test(ipInCidr(dst, arg.includes('/') ? arg : `${arg}/32`)); break;
          case '-p': test(arg === 'tcp'); break;
          case '--dport': { const [lo, hi = lo] = arg.split(':').map(Number); test(dport >= lo! && dport <= hi!); break; }
          case '--ctstate': test(arg.split(',').includes('NEW')); break;
          case '--mark': { const [v, m] = arg.split('/').map(Number); test((mark & m!) === v); break; }
          case '-j': target = arg; i++; break;
          case '--set-xmark': { const [v, m] = arg.split('/').map(Number); setMark = [v!, m!]; i++; break; }
          default: throw new Error(`the test interpreter cannot read ${flag} in ${rule.text}`);
        }
      }
      if (!ok) continue;
      if (target === 'MARK') { mark = (mark & ~setMark![1]) | setMark![0]; continue; }
      if (target === 'DROP') return 'deny';
      if (target === 'RETURN') return 'return';
      if (run(target) === 'deny') return 'deny';
    }
    return 'return';
  };
  return run('KUBE-NWPLCY-FORWARD') === 'deny' ? 'deny' : 'allow';
}

/** The reachability matrix, as upstream's Reachability prints it: each "ns/pod" that reaches each other one, on a port. */
function reachability(policies: Obj[], port = 80): Record<string, string[]> {
  const { text } = policyRules(policies, pods, namespaces, { nodeName: 'node1' });
  const all = NAMESPACES.flatMap((ns) => PODS.map((p) => [ns, p] as const));
  const out: Record<string, string[]> = {};
  for (const [fns, fp] of all) {
    out[`${fns}/${fp}`] = all.filter(([tns, tp]) => verdict(text, ip(fns, fp), ip(tns, tp), port) === 'allow').map(([tns, tp]) => `${tns}/${tp}`);
  }
  return out;
}
const everyone = NAMESPACES.flatMap((ns) => PODS.map((p) => `${ns}/${p}`));
/** All reach all, except these pairs "from>to". */
function allBut(...denied: string[]): Record<string, string[]> {
  return Object.fromEntries(everyone.map((from) => [from, everyone.filter((to) => !denied.includes(`${from}>${to}`))]));
}
const pairs = (froms: string[], tos: string[]) => froms.flatMap((f) => tos.map((t) => `${f}>${t}`));
const not = (list: string[]) => everyone.filter((p) => !list.includes(p));

describe('NetworkPolicy as iptables rules', () => {
  it('no policy: nothing is isolated, and no pod gets a chain', () => {
    const { text, chains } = policyRules([], pods, namespaces, { nodeName: 'node1' });
    expect(chains).toEqual(['KUBE-NWPLCY-FORWARD']);
    expect(text).toContain('-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN');
    expect(reachability([])).toEqual(allBut());
  });

  it('policyTypes default: Ingress always, Egress when there are egress rules (NetworkPolicySpec docs)', () => {
    expect(policyTypes({ spec: { podSelector: {} } })).toEqual(['ingress']);
    expect(policyTypes({ spec: { podSelector: {}, egress: [] } })).toEqual(['ingress', 'egress']);
    expect(policyTypes({ spec: { podSelector: {}, policyTypes: ['Egress'] } })).toEqual(['egress']);
  });

  // e2e: "should support a 'default-deny-ingress' policy"; docs "Default deny all ingress traffic".
  it('default-deny-ingress in x: nothing reaches x\'s pods; everything else is open', () => {
    const r = reachability([policy('deny-ingress', { podSelector: {}, ingress: [] })]);
    expect(r).toEqual(allBut(...pairs(everyone, ['x/a', 'x/b', 'x/c'])));
  });

  // e2e: "should support a 'default-deny-all' policy"; docs "Default deny all ingress and all egress traffic".
  it('default-deny-all in x: x\'s pods neither send nor receive (a pod talking to itself never crosses FORWARD: the matrix leaves that aside)', () => {
    const r = reachability([policy('deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })]);
    const xs = ['x/a', 'x/b', 'x/c'];
    expect(r).toEqual(allBut(...pairs(everyone, xs), ...pairs(xs, everyone)));
  });

  // e2e: "should enforce policy to allow traffic from pods within server namespace based on PodSelector".
  it('x/a allows ingress from pod=b in its own namespace only', () => {
    const r = reachability([policy('allow-b', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] })]);
    expect(r).toEqual(allBut(...pairs(not(['x/b']), ['x/a'])));
  });

  // e2e: "should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector".
  it('x/a allows ingress from namespace y (namespaceSelector alone: every pod there)', () => {
    const r = reachability([policy('allow-ns-y', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] })]);
    expect(r).toEqual(allBut(...pairs(not(['y/a', 'y/b', 'y/c']), ['x/a'])));
  });

  // e2e: "should enforce policy based on NamespaceSelector with MatchExpressions" (ns NotIn [x]) — and the
  // namespace's own name label, kubernetes.io/metadata.name.
  it('matchExpressions on namespaces, and kubernetes.io/metadata.name', () => {
    const r = reachability([policy('not-x', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['x'] }] } }] }] })]);
    expect(r).toEqual(allBut(...pairs(['x/a', 'x/b', 'x/c'], ['x/a'])));
  });

  // e2e: "should enforce policy based on PodSelector and NamespaceSelector" (one peer: AND) versus
  // "should enforce policy based on PodSelector or NamespaceSelector" (two peers: OR); docs, "Behavior of to and from selectors".
  it('podSelector and namespaceSelector in one peer are ANDed; in two peers, ORed', () => {
    const and = reachability([policy('and', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }] }] })]);
    expect(and).toEqual(allBut(...pairs(not(['y/b']), ['x/a'])));
    const or = reachability([policy('or', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }] }] })]);
    expect(or).toEqual(allBut(...pairs(not(['y/a', 'y/b', 'y/c', 'x/b']), ['x/a'])));
  });

  // e2e: "should enforce policy based on Ports" and "should allow ingress access on one named port".
  it('ports: a number, and a named port resolved on the pod the traffic is to', () => {
    const byNumber = [policy('81', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 81, protocol: 'TCP' }] }] })];
    expect(reachability(byNumber, 80)).toEqual(allBut(...pairs(everyone, ['x/a'])));
    expect(reachability(byNumber, 81)).toEqual(allBut());
    const byName = [policy('named', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 'serve-80-tcp' }] }] })];
    expect(reachability(byName, 80)).toEqual(allBut());
    expect(reachability(byName, 81)).toEqual(allBut(...pairs(everyone, ['x/a'])));
    const { text } = policyRules(byName, pods, namespaces, { nodeName: 'node1' });
    expect(text).toMatch(/-d 10\.244\.1\.10\/32 -p tcp -m tcp --dport 80 -j MARK/);
  });

  // e2e: "should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label" is above;
  // docs: "Targeting a range of ports" (endPort).
  it('endPort: a range of ports', () => {
    const range = [policy('range', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 80, endPort: 81 }] }] })];
    expect(reachability(range, 81)).toEqual(allBut());
    expect(reachability(range, 82)).toEqual(allBut(...pairs(everyone, ['x/a'])));
  });

  // e2e: "should allow egress access on one named port" and "should deny egress from all pods in a namespace".
  it('egress: to a named port of the peer; nothing else leaves', () => {
    const named = [policy('egress-80', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'serve-80-tcp' }] }] })];
    expect(reachability(named, 80)).toEqual(allBut());
    expect(reachability(named, 81)).toEqual(allBut(...pairs(['x/a'], everyone)));
  });

  // e2e: "should enforce except clause while egress access to server in CIDR block"; docs' example policy (ipBlock 172.17.0.0/16 except 172.17.1.0/24).
  it('ipBlock with except: the CIDR but not the exception', () => {
    const cidr = [policy('cidr', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.2.0/24'] } }] }] })];
    expect(reachability(cidr)).toEqual(allBut(...pairs(['x/a'], ['y/a', 'y/b', 'y/c'])));
    const { text } = policyRules(cidr, pods, namespaces, { nodeName: 'node1' });
    expect(text).toMatch(/^-A KUBE-IPBLK-\w+ .*-d 10\.244\.2\.0\/24 -j RETURN$/m);
  });

  // e2e: "should enforce multiple, stacked policies with overlapping podSelectors" (policies are additive: a union).
  it('two policies on one pod: their allows add up', () => {
    const stacked = [
      policy('from-b', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] }),
      policy('from-c', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'c' } } }] }] }),
    ];
    expect(reachability(stacked)).toEqual(allBut(...pairs(not(['x/b', 'x/c']), ['x/a'])));
  });

  // e2e: "should work with Ingress, Egress specified together": ingress and egress judged apart, each by its own policies.
  it('egress of the sender and ingress of the receiver both have to allow', () => {
    const both = [
      policy('a-out', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] }),
      policy('b-in', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'c' } } }] }] }),
    ];
    const r = reachability(both);
    expect(r['x/a']).toEqual([]);
    expect(r['x/c']).toContain('x/b');
    expect(r['y/a']).not.toContain('x/b');
  });

  it('every chain name fits iptables (at most 28 characters)', () => {
    const all = [
      policy('a', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }] }),
    ];
    const { chains } = policyRules(all, pods, namespaces, { nodeName: 'node1' });
    expect(chains.some((c) => c.startsWith('KUBE-POD-EG-')) && chains.some((c) => c.startsWith('KUBE-IPBLK-'))).toBe(true);
    for (const chain of chains) expect(chain.length, chain).toBeLessThanOrEqual(28);
  });

  it('only this node\'s pods get chains; stale ones are deleted', () => {
    const moved = pods.map((p) => (p.metadata.namespace === 'x' && p.metadata.name === 'a' ? { ...p, spec: { ...p.spec, nodeName: 'node2' } } : p));
    const deny = [policy('deny', { podSelector: {}, ingress: [] })];
    const old = podChainName('x', 'a', 'ingress');
    const { text, chains } = policyRules(deny, moved, namespaces, { nodeName: 'node1', existingChains: [old, 'KUBE-SERVICES'] });
    expect(chains).not.toContain(old);
    expect(chains).toContain(podChainName('x', 'b', 'ingress'));
    expect(text).toContain(`-X ${old}`);
    expect(text).not.toContain('-X KUBE-SERVICES');
  });
});
