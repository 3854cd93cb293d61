// A Cluster brings a Topology up: one switch per segment, a router at every
// segment's gateway address, a captured link from every node's NIC to its switch, and the
// nodes themselves, all started from one saved state and then given their identity.
import { CaptureRing, cursorOf, framesSince, type CaptureCursor, type CapturedFrame } from '../net/capture.js';
import { Link } from '../net/link.js';
import { Router } from '../net/router.js';
import { LearningSwitch } from '../net/switch.js';
import { isNodeFailure } from './agent-client.js';
import type { BootAssets } from './emulator.js';
import { VmNode, type WorkerHost } from './node.js';
import { nodeMemoryOf, resolveTopology, type ResolvedTopology, type Topology } from '../topology/topology.js';

export class Cluster {
  readonly nodes = new Map<string, VmNode>();
  readonly switches = new Map<string, LearningSwitch>();
  readonly links = new Map<string, Link>();
  readonly captures = new Map<string, CaptureRing>();
  router: Router | null = null;

  private constructor(readonly topology: ResolvedTopology) {}

  /**
   * Every node's start has ended: the names of those that failed, with why (they are
   * stopped; a reset starts them again). Resolves at once for a cluster up in one go.
   */
  settled: Promise<Map<string, Error>> = Promise.resolve(new Map());

  /**
   * Bring the topology up. Nodes start from `assets` (the base snapshot) and get their
   * identity; a node named in `resume` continues from that state of its own instead.
   *
   * With `front`, that node starts first and alone, and `up` resolves once it answers: on
   * two cores, three nodes starting together each get two thirds of one. The others start
   * after it, in the background (`settled`); a command, a save or a key for one of them
   * waits for its start. With `restAfter` too, they start once it settles: a page lets the
   * front node draw its first prompt before the others take the cores.
   */
  static async up(topology: Topology, host: WorkerHost, assets: BootAssets, resume: Record<string, ArrayBuffer> = {}, options: { front?: string; restAfter?: Promise<unknown> } = {}): Promise<Cluster> {
    const cluster = new Cluster(resolveTopology(topology));
    const memoryMb = nodeMemoryOf(topology);
    if (assets.memoryMb !== memoryMb) throw new Error(`the topology's nodes have ${memoryMb} MB of memory, and the snapshot given is of a node with ${assets.memoryMb} MB`);
    const startNode = (node: VmNode, after?: Promise<unknown>) => {
      const state = resume[node.name];
      return state ? node.restore(state, assets, { after }) : node.start(assets, { after });
    };
    const front = options.front !== undefined ? cluster.topology.nodes.find((n) => n.name === options.front)?.name : undefined;
    try {
      await cluster.wire(host);
      if (front === undefined) {
        await Promise.all([...cluster.nodes.values()].map((node) => startNode(node)));
        return cluster;
      }
      await startNode(cluster.node(front));
    } catch (error) {
      await cluster.down();
      throw error;
    }
    const failed = new Map<string, Error>();
    const rest = [...cluster.nodes.values()].filter((node) => node.name !== front);
    cluster.settled = Promise.all(rest.map((node) => startNode(node, options.restAfter).catch(async (error: unknown) => {
      // Stopped on purpose (the cluster taken down, or the node reset meanwhile): not a failure.
      if (isNodeFailure(error) && error.reason === 'stopped') return;
      failed.set(node.name, error instanceof Error ? error : new Error(String(error)));
      await node.stop();
    }))).then(() => failed);
    return cluster;
  }

  private async wire(host: WorkerHost): Promise<void> {
    const { segments, nodes, links } = this.topology;
    for (const segment of segments) this.switches.set(segment.name, new LearningSwitch({ name: segment.name }));
    const router = new Router({ name: 'router' });
    this.router = router;
    segments.forEach((segment, index) => {
      const prefix = segment.subnet.split('/')[1];
      const iface = router.addInterface({
        name: `router-${segment.name}`,
        mac: `02:52:00:00:00:${(index + 1).toString(16).padStart(2, '0')}`,
        address: `${segment.gateway}/${prefix}`,
      });
      const capture = new CaptureRing();
      this.captures.set(iface.name, capture);
      this.links.set(iface.name, Link.between(iface, this.switches.get(segment.name)!.addPort(iface.name), { name: iface.name, capture }));
    });
    for (const spec of nodes) {
      const node = new VmNode({ name: spec.name, mac: spec.mac, address: spec.address, podCidr: spec.podCidr, gateway: spec.gateway }, host);
      this.nodes.set(spec.name, node);
      const capture = new CaptureRing();
      this.captures.set(spec.name, capture);
      const port = this.switches.get(spec.segment)!.addPort(spec.name);
      this.links.set(spec.name, Link.between(node.nic, port, { name: spec.name, capture, ...links }));
    }
  }

  /** The node called name, or an error that lists the ones there are. */
  node(name: string): VmNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`unknown node '${name}' (this cluster has: ${[...this.nodes.keys()].join(', ')})`);
    return node;
  }

  /** Where every link's capture is now; frames captured later come back from framesSince. */
  captureCursor(): CaptureCursor {
    return cursorOf(this.captures);
  }

  /** Every link's frames captured after the cursor (nothing is cleared: other readers keep theirs), oldest first. */
  framesSince(cursor: CaptureCursor): CapturedFrame[] {
    return framesSince(this.captures, cursor);
  }

  /** Every captured frame still held, oldest first. */
  capturedFrames(): CapturedFrame[] {
    return this.framesSince({});
  }

  async down(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((node) => node.stop()));
    for (const link of this.links.values()) link.close();
    this.router?.dispose();
  }
}
