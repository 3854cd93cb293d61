// A cluster started from the snapshot: nodes reach each other over the switch, a
// VXLAN overlay shows up on the wire as tshark decodes it too, and a node whose
// learner took eth0 down is still driven and comes back clean on reset.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, findLayer, innermostIpv4, outermostIpv4, vniList } from '../../src/net/decode/index.js';
import { writePcapng } from '../../src/net/pcapng.js';
import { snapshotAssets } from '../../src/vm/assets-node.js';
import { Cluster } from '../../src/vm/cluster.js';
import { nodeWorkerHost } from '../../src/vm/host-node.js';
import { startCluster } from '../../src/vm/cluster-node.js';
import { AgentClient, type ExecResult } from '../../src/vm/agent-client.js';
import { createEmulator } from '../../src/vm/emulator.js';
import { releaseStateAfterRestore, restoreWithoutZeroingFreshMemory, wake } from '../../src/vm/v86-seams.js';
import { DEFAULT_NODE_MEMORY_MB } from '../../src/topology/topology.js';

describe('a three-node cluster from the snapshot', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: [{ name: 'node1' }, { name: 'node2' }, { name: 'node3' }] });
  });
  afterAll(() => cluster?.down());

  it('gives every node its own name, MAC and address', async () => {
    const seen = await Promise.all(['node1', 'node2', 'node3'].map((name) => cluster.node(name).exec('hostname; cat /sys/class/net/eth0/address; ip -4 -o addr show eth0')));
    expect(seen.map((r) => r.stdout.split('\n')[0])).toEqual(['node1', 'node2', 'node3']);
    expect(new Set(seen.map((r) => r.stdout.split('\n')[1])).size).toBe(3);
    expect(seen[2]!.stdout).toContain('10.0.0.13/24');
  });

  it('lets every node ping every other over the switch', async () => {
    const targets: [string, string][] = [['node1', '10.0.0.12'], ['node2', '10.0.0.13'], ['node3', '10.0.0.11']];
    for (const [from, to] of targets) {
      const result = await cluster.node(from).exec(`ping -c 2 -W 3 ${to}`, { timeout: 15 });
      expect(result.stdout, `${from} -> ${to}`).toMatch(/2 received/);
    }
  });

  it('says which node is unknown', () => {
    expect(() => cluster.node('node9')).toThrow(/unknown node 'node9'.*node1, node2, node3/);
  });

  it('carries a VXLAN overlay that the capture and tshark both decode', async () => {
    const vxlan = (self: string, peer: string, overlay: string) => [
      `ip link add vxlan42 type vxlan id 42 dstport 4789 local ${self} dev eth0 nolearning`,
      `bridge fdb append 00:00:00:00:00:00 dev vxlan42 dst ${peer}`,
      `ip addr add ${overlay}/24 dev vxlan42`,
      'ip link set vxlan42 up',
    ].join(' && ');
    expect((await cluster.node('node1').exec(vxlan('10.0.0.11', '10.0.0.12', '10.42.0.1'))).exitCode).toBe(0);
    expect((await cluster.node('node2').exec(vxlan('10.0.0.12', '10.0.0.11', '10.42.0.2'))).exitCode).toBe(0);
    const cursor = cluster.captureCursor();
    const ping = await cluster.node('node1').exec('ping -c 3 -W 3 10.42.0.2', { timeout: 20 });
    expect(ping.stdout).toMatch(/3 received/);

    const frames = cluster.framesSince(cursor).filter((f) => f.link === 'node1');
    const overlay = frames.map((f) => ({ frame: f, decoded: decodeFrame(f.bytes) })).filter(({ decoded }) => vniList(decoded).includes(42));
    expect(overlay.length).toBeGreaterThanOrEqual(6);
    const first = overlay.find(({ decoded }) => innermostIpv4(decoded)?.source === '10.42.0.1')!;
    expect(outermostIpv4(first.decoded)).toMatchObject({ source: '10.0.0.11', destination: '10.0.0.12' });
    expect(findLayer(first.decoded, 'udp')?.destinationPort).toBe(4789);
    expect(innermostIpv4(first.decoded)).toMatchObject({ destination: '10.42.0.2', ipProtocol: 1 });

    const file = join(mkdtempSync(join(tmpdir(), 'podwire-pcap-')), 'vxlan.pcapng');
    writeFileSync(file, writePcapng(overlay.map((o) => o.frame)));
    const tshark = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=,', '-e', 'vxlan.vni', '-e', 'udp.dstport', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'icmp.type'], { encoding: 'utf8' });
    const rows = tshark.trim().split('\n');
    expect(rows.length).toBe(overlay.length);
    expect(rows).toContain('42,4789,10.0.0.11,10.42.0.1,10.0.0.12,10.42.0.2,8');
  });

  it('snapshots one node and restores it to exactly that state', async () => {
    const node = cluster.node('node2');
    await node.exec('echo before >/root/marker; ip link add dummy7 type dummy');
    const state = await node.snapshot();
    await node.exec('echo after >/root/marker; ip link del dummy7');
    await node.restore(state);
    const result = await node.exec('cat /root/marker; ip -br link show dummy7; hostname');
    expect(result.stdout).toMatch(/^before\ndummy7\s+DOWN[^\n]*\nnode2\n$/);
    expect((await cluster.node('node1').exec('ping -c 2 -W 3 10.0.0.12', { timeout: 15 })).stdout).toMatch(/2 received/);
  });

  it('starts the node in front first; the others start after it, and commands, keys and saves for them wait', async () => {
    const topology = { nodes: [{ name: 'node1' }, { name: 'node2' }, { name: 'node3' }] };
    await cluster.node('node1').exec('echo kept >/root/front-marker');
    const states = Object.fromEntries(await Promise.all(['node1', 'node2', 'node3'].map(async (name) => [name, await cluster.node(name).snapshot()] as const)));
    // node3's state is garbage: its start fails in the background, and says so.
    states.node3 = new Uint8Array(4096).fill(7).buffer;
    const again = await Cluster.up(topology, nodeWorkerHost, await snapshotAssets(DEFAULT_NODE_MEMORY_MB), states, { front: 'node2' });
    try {
      expect(again.node('node2').lastStartPhases.afterRestore, 'the front node is up when up() returns').toBeGreaterThan(0);
      // Keys typed now reach node1's shell once it is up, not lost.
      again.node('node1').type('echo typed-early >/root/typed\n');
      expect((await again.node('node1').exec('cat /root/front-marker')).stdout).toBe('kept\n');
      const state = await again.node('node1').snapshot();
      expect(state.byteLength).toBeGreaterThan(0);
      const failed = await again.settled;
      expect([...failed.keys()]).toEqual(['node3']);
      await expect(again.node('node3').exec('true')).rejects.toThrow(/node3 is not running/);
      let typed = '';
      for (let i = 0; i < 50 && !typed; i++) typed = (await again.node('node1').exec('cat /root/typed 2>/dev/null; sleep 0.1')).stdout;
      expect(typed).toBe('typed-early\n');
    } finally {
      await again.down();
    }
  }, 180_000);

  it('drives a node whose eth0 the learner took down, and a reset brings it back clean', async () => {
    const node = cluster.node('node3');
    node.type('ip link set eth0 down\r');
    const deadline = Date.now() + 20_000;
    while (!(await node.exec('ip -br link show eth0')).stdout.includes('DOWN')) {
      if (Date.now() > deadline) throw new Error('eth0 never went down');
      await new Promise((r) => setTimeout(r, 300));
    }
    expect((await cluster.node('node1').exec('ping -c 1 -W 2 10.0.0.13', { timeout: 10 })).exitCode).not.toBe(0);
    await node.reset();
    const after = await node.exec('hostname; ip -br link show eth0');
    expect(after.stdout).toMatch(/^node3\neth0\s+UP/);
    expect((await cluster.node('node1').exec('ping -c 2 -W 3 10.0.0.13', { timeout: 15 })).stdout).toMatch(/2 received/);
    // The other nodes were not disturbed: node1's overlay is still there.
    expect((await cluster.node('node1').exec('ip -br link show vxlan42')).exitCode).toBe(0);
  });

  it('keeps answering while a fork bomb runs on the console, and a reset ends it', async () => {
    const node = cluster.node('node3');
    node.type(':(){ :|:& };:\r');
    // The bomb fills the console's pids cgroup; the agent lives outside it and still answers.
    // Generous times: on a host whose two cores are busy with other tests, a guest full of
    // spinning forks is slow to give the agent its turn (35 s once, in a local CI run).
    const deadline = Date.now() + 60_000;
    let pids = 0;
    while (pids < 250 && Date.now() < deadline) {
      const result = await node.exec('cat /sys/fs/cgroup/console/pids.current', { timeout: 90 });
      pids = Number(result.stdout.trim());
    }
    expect(pids).toBeGreaterThanOrEqual(250);
    const during = await node.exec('echo alive; cat /sys/fs/cgroup/console/pids.max', { timeout: 90 });
    expect(during.stdout).toMatch(/^alive\n\d+\n$/);
    await node.reset();
    const after = await node.exec('hostname; cat /sys/fs/cgroup/console/pids.current');
    expect(after.stdout).toMatch(/^node3\n\d+\n$/);
    expect(Number(after.stdout.split('\n')[1])).toBeLessThan(20);
  });

  it('keeps answering when the console fills the root filesystem, a ramfs that counts against the console\'s memory, and a new shell can free it', async () => {
    const node = cluster.node('node2');
    // More than the node's whole memory, written to / from the learner's shell.
    node.type('dd if=/dev/zero of=/filler bs=1M count=300\r');
    const deadline = Date.now() + 90_000;
    let events = '';
    while (!/^max [1-9]/m.test(events) && Date.now() < deadline) {
      events = (await node.exec('cat /sys/fs/cgroup/console/memory.events', { timeout: 90 })).stdout;
    }
    expect(events, 'the console reached its memory cap').toMatch(/^max [1-9]/m);
    const during = await node.exec("cat /sys/fs/cgroup/console/memory.max; stat -c %s /filler; awk '/^MemAvailable:/ { print $2 }' /proc/meminfo", { timeout: 90 });
    const [cap, filled, availableKb] = during.stdout.trim().split('\n').map(Number) as [number, number, number];
    expect(filled).toBeGreaterThan(0);
    expect(filled, 'the file stopped at the cap').toBeLessThanOrEqual(cap);
    expect(availableKb, 'memory is left for the agent and the kernel').toBeGreaterThan(4096);
    // The console's shell was killed with the writer; a new one comes, and can give the memory back.
    let removed = false;
    for (let attempt = 0; attempt < 30 && !removed; attempt++) {
      node.type('\rrm -f /filler\r');
      await new Promise((resolve) => setTimeout(resolve, 2000));
      removed = (await node.exec('test -e /filler || echo gone', { timeout: 30 })).stdout === 'gone\n';
    }
    expect(removed, 'a new shell on the console removed the file').toBe(true);
    await node.reset();
  });
});

describe('the memory a topology gives its nodes', () => {
  const memTotalMiB = async (cluster: Cluster) => {
    const { stdout } = await cluster.node('node1').exec("awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo");
    return Number(stdout);
  };

  it('is the default snapshot\'s size unless the lab asks for more, and then a snapshot of that size', async () => {
    // The BIOS and the kernel keep about 30 MB of any size for themselves (the top 16 MB are
    // reserved in the memory map), so MemTotal is under the machine's size by about that.
    const small = await startCluster({ nodes: [{ name: 'node1' }] });
    let smallTotal: number;
    try {
      smallTotal = await memTotalMiB(small);
      expect(smallTotal).toBeGreaterThan(DEFAULT_NODE_MEMORY_MB - 40);
      expect(smallTotal).toBeLessThanOrEqual(DEFAULT_NODE_MEMORY_MB);
    } finally {
      await small.down();
    }
    const large = await startCluster({ nodes: [{ name: 'node1' }], memoryMb: 256 });
    try {
      const total = await memTotalMiB(large);
      expect(total - smallTotal, 'the kernel sees the 128 MB more').toBeGreaterThan(120);
      expect(total).toBeLessThanOrEqual(256);
      expect((await large.node('node1').exec('hostname')).stdout).toBe('node1\n');
    } finally {
      await large.down();
    }
  });
});

describe('two segments joined by the router', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({
      segments: [{ name: 'east', subnet: '10.0.1.0/24' }, { name: 'west', subnet: '10.0.2.0/24' }],
      nodes: [{ name: 'node1', segment: 'east' }, { name: 'node2', segment: 'west' }],
    });
  });
  afterAll(() => cluster?.down());

  it('routes between subnets and decrements the TTL', async () => {
    const result = await cluster.node('node1').exec('ping -c 2 -W 3 10.0.2.11', { timeout: 15 });
    expect(result.stdout).toMatch(/2 received/);
    expect(result.stdout).toMatch(/ttl=63/);
    const trace = await cluster.node('node1').exec('ping -c 1 -t 1 -W 3 10.0.2.11', { timeout: 10 });
    expect(trace.stdout).toMatch(/From 10\.0\.1\.1 .*Time to live exceeded/);
  });
});

describe('a machine restored from the snapshot', () => {
  it('lets go of the state it was restored from, and runs on without it', async () => {
    const assets = await snapshotAssets(DEFAULT_NODE_MEMORY_MB);
    // As a node's worker does: a private copy of the shared snapshot for v86 to restore.
    const state = new Uint8Array(assets.state).slice().buffer;
    const emulator = createEmulator({ ...assets, state });
    restoreWithoutZeroingFreshMemory(emulator);
    releaseStateAfterRestore(emulator, state);
    try {
      await new Promise<void>((resolve) => emulator.add_listener('emulator-loaded', () => resolve()));
      // Detached: v86 still points at this buffer, but it no longer holds the 117 MB.
      expect(state.byteLength).toBe(0);
      const agent = new AgentClient('restored', (bytes) => { emulator.serial_send_bytes(1, bytes); wake(emulator); });
      emulator.add_listener('serial1-output-byte', (byte: number) => agent.feed(byte));
      let answer: ExecResult | undefined;
      for (let attempt = 0; attempt < 10 && !answer; attempt++) answer = await agent.exec('echo "$((6 * 7))"', { timeout: 2 }).catch(() => undefined);
      expect(answer).toMatchObject({ exitCode: 0, stdout: '42\n' });
    } finally {
      await emulator.destroy();
    }
  });
});
