// Following a packet through real kernels (issue 15): the hops and verdicts of a walk on a
// two-node VXLAN cluster (test/fixtures/labs/walk), and the `path` check kind on it; then a
// walk through IPVS (lab ipvs) and DNS walks (lab cluster-dns).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab, withLab } from '../../src/harness/run-lab.js';
import type { WalkHop } from '../../src/harness/walk.js';
import { findLab, loadLabFolder } from '../../src/lab/load.js';

const lab = loadLabFolder(fileURLToPath(new URL('../fixtures/labs/walk', import.meta.url)));
let run: LabRun;

beforeAll(async () => { run = await openLab(lab); });
afterAll(async () => { await run?.close(); });

const kinds = (hops: WalkHop[]) => hops.map((hop) => `${hop.direction} ${hop.kind} ${hop.node}`);
const indexOf = (hops: WalkHop[], test: (hop: WalkHop) => boolean) => {
  const index = hops.findIndex(test);
  expect(index, `a hop in:\n${hops.map((hop) => hop.text).join('\n')}`).toBeGreaterThanOrEqual(0);
  return index;
};

describe('a packet walk on real nodes', () => {
  it('follows a ClusterIP connection: DNAT on node1, VXLAN to node2, the pod, and the answer back', async () => {
    const walk = await run.walk({ from: 'client', to: '10.96.0.20:80', probe: 'tcp' });
    const { hops } = walk;
    expect(walk.outcome, walk.summary).toBe('answered');
    const left = indexOf(hops, (hop) => hop.kind === 'leave-pod' && hop.netns === 'client');
    expect(hops[left]!.packet).toMatchObject({ src: '10.244.1.2', dst: '10.96.0.20', dport: 80 });
    const dnat = indexOf(hops, (hop) => hop.kind === 'nat' && hop.node === 'node1' && hop.rule?.target === 'DNAT');
    expect(hops[dnat]!.rule!.chain).toMatch(/^KUBE-SEP-/);
    expect(hops[dnat]!.text).toContain('DNAT to 10.244.2.2:80');
    // The headers change at the DNAT: the route after it is for the pod, not the Service.
    const route = indexOf(hops, (hop) => hop.kind === 'route' && hop.node === 'node1');
    expect(route).toBeGreaterThan(dnat);
    expect(hops[route]!.packet?.dst).toBe('10.244.2.2');
    expect(hops[route]!.text).toContain('10.244.2.0/24 via 10.244.2.0 dev flannel.1');
    const encap = indexOf(hops, (hop) => hop.kind === 'encap' && hop.node === 'node1');
    const wire = indexOf(hops, (hop) => hop.kind === 'wire' && hop.direction === 'request');
    expect(hops[wire]!.packet?.outer).toEqual({ src: '10.0.0.11', dst: '10.0.0.12', tunnel: 'VXLAN VNI 1' });
    expect(hops[wire]!.packet).toMatchObject({ src: '10.244.1.2', dst: '10.244.2.2', dport: 80 });
    expect(hops[wire]!.frame?.bytes.length).toBeGreaterThan(100);
    const decap = indexOf(hops, (hop) => hop.kind === 'decap' && hop.node === 'node2');
    expect(hops[decap]!.text).toContain('flannel.1');
    const arrived = indexOf(hops, (hop) => hop.kind === 'enter-pod' && hop.netns === 'web');
    expect([left, dnat, encap, wire, decap, arrived]).toEqual([...[left, dnat, encap, wire, decap, arrived]].sort((a, b) => a - b));
    // The answer: back over VXLAN, un-DNATed by conntrack, into the client from the Service's address.
    const back = hops.filter((hop) => hop.direction === 'reply');
    expect(kinds(back)).toEqual(expect.arrayContaining(['reply leave-pod node2', 'reply encap node2', 'reply decap node1', 'reply enter-pod node1']));
    expect(back.at(-1)!.packet).toMatchObject({ src: '10.96.0.20', sport: 80, dst: '10.244.1.2' });
    expect(hops.some((hop) => hop.kind === 'conntrack' && hop.node === 'node1' && /DNAT: the answer comes from 10.244.2.2/.test(hop.text))).toBe(true);
  });

  it('follows a NodePort from outside: DNAT and MASQUERADE on node1, so web sees node1, not the client', async () => {
    const walk = await run.walk({ from: 'outside', to: '10.0.0.11:30080', probe: 'tcp' });
    const { hops } = walk;
    expect(walk.outcome, walk.summary).toBe('answered');
    const dnat = indexOf(hops, (hop) => hop.node === 'node1' && hop.rule?.target === 'DNAT');
    const masquerade = indexOf(hops, (hop) => hop.node === 'node1' && hop.rule?.target === 'MASQUERADE');
    expect(masquerade).toBeGreaterThan(dnat);
    expect(hops.some((hop) => hop.rule?.chain === 'KUBE-NODEPORTS')).toBe(true);
    const arrived = hops[indexOf(hops, (hop) => hop.kind === 'enter-pod' && hop.netns === 'web')]!;
    expect(arrived.packet?.src).toBe('10.244.1.0');
    expect(hops.at(-1)!.node).toBe('outside');
    expect(hops.at(-1)!.packet).toMatchObject({ src: '10.0.0.11', sport: 30080, dst: '10.0.0.13' });
  });

  it('ends a walk at the NetworkPolicy rule that dropped it', async () => {
    const walk = await run.walk({ from: 'client', to: '10.244.2.3', probe: 'icmp' });
    expect(walk.outcome).toBe('dropped');
    const drop = walk.hops.find((hop) => hop.kind === 'drop')!;
    expect(drop).toMatchObject({ node: 'node2', rule: { table: 'filter', chain: 'POLICY-LOCKED', number: 1, target: 'DROP' } });
    expect(walk.hops.at(-1)).toBe(drop);
    expect(walk.hops.filter((hop) => hop.direction === 'reply')).toEqual([]);
    expect(walk.summary).toContain('POLICY-LOCKED');
  });

  it('ends a walk at the node with no route, saying so', async () => {
    const walk = await run.walk({ from: 'node2/web', to: '10.244.3.5', probe: 'icmp' });
    expect(walk.outcome).toBe('dropped');
    const drop = walk.hops.at(-1)!;
    expect(drop).toMatchObject({ kind: 'drop', node: 'node2' });
    expect(drop.text).toMatch(/no route for 10\.244\.3\.5.*unreachable/i);
  });

  it('leaves no tracing behind, and says clearly what it cannot walk from', async () => {
    await expect(run.walk({ from: 'nobody', to: '10.244.2.2', probe: 'icmp' })).rejects.toThrow(/no node has a pod .*'nobody'/);
    await expect(run.walk({ from: 'node9/web', to: '10.244.2.2', probe: 'icmp' })).rejects.toThrow(/there is no node 'node9'/);
    await expect(run.walk({ from: 'client', to: '10.244.2.2:99999', probe: 'tcp' })).rejects.toThrow(/not between 1 and 65535/);
    // A walk answers first and takes its tracing off just after; what reads the nodes waits for that.
    await run.walksSettled();
    for (const node of run.nodeNames) {
      const left = await run.exec(node, 'for ns in "" $(ip netns list | cut -d" " -f1); do ${ns:+ip netns exec $ns} iptables-save; done | grep -c podwire-walk; sysctl -n net.netfilter.nf_log_all_netns; ls /run/podwire-walk.* 2>/dev/null | wc -l');
      expect(left.stdout.split('\n').slice(0, 3), `${node} keeps nothing of the walks`).toEqual(['0', '0', '0']);
    }
  });

  it('judges paths with the path check: the right ones pass, a wrong one names the first hop that differs', async () => {
    const right = await run.checkStep(0);
    expect(right.checks.filter((check) => !check.passed).map((check) => check.message)).toEqual([]);
    const wrong = await run.checkStep(1);
    const [endpoint, answers] = wrong.checks;
    expect(endpoint!.passed).toBe(false);
    expect(endpoint!.found).toMatch(/no hop "DNAT to 10\.244\.2\.9:80" after hop \d+: after hop \d+, the path went on with hop \d+: /);
    expect(answers!.passed).toBe(false);
    expect(answers!.found).toContain('POLICY-LOCKED');
  });
});

describe('walks through IPVS and DNS', () => {
  it('names IPVS where it rewrites a connection to a virtual server, with the address on kube-ipvs0 and the real server chosen', async () => {
    await withLab(findLab('ipvs'), async (ipvs) => {
      await ipvs.applySolutions(1);
      const walk = await ipvs.walk({ from: 'client', to: '10.96.0.100:80', probe: 'tcp' });
      expect(walk.outcome, walk.hops.map((hop) => hop.text).join('\n')).toBe('answered');
      const at = indexOf(walk.hops, (hop) => hop.kind === 'nat' && /IPVS/.test(hop.text));
      expect(walk.hops[at]!.text).toMatch(/^node1: IPVS virtual server TCP 10\.96\.0\.100:80 \(rr, the address on kube-ipvs0\) → DNAT to 10\.244\.1\.[23]:80 \(Masq\)$/);
      expect(walk.hops[at]!.interface).toBe('kube-ipvs0');
      // Before it the packet goes to the virtual address; after it, to the pod IPVS chose, which answers.
      expect(walk.hops.slice(0, at).some((hop) => hop.packet?.dst === '10.96.0.100')).toBe(true);
      const chosen = /DNAT to (10\.244\.1\.[23])/.exec(walk.hops[at]!.text)![1]!;
      indexOf(walk.hops.slice(at), (hop) => hop.kind === 'enter-pod' && hop.netns === (chosen === '10.244.1.2' ? 'web-1' : 'web-2'));
      // The answer leaves the pod from its own address and reaches the client from the virtual one.
      const back = indexOf(walk.hops, (hop) => hop.direction === 'reply' && hop.kind === 'nat');
      expect(walk.hops[back]!.text).toBe(`node1: IPVS answers for virtual server TCP 10.96.0.100:80: from ${chosen}:80 it becomes from 10.96.0.100:80`);
      expect(walk.hops.at(-1)).toMatchObject({ kind: 'enter-pod', netns: 'client', packet: { src: '10.96.0.100', sport: 80 } });
    });
  });

  it('follows a DNS query to the kube-dns Service, DNATed to the coredns pod, and a connection to a Service by its name', async () => {
    await withLab(findLab('cluster-dns'), async (dns) => {
      await dns.applySolutions(3);
      const query = await dns.walk({ from: 'client', to: '10.96.0.10', probe: 'dns', query: 'web.default.svc.cluster.local' });
      expect(query.outcome, query.hops.map((hop) => hop.text).join('\n')).toBe('answered');
      expect(query.probe).toBe('dns');
      const dnat = indexOf(query.hops, (hop) => hop.kind === 'nat' && /DNAT to 10\.244\.1\.\d+:53/.test(hop.text));
      indexOf(query.hops.slice(dnat), (hop) => hop.kind === 'enter-pod' && hop.netns === 'coredns' && hop.packet?.dport === 53);
      // The answer comes back from the Service's address (conntrack undoes the DNAT).
      expect(query.hops.filter((hop) => hop.direction === 'reply' && hop.kind === 'enter-pod' && hop.netns === 'client').map((hop) => hop.packet?.src)).toEqual(['10.96.0.10']);

      const byName = await dns.walk({ from: 'client', to: 'web.default.svc.cluster.local:80', probe: 'tcp' });
      expect(byName.target).toBe('10.96.0.20:80');
      expect(byName.outcome, byName.hops.map((hop) => hop.text).join('\n')).toBe('answered');
      indexOf(byName.hops, (hop) => hop.kind === 'enter-pod' && hop.netns === 'web');
    });
  });
});
