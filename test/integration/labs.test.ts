// Per lab of the first group: a plausible wrong solution fails the right check, and a
// different correct one passes. (Every lab's solution bot is in labs-solutions-*.)
import { describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, gradeWith, withLab } from './lab-bots.js';

describe('plausible mistakes fail the right check, and other correct ways pass', () => {
  it('netns-veth: an end left down fails the ping, not the address checks', async () => {
    const lab = findLab('netns-veth');
    const report = await gradeWith(lab, 1, { node1: lab.steps[1]!.solution.node1!.replace('ip -n pod-b link set veth-b up', '') });
    expect(report.checks.filter((c) => !c.passed).map((c) => c.name)).toEqual(['pod-a reaches pod-b']);
    expect(report.checks.find((c) => !c.passed)!.found).toMatch(/exit code 1/);
    expect(report.hint).toMatch(/up/);
  });

  it('netns-veth: pod-b in another subnet is named in the message', async () => {
    const lab = findLab('netns-veth');
    const report = await gradeWith(lab, 1, { node1: lab.steps[1]!.solution.node1!.replace('10.244.1.3/24', '10.244.2.3/24') });
    const failed = report.checks.find((c) => c.name === 'pod-b has an address in 10.244.1.0/24')!;
    expect(failed.passed).toBe(false);
    expect(failed.found).toContain('10.244.2.3/24 on veth-b');
  });

  it('netns-veth: other addresses in the range, in another order, pass; then, for pod-c, the cable step\'s recipe fails both pings, pod-c\'s address in pod-a fails the ownership check, and a /32 route with pod-c on a /24 passes', async () => {
    const lab = findLab('netns-veth');
    await withLab(lab, async (run) => {
      await run.applySolutions(1);
      await attempt(run, {
        node1: [
          'ip link add b-end type veth peer name a-end',
          'ip link set b-end netns pod-b && ip -n pod-b link set b-end up && ip -n pod-b addr add 10.244.1.51/24 dev b-end',
          'ip link set a-end netns pod-a && ip -n pod-a addr add 10.244.1.50/24 dev a-end && ip -n pod-a link set a-end up',
        ].join('\n'),
      });
      expect((await run.checkStep(1)).checks.filter((c) => !c.passed)).toEqual([]);

      // The challenge on this cluster, where pod-a is 10.244.1.50. Step 2's recipe again: an
      // address in the same /24 on both ends. pod-a now has two routes for 10.244.1.0/24, and
      // the one out of a-end, towards pod-b, still wins.
      await attempt(run, {
        node1: [
          'ip link set veth-c netns pod-a && ip -n pod-a addr add 10.244.1.5/24 dev veth-c && ip -n pod-a link set veth-c up',
          'ip -n pod-c addr del 10.244.1.4/32 dev eth0 && ip -n pod-c addr add 10.244.1.4/24 dev eth0 && ip -n pod-c link set eth0 up',
        ].join('\n'),
      });
      expect(failedNames(await run.checkStep(2))).toEqual(['pod-a reaches pod-c', 'pod-c reaches pod-a']);

      // pod-c's address on pod-a's end: pod-a would answer its own pings, and the check says so.
      await attempt(run, { node1: 'ip -n pod-a addr del 10.244.1.5/24 dev veth-c && ip -n pod-a addr add 10.244.1.4/24 dev veth-c' });
      const owned = (await run.checkStep(2)).checks.find((c) => c.name === 'neither pod answers for the other with an address of its own')!;
      expect(owned.passed).toBe(false);
      expect(owned.found).toContain('local 10.244.1.4 dev');

      // Another repair than the reference: no address on pod-a's end, a /32 route to pod-c,
      // and pod-c on a /24 whose connected route leads back to pod-a.
      await attempt(run, { node1: 'ip -n pod-a addr del 10.244.1.4/24 dev veth-c && ip -n pod-a route add 10.244.1.4/32 dev veth-c' });
      expect((await run.checkStep(2)).checks.filter((c) => !c.passed)).toEqual([]);
    });
  });

  it('bridge: a default route via the wrong gateway names the route it found', async () => {
    const lab = findLab('bridge');
    const report = await gradeWith(lab, 1, { node1: lab.steps[1]!.solution.node1!.replace('ip -n $pod route add default via 10.244.1.1', 'ip -n $pod route add default via 10.244.1.254 dev eth0 onlink') });
    const failed = report.checks.filter((c) => !c.passed);
    expect(failed.map((c) => c.name)).toEqual(expect.arrayContaining(["pod-a's default route goes via the gateway"]));
    expect(failed.find((c) => c.name === "pod-a's default route goes via the gateway")!.found).toContain('default via 10.244.1.254');
  });

  it('bridge: SNAT to the node address works as well as MASQUERADE, when it leaves pod-to-pod traffic alone; then, in the challenge, pod-c without a default route reaches pod-a but not node2, the reference repair passes, and so does pod-c rebuilt on a veth of its own', async () => {
    const lab = findLab('bridge');
    const challenge = lab.steps.findIndex((step) => step.id === 'pod-c');
    await withLab(lab, async (run) => {
      await run.applySolutions(2);
      await attempt(run, { node1: 'iptables -t nat -A POSTROUTING -s 10.244.1.0/24 ! -d 10.244.0.0/16 -o eth0 -j SNAT --to-source 10.0.0.11' });
      expect(failedNames(await run.checkStep(2))).toEqual([]);

      // The challenge on this cluster. Step 2's cabling for pod-c, but no default route: the
      // bridge works, the way out does not.
      await attempt(run, { node1: 'ip link set veth5c2e8a1f master cni0 up\nip -n pod-c link set eth0 up' });
      const noRoute = await run.checkStep(challenge);
      expect(failedNames(noRoute)).toEqual(["pod-c reaches node2's address 10.0.0.12"]);
      expect(noRoute.hint).toMatch(/default route via 10\.244\.1\.1/);
      await attempt(run, lab.steps[challenge]!.solution);
      expect(failedNames(await run.checkStep(challenge))).toEqual([]);
      // Another repair: throw the plugin's veth away and cable pod-c again, as in step 2.
      await run.resetToStep(challenge);
      await attempt(run, {
        node1: [
          'ip link del veth5c2e8a1f',
          'ip link add veth-pod-c type veth peer name eth0 netns pod-c && ip link set veth-pod-c master cni0 up',
          'ip -n pod-c addr add 10.244.1.4/24 dev eth0 && ip -n pod-c link set eth0 up && ip -n pod-c route add default via 10.244.1.1 dev eth0',
        ].join('\n'),
      });
      expect(failedNames(await run.checkStep(challenge))).toEqual([]);
    });
  }, 300_000);

  it('bridge: masquerading everything that leaves the bridge also hides pod-a from the pods on node2', async () => {
    const lab = findLab('bridge');
    const report = await gradeWith(lab, 2, { node1: 'iptables -t nat -A POSTROUTING -s 10.244.1.0/24 ! -o cni0 -j MASQUERADE' });
    expect(failedNames(report)).toEqual(["a ping from pod-a to a pod on node2 (10.244.2.2) leaves node1 with pod-a's own address"]);
    expect(report.checks.find((c) => !c.passed)!.found).toContain('IP 10.0.0.11 >');
  });

  it('cni-by-hand: forgetting DEL for one pod leaves its lease, and the check names it; then, in the challenge, the pod\'s name as CNI_CONTAINERID fails only the lease check, the reference call passes, and so does asking for the address in the config\'s args', async () => {
    const lab = findLab('cni-by-hand');
    const challenge = lab.steps.findIndex((step) => step.id === 'web-0');
    const netns = '/var/run/netns/cni-2f8e6a41-93c7-4d0b-b5e2-7c1a9d3f6e08';
    const call = (command: string, id: string) => `CNI_COMMAND=${command} CNI_CONTAINERID=${id} CNI_NETNS=${netns} CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin`;
    const fixedIp = "CNI_ARGS='IgnoreUnknown=1;IP=10.244.1.50'";
    await withLab(lab, async (run) => {
      await run.applySolutions(2);
      await attempt(run, { node1: lab.steps[2]!.solution.node1!.replace('for pod in pod-1 pod-2', 'for pod in pod-1') });
      const failed = (await run.checkStep(2)).checks.filter((c) => !c.passed);
      expect(failed.map((c) => c.name)).toEqual(expect.arrayContaining(['no leases are left for mynet', 'no veth is left on cni0']));
      expect(failed.find((c) => c.name === 'no leases are left for mynet')!.found).toMatch(/^1 lease\(s\): 10\.244\.1\.\d+$/);

      // The challenge on this cluster, with pod-2 still up: its lease is none of web-0's business.
      // Everything works, but the lease is keyed by a name the runtime's DEL will never pass.
      await attempt(run, { node1: `ip netns add ${netns.split('/').at(-1)}\n${call('ADD', 'web-0')} ${fixedIp} /opt/cni/bin/bridge </etc/cni/net.d/10-mynet.conf >/root/web-0.json` });
      const byName = await run.checkStep(challenge);
      expect(failedNames(byName)).toEqual(["host-local's lease on 10.244.1.50 names the sandbox 4f0c2b9e7a15d3c8 and eth0"]);
      expect(byName.checks.find((c) => !c.passed)!.found).toContain('web-0');
      expect(byName.hint).toMatch(/sandbox's id, not the pod's name/);
      // DEL with the id the lease holds releases it; then the reference call passes.
      await attempt(run, { node1: `${call('DEL', 'web-0')} ${fixedIp} /opt/cni/bin/bridge </etc/cni/net.d/10-mynet.conf` });
      // (The namespace is there already: its line in the solution fails, and the call runs on.)
      await attempt(run, lab.steps[challenge]!.solution);
      expect(failedNames(await run.checkStep(challenge))).toEqual([]);
      // Another way to ask host-local for the address: args.cni.ips in the config the plugin reads.
      await attempt(run, {
        node1: [
          `${call('DEL', '4f0c2b9e7a15d3c8')} /opt/cni/bin/bridge </etc/cni/net.d/10-mynet.conf`,
          `jq '. + {args: {cni: {ips: ["10.244.1.50"]}}}' /etc/cni/net.d/10-mynet.conf | ${call('ADD', '4f0c2b9e7a15d3c8')} /opt/cni/bin/bridge | tee /root/web-0.json`,
        ].join('\n'),
      });
      expect(failedNames(await run.checkStep(challenge))).toEqual([]);
    });
  }, 300_000);
});
