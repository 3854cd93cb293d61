// flannel-udp (labs/23-flannel-udp): plausible mistakes fail the right check, and other correct
// ways pass. One cluster for the whole file; each test resets it to the start of the step it
// needs. The solution bots (labs-solutions-*) already check that the lab fails untouched and
// passes with its reference solution.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, stepIndex } from './lab-bots.js';

const lab = findLab('flannel-udp');
const tunnel = stepIndex(lab, 'tunnel');
const mtu = stepIndex(lab, 'mtu');
const cost = stepIndex(lab, 'cost');

const onWire = (pod: string) => `${pod}'s ping crosses the wire as a bare IP packet inside UDP to port 8285`;
const wholeNetwork = (node: string) => `${node} sends the whole cluster network into flannel0, even a node's that joins later (10.244.3.2)`;

/** flannel0 made beforehand, then a daemon on it: the reference solution with other options. */
const device = (subnet: string) => `ip tuntap add dev flannel0 mode tun\nip link set flannel0 up\nip addr add ${subnet}/32 dev flannel0`;
const daemon = (self: string, peer: string, options = 'iff-no-pi') => `setsid socat TUN,tun-name=flannel0,${options} UDP-DATAGRAM:${peer}:8285,bind=${self}:8285 </dev/null >/dev/null 2>&1 &\nsleep 1`;

describe('flannel-udp', () => {
  let run: LabRun;
  beforeAll(async () => { run = await openLab(lab); }, 120_000);
  afterAll(async () => { await run?.close(); });

  it('a route for the other node\'s /24 only carries the pings but fails the whole-network checks', async () => {
    await attempt(run, {
      node1: `${device('10.244.1.0')}\nip route add 10.244.2.0/24 dev flannel0\n${daemon('10.0.0.11', '10.0.0.12')}`,
      node2: `${device('10.244.2.0')}\nip route add 10.244.1.0/24 dev flannel0\n${daemon('10.0.0.12', '10.0.0.11')}`,
    });
    const report = await run.checkStep(tunnel);
    expect(failedNames(report)).toEqual([wholeNetwork('node1'), wholeNetwork('node2')]);
  }, 180_000);

  it('a TUN opened without IFF_NO_PI works, but its 4-byte packet information header is on the wire', async () => {
    await run.resetToStep(tunnel);
    await attempt(run, {
      node1: `${device('10.244.1.0')}\nip route add 10.244.0.0/16 dev flannel0\n${daemon('10.0.0.11', '10.0.0.12', 'tun-type=tun')}`,
      node2: `${device('10.244.2.0')}\nip route add 10.244.0.0/16 dev flannel0\n${daemon('10.0.0.12', '10.0.0.11', 'tun-type=tun')}`,
    });
    const report = await run.checkStep(tunnel);
    expect(failedNames(report)).toEqual([onWire('pod-a'), onWire('pod-b')]);
    // 00 00 then the EtherType: 08 00 for the pings, 86 dd for the IPv6 the TUN link sends too.
    expect(report.checks.find((c) => c.name === onWire('pod-a'))!.found).toMatch(/its payload starting 00 00 (08 00|86 dd)/);
  }, 180_000);

  it('a TAP device (with proxy ARP, so that pings cross) is no TUN device, and puts an inner Ethernet header on the wire', async () => {
    await run.resetToStep(tunnel);
    const tap = (self: string, peer: string, subnet: string) => [
      `setsid socat TUN:${subnet}/16,tun-name=flannel0,tun-type=tap,iff-no-pi,iff-up UDP-DATAGRAM:${peer}:8285,bind=${self}:8285 </dev/null >/dev/null 2>&1 &`,
      'sleep 1',
      'sysctl -qw net.ipv4.conf.flannel0.proxy_arp=1',
    ].join('\n');
    await attempt(run, { node1: tap('10.0.0.11', '10.0.0.12', '10.244.1.0'), node2: tap('10.0.0.12', '10.0.0.11', '10.244.2.0') });
    const report = await run.checkStep(tunnel);
    expect(failedNames(report)).toEqual(expect.arrayContaining(['node1 has flannel0, a TUN device, up', 'node2 has flannel0, a TUN device, up', onWire('pod-a'), onWire('pod-b')]));
    expect(report.checks.find((c) => c.name === 'node1 has flannel0, a TUN device, up')!.found).toBe('flannel0 is type tap');
  }, 180_000);

  it('socat making the device itself, with a /16 address for the route and an unbound source address, passes', async () => {
    await run.resetToStep(tunnel);
    const alternative = (peer: string, subnet: string) => [
      `setsid socat TUN:${subnet}/16,tun-name=flannel0,iff-no-pi,iff-up UDP4-DATAGRAM:${peer}:8285,bind=:8285 </dev/null >/dev/null 2>&1 &`,
      'sleep 1',
      'ip link set flannel0 mtu 1472',
    ].join('\n');
    await attempt(run, { node1: alternative('10.0.0.12', '10.244.1.0'), node2: alternative('10.0.0.11', '10.244.2.0') });
    expect(failedNames(await run.checkStep(tunnel))).toEqual([]);
    expect(failedNames(await run.checkStep(mtu))).toEqual([]);
  }, 180_000);

  it('flannel0 left at 1500 lets the 1473-byte packet through in fragments; 1450 from VXLAN refuses a full-size one; 1472 on the pods too passes', async () => {
    await run.resetToStep(mtu);
    const big = await run.checkStep(mtu);
    expect(failedNames(big)).toEqual([
      'one byte more (1473 bytes, Don\'t Fragment) is refused at node1, which names the MTU, 1472',
      'one byte more (1473 bytes, Don\'t Fragment) is refused at node2, which names the MTU, 1472',
    ]);
    await attempt(run, { node1: 'ip link set flannel0 mtu 1450', node2: 'ip link set flannel0 mtu 1450' });
    expect(failedNames(await run.checkStep(mtu))).toEqual([
      'a full-size ping (1472 bytes, Don\'t Fragment) crosses from pod-a to pod-b',
      'one byte more (1473 bytes, Don\'t Fragment) is refused at node1, which names the MTU, 1472',
      'a full-size ping (1472 bytes, Don\'t Fragment) crosses from pod-b to pod-a',
      'one byte more (1473 bytes, Don\'t Fragment) is refused at node2, which names the MTU, 1472',
    ]);
    // As flanneld's FLANNEL_MTU would have the CNI plugin do: the pods' eth0 at 1472 as well.
    await attempt(run, {
      node1: 'ip link set flannel0 mtu 1472\nip -n pod-a link set eth0 mtu 1472',
      node2: 'ip link set flannel0 mtu 1472\nip -n pod-b link set eth0 mtu 1472',
    });
    expect(failedNames(await run.checkStep(mtu))).toEqual([]);
  }, 180_000);

  it('numbers the wrong way round, or vxlan copied in Kbit/s beside udp in Mbit/s, fail; bit/s from iperf3 -J pass', async () => {
    await run.resetToStep(cost);
    const recorded = '/root/throughput holds your two measurements, and the udp backend is the slower';
    const ratio = 'your udp/vxlan ratio is within a factor of 8 of one measured now (iperf3 pod-a → pod-b and vx-a → vx-b, 2 s each; up to 3 tries)';
    await attempt(run, { node1: "printf 'udp 20\\nvxlan 2\\n' >/root/throughput" });
    expect(failedNames(await run.checkStep(cost))).toEqual([recorded, ratio]);
    // iperf3 picks a unit per line (Kbits/sec, Mbits/sec): numbers copied from two units.
    await attempt(run, { node1: "printf 'udp 1.7\\nvxlan 22000\\n' >/root/throughput" });
    const units = await run.checkStep(cost);
    expect(failedNames(units)).toEqual([ratio]);
    const unitsFound = units.checks.find((c) => c.name === ratio)!.found;
    expect(unitsFound).toMatch(/measured now: udp [\d.]+, vxlan [\d.]+ Mbit\/s, udp\/vxlan = [\d.]+; yours 0\.00: not consistent/);
    // Numbers a thousand times off fail every try, and the check says so for each.
    expect(unitsFound).toMatch(/^output: 3 lines, /);
    const bits = (netns: string, address: string) => `$(ip netns exec ${netns} iperf3 -c ${address} -t 2 -J | jq '.end.sum_received.bits_per_second | floor')`;
    await attempt(run, { node1: `echo "vxlan ${bits('vx-a', '10.245.2.2')}" >/root/throughput\necho "udp ${bits('pod-a', '10.244.2.2')}" >>/root/throughput` });
    const inBits = await run.checkStep(cost);
    expect(failedNames(inBits), inBits.checks.map((c) => c.found).join('\n')).toEqual([]);
  }, 180_000);
});
