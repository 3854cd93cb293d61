// Every node is restored from one snapshot, and the snapshot holds the kernel's random
// state and clock. After a start or a restore each node must be a machine of its own:
// its own kernel-chosen MACs, boot_id and source ports, and the host's time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/load.js';
import type { Cluster } from '../../src/vm/cluster.js';
import { startCluster } from '../../src/vm/cluster-node.js';
import { withLab } from './lab-bots.js';

const NODES = ['node1', 'node2', 'node3'];

/** The guest's clock minus the host's, in seconds. */
async function clockSkew(cluster: Cluster, name: string): Promise<number> {
  const before = Date.now();
  const { stdout } = await cluster.node(name).exec('date +%s.%N');
  const after = Date.now();
  return Number(stdout.trim()) - (before + after) / 2000;
}

describe('every node is its own machine after a restore', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: NODES.map((name) => ({ name })) });
  }, 300_000);
  afterAll(() => cluster?.down());

  it('picks different MACs for new dummy, vxlan, bridge and veth devices on every node', async () => {
    const macs = await Promise.all(NODES.map(async (name) => {
      const result = await cluster.node(name).exec([
        'ip link add probe0 type dummy',
        'ip link add probe1 type vxlan id 9 dstport 4789 dev eth0',
        'ip link add probe2 type bridge',
        'ip link add probe3 type veth peer name probe4',
        'cat /sys/class/net/probe[0-4]/address',
      ].join(' && '));
      expect(result.exitCode, result.stderr).toBe(0);
      return result.stdout.trim().split('\n');
    }));
    const all = macs.flat();
    expect(all).toHaveLength(15);
    expect(new Set(all).size, `MACs per node: ${JSON.stringify(macs)}`).toBe(15);
  });

  it('has a boot_id of its own', async () => {
    const ids = await Promise.all(NODES.map(async (name) => (await cluster.node(name).exec('cat /proc/sys/kernel/random/boot_id')).stdout.trim()));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(ids).size, ids.join(' ')).toBe(NODES.length);
  });

  it('picks its own source ports for the same connection', async () => {
    // The same TCP connection (127.0.0.1 to 127.0.0.1:7777) and the same UDP send on every node.
    const probe = [
      'nc -l -p 7777 >/dev/null & sleep 0.3',
      // Then wait until the connection is up (a fixed sleep was too short on a busy machine).
      "nc -w 3 127.0.0.1 7777 </dev/null & i=0; while [ $i -lt 50 ] && ! ss -Htn state established '( dport = :7777 )' | grep -q .; do sleep 0.1; i=$((i + 1)); done",
      "ss -Htn state established '( dport = :7777 )' | awk '{print $3}'",
      'kill %1 %2 2>/dev/null; wait',
    ].join('; ');
    const ports = await Promise.all(NODES.map(async (name) => (await cluster.node(name).exec(probe)).stdout.trim()));
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(new Set(ports).size, ports.join(' ')).toBe(NODES.length);
  });

  it('refuses a seed that is not random bytes in hex, saying why', async () => {
    const node = cluster.node('node1');
    expect(await node.exec('podwire-reseed')).toMatchObject({ exitCode: 1, stderr: expect.stringMatching(/usage: podwire-reseed HEX/) });
    expect(await node.exec('podwire-reseed 0123')).toMatchObject({ exitCode: 1, stderr: expect.stringMatching(/16 to 256 bytes/) });
    expect(await node.exec(`podwire-reseed ${'zz'.repeat(32)}`)).toMatchObject({ exitCode: 1, stderr: expect.stringMatching(/not hex/) });
    // The time is read before anything is changed: a bad one leaves the clock and the pool alone.
    expect(await node.exec(`podwire-reseed ${'ab'.repeat(32)} 17x`)).toMatchObject({ exitCode: 1, stderr: expect.stringMatching(/not seconds since 1970/) });
  });

  it('runs on the host\'s time after a start', async () => {
    for (const name of NODES) expect(Math.abs(await clockSkew(cluster, name))).toBeLessThan(3);
  });

  it('takes the host\'s time and fresh randomness again after a restore', async () => {
    const node = cluster.node('node2');
    // A state whose clock is an hour behind, as a state saved yesterday would be.
    expect((await node.exec(`date -u -s @${Math.round(Date.now() / 1000) - 3600} >/dev/null`)).exitCode).toBe(0);
    expect(await clockSkew(cluster, 'node2')).toBeLessThan(-3500);
    const state = await node.snapshot();
    const newMac = async () => (await node.exec('ip link add probe9 type dummy && cat /sys/class/net/probe9/address')).stdout.trim();
    await node.restore(state);
    expect(Math.abs(await clockSkew(cluster, 'node2'))).toBeLessThan(3);
    const first = await newMac();
    await node.restore(state);
    expect(Math.abs(await clockSkew(cluster, 'node2'))).toBeLessThan(3);
    const second = await newMac();
    // Two restores of one state are two machines, not one replayed.
    expect(first).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(second).not.toBe(first);
  }, 120_000);

  it("tries its first request again when the agent's watchdog ends it, as on a guest starved of CPU", async () => {
    const node = cluster.node('node3');
    // The state's first podwire-reseed sleeps past the agent's 20 s watchdog, the way a
    // guest restored on a host too busy to run it would; the next one runs as usual.
    const slowOnce = [
      'mv /usr/local/sbin/podwire-reseed /usr/local/sbin/podwire-reseed.real',
      "printf '#!/bin/sh\\n[ -e /root/slow-once ] || { : >/root/slow-once; sleep 25; }\\nexec podwire-reseed.real \"$@\"\\n' >/usr/local/sbin/podwire-reseed",
      'chmod +x /usr/local/sbin/podwire-reseed',
      `date -u -s @${Math.round(Date.now() / 1000) - 3600} >/dev/null`,
    ].join(' && ');
    const prepared = await node.exec(slowOnce);
    expect(prepared.exitCode, prepared.stderr).toBe(0);
    const state = await node.snapshot();
    await node.restore(state);
    // The first try was ended (and made the mark); the second set the clock.
    expect((await node.exec('ls /root/slow-once')).exitCode).toBe(0);
    expect(Math.abs(await clockSkew(cluster, 'node3'))).toBeLessThan(3);
  }, 180_000);
});

describe('the vxlan lab, solved the way tutorials do it', () => {
  it('passes with VXLAN devices whose MACs the kernel chose and a default FDB entry per peer', async () => {
    const lab = findLab('vxlan');
    // No `address` for flannel.1, no neighbour entries: ARP for the remote flannel.1
    // address goes through the tunnel, to every node in the all-zero FDB entry. This only
    // works when the two flannel.1 devices have different MACs: the vxlan driver drops a
    // frame that claims to come from its own MAC.
    const tutorial = (self: string, peer: string, own: string, remote: string) => [
      `ip link add flannel.1 type vxlan id 1 dstport 8472 local ${self} dev eth0 nolearning`,
      'ip link set flannel.1 mtu 1450 up',
      `ip addr add ${own}/32 dev flannel.1`,
      `bridge fdb append 00:00:00:00:00:00 dev flannel.1 dst ${peer}`,
      `ip route add ${remote.replace(/\.0$/, '.0/24')} via ${remote} dev flannel.1 onlink`,
    ].join('\n');
    await withLab(lab, async (run) => {
      await run.apply({
        node1: tutorial('10.0.0.11', '10.0.0.12', '10.244.1.0', '10.244.2.0'),
        node2: tutorial('10.0.0.12', '10.0.0.11', '10.244.2.0', '10.244.1.0'),
      }, 'the tutorial-style attempt');
      const macs = await Promise.all(['node1', 'node2'].map(async (name) => (await run.exec(name, 'cat /sys/class/net/flannel.1/address')).stdout.trim()));
      expect(macs[0]).not.toBe(macs[1]);
      for (const step of [0, 1]) {
        const report = await run.checkStep(step);
        expect(report.checks.filter((c) => !c.passed).map((c) => c.message), `step ${lab.steps[step]!.id}`).toEqual([]);
      }
    });
  }, 300_000);
});
