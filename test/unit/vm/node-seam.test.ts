// The seam between a node and its worker, with real worker threads that misbehave on
// purpose: one throws, one exits, one never answers. A node call must then fail with a
// NodeFailure that says so, at once, and the host process must carry on.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { NodeFailure } from '../../../src/vm/agent-client.js';
import type { BootAssets } from '../../../src/vm/emulator.js';
import { nodeWorkerHost, nodeWorkerSeam } from '../../../src/vm/host-node.js';
import { VmNode, type WorkerHost } from '../../../src/vm/node.js';
import { Cluster } from '../../../src/vm/cluster.js';

const identity = { name: 'node1', mac: '02:00:00:00:00:01', address: '10.0.0.11/24', podCidr: '10.244.1.0/24' };
const assets = { memoryMb: 128, wasm: '', bios: new ArrayBuffer(0), vgabios: new ArrayBuffer(0), cmdline: '' } satisfies BootAssets;

/** A host whose workers run `code` instead of a node. */
function hostRunning(code: string): WorkerHost {
  return { spawn: () => nodeWorkerSeam(new Worker(code, { eval: true })), channel: nodeWorkerHost.channel };
}

async function failureOf(promise: Promise<unknown>): Promise<NodeFailure> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(NodeFailure);
  return error as NodeFailure;
}

describe('a node whose worker misbehaves', () => {
  it('reports a worker that throws, and every later call fails at once', async () => {
    const node = new VmNode(identity, hostRunning(`require('node:worker_threads').parentPort.once('message', () => { throw new Error('boom'); });`));
    const failure = await failureOf(node.start(assets));
    expect(failure).toMatchObject({ node: 'node1', reason: 'crashed', message: 'node1 crashed (its worker failed: boom)' });
    const started = Date.now();
    expect((await failureOf(node.exec('true'))).message).toBe('node1 crashed (its worker failed: boom)');
    await expect(node.snapshot()).rejects.toThrow(/node1 crashed/);
    expect(Date.now() - started).toBeLessThan(1000);
    await node.stop();
  });

  it('reports a worker that exits', async () => {
    const node = new VmNode(identity, hostRunning(`require('node:worker_threads').parentPort.once('message', () => process.exit(3));`));
    expect((await failureOf(node.start(assets))).message).toBe('node1 crashed (its worker exited with code 3)');
    await node.stop();
  });

  it('fails a call in flight when the node is stopped under it, instead of leaving it pending', async () => {
    const node = new VmNode(identity, hostRunning(`require('node:worker_threads').parentPort.on('message', () => {});`));
    const starting = failureOf(node.start(assets));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await node.stop();
    const failure = await starting;
    expect(failure).toMatchObject({ reason: 'stopped', message: 'node node1 was stopped (reset or shut down) while running a command' });
    expect(await failureOf(node.exec('true'))).toMatchObject({ reason: 'stopped', message: 'node node1 is not running' });
  });
});

describe('a cluster given the snapshot of another memory size', () => {
  it('refuses before it starts a worker: a state restores only into a machine of its own size', async () => {
    let spawned = 0;
    const host: WorkerHost = { spawn: () => { spawned++; return nodeWorkerHost.spawn(); }, channel: nodeWorkerHost.channel };
    await expect(Cluster.up({ nodes: [{ name: 'node1' }], memoryMb: 256 }, host, assets))
      .rejects.toThrow("the topology's nodes have 256 MB of memory, and the snapshot given is of a node with 128 MB");
    await expect(Cluster.up({ nodes: [{ name: 'node1' }], memoryMb: 96 }, host, assets)).rejects.toThrow('a node has 128 or 256 MB of memory, not 96');
    expect(spawned).toBe(0);
  });
});

describe('a node told to start after something else', () => {
  it('counts as starting meanwhile, so a command waits for it; it starts once that settles', async () => {
    let spawned = 0;
    const host = hostRunning(`require('node:worker_threads').parentPort.once('message', () => process.exit(3));`);
    const counting: WorkerHost = { spawn: () => { spawned++; return host.spawn(); }, channel: host.channel };
    const node = new VmNode(identity, counting);
    let go = () => {};
    const starting = failureOf(node.start(assets, { after: new Promise<void>((resolve) => { go = resolve; }) }));
    const command = failureOf(node.exec('true'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(spawned).toBe(0);
    go();
    expect((await starting).message).toBe('node1 crashed (its worker exited with code 3)');
    // The command waited for that start, and fails as it did, instead of "not running" at once.
    expect((await command).message).toBe('node1 crashed (its worker exited with code 3)');
    expect(spawned).toBe(1);
    await node.stop();
  });

  it('does not start at all when stopped while it waits', async () => {
    let spawned = 0;
    const counting: WorkerHost = { spawn: () => { spawned++; return nodeWorkerHost.spawn(); }, channel: nodeWorkerHost.channel };
    const node = new VmNode(identity, counting);
    let go = () => {};
    const starting = failureOf(node.start(assets, { after: new Promise<void>((resolve) => { go = resolve; }) }));
    await node.stop();
    go();
    expect(await starting).toMatchObject({ reason: 'stopped', message: 'node node1 was stopped before it started' });
    expect(spawned).toBe(0);
  });
});
