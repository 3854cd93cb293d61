// A node as the rest of podwire sees it: exec, console, start/stop/reset,
// snapshot/restore, and a NIC to wire into the virtual network. The machine
// itself runs in a worker; this class is the main-thread handle.
import * as Comlink from 'comlink';
import type { FramePort, WiredPort } from '../net/ports.js';
import { AgentTimeoutError, type ExecOptions, type ExecResult } from './agent-client.js';
import type { BootAssets } from './emulator.js';
import type { NodeWorkerApi } from './node-worker.js';

/** What an environment (Node or browser) provides to run a worker. */
export interface WorkerHost {
  spawn(): { endpoint: Comlink.Endpoint; terminate(): void };
  channel(): { local: MessagePort; remote: MessagePort };
}

export interface NodeIdentity {
  name: string;
  mac: string;
  /** Underlay address with prefix, e.g. 10.0.0.11/24. */
  address: string;
  podCidr: string;
  gateway?: string;
}

type ConsoleListener = (text: string) => void;

export class VmNode {
  private worker: ReturnType<WorkerHost['spawn']> | null = null;
  private remote: Comlink.Remote<NodeWorkerApi> | null = null;
  private nicPort: MessagePort | null = null;
  private peer: FramePort | null = null;
  private consoleListeners = new Set<ConsoleListener>();
  private startedFrom: BootAssets | null = null;
  /** The NIC as a network port: frames delivered here go into the guest. */
  readonly nic: WiredPort;

  constructor(readonly identity: NodeIdentity, private readonly host: WorkerHost) {
    this.nic = {
      name: `${identity.name}:eth0`,
      deliver: (frame) => {
        const port = this.nicPort;
        if (!port) return;
        const own = frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength ? frame : frame.slice();
        port.postMessage(own, [own.buffer as ArrayBuffer]);
      },
      connect: (peer) => { this.peer = peer; },
    };
  }

  get name(): string { return this.identity.name; }
  get running(): boolean { return this.remote !== null; }

  /**
   * Boot (cold, or from a saved state) and give the node its identity. A state saved
   * from this very node already has it: `identity: false` leaves it as it was.
   */
  async start(assets: BootAssets, options: { timeoutSeconds?: number; identity?: boolean } = {}): Promise<void> {
    await this.stop();
    this.worker = this.host.spawn();
    const remote = Comlink.wrap<NodeWorkerApi>(this.worker.endpoint);
    this.remote = remote;
    const { local, remote: remotePort } = this.host.channel();
    this.nicPort = local;
    local.onmessage = (event: MessageEvent<Uint8Array>) => this.peer?.deliver(event.data);
    await remote.attachNic(Comlink.transfer(remotePort, [remotePort]));
    await remote.onConsole(Comlink.proxy((text: string) => { for (const l of this.consoleListeners) l(text); }));
    // The worker gets its own copy of a state, handed over without a second copy.
    const own = assets.state ? { ...assets, state: assets.state.slice(0) } : assets;
    const boot = own.state ? Comlink.transfer(own, [own.state]) : own;
    // Generous: a cold boot on a busy two-core machine can take minutes.
    await remote.boot(this.name, boot, options.timeoutSeconds ?? 300);
    this.startedFrom = assets;
    await this.afterRestore();
    if (options.identity !== false) await this.applyIdentity();
  }

  /**
   * A restored machine wakes with the clock and the kernel's random state it was saved
   * with, and every node restored from one snapshot has the same random state: the same
   * MACs for new devices, the same boot_id. Give it the host's time and fresh host
   * entropy before anything else runs on it.
   */
  private async afterRestore(): Promise<void> {
    const seed = Array.from(crypto.getRandomValues(new Uint8Array(64)), (byte) => byte.toString(16).padStart(2, '0')).join('');
    const epoch = (Date.now() / 1000).toFixed(3);
    const result = await this.exec(`podwire-after-restore ${epoch} ${seed}`, { timeout: 20 });
    if (result.exitCode !== 0) throw new Error(`node ${this.name}: could not reseed it and set its clock (exit ${result.exitCode}${result.timedOut ? ", timed out" : ""}): ${result.stderr.trim()}`);
  }

  private async applyIdentity(): Promise<void> {
    const { name, mac, address, podCidr, gateway } = this.identity;
    const result = await this.exec(`podwire-identity ${name} ${mac} ${address} ${podCidr} ${gateway ?? ''}`, { timeout: 20 });
    if (result.exitCode !== 0) throw new Error(`node ${name}: could not set its identity: ${result.stderr.trim()}`);
  }

  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    if (!this.remote) throw new Error(`node ${this.name} is not running`);
    try {
      return await this.remote.exec(command, options);
    } catch (error) {
      // Errors cross the worker boundary as plain objects; give the caller the real kind back.
      const message = (error as Error).message ?? String(error);
      if (/did not answer within/.test(message)) throw new AgentTimeoutError(this.name, options?.timeout ?? 30, message);
      throw error;
    }
  }

  onConsole(listener: ConsoleListener): () => void {
    this.consoleListeners.add(listener);
    return () => this.consoleListeners.delete(listener);
  }

  type(text: string): void {
    void this.remote?.typeOnConsole(text);
  }

  /** The node's state now; `gzip` for one to keep (about a third of the size). */
  async snapshot(options: { gzip?: boolean } = {}): Promise<ArrayBuffer> {
    if (!this.remote) throw new Error(`node ${this.name} is not running`);
    return this.remote.saveState(options);
  }

  /**
   * Put the node back into a state saved from it. The state keeps its own identity:
   * applying it again would take eth0 down and lose the routes the learner made.
   */
  async restore(state: ArrayBuffer, base?: BootAssets): Promise<void> {
    const assets = base ?? this.startedFrom;
    if (!assets) throw new Error(`node ${this.name} was never started`);
    await this.start({ ...assets, state }, { identity: false });
    this.startedFrom = assets;
  }

  /** A clean node again: restart from what it was started from, without touching the others. */
  async reset(): Promise<void> {
    if (!this.startedFrom) throw new Error(`node ${this.name} was never started`);
    await this.start(this.startedFrom);
  }

  async stop(): Promise<void> {
    const remote = this.remote;
    this.remote = null;
    if (remote) {
      await Promise.race([remote.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
      remote[Comlink.releaseProxy]();
    }
    this.nicPort?.close();
    this.nicPort = null;
    this.worker?.terminate();
    this.worker = null;
  }
}
