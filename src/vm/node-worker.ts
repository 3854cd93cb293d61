// The inside of a node worker: one v86 machine, its agent channel, its console and
// its NIC. It runs in a worker_threads Worker on Node and in a Web Worker in the
// browser; the environment-specific entry files only hand it an endpoint.
import * as Comlink from 'comlink';
import { AgentClient, NodeFailure, isNodeFailure, nodeFailureToData, type ExecOptions, type ExecResult, type NodeFailureData } from './agent-client.js';
import { gunzip, gzip, isGzip } from './compress.js';
import { createEmulator, isSharedState, type BootAssets } from './emulator.js';
import { discard } from './buffers.js';
import { digestState, isDelta, packState, planDeltaRestore, planRestore, type BaseDigest, type RestorePlan, type StateSource } from './state-delta.js';
import { isStateFile, openStateFile, type StateFile } from './state-file.js';
import { consoleInputWaiting, deliverFrame, releaseStateAfterRestore, restoreWithoutZeroingFreshMemory, sleepThroughShortWaits, wake, writeMemoryAfterRestore } from './v86-seams.js';
import type { V86 } from 'v86';

/** Bytes of console output gathered before they are posted, so a busy console is not one message a byte. */
const CONSOLE_FLUSH_MS = 8;

/** How long a save waits for the guest to read the keys still in its serial port (see consoleInputTaken). */
const CONSOLE_DRAIN_MS = 1000;

/** The longest console line we keep while looking for a kernel panic; the rest of a line is dropped. */
const MAX_CONSOLE_LINE = 512;
/**
 * The kernel's panic line on the console, after its printk timestamp. The timestamp
 * is required, so that a learner who merely echoes the words is not taken for a crash.
 */
const KERNEL_PANIC = /^\[\s*\d+\.\d+\]\s*(Kernel panic - not syncing.*)$/;

export type ConsoleListener = (text: string) => void;

/** What exec answers across the worker boundary: a result, or why the node failed. */
export type ExecOutcome = { result: ExecResult } | { failure: NodeFailureData };

/**
 * v86 logs a line to the console for every frame that arrives while the guest has
 * no receive buffer posted (during boot, or when it is overrun). Count those drops
 * instead of printing them into whatever the host process is writing.
 */
let framesDroppedByGuest = 0;
const log = console.log.bind(console);
console.log = (...args: unknown[]) => {
  if (args[0] === 'No buffer to write into!') framesDroppedByGuest++;
  else log(...args);
};

export class NodeWorker {
  private emulator: V86 | null = null;
  private agent: AgentClient | null = null;
  private nic: MessagePort | null = null;
  private consoleListener: ConsoleListener | null = null;
  private consoleBuffer: number[] = [];
  private consoleTimer: ReturnType<typeof setTimeout> | null = null;
  /** The console's current line, printable ASCII only, to spot a kernel panic. */
  private consoleLine = '';
  private nodeName = 'node';
  /** What saves to keep are made against: the base snapshot (shared or in a file, digested on first use) or its digest. */
  private deltaBase: SharedArrayBuffer | StateFile | BaseDigest | undefined;

  /**
   * Start the machine, from a cold boot (until its agent says it is ready) or from a saved
   * state (until the state is loaded: the caller's first request finds out when the agent
   * answers); says how long the state took to make ready.
   */
  async boot(name: string, given: BootAssets, timeoutSeconds = 120): Promise<{ unpackMs: number }> {
    await this.stop();
    this.nodeName = name;
    this.deltaBase = undefined;
    const { base: _base, state: _state, ...assets } = given;
    const unpackBegan = performance.now();
    const opened: (StateSource & { close(): void })[] = [];
    const plan = given.state && await this.planRestore(given.state, given.base, given.memoryMb, opened).catch((error: unknown) => {
      for (const file of opened) file.close();
      throw error;
    });
    const unpackMs = performance.now() - unpackBegan;
    this.consoleLine = '';
    const emulator = createEmulator(plan ? { ...assets, state: plan.machine } : assets);
    sleepThroughShortWaits(emulator);
    if (plan) {
      restoreWithoutZeroingFreshMemory(emulator);
      // What was handed to this worker alone (a state, a base) is not needed after the restore;
      // shared memory is the process's, and a worker that keeps a reference to it is charged
      // for it. A kept file is let go, so the page may replace it.
      const handedOver = [given.state, given.base].filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer);
      writeMemoryAfterRestore(emulator, (memory) => {
        try {
          plan.writeMemory(memory);
        } finally {
          for (const file of opened.splice(0)) file.close();
          for (const buffer of handedOver.splice(0)) discard(buffer);
        }
      });
      releaseStateAfterRestore(emulator, plan.machine);
    }
    this.emulator = emulator;
    const agent = new AgentClient(name, (bytes) => this.sendToGuest(1, bytes));
    this.agent = agent;
    const ready = plan ? null : agent.waitForReady(timeoutSeconds);
    // Every listener runs inside v86's loop on bytes the guest chose: none may throw there.
    emulator.add_listener('serial1-output-byte', (byte: number) => agent.feed(byte));
    emulator.add_listener('serial0-output-byte', this.guarded((byte: number) => this.onConsoleByte(byte)));
    emulator.add_listener('net0-send', this.guarded((frame: Uint8Array) => {
      // The frame is a view of the emulator's memory: copy it once, then transfer the copy.
      const copy = frame.slice();
      this.nic?.postMessage(copy, [copy.buffer]);
    }));
    if (ready) {
      await ready;
    } else {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`node ${name}: the saved state did not load within ${timeoutSeconds} s`)), timeoutSeconds * 1000);
        // A state v86 cannot read throws inside its loader, where only onUncaughtError sees it: fail now, not at the timeout.
        this.loadFailed = (message) => { clearTimeout(timer); reject(new Error(`node ${name}: the saved state did not load (${message})`)); };
        emulator.add_listener('emulator-loaded', () => { clearTimeout(timer); resolve(); });
      }).finally(() => { this.loadFailed = null; });
      // The node's first request (VmNode's afterRestore) is also how it learns that the agent
      // answers: a separate `true` first cost 0.25 s on a guest whose code v86 has not compiled
      // yet. A state saved while a request was coming in holds the start of that line in the
      // agent's input, which would swallow the first request: an empty line ends it, and the
      // agent ignores empty lines.
      this.sendToGuest(1, new Uint8Array([0x0a]));
    }
    return { unpackMs };
  }

  /**
   * What v86 is to restore, and where the guest's pages come from, worked out here, in the
   * node's own thread, so the nodes of a cluster do it side by side and the page stays
   * responsive: a gzipped state is unpacked, a delta read against its base; no copy of
   * the guest's memory is made on the way (state-delta.ts RestorePlan). Also takes what
   * later saves need of the base (see deltaBase).
   */
  private async planRestore(given: NonNullable<BootAssets['state']>, base: BootAssets['base'], memoryMb: number, opened: (StateSource & { close(): void })[]): Promise<RestorePlan> {
    const open = async (kept: StateFile) => {
      const file = await openStateFile(kept);
      opened.push(file);
      return file;
    };
    let plan: RestorePlan;
    let gzipped = false;
    if (isStateFile(given)) {
      plan = planRestore(await open(given));
    } else {
      let bytes = new Uint8Array(given);
      gzipped = isGzip(bytes);
      // A state cut short or damaged on disk fails here: say which node's, and that it is damaged.
      if (gzipped) bytes = await gunzip(bytes).catch((error: unknown) => { throw new Error(`node ${this.nodeName}: its saved state is damaged (${(error as Error).message})`); });
      if (isDelta(bytes)) {
        if (!base) throw new Error(`node ${this.nodeName}: its saved state is a delta, and no base snapshot was given to rebuild it on`);
        plan = planDeltaRestore(isStateFile(base) ? await open(base) : new Uint8Array(base), bytes);
      } else {
        plan = planRestore(bytes);
      }
    }
    if (plan.memoryBytes > memoryMb << 20) throw new Error(`node ${this.nodeName}: its saved state holds ${plan.memoryBytes >> 20} MB of guest memory, this node has ${memoryMb} MB`);
    // Without a base given, a raw state is the base itself (a start from the snapshot).
    const from = base ?? (gzipped ? undefined : given);
    // A shared or kept base stays readable for free: digest it when the first save needs it.
    // A private copy is digested now (it is 110 MB; the plan holds it until the restore).
    if (from) this.deltaBase = isSharedState(from) || isStateFile(from) ? from : await this.digestOf(new Uint8Array(from));
    return plan;
  }

  /**
   * A digest of the base (in memory, or a kept file read a piece at a time), or undefined
   * (with a warning) when the base is not a state deltas can be made against.
   */
  private async digestOf(base: Uint8Array | StateFile): Promise<BaseDigest | undefined> {
    try {
      if (!isStateFile(base)) return digestState(base);
      const file = await openStateFile(base);
      try { return digestState(file); } finally { file.close(); }
    } catch (error) {
      console.warn(`podwire: node ${this.nodeName}: saves will be whole states: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** The digest saves are made against, made from the base on the first save that needs it. */
  private async baseDigest(): Promise<BaseDigest | undefined> {
    const base = this.deltaBase;
    if (isSharedState(base)) this.deltaBase = await this.digestOf(new Uint8Array(base));
    else if (isStateFile(base)) this.deltaBase = await this.digestOf(base);
    return this.deltaBase as BaseDigest | undefined;
  }

  /** Where the NIC's frames go and come from: a port of a MessageChannel owned by the network. */
  attachNic(port: MessagePort): void {
    this.nic = port;
    port.onmessage = this.guarded((event: MessageEvent<Uint8Array>) => {
      if (!this.emulator) return;
      deliverFrame(this.emulator, event.data);
      wake(this.emulator);
    });
  }

  /**
   * Run a command through the agent. A node failure comes back as data, not as a
   * thrown error, because an error crossing the worker boundary keeps only its message.
   */
  async exec(command: string, options?: ExecOptions): Promise<ExecOutcome> {
    const agent = this.agent;
    if (!agent) return { failure: { reason: 'stopped', message: `node ${this.nodeName} is not running` } };
    try {
      return { result: await agent.exec(command, options) };
    } catch (error) {
      if (isNodeFailure(error)) return { failure: nodeFailureToData(error) };
      throw error;
    }
  }

  /**
   * An error nothing else caught in this worker (the entry file routes them here). The
   * machine may be broken: the node reports itself crashed until it is started again.
   */
  onUncaughtError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`podwire: node ${this.nodeName}'s worker caught: ${error instanceof Error ? error.stack : message}`);
    this.agent?.fail(new NodeFailure(this.nodeName, 'crashed', `${this.nodeName} crashed (an error in its worker: ${message})`));
    this.loadFailed?.(message);
  }

  /** Set while a saved state loads: ends that wait when v86 throws instead. */
  private loadFailed: ((message: string) => void) | null = null;

  onConsole(listener: ConsoleListener | null): void {
    this.consoleListener = listener;
  }

  /** Keystrokes from a terminal. */
  typeOnConsole(text: string): void {
    this.sendToGuest(0, new TextEncoder().encode(text));
  }

  /** Frames the guest's NIC had no buffer for, since this worker started. */
  droppedFrames(): number {
    return framesDroppedByGuest;
  }

  /**
   * The machine's state. One to store (`gzip`) is made here, off the page's thread: the
   * pages that differ from the base snapshot, gzipped (state-delta.ts), or the whole state
   * gzipped when the node has no base (it was restored without one).
   */
  async saveState(options: { gzip?: boolean } = {}): Promise<ArrayBuffer> {
    if (!this.emulator) throw new Error('node is not running');
    await this.consoleInputTaken();
    const raw = await this.emulator.save_state();
    if (!options.gzip) return Comlink.transfer(raw, [raw]);
    const digest = await this.baseDigest();
    const packed = (await (digest ? packState(digest, new Uint8Array(raw)) : gzip(new Uint8Array(raw)))).buffer as ArrayBuffer;
    discard(raw); // 117 MB, of which the packed state keeps a few
    return Comlink.transfer(packed, [packed]);
  }

  /**
   * Keys sent to the console wait in the serial port's FIFO until the guest's kernel reads
   * them, and v86 leaves that FIFO out of a saved state. The page counts everything it sent
   * as held by a state taken after it, so let the guest take those keys first (it does
   * within a few milliseconds unless its kernel is stuck).
   */
  private async consoleInputTaken(timeoutMs = CONSOLE_DRAIN_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.emulator && consoleInputWaiting(this.emulator) > 0 && Date.now() < deadline) {
      wake(this.emulator);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  async stop(): Promise<void> {
    const emulator = this.emulator;
    this.emulator = null;
    this.agent?.abandonAll(new NodeFailure(this.nodeName, 'stopped', `node ${this.nodeName} was stopped (reset or shut down) while running a command`));
    this.agent = null;
    if (emulator) await emulator.destroy();
  }

  private sendToGuest(serial: number, bytes: Uint8Array): void {
    if (!this.emulator) return;
    this.emulator.serial_send_bytes(serial, bytes);
    wake(this.emulator);
  }

  /** A listener that reports its own error instead of throwing it into the emulator. */
  private guarded<A extends unknown[]>(listener: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      try { listener(...args); } catch (error) { this.onUncaughtError(error); }
    };
  }

  private onConsoleByte(byte: number): void {
    this.watchForPanic(byte);
    this.consoleBuffer.push(byte);
    this.consoleTimer ??= setTimeout(() => {
      this.consoleTimer = null;
      const text = new TextDecoder().decode(new Uint8Array(this.consoleBuffer.splice(0)));
      // The listener is in another thread; if it is gone, the console has no one to show it to.
      if (this.consoleListener) Promise.resolve(this.consoleListener(text)).catch(() => undefined);
    }, CONSOLE_FLUSH_MS);
  }

  /** A kernel panic on the console: from now on every request fails at once, saying so. */
  private watchForPanic(byte: number): void {
    if (byte === 10 || byte === 13) {
      const panic = KERNEL_PANIC.exec(this.consoleLine);
      this.consoleLine = '';
      if (panic && this.agent && !this.agent.failed) {
        this.agent.fail(new NodeFailure(this.nodeName, 'crashed', `${this.nodeName} crashed (kernel panic: ${panic[1]!.trim()})`));
      }
      return;
    }
    if (byte >= 32 && byte < 127 && this.consoleLine.length < MAX_CONSOLE_LINE) this.consoleLine += String.fromCharCode(byte);
  }
}

export type NodeWorkerApi = NodeWorker;
