// LoadBalancer Services the MetalLB way (labs/26-loadbalancer): plausible mistakes fail the right
// check, and other correct ways pass. One cluster for the whole file; each test resets it to the
// start of the step it needs. The solution bots (labs-solutions-*) already check that the lab
// fails untouched and passes with its reference solution.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, stepIndex } from './lab-bots.js';

const lab = findLab('loadbalancer');
const ANNOUNCE = stepIndex(lab, 'announce');
const LOCAL = stepIndex(lab, 'local');
const BGP = stepIndex(lab, 'bgp');
const FAILOVER = stepIndex(lab, 'failover');

/** A node's BIRD as a learner might write it: the reference's sessions with a part changed. */
function bird(address: string, options: { localAs?: number; export?: string; extra?: string } = {}): string {
  return [
    "cat >/etc/bird/bird.conf <<'EOF'",
    `router id ${address};`,
    'protocol device { scan time 2; }',
    options.extra ?? 'protocol static vips { ipv4; route 10.0.100.10/32 blackhole; }',
    `protocol bgp tor { local ${address} as ${options.localAs ?? 64500}; neighbor 10.0.0.14 as 64501; ipv4 { import none; ${options.export ?? 'export where proto = "vips";'} }; }`,
    'EOF',
    'bird',
  ].join('\n');
}

describe('loadbalancer', () => {
  let run: LabRun;
  beforeAll(async () => { run = await openLab(lab); }, 120_000);
  afterAll(async () => { await run?.close(); });

  it('a proxy entry with no route of its own is never answered (the kernel proxies only what it would route elsewhere)', async () => {
    await attempt(run, { node1: 'sysctl -qw net.ipv4.neigh.eth0.proxy_delay=0\nip neigh add proxy 10.0.0.200 dev eth0' });
    const report = await run.checkStep(ANNOUNCE);
    expect(failedNames(report)).toEqual([
      'only node1 answers ARP for 10.0.0.200, with its own MAC',
      "node1's ARP reply for 10.0.0.200 crosses the wire from node1",
      'through 10.0.0.200 the client reaches both web-1 and web-2',
    ]);
    expect(report.checks[0]!.found).toContain('answered by: nobody');
  }, 120_000);

  it('the address on both nodes: two MACs answer; on node1\'s eth0 alone (the kube-vip and keepalived way) it passes', async () => {
    await run.resetToStep(ANNOUNCE);
    await attempt(run, { node1: 'ip addr add 10.0.0.200/32 dev eth0', node2: 'ip addr add 10.0.0.200/32 dev eth0' });
    const report = await run.checkStep(ANNOUNCE);
    expect(failedNames(report)).toEqual(['only node1 answers ARP for 10.0.0.200, with its own MAC']);
    expect(report.checks[0]!.found).toContain('02:50:00:00:00:01 02:50:00:00:00:02');
    await attempt(run, { node2: 'ip addr del 10.0.0.200/32 dev eth0' });
    expect(failedNames(await run.checkStep(ANNOUNCE))).toEqual([]);
  }, 180_000);

  it('a Local Service announced from the node without its pod: the client\'s connections end in that node\'s drop', async () => {
    await run.resetToStep(LOCAL);
    await attempt(run, { node1: 'ip route add 10.0.0.201/32 dev kube-lb0\nip neigh add proxy 10.0.0.201 dev eth0' });
    expect(failedNames(await run.checkStep(LOCAL))).toEqual([
      'only node2 answers ARP for 10.0.0.201, with its own MAC',
      "through 10.0.0.201 the client reaches admin's pod, web-2, and web-2 sees the client's own address, 10.0.0.13",
    ]);
  }, 180_000);

  it('nodes in the router\'s own AS (iBGP where it expects eBGP) never get a session', async () => {
    await run.resetToStep(BGP);
    await attempt(run, { node1: bird('10.0.0.11', { localAs: 64501 }), node2: bird('10.0.0.12', { localAs: 64501 }) });
    const report = await run.checkStep(BGP);
    expect(failedNames(report)).toEqual(lab.steps[BGP]!.checks.map((c) => c.name));
    expect(report.checks[0]!.found).not.toMatch(/BGP state: +Established/);
  }, 240_000);

  it('only node1 exports the address: the client is answered, but the router has one path and no ECMP', async () => {
    await run.resetToStep(BGP);
    await attempt(run, { node1: bird('10.0.0.11'), node2: bird('10.0.0.12', { export: 'export none;' }) });
    expect(failedNames(await run.checkStep(BGP))).toEqual([
      'the router learned 10.0.100.10/32 from both nodes, each the next hop of its own path',
      "the router's kernel has one route to 10.0.100.10 with both nodes as next hops (ECMP)",
    ]);
  }, 240_000);

  it('the address on a dummy device, announced from BIRD\'s direct protocol, passes', async () => {
    await run.resetToStep(BGP);
    const direct = (address: string) => `ip link add vip0 type dummy\nip link set vip0 up\nip addr add 10.0.100.10/32 dev vip0\n${bird(address, {
      extra: 'protocol direct vips { ipv4; interface "vip0"; }',
    })}`;
    await attempt(run, { node1: direct('10.0.0.11'), node2: direct('10.0.0.12') });
    expect(failedNames(await run.checkStep(BGP))).toEqual([]);
  }, 240_000);

  it('node2 takes the address over without a gratuitous ARP: the client still sends to node1\'s MAC', async () => {
    await run.resetToStep(FAILOVER);
    await attempt(run, {
      node1: 'ip link set eth0 down',
      node2: 'ip route add 10.0.0.200/32 dev kube-lb0\nip neigh add proxy 10.0.0.200 dev eth0\niptables -t nat -D LB-WEB 1',
    });
    const report = await run.checkStep(FAILOVER);
    expect(failedNames(report)).toEqual([
      "the client's ARP cache already has 10.0.0.200 at node2's MAC, 02:50:00:00:00:02 (a gratuitous ARP moved it)",
    ]);
    expect(report.checks[0]!.found).toContain('02:50:00:00:00:01');
  }, 180_000);

  it('the address on node2\'s eth0 with a gratuitous ARP, but web-1 kept as an endpoint: half the connections are lost; dropping it passes', async () => {
    await run.resetToStep(FAILOVER);
    await attempt(run, {
      node1: 'ip link set eth0 down',
      node2: 'ip addr add 10.0.0.200/32 dev eth0\narping -U -c 1 -I eth0 10.0.0.200',
    });
    expect(failedNames(await run.checkStep(FAILOVER))).toEqual(['through 10.0.0.200 every connection of the client is answered, all by web-2']);
    await attempt(run, { node2: "iptables -t nat -D LB-WEB -p tcp -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.244.1.2:80" });
    expect(failedNames(await run.checkStep(FAILOVER))).toEqual([]);
  }, 180_000);
});
