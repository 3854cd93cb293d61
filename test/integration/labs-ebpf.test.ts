// The eBPF datapath (labs/24-ebpf-datapath): plausible mistakes fail the right check, and other
// correct ways pass. One cluster for the whole file; each test resets it to the start of the step
// it needs. The solution bots (labs-solutions-*) check that the lab fails untouched and passes
// with its reference solution. The lab's defaults: Service 10.96.0.100, pods in 10.244.1.0/24.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, stepIndex } from './lab-bots.js';

const lab = findLab('ebpf-datapath');
const [service, backend, policy] = (['service', 'backend', 'policy'] as const).map((id) => stepIndex(lab, id)) as [number, number, number];
const reachesWeb1 = lab.steps[service]!.checks[0]!.name;
const noDnat = lab.steps[service]!.checks[1]!.name;
const clientAllowed = lab.steps[policy]!.checks[0]!.name;
const intruderBlocked = lab.steps[policy]!.checks[1]!.name;

const pods = ['web-1', 'web-2', 'client', 'intruder'];
/** lxc.o at HOOK of every pod's veth, with the clsact qdisc. */
const attachLxc = (hook: 'ingress' | 'egress') => pods.map((pod) => [
  `tc qdisc add dev veth-${pod} clsact`,
  `tc filter add dev veth-${pod} ${hook} bpf direct-action obj /usr/local/lib/bpf/lxc.o sec tc`,
].join('\n')).join('\n');
const web1Slots = [
  'bpftool map update name lb4_services key 10 96 0 100 0 80 0 0 value 0 0 0 0 0 0 1 0',
  'bpftool map update name lb4_services key 10 96 0 100 0 80 1 0 value 10 244 1 2 0 80 0 0',
].join('\n');

describe('ebpf-datapath', () => {
  let run: LabRun;
  beforeAll(async () => { run = await openLab(lab); }, 120_000);
  afterAll(async () => { await run?.close(); });

  it('the program in a node: tc loads it on the 32-bit kernel, its maps are pinned, and a map element round-trips through bpftool', async () => {
    const loaded = await attempt(run, { node1: `${attachLxc('ingress')}\n${web1Slots}` });
    expect(loaded.node1!.exitCode, loaded.node1!.stderr).toBe(0);
    const node = run.cluster.node('node1');
    const facts = await node.exec('uname -m; tc filter show dev veth-client ingress; ls /sys/fs/bpf/tc/globals; bpftool map lookup name lb4_services key hex 0a 60 00 64 00 50 01 00; bpftool prog show name from_container');
    expect(facts.stdout).toMatch(/^i686\n/);
    expect(facts.stdout).toMatch(/bpf chain 0 handle 0x1 lxc\.o:\[tc\] direct-action .*name from_container/);
    // Debian's 686 kernel has the x86_32 JIT but leaves it off (net.core.bpf_jit_enable=0): the interpreter runs it.
    expect(facts.stdout).toMatch(/sched_cls +name from_container .*\n.*\n\s+xlated \d+B/);
    expect(facts.stdout).toMatch(/^lb4_reverse_nat\nlb4_services\n/m);
    expect(facts.stdout).toMatch(/"ip": 33682442,\s+"port": 20480,/); // 10.244.1.2 and port 80, read as little-endian numbers
    expect(failedNames(await run.checkStep(service))).toEqual([]);
  });

  it('the program attached at egress instead of ingress, or the port written in host byte order, fails the traffic check and only it', async () => {
    await run.resetToStep(service);
    await attempt(run, { node1: `${attachLxc('egress')}\n${web1Slots}` });
    expect(failedNames(await run.checkStep(service)), 'at egress the program sees only what goes into the pods').toEqual([reachesWeb1]);

    await run.resetToStep(service);
    await attempt(run, { node1: `${attachLxc('ingress')}\n${web1Slots.replaceAll(' 0 80 ', ' 80 0 ')}` });
    const hostOrder = await run.checkStep(service);
    expect(failedNames(hostOrder), 'port 80 as 80 0 is port 20480').toEqual([reachesWeb1]);
    expect(hostOrder.checks[0]!.found).toMatch(/answer: none/);
  });

  it('the iptables way works but fails the no-DNAT check', async () => {
    await run.resetToStep(service);
    await attempt(run, { node1: 'iptables -t nat -A PREROUTING -d 10.96.0.100 -p tcp --dport 80 -j DNAT --to-destination 10.244.1.2:80\nsysctl -w net.bridge.bridge-nf-call-iptables=1' });
    expect(failedNames(await run.checkStep(service))).toEqual([noDnat]);
  });

  it('the ingress qdisc (parent ffff:) and maps written in hex through the pinned path pass too', async () => {
    await run.resetToStep(service);
    const commands = [
      ...pods.map((pod) => `tc qdisc add dev veth-${pod} ingress\ntc filter add dev veth-${pod} parent ffff: bpf obj /usr/local/lib/bpf/lxc.o sec tc da`),
      'bpftool map update pinned /sys/fs/bpf/tc/globals/lb4_services key hex 0a 60 00 64 00 50 01 00 value hex 0a f4 01 02 00 50 00 00',
      'bpftool map update pinned /sys/fs/bpf/tc/globals/lb4_services key hex 0a 60 00 64 00 50 00 00 value hex 00 00 00 00 00 00 01 00',
    ].join('\n');
    await attempt(run, { node1: commands });
    expect(failedNames(await run.checkStep(service))).toEqual([]);
    // The second backend the same way, then the step after.
    await attempt(run, { node1: [
      'bpftool map update pinned /sys/fs/bpf/tc/globals/lb4_services key hex 0a 60 00 64 00 50 02 00 value hex 0a f4 01 03 00 50 00 00',
      'bpftool map update pinned /sys/fs/bpf/tc/globals/lb4_services key hex 0a 60 00 64 00 50 00 00 value hex 00 00 00 00 00 00 02 00',
    ].join('\n') });
    expect(failedNames(await run.checkStep(backend))).toEqual([]);
  });

  it('the policy program at ingress lets the intruder in and hides lxc.o; identities in network byte order shut the client out; at egress with the node\'s order it passes', async () => {
    const identities = [
      'bpftool map update name ipcache key 10 244 1 4 value 100 0 0 0',
      'bpftool map update name ipcache key 10 244 1 2 value 200 0 0 0',
      'bpftool map update name ipcache key 10 244 1 3 value 200 0 0 0',
      'bpftool map update name policy key 100 0 0 0 200 0 0 0 value 1',
    ].join('\n');
    const attachPolicy = (hook: string) => ['web-1', 'web-2'].map((pod) => `tc filter add dev veth-${pod} ${hook} bpf direct-action obj /usr/local/lib/bpf/policy.o sec tc`).join('\n');

    await run.resetToStep(policy);
    await attempt(run, { node1: `${attachPolicy('ingress')}\n${identities}` });
    // At ingress it sees web's answers, never a SYN, so the intruder gets in; and tc's newer
    // filter runs first there and its verdict (TC_ACT_OK) ends the list: lxc.o no longer
    // puts the VIP back on web's answers.
    expect(failedNames(await run.checkStep(policy)), 'policy.o at ingress').toEqual([clientAllowed, intruderBlocked]);

    await run.resetToStep(policy);
    const bigEndian = identities.replaceAll('value 100 0 0 0', 'value 0 0 0 100').replaceAll('value 200 0 0 0', 'value 0 0 0 200');
    await attempt(run, { node1: `${attachPolicy('egress')}\n${bigEndian}` });
    expect(failedNames(await run.checkStep(policy)), 'the identities are 0x64000000 and 0xc8000000, not 100 and 200').toEqual([clientAllowed]);

    await run.resetToStep(policy);
    // Another correct form: identities in hex, the policy map by its pinned path.
    await attempt(run, { node1: [
      attachPolicy('egress'),
      'bpftool map update name ipcache key hex 0a f4 01 04 value hex 64 00 00 00',
      'bpftool map update name ipcache key hex 0a f4 01 02 value hex c8 00 00 00',
      'bpftool map update name ipcache key hex 0a f4 01 03 value hex c8 00 00 00',
      'bpftool map update pinned /sys/fs/bpf/tc/globals/policy key hex 64 00 00 00 c8 00 00 00 value hex 01',
    ].join('\n') });
    expect(failedNames(await run.checkStep(policy))).toEqual([]);
  });
});
