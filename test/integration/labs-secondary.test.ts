// Secondary networks (labs/20-secondary-networks): plausible mistakes fail the right check, and
// other correct ways pass. One cluster for the whole file; each test resets it to the start of
// the step it needs. The solution bots (labs-solutions-*) already check that the lab fails
// untouched and passes with its reference solution.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames } from './lab-bots.js';

const lab = findLab('secondary-networks');
const attach = lab.steps[0]!;

/** An ADD of CONFIG for POD's net1, as the learner types it. */
const add = (pod: string, config: string) => `CNI_COMMAND=ADD CNI_CONTAINERID=${pod} CNI_NETNS=/var/run/netns/${pod} CNI_IFNAME=net1 CNI_PATH=/opt/cni/bin /opt/cni/bin/$(jq -r .type ${config}) <${config}`;

describe('secondary-networks', () => {
  let run: LabRun;
  beforeAll(async () => { run = await openLab(lab); }, 120_000);
  afterAll(async () => { await run?.close(); });

  it('node1\'s range copied to node2 gives both pods one address, and duplicate address detection names it; a slice per node fixes it', async () => {
    await attempt(run, { node1: attach.solution.node1!, node2: attach.solution.node1!.replaceAll('app', 'store') });
    const duplicated = await run.checkStep(0);
    expect(failedNames(duplicated)).toEqual(expect.arrayContaining([
      "no other machine on the data network claims app's address",
      "no other machine on the data network claims store's address",
    ]));
    expect(duplicated.checks.find((c) => c.name.includes("claims app's"))!.found).toContain('another machine answers ARP for 192.168.50.100');
    // The fix: DEL store's attachment, give node2 its own slice, ADD again; then app announces
    // itself (gratuitous ARP), or nas keeps sending app's traffic to store's MAC for a while.
    await attempt(run, { node2: `CNI_COMMAND=DEL CNI_CONTAINERID=store CNI_NETNS=/var/run/netns/store CNI_IFNAME=net1 CNI_PATH=/opt/cni/bin /opt/cni/bin/macvlan </etc/cni/multus/net.d/data.conf\n${attach.solution.node2!}` });
    await attempt(run, { node1: 'ip netns exec app arping -U -c 2 -I net1 $(podip app net1)' });
    expect(failedNames(await run.checkStep(0))).toEqual([]);
  }, 180_000);

  it('a default route by net1 reaches the storage service but cuts the pod off from Services and pods; routes for the storage subnet only are right', async () => {
    await attempt(run, {
      node1: 'ip -n app route replace default via 192.168.50.1 dev net1',
      node2: 'ip -n store route replace default via 192.168.50.1 dev net1',
    });
    const wrong = await run.checkStep(1);
    expect(failedNames(wrong)).toEqual([
      'everything else still leaves app by eth0 (a Service address, 10.96.0.10)',
      'app still reaches store on the pod network, across nodes',
    ]);
    expect(wrong.checks.find((c) => c.name.startsWith('everything else'))!.found).toContain('dev net1');
    // By hand instead of through the config: as correct, for the pods attached so far.
    await attempt(run, {
      node1: 'ip -n app route replace default via 10.244.1.1 dev eth0\nip -n app route add 192.168.60.0/24 via 192.168.50.1 dev net1',
      node2: 'ip -n store route replace default via 10.244.2.1 dev eth0\nip -n store route add 192.168.60.0/24 via 192.168.50.1 dev net1',
    });
    expect(failedNames(await run.checkStep(1))).toEqual([]);
  }, 180_000);

  it('an address on eth0 does not reach the node\'s own macvlan pod; a shim with a /24 does', async () => {
    await attempt(run, { node1: 'ip addr add 192.168.50.11/24 dev eth0' });
    const wrong = await run.checkStep(2);
    expect(failedNames(wrong)).toEqual(["node1 reaches app's web server on app's data address"]);
    await attempt(run, { node1: 'ip addr del 192.168.50.11/24 dev eth0\nip link add shim0 link eth0 type macvlan mode bridge\nip addr add 192.168.50.11/24 dev shim0\nip link set shim0 up' });
    expect(failedNames(await run.checkStep(2))).toEqual([]);
  }, 180_000);

  it('macvlan on the wrong master (cni0) gets an address but never reaches the wire', async () => {
    await run.resetToStep(0);
    await attempt(run, { node1: attach.solution.node1!.replace('"master": "eth0"', '"master": "cni0"'), node2: attach.solution.node2! });
    const report = await run.checkStep(0);
    // On cni0, net1's frames only reach the pods' veths: app's own eth0 even answers ARP for net1's address.
    expect(failedNames(report)).toContain('app reaches nas (192.168.50.1) by net1, from its own data address');
    expect(failedNames(report)).not.toContain('store reaches nas by net1, from its own data address');
    expect(report.checks.find((c) => c.name.startsWith('app reaches nas'))!.found).toContain('nas answered: nothing');
  }, 180_000);

  it('ipvlan with static addresses is correct too, and so is an ipvlan shim for the node', async () => {
    await run.resetToStep(0);
    const ipvlan = (address: string) => `mkdir -p /etc/cni/multus/net.d\ncat >/etc/cni/multus/net.d/data.conf <<'END'\n${JSON.stringify({
      cniVersion: '1.0.0', name: 'data', type: 'ipvlan', master: 'eth0', mode: 'l2',
      ipam: { type: 'static', addresses: [{ address }], routes: [{ dst: '192.168.60.0/24', gw: '192.168.50.1' }] },
    }, null, 2)}\nEND\n`;
    await attempt(run, {
      node1: `${ipvlan('192.168.50.120/24')}${add('app', '/etc/cni/multus/net.d/data.conf')}`,
      node2: `${ipvlan('192.168.50.170/24')}${add('store', '/etc/cni/multus/net.d/data.conf')}`,
    });
    expect(failedNames(await run.checkStep(0))).toEqual([]);
    expect(failedNames(await run.checkStep(1))).toEqual([]);
    // A macvlan cannot share eth0 with ipvlan: the node's shim is an ipvlan child too.
    await attempt(run, { node1: 'ip link add shim0 link eth0 type ipvlan mode l2\nip addr add 192.168.50.11/32 dev shim0\nip link set shim0 up\nip route add 192.168.50.0/24 dev shim0' });
    expect(failedNames(await run.checkStep(2))).toEqual([]);
  }, 180_000);
});
