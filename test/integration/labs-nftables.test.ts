// kube-proxy's nftables mode (labs/21-nftables-proxy): plausible mistakes fail the check that names
// them, and other correct ways pass. One cluster for the whole file; between attempts a test
// deletes the learner's table or resets to the start of the step it needs. The solution bots
// (labs-solutions-*) already check that the lab fails untouched and passes with its reference
// solution.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, stepIndex } from './lab-bots.js';

const lab = findLab('nftables-proxy');
const [service, secondPort, noEndpoints, leaves] = ['service', 'second-port', 'no-endpoints', 'endpoint-leaves'].map((id) => stepIndex(lab, id)) as [number, number, number, number];
const solution = (index: number) => lab.steps[index]!.solution.node1!;

const names = {
  fromNode: 'node1 itself reaches the Service too',
  otherPort: 'port 8080 of 10.96.0.100 is not a port of the Service yet, and no pod answers there',
  inNftables: 'the Service is in nftables (nft list ruleset DNATs to both pods) and iptables, legacy or nft, has no DNAT of its own',
  admin: 'requests from the client pod to 10.96.0.100:8080 reach both admin pages, web-1-admin and web-2-admin',
  podRefused: "the client pod's connection to 10.100.0.50:5432 is refused at once, not left to time out",
  nodeRefused: "node1's own connection to 10.100.0.50:5432 is refused at once too",
  only80: 'every new connection from the client pod to 10.96.0.100:80 goes to web-1',
  only8080: "every new connection from the client pod to 10.96.0.100:8080 goes to web-1's admin page",
};

describe('nftables-proxy', () => {
  let run: LabRun;
  beforeAll(async () => { run = await openLab(lab); }, 120_000);
  afterAll(async () => { await run?.close(); });

  it('the Service: without the output hook only node1 fails; a map keyed by address alone DNATs port 8080 too; iptables rules work but are not nftables', async () => {
    // Hooked into prerouting only: pods reach the Service, node1 does not.
    const noOutput = solution(service).split('\n').filter((line) => !line.includes('nat-output')).join('\n');
    expect(noOutput).not.toBe(solution(service));
    await attempt(run, { node1: noOutput });
    const prerouting = await run.checkStep(service);
    expect(failedNames(prerouting)).toEqual([names.fromNode]);
    expect(prerouting.checks.find((c) => !c.passed)!.hint).toMatch(/output hook/);

    // The map keyed by the address only: every port of it goes to the pods' port 80.
    await attempt(run, {
      node1: [
        'nft delete table ip kube-proxy',
        // The table, its hooks, the endpoint chains and the Service's chain, as in the solution.
        ...solution(service).split('\n').slice(0, 9),
        "nft add map ip kube-proxy service-ips '{ type ipv4_addr : verdict; }'",
        'nft add chain ip kube-proxy services',
        'nft add rule ip kube-proxy services ip daddr vmap @service-ips',
        'nft add rule ip kube-proxy nat-prerouting jump services',
        'nft add rule ip kube-proxy nat-output jump services',
        "nft add element ip kube-proxy service-ips '{ 10.96.0.100 : goto service-web-80 }'",
      ].join('\n'),
    });
    const byAddress = await run.checkStep(service);
    expect(failedNames(byAddress)).toEqual([names.otherPort]);
    expect(byAddress.checks.find((c) => !c.passed)!.found).toMatch(/8080 answered by: web-[12]/);

    // The clusterip lab's iptables rules: the traffic works, but the Service is not in nftables.
    const clusterip = findLab('clusterip').steps[0]!.solution.node1!;
    await attempt(run, { node1: `nft delete table ip kube-proxy\n${clusterip}` });
    const iptables = await run.checkStep(service);
    expect(failedNames(iptables)).toEqual([names.inNftables]);
    expect(iptables.checks.find((c) => !c.passed)!.found).toMatch(/iptables-legacy DNAT: [1-9]/);
  }, 300_000);

  it('the Service written another way passes: an inet table of its own name, numgen inc, and one dnat ... map rule as newer kube-proxy releases write it', async () => {
    await run.resetToStep(service);
    await attempt(run, {
      node1: [
        'nft add table inet my-services',
        "nft add chain inet my-services pre '{ type nat hook prerouting priority -100; }'",
        "nft add chain inet my-services out '{ type nat hook output priority -100; }'",
        "nft add map inet my-services vips '{ type ipv4_addr . inet_proto . inet_service : verdict; }'",
        'nft add chain inet my-services web',
        "nft add rule inet my-services web meta l4proto tcp dnat ip addr . port to numgen inc mod 2 map '{ 0 : 10.244.1.2 . 80, 1 : 10.244.1.3 . 80 }'",
        "nft add element inet my-services vips '{ 10.96.0.100 . tcp . 80 : goto web }'",
        'nft add rule inet my-services pre ip daddr . meta l4proto . th dport vmap @vips',
        'nft add rule inet my-services out ip daddr . meta l4proto . th dport vmap @vips',
      ].join('\n'),
    });
    expect(failedNames(await run.checkStep(service))).toEqual([]);
  }, 300_000);

  it('a second port: an element for 8080 that goes to port 80\'s chain misses the targetPort', async () => {
    await run.resetToStep(secondPort);
    await attempt(run, { node1: "nft add element ip kube-proxy service-ips '{ 10.96.0.100 . tcp . 8080 : goto service-web-80 }'" });
    const report = await run.checkStep(secondPort);
    expect(failedNames(report)).toEqual([names.admin]);
    expect(report.checks.find((c) => !c.passed)!.found).toMatch(/answers: web-[12]/);
  }, 300_000);

  it('no endpoints: drop leaves both clients to time out; a reject on forward only refuses the pod but not node1; reject with tcp reset in a table of its own passes', async () => {
    await run.resetToStep(noEndpoints);
    await attempt(run, { node1: solution(noEndpoints).replace('reject-chain reject', 'reject-chain drop') });
    const dropped = await run.checkStep(noEndpoints);
    expect(failedNames(dropped)).toEqual([names.podRefused, names.nodeRefused]);
    expect(dropped.checks.find((c) => !c.passed)!.found).toMatch(/timed out|after [2-9]\d{3} ms/);

    await attempt(run, { node1: 'nft flush chain ip kube-proxy reject-chain\nnft add rule ip kube-proxy reject-chain reject\nnft flush chain ip kube-proxy filter-output\nnft delete chain ip kube-proxy filter-output' });
    expect(failedNames(await run.checkStep(noEndpoints))).toEqual([names.nodeRefused]);

    await run.resetToStep(noEndpoints);
    await attempt(run, {
      node1: [
        'nft add table inet no-endpoints',
        "nft add chain inet no-endpoints forward '{ type filter hook forward priority filter; }'",
        "nft add chain inet no-endpoints output '{ type filter hook output priority filter; }'",
        'nft add rule inet no-endpoints forward ip daddr 10.100.0.50 tcp dport 5432 reject with tcp reset',
        'nft add rule inet no-endpoints output ip daddr 10.100.0.50 tcp dport 5432 reject with tcp reset',
      ].join('\n'),
    });
    expect(failedNames(await run.checkStep(noEndpoints))).toEqual([]);
  }, 300_000);

  it('an endpoint leaves: a mod 2 vmap without its second entry leaves half the connections undnatted; a plain goto to web-1 passes', async () => {
    await run.resetToStep(leaves);
    const halfway = [80, 8080].map((port) => `nft flush chain ip kube-proxy service-web-${port}\nnft add rule ip kube-proxy service-web-${port} numgen random mod 2 vmap '{ 0 : goto endpoint-web-1-${port} }'`).join('\n');
    await attempt(run, { node1: halfway });
    const report = await run.checkStep(leaves);
    expect(failedNames(report)).toEqual([names.only80, names.only8080]);
    expect(report.checks[0]!.found).toContain('(no-answer)');

    const straight = [80, 8080].map((port) => `nft flush chain ip kube-proxy service-web-${port}\nnft add rule ip kube-proxy service-web-${port} goto endpoint-web-1-${port}`).join('\n');
    await attempt(run, { node1: straight });
    expect(failedNames(await run.checkStep(leaves))).toEqual([]);
  }, 300_000);
});
