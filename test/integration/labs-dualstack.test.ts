// Dual-stack (labs/25-dual-stack): plausible mistakes fail the check that names them, and other
// correct ways pass. One cluster for the whole file; between attempts a test resets to the start
// of the step it needs. The solution bots (labs-solutions-*) already check that the lab fails
// untouched and passes with its reference solution.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, stepIndex } from './lab-bots.js';

const lab = findLab('dual-stack');
const [route6, service, fromNode] = ['route6', 'service', 'from-node'].map((id) => stepIndex(lab, id)) as [number, number, number];
const solution = (index: number, node: string) => lab.steps[index]!.solution[node]!;

const names = {
  forward1: 'node1 forwards IPv6 (net.ipv6.conf.all.forwarding = 1)',
  forward2: 'node2 forwards IPv6 (net.ipv6.conf.all.forwarding = 1)',
  toWeb2: 'client-1 reaches web-2 over IPv6 (fd00:10:244:2::2)',
  toClient2: 'client-1 reaches client-2 over IPv6 (fd00:10:244:2::3)',
  toWeb1: 'client-2 reaches web-1 over IPv6 (fd00:10:244:1::2)',
  toClient1: 'web-2 reaches client-1 over IPv6 (fd00:10:244:1::3)',
  wire: "client-1's ICMPv6 echo reaches node2's wire with the pods' addresses, unchanged",
  service6: 'requests from client-1 to [fd00:10:96::100]:80 reach both web-1 and web-2',
  node6: 'node1 itself reaches both pods through [fd00:10:96::100]:80',
};
const crossNodePings = [names.toWeb2, names.toClient2, names.toWeb1, names.toClient1];

describe('dual-stack', () => {
  let run: LabRun;
  beforeAll(async () => { run = await openLab(lab); }, 120_000);
  afterAll(async () => { await run?.close(); });

  it('IPv6 routing: forwarding turned on the IPv4 way or per interface fails the forwarding checks and every ping across nodes', async () => {
    const routes = { node1: 'ip -6 route add fd00:10:244:2::/64 via fd00::12', node2: 'ip -6 route add fd00:10:244:1::/64 via fd00::11' };
    await attempt(run, { node1: `${routes.node1}\nsysctl -w net.ipv4.conf.all.forwarding=1`, node2: `${routes.node2}\nsysctl -w net.ipv4.conf.all.forwarding=1` });
    const ipv4Way = await run.checkStep(route6);
    expect(failedNames(ipv4Way)).toEqual([names.forward1, names.forward2, ...crossNodePings, names.wire]);
    expect(ipv4Way.checks.find((c) => !c.passed)!.hint).toMatch(/net\.ipv6\.conf\.all\.forwarding/);

    // Per interface: IPv4 would forward with conf.<if>.forwarding on both interfaces; IPv6 does not.
    const perInterface = 'sysctl -w net.ipv6.conf.eth0.forwarding=1 net.ipv6.conf.cni0.forwarding=1';
    await attempt(run, { node1: perInterface, node2: perInterface });
    expect(failedNames(await run.checkStep(route6))).toEqual([names.forward1, names.forward2, ...crossNodePings, names.wire]);
  }, 300_000);

  it('IPv6 routing: a /128 route to one pod leaves the other pod on that node unreachable, both ways', async () => {
    await run.resetToStep(route6);
    await attempt(run, {
      node1: 'sysctl -w net.ipv6.conf.all.forwarding=1\nip -6 route add fd00:10:244:2::2/128 via fd00::12',
      node2: solution(route6, 'node2'),
    });
    const report = await run.checkStep(route6);
    // client-2's ping to web-1 fails too: web-1's answer to client-2 finds no route on node1.
    expect(failedNames(report)).toEqual([names.toClient2, names.toWeb1]);
    expect(report.checks.find((c) => !c.passed)!.hint).toMatch(/whole pod network/);
  }, 300_000);

  it('IPv6 routing another way passes: node2 routes via node1\'s link-local address, node1 a wider prefix', async () => {
    await run.resetToStep(route6);
    const linkLocal = (await run.exec('node1', "ip -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1")).stdout.trim();
    expect(linkLocal).toMatch(/^fe80:/);
    await attempt(run, {
      node1: 'sysctl -w net.ipv6.conf.all.forwarding=1\nip -6 route add fd00:10:244::/48 via fd00::12',
      node2: `sysctl -w net.ipv6.conf.all.forwarding=1\nip -6 route add fd00:10:244:1::/64 via ${linkLocal} dev eth0`,
    });
    expect(failedNames(await run.checkStep(route6))).toEqual([]);
  }, 300_000);

  it('the Service: iptables rules alone serve only the IPv4 ClusterIP; one nftables inet table for both families passes', async () => {
    await run.resetToStep(service);
    const ipv4Only = solution(service, 'node1').split('\n').filter((line) => line.startsWith('iptables')).join('\n');
    await attempt(run, { node1: ipv4Only });
    const report = await run.checkStep(service);
    expect(failedNames(report)).toEqual([names.service6]);
    expect(report.checks.find((c) => !c.passed)!.hint).toMatch(/ip6tables/);

    await run.resetToStep(service);
    await attempt(run, {
      node1: [
        'nft add table inet services',
        "nft add chain inet services pre '{ type nat hook prerouting priority -100; }'",
        "nft add chain inet services out '{ type nat hook output priority -100; }'",
        'nft add chain inet services web',
        "nft add rule inet services web ip daddr 10.96.0.100 tcp dport 80 dnat ip to numgen inc mod 2 map '{ 0 : 10.244.1.2, 1 : 10.244.2.2 }'",
        "nft add rule inet services web ip6 daddr fd00:10:96::100 tcp dport 80 dnat ip6 to numgen inc mod 2 map '{ 0 : fd00:10:244:1::2, 1 : fd00:10:244:2::2 }'",
        'nft add rule inet services pre jump web',
        'nft add rule inet services out jump web',
      ].join('\n'),
    });
    expect(failedNames(await run.checkStep(service))).toEqual([]);
  }, 300_000);

  it('the node and its IPv6 Service: the DNAT in OUTPUT again, or accepting router advertisements, does not help; a default route via node2 does', async () => {
    await run.resetToStep(fromNode);
    await attempt(run, { node1: 'ip6tables -t nat -I OUTPUT -d fd00:10:96::100 -p tcp --dport 80 -j SVC-WEB\nsysctl -w net.ipv6.conf.eth0.accept_ra=2' });
    const report = await run.checkStep(fromNode);
    expect(failedNames(report)).toEqual([names.node6]);
    // nc without -v says nothing: the connection fails at the route lookup, before any rule.
    expect(report.checks[0]!.found).toMatch(/answers: \(no-answer\) \(no-answer\)/);

    await run.resetToStep(fromNode);
    await attempt(run, { node1: 'ip -6 route add default via fd00::12' });
    expect(failedNames(await run.checkStep(fromNode))).toEqual([]);
  }, 300_000);
});
