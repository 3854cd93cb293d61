// A node as the rest of podwire sees it: exec, console, start/stop/reset,
// snapshot/restore, and a NIC to wire into the virtual network. The machine
// itself runs in a worker; this class is the main-thread handle.
import * as Comlink from 'comlink';
import { bytesToHex } from '../net/decode/read.js';
import type { FramePort, WiredPort } from '../net/ports.js';
import { isNodeFailure, NodeFailure, nodeFailureFromData, type ExecOptions, type ExecResult } from './agent-client.js';
import { isSharedState, type BootAssets } from './emulator.js';
import type { ExecOutcome, NodeWorkerApi } from './node-worker.js';
import { isStateFile } from './state-file.js';

/** What an environment (Node or browser) provides to run a worker. */
export interface WorkerHost {
  spawn(): SpawnedWorker;
  channel(): { local: MessagePort; remote: MessagePort };
}

export interface SpawnedWorker {
  endpoint: Comlink.Endpoint;
  terminate(): void;
  /** Called once if the worker dies or fails on its own (not after terminate()), with what happened. */
  onFailure(listener: (what: string) => void): void;
}

/**
 * One run of a node's worker, from spawn to stop. Calls into the worker race its end,
 * so a worker that dies, or a node stopped under a call, rejects them instead of
 * leaving them pending forever (comlink itself never rejects a call to a dead worker).
 */
class WorkerLife {
  private endWith!: (failure: NodeFailure) => void;
  readonly ended = new Promise<never>((_, reject) => { this.endWith = reject; });
  failure: NodeFailure | null = null;

  constructor() {
    this.ended.catch(() => undefined);
  }

  end(failure: NodeFailure): void {
    if (this.failure) return;
    this.failure = failure;
    this.endWith(failure);
  }

  guard<T>(call: Promise<T>): Promise<T> {
    return Promise.race([call, this.ended]);
  }
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

export interface StartOptions {
  timeoutSeconds?: number;
  /** False: the state is this node's own and keeps its identity. */
  identity?: boolean;
  /** Start once this settles; until then the node counts as starting (commands wait), and a stop cancels the start. */
  after?: Promise<unknown>;
}

/**
 * A start's phases, in milliseconds: the worker up and wired; the state made ready in the
 * worker (copied, unpacked, a delta rebuilt on its base); the machine restored (or booted)
 * until its agent answers; its clock, entropy and identity set.
 */
export interface StartPhases { worker?: number; unpack?: number; boot?: number; afterRestore?: number }

/** How long a stop waits for the machine to shut down by itself before its worker is ended. */
const STOP_WAIT_MS = 300;

export class VmNode {
  private worker: SpawnedWorker | null = null;
  private life: WorkerLife | null = null;
  private remote: Comlink.Remote<NodeWorkerApi> | null = null;
  private nicPort: MessagePort | null = null;
  private peer: FramePort | null = null;
  private consoleListeners = new Set<ConsoleListener>();
  private startedFrom: BootAssets | null = null;
  /** How many times the node was stopped: a start that waited sees whether it was stopped meanwhile. */
  private stops = 0;
  /** The start under way, if any: commands, saves and keys wait for it (a cluster may start a node in the background). */
  private starting: Promise<void> | null = null;
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
  async start(assets: BootAssets, options: StartOptions = {}): Promise<void> {
    const run = this.startNow(assets, options);
    this.starting = run;
    try {
      await run;
    } finally {
      if (this.starting === run) this.starting = null;
    }
  }

  /** Resolves once no start is under way (whether it worked or not: a failed start leaves the node stopped). */
  private async started(): Promise<void> {
    while (this.starting) await this.starting.catch(() => undefined);
  }

  private async startNow(assets: BootAssets, options: StartOptions): Promise<void> {
    if (options.after) {
      const stops = this.stops;
      await options.after.catch(() => undefined);
      if (this.stops !== stops) throw new NodeFailure(this.name, 'stopped', `node ${this.name} was stopped before it started`);
    }
    const began = performance.now();
    const phases: StartPhases = {};
    /** Ends a phase begun at `from`; returns now, where the next one begins. */
    const phaseEnds = (name: keyof StartPhases, from: number) => { const now = performance.now(); phases[name] = now - from; return now; };
    await this.stop();
    this.worker = this.host.spawn();
    const life = new WorkerLife();
    this.life = life;
    this.worker.onFailure((what) => life.end(new NodeFailure(this.name, 'crashed', `${this.name} crashed (${what})`)));
    const remote = Comlink.wrap<NodeWorkerApi>(this.worker.endpoint);
    this.remote = remote;
    const { local, remote: remotePort } = this.host.channel();
    this.nicPort = local;
    local.onmessage = (event: MessageEvent<Uint8Array>) => {
      // A frame the network cannot take is dropped; it must not take the host down.
      try { this.peer?.deliver(event.data); } catch (error) { console.error(`podwire: ${this.name}: a frame was dropped: ${(error as Error).message}`); }
    };
    await life.guard(remote.attachNic(Comlink.transfer(remotePort, [remotePort])));
    await life.guard(remote.onConsole(Comlink.proxy((text: string) => { for (const l of this.consoleListeners) l(text); })));
    // The worker gets its own copy of a state (and of the base a delta is rebuilt on), handed
    // over without a second copy; shared memory and a kept file's name go as they are, and
    // the worker reads from them on its own thread.
    const boot: BootAssets = { ...assets };
    const handedOver: ArrayBuffer[] = [];
    for (const key of ['state', 'base'] as const) {
      const buffer = assets[key];
      if (!buffer || isSharedState(buffer) || isStateFile(buffer)) continue;
      boot[key] = buffer.slice(0);
      handedOver.push(boot[key] as ArrayBuffer);
    }
    // Generous: a cold boot on a busy two-core machine can take minutes.
    let at = phaseEnds('worker', began);
    const { unpackMs } = await life.guard(remote.boot(this.name, Comlink.transfer(boot, handedOver), options.timeoutSeconds ?? 300));
    at = phaseEnds('boot', at);
    phases.unpack = unpackMs;
    phases.boot! -= unpackMs;
    this.startedFrom = assets;
    await this.afterRestore(options.identity !== false, options.timeoutSeconds ?? 300);
    phaseEnds('afterRestore', at);
    this.lastStartPhases = phases;
  }

  /** Where the last start's time went, in milliseconds (for the benchmarks). */
  lastStartPhases: StartPhases = {};

  /**
   * A restored machine wakes with the clock and the kernel's random state it was saved
   * with, and every node restored from one snapshot has the same random state: the same
   * MACs for new devices, the same boot_id. Give it the host's time and fresh host
   * entropy before anything else runs on it, then (unless the state is this node's own)
   * its identity. One request for both, which is also the first the node answers (the
   * worker does not probe it first): on a node just restored, whose code v86 has not
   * compiled yet, each request to the agent costs a few hundred milliseconds. A request
   * that gets no answer in time, or that the agent's watchdog ends, is sent again until
   * `timeoutSeconds` are up (all of it may run twice: it sets the same values again); a
   * node that failed otherwise fails now.
   */
  private async afterRestore(withIdentity: boolean, timeoutSeconds: number): Promise<void> {
    const { name, mac, address, podCidr, gateway } = this.identity;
    const identity = `podwire-identity ${name} ${mac} ${address} ${podCidr} ${gateway ?? ''}`;
    // Which of the two failed is told by a line of its own on stderr. Each try takes the
    // time as it is sent: a try sent again carries the host's time then, not the first's.
    const command = () => `podwire-reseed ${bytesToHex(crypto.getRandomValues(new Uint8Array(64)))} ${(Date.now() / 1000).toFixed(3)} || { echo 'after-restore failed' >&2; exit 1; }${withIdentity ? `\n${identity} || { echo 'identity failed' >&2; exit 1; }` : ''}`;
    const deadline = Date.now() + timeoutSeconds * 1000;
    let result: ExecResult;
    for (;;) {
      try {
        result = await this.execNow(command(), { timeout: 20 });
        // The agent's own watchdog ends a try that its guest, starved of the host's CPU
        // (several nodes restoring on two cores, their code not yet compiled), could not
        // finish in time: that is a slow try, not a failure, so it is tried again too.
        if (!result.timedOut || Date.now() > deadline) break;
      } catch (error) {
        if (!(isNodeFailure(error) && error.reason === 'timeout') || Date.now() > deadline) throw error;
      }
    }
    if (result.exitCode === 0) return;
    const what = /identity failed/.test(result.stderr) ? 'could not set its identity' : 'could not reseed it and set its clock';
    throw new Error(`node ${this.name}: ${what} (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}): ${result.stderr.replace(/(after-restore|identity) failed\s*$/, '').trim()}`);
  }

  /**
   * Run a command on the node. When the node, rather than the command, fails (it does not
   * answer, crashed, garbled its agent channel, or was stopped) this throws a NodeFailure.
   */
  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    await this.started();
    return this.execNow(command, options);
  }

  private async execNow(command: string, options?: ExecOptions): Promise<ExecResult> {
    const remote = this.remote;
    const life = this.life;
    if (!remote || !life) throw new NodeFailure(this.name, 'stopped', `node ${this.name} is not running`);
    const outcome = await life.guard(remote.exec(command, options) as Promise<ExecOutcome>);
    // The worker reports a node failure as data: rebuild it here, with its kind and its one message.
    if ('failure' in outcome) throw nodeFailureFromData(this.name, outcome.failure);
    return outcome.result;
  }

  onConsole(listener: ConsoleListener): () => void {
    this.consoleListeners.add(listener);
    return () => this.consoleListeners.delete(listener);
  }

  /** Keys for the console. While the node starts they wait, in order, and go in once it answers. */
  type(text: string): void {
    const starting = this.starting;
    if (starting) {
      void starting.then(() => this.remote?.typeOnConsole(text)).catch(() => undefined);
      return;
    }
    this.remote?.typeOnConsole(text).catch(() => undefined);
  }

  /**
   * The node's state now. `gzip` for one to keep: the pages that differ from the base
   * snapshot, gzipped (state-delta.ts), a few hundred KB; restore it with that base.
   */
  async snapshot(options: { gzip?: boolean } = {}): Promise<ArrayBuffer> {
    await this.started();
    if (!this.remote || !this.life) throw new NodeFailure(this.name, 'stopped', `node ${this.name} is not running`);
    return this.life.guard(this.remote.saveState(options));
  }

  /**
   * Put the node back into a state saved from it. The state keeps its own identity:
   * applying it again would take eth0 down and lose the routes the learner made.
   */
  async restore(state: ArrayBuffer, base?: BootAssets, options: Pick<StartOptions, 'after'> = {}): Promise<void> {
    const assets = base ?? this.startedFrom;
    if (!assets) throw new Error(`node ${this.name} was never started`);
    // The base goes along: a delta is rebuilt on it, and the node's next saves are made against it.
    // What it was started from is the base, even when the state would not load: a reset then starts it from there.
    try {
      await this.start({ ...assets, state, base: assets.state }, { identity: false, after: options.after });
    } finally {
      this.startedFrom = assets;
    }
  }

  /** A clean node again: restart from what it was started from, without touching the others. */
  async reset(): Promise<void> {
    if (!this.startedFrom) throw new Error(`node ${this.name} was never started`);
    await this.start(this.startedFrom);
  }

  async stop(): Promise<void> {
    this.stops++;
    const remote = this.remote;
    this.remote = null;
    this.life?.end(new NodeFailure(this.name, 'stopped', `node ${this.name} was stopped (reset or shut down) while running a command`));
    this.life = null;
    if (remote) {
      // A worker busy (taking a state for a save) answers late: it is terminated anyway, so do not wait long.
      await Promise.race([remote.stop().catch(() => undefined), new Promise((r) => setTimeout(r, STOP_WAIT_MS))]);
      remote[Comlink.releaseProxy]();
    }
    this.nicPort?.close();
    this.nicPort = null;
    this.worker?.terminate();
    this.worker = null;
  }
}
