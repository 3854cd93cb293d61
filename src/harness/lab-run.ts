// LabRun: one lab's life on any host (Node worker_threads or the page's Web Workers).
// It opens the lab's cluster (from the base snapshot with the lab's setup, or from
// saved states), runs commands on its nodes, checks steps, resets, keeps node facts
// fresh for whoever asks (checks and the topology view alike), reads the captures by
// cursor, saves the nodes' states and closes. The CLI, the web app, the solution bots
// and the benchmarks all drive a lab through it; nothing else needs the cluster.
import type { CaptureCursor, CapturedFrame } from '../net/capture.js';
import type { Snapshot, Store } from '../kube/store.js';
import type { Lab, NodeCommands } from '../lab/types.js';
import { gatherFacts, type NodeFacts } from '../observe/facts.js';
import type { ExecOptions, ExecResult } from '../vm/agent-client.js';
import { Cluster } from '../vm/cluster.js';
import type { BootAssets } from '../vm/emulator.js';
import type { WorkerHost } from '../vm/node.js';
import { resolveTopology, type ResolvedTopology } from '../topology/topology.js';
import { walkPacket, walkSettled, type Walk, type WalkContext, type WalkRequest } from '../observe/walk/walk.js';
import { factsSectionsFor, runCheck, type CheckContext, type CheckResult } from '../checks/index.js';
import { labReport, stepReport, type LabReport, type StepReport } from './report.js';
import { scriptFailure, ScriptError, strictScript } from './scripts.js';

export interface LabRunOptions {
  host: WorkerHost;
  /** The firmware and the base snapshot every node starts from. */
  assets: BootAssets;
  /** Saved states per node (gzipped or raw): the nodes continue from them, and no setup runs. */
  states?: Record<string, ArrayBuffer>;
  onStatus?: (status: string) => void;
  /**
   * Starts the Kubernetes control plane for a lab that asks for it (`kubernetes:` in its
   * front matter): the Node host's is harness/kube-lab.ts. A host without one cannot open
   * such a lab (the web app, for now: src/kube serves over node:http).
   */
  kube?: KubeStarter;
  /**
   * Keep the nodes' states as the setup left them, and reset to them instead of running the
   * setup again (see resetToStep). `setupStates` are such states from an earlier run of the
   * same lab and values: the nodes start from them, and no setup runs.
   */
  reuseSetup?: boolean;
  setupStates?: Record<string, ArrayBuffer>;
}

/** Something that runs beside the nodes for the length of a lab: started after the setup, started afresh after each reset. */
export interface LabService {
  /** Resolves when what it was asked to do has reached the nodes (the controllers idle, every node's rules written): checks wait for it. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}
export type KubeStarter = (run: LabRun, options: { fromSaved: boolean }) => Promise<LabService>;

export interface ApplyOptions {
  /** Stop at the first failing line and throw a ScriptError (setup and solutions); off for a learner's commands, which run as typed. */
  strict?: boolean;
  /** Seconds per node's script. */
  timeout?: number;
}

export interface GradeOptions {
  /** 1-based step to grade alone; by default every step. */
  step?: number;
  /** Apply the reference solution of each step before grading it. */
  solution?: boolean;
  /** The learner's commands per node, applied before the step graded (or before the first step). */
  commands?: NodeCommands;
  onProgress?: (message: string) => void;
}

/**
 * Where save() keeps the Kubernetes objects (the store's snapshot, as JSON) beside the nodes'
 * states, when a kube API is attached: no node can be called this (node names are [a-z][a-z0-9-]*).
 */
export const KUBE_STATE = '@kube';

/** The nodes' states alone, and the Kubernetes objects saved with them, if any. */
function splitStates(states: Record<string, ArrayBuffer>): { nodes: Record<string, ArrayBuffer>; kube: Snapshot | undefined } {
  const { [KUBE_STATE]: kube, ...nodes } = states;
  return { nodes, kube: kube ? JSON.parse(new TextDecoder().decode(kube)) as Snapshot : undefined };
}

/** How long gathered facts stay good when nothing ran on the node: things change on their own (timers, background jobs). */
const FACTS_FRESH_MS = 2000;

interface CachedFacts { facts: Promise<NodeFacts>; generation: number; at: number }

export class LabRun {
  private readonly factsCache = new Map<string, CachedFacts>();
  /** Bumped on every command or keystroke a node gets: facts gathered before are stale. */
  private readonly generations = new Map<string, number>();

  /** The runtime underneath, for the page's session (saving, restoring, consoles); the views use the accessors here. */
  readonly cluster: Cluster;
  /** The objects of the Kubernetes API that drives these nodes (see attachKube). */
  private kubeStore: Store | undefined;
  /** Objects saved with the states this run was opened from, for the API attached next. */
  private kubePending: Snapshot | undefined;

  /** The host's starter of the Kubernetes control plane, and the one running (labs with `kubernetes:`). */
  private kubeStarter: KubeStarter | undefined;
  private kubeService: LabService | undefined;

  /**
   * The nodes as the setup left them (gzipped deltas, a few hundred KB each), once a reset
   * made them, when reuseSetup is on: later resets restore them instead of running the setup
   * again. Not for a Kubernetes lab, whose setup includes the control plane beside the nodes.
   */
  private afterSetup: Record<string, ArrayBuffer> | undefined;
  private readonly reuseSetup: boolean;

  private constructor(readonly lab: Lab, cluster: Cluster, kube?: KubeStarter, reuseSetup = false) {
    this.cluster = cluster;
    this.kubeStarter = kube;
    this.reuseSetup = reuseSetup && !kubeInSetup(lab);
  }

  /** The step (0-based) from which the lab runs with its control plane; none for a lab without one. */
  get kubeFromStep(): number | undefined {
    return this.lab.kubernetes ? this.lab.kubernetes.fromStep ?? 0 : undefined;
  }

  /** Whether reaching step `index` (0-based) starts the control plane: it starts there or before, and does not run yet. */
  needsKubeAt(index: number): boolean {
    const from = this.kubeFromStep;
    return from !== undefined && index >= from && !this.kubeService && this.kubeStarter !== undefined;
  }

  /** Whether the lab's control plane runs now. */
  get kubeRunning(): boolean {
    return this.kubeService !== undefined;
  }

  /** Bring the lab's nodes up: from saved states if given, else from the base snapshot, then the lab's setup. */
  static async open(lab: Lab, options: LabRunOptions): Promise<LabRun> {
    if (lab.kubernetes && !options.kube) throw new Error(`lab ${lab.id} runs with the Kubernetes control plane, which this host has no starter for`);
    options.onStatus?.(options.states ? 'restoring the saved nodes' : 'starting the nodes');
    const reuse = options.reuseSetup === true && !kubeInSetup(lab);
    const fromSetup = reuse ? options.setupStates : undefined;
    const states = options.states ?? fromSetup;
    const saved = states && splitStates(states);
    const cluster = await Cluster.up(lab.topology, options.host, options.assets, saved?.nodes);
    const run = new LabRun(lab, cluster, options.kube, reuse);
    run.kubePending = saved?.kube;
    if (!options.states && fromSetup) run.afterSetup = fromSetup;
    if (states) {
      // Saved with the control plane running (its objects beside the nodes), or a lab that runs with it from the start.
      if (saved?.kube || kubeInSetup(lab)) run.kubeService = await options.kube!(run, { fromSaved: true }).catch(async (error: unknown) => { await run.close(); throw error; });
      return run;
    }
    try {
      options.onStatus?.('running the lab setup');
      await run.setup();
    } catch (error) {
      await run.close();
      throw error;
    }
    return run;
  }

  /** A LabRun over a cluster someone else brought up (it takes the cluster over); `kube` starts a lab's control plane with each setup. */
  static over(lab: Lab, cluster: Cluster, kube?: KubeStarter): LabRun {
    return new LabRun(lab, cluster, kube);
  }

  get nodeNames(): string[] {
    return [...this.cluster.nodes.keys()];
  }

  /** The lab's topology with every default filled in (addresses, MACs, segments), for drawing it. */
  get topology(): ResolvedTopology {
    return this.cluster.topology;
  }

  /** The links whose frames are captured, by name. */
  get links(): string[] {
    return [...this.cluster.captures.keys()];
  }

  // ------------------------------------------------------------- running commands

  /** Run a command on a node: the one way in. */
  exec(node: string, command: string, options?: ExecOptions): Promise<ExecResult> {
    this.touch(node);
    // Again when it ends: facts gathered while it ran may have caught it halfway.
    return this.cluster.node(node).exec(command, options).finally(() => this.touch(node));
  }

  /** Tell the guest its terminal's size, so full-screen programs and line wrapping fit. */
  async resize(node: string, rows: number, cols: number): Promise<void> {
    await this.cluster.node(node).exec(`stty -F /dev/ttyS0 rows ${rows} cols ${cols}`, { timeout: 5 }).catch(() => undefined);
  }

  /** Keystrokes for a node's console (the learner's terminal). */
  type(node: string, text: string): void {
    this.touch(node);
    this.cluster.node(node).type(text);
  }

  onConsole(node: string, listener: (text: string) => void): () => void {
    return this.cluster.node(node).onConsole(listener);
  }

  /**
   * Run a script per node, all nodes at once. Strict (the default): the first failing line
   * stops a script, and a ScriptError names the node, the line and its stderr. Not strict: a
   * learner's commands run on as a terminal would; the result per node comes back.
   */
  async apply(commands: NodeCommands, what: string, options: ApplyOptions = {}): Promise<Record<string, ExecResult>> {
    const strict = options.strict ?? true;
    await this.walksSettled();
    const results: Record<string, ExecResult> = {};
    const failures = await Promise.all(Object.entries(commands).map(async ([node, script]) => {
      const result = await this.exec(node, strict ? strictScript(script) : script, { timeout: options.timeout ?? 120 });
      results[node] = result;
      return strict ? scriptFailure(what, node, script, result) : undefined;
    }));
    const failure = failures.find((f): f is ScriptError => f !== undefined);
    if (failure) throw failure;
    return results;
  }

  /**
   * The lab's setup, on every node or only on those named; then, for a lab with `kubernetes:`
   * from its first step, the control plane afresh (its objects live on every node, so all of
   * them are set up).
   */
  async setup(nodes = this.nodeNames): Promise<void> {
    await this.stopKube();
    await this.apply(only(this.lab.setup, nodes), `the setup of lab ${this.lab.id}`);
    if (kubeInSetup(this.lab)) await this.startKube();
  }

  /**
   * The learner is at step `index` (0-based): a lab whose control plane starts at a later
   * step (`kubernetes.fromStep`) starts it now, once it is reached. Checks, solutions and
   * resets call it; so does a page when the learner turns to a step.
   */
  async enterStep(index: number): Promise<void> {
    if (this.needsKubeAt(index)) await this.startKube();
  }

  /**
   * The control plane again, with the objects saved beside the nodes (save's KUBE_STATE), on
   * nodes restored from the same save: for a host that restores the nodes itself (the page).
   */
  async resumeKube(objects: Snapshot): Promise<void> {
    await this.stopKube();
    this.kubePending = objects;
    await this.startKube(true);
  }

  /** One start at a time: a check and a step change may both ask for it. */
  private kubeStarting: Promise<void> | undefined;

  /** With objects restored while it was stopped (restore), it starts from them rather than from the lab's manifests. */
  private startKube(fromSaved = this.kubePending !== undefined): Promise<void> {
    if (!this.kubeStarter) return Promise.resolve();
    this.kubeStarting ??= this.kubeStarter(this, { fromSaved })
      .then((service) => { this.kubeService = service; })
      .finally(() => { this.kubeStarting = undefined; });
    return this.kubeStarting;
  }

  /** Stops the lab's control plane, if it runs (before its nodes are reset under it); the next setup or step that needs it starts it afresh. */
  async stopKube(): Promise<void> {
    await this.kubeStarting?.catch(() => undefined);
    await this.kubeService?.stop();
    this.kubeService = undefined;
    // Its objects went with it: a save from now on holds the nodes alone, and objects restored meanwhile are dropped with them.
    this.kubeStore = undefined;
    this.kubePending = undefined;
  }

  /** The reference solutions of steps `from` to `upTo` (0-based, `upTo` excluded), in order. */
  async applySolutions(upTo: number, options: { from?: number; nodes?: string[] } = {}): Promise<void> {
    for (const [index, step] of this.lab.steps.entries()) {
      if (index < (options.from ?? 0) || index >= upTo) continue;
      await this.enterStep(index);
      await this.apply(only(step.solution, options.nodes ?? this.nodeNames), `the solution of step '${step.id}'`);
    }
  }

  // ------------------------------------------------------------- resets

  /** A node as it was when the lab started: the base snapshot, then the lab's setup for it. */
  async resetNode(name: string): Promise<void> {
    // Pods of a Kubernetes lab live on every node and in the API: a reset takes the whole lab back.
    if (kubeInSetup(this.lab) || this.kubeService) return this.resetToStep(0);
    const afterSetup = this.afterSetup?.[name];
    if (afterSetup) return this.restore({ [name]: afterSetup });
    this.touch(name);
    await this.cluster.node(name).reset();
    await this.setup([name]);
  }

  /**
   * Every node as it was when step `index` (0-based) began: fresh nodes, the setup, then the
   * solutions of the steps before it. With reuseSetup, the first reset keeps the nodes' states
   * after the setup, and the later ones restore them rather than run the setup again.
   */
  async resetToStep(index: number): Promise<void> {
    await this.stopKube();
    if (this.afterSetup) {
      await this.restore(this.afterSetup);
    } else {
      for (const name of this.nodeNames) this.touch(name);
      await Promise.all(this.nodeNames.map((name) => this.cluster.node(name).reset()));
      await this.setup();
      if (this.reuseSetup) this.afterSetup = await this.save({ gzip: true });
    }
    await this.applySolutions(index);
    await this.enterStep(index);
  }

  /** The nodes as the setup left them, if a reset kept them (reuseSetup): for another run of the same lab and values. */
  get setupStates(): Record<string, ArrayBuffer> | undefined {
    return this.afterSetup;
  }

  /** Keep the nodes' states now, as the setup left them (just opened, nothing run yet), for later resets. */
  async keepSetupStates(): Promise<Record<string, ArrayBuffer> | undefined> {
    if (this.reuseSetup) this.afterSetup ??= await this.save({ gzip: true });
    return this.afterSetup;
  }

  /**
   * The same nodes running another variant of this lab (another student's values): each
   * node takes the variant's address and pod CIDR, then every node is reset to the start
   * of the lab. Nodes cannot change switches, so the variant must keep the segments. The
   * returned run owns the cluster from now on.
   */
  async switchTo(variant: Lab): Promise<LabRun> {
    const wanted = resolveTopology(variant.topology);
    const segments = (topology: ResolvedTopology) => JSON.stringify(topology.segments);
    if (segments(wanted) !== segments(this.topology)) throw new Error(`lab ${variant.id}: a variant must keep the lab's segments to run on the same nodes`);
    for (const node of wanted.nodes) this.cluster.node(node.name).identity.address = node.address;
    for (const node of wanted.nodes) this.cluster.node(node.name).identity.podCidr = node.podCidr;
    await this.stopKube();
    const next = new LabRun(variant, this.cluster, this.kubeStarter, this.reuseSetup);
    await next.resetToStep(0);
    return next;
  }

  /**
   * A Kubernetes API drives these nodes (harness/kube-cluster): its objects are saved and
   * restored with the nodes, and object checks read them. Objects saved with the states this
   * run was opened from go into the store now.
   */
  attachKube(store: Store): void {
    this.kubeStore = store;
    if (this.kubePending) store.restore(this.kubePending);
    this.kubePending = undefined;
  }

  /** The attached API's objects, if any. */
  get kube(): Store | undefined {
    return this.kubeStore;
  }

  /** Every node (or those given) back to saved states of its own (see save), and the Kubernetes objects saved with them. */
  async restore(states: Record<string, ArrayBuffer>): Promise<void> {
    const { nodes, kube } = splitStates(states);
    if (kube && this.kubeStore) this.kubeStore.restore(kube);
    else if (kube) this.kubePending = kube;
    await Promise.all(Object.entries(nodes).map(async ([name, state]) => {
      this.touch(name);
      await this.cluster.node(name).restore(state);
    }));
  }

  /** Each node's state now; `gzip` for ones to keep (about a third of the size). With a kube API attached, its objects too, under KUBE_STATE. */
  async save(options: { gzip?: boolean } = {}): Promise<Record<string, ArrayBuffer>> {
    const states: Record<string, ArrayBuffer> = {};
    await this.walksSettled();
    // The objects first: the nodes' states are taken while they stand still, and the objects must not be newer than them.
    if (this.kubeStore) states[KUBE_STATE] = new TextEncoder().encode(JSON.stringify(this.kubeStore.snapshot())).buffer as ArrayBuffer;
    await Promise.all(this.nodeNames.map(async (name) => { states[name] = await this.cluster.node(name).snapshot(options); }));
    return states;
  }

  // ------------------------------------------------------------- looking

  /** The node's facts: gathered in one exec, and shared until a command or keystroke reaches the node or they grow old. */
  facts(node: string): Promise<NodeFacts> {
    const generation = this.generations.get(node) ?? 0;
    const cached = this.factsCache.get(node);
    if (cached && cached.generation === generation && performance.now() - cached.at < FACTS_FRESH_MS) return cached.facts;
    const facts = gatherFacts(node, (command, options) => this.cluster.node(node).exec(command, options));
    const entry = { facts, generation, at: performance.now() };
    this.factsCache.set(node, entry);
    facts.catch(() => { if (this.factsCache.get(node) === entry) this.factsCache.delete(node); });
    return facts;
  }

  /**
   * A look at some of the node's facts (`only`, as for gatherFacts) for a view that draws
   * them. Looking changes nothing on the node, so it leaves the checks' shared facts valid.
   */
  look(node: string, only: readonly string[], timeout: number): Promise<NodeFacts> {
    return gatherFacts(node, (command, options) => this.cluster.node(node).exec(command, options), { only, timeout });
  }

  captureCursor(): CaptureCursor {
    return this.cluster.captureCursor();
  }

  framesSince(cursor: CaptureCursor): CapturedFrame[] {
    return this.cluster.framesSince(cursor);
  }

  // ------------------------------------------------------------- grading

  /**
   * Check step `index` (0-based) as the nodes are now. Every check starts at once: checks on
   * different nodes run side by side, those on one node queue at its agent, and facts are
   * gathered once per node. `attempt` picks which of the step's hints comes next;
   * `onResult` hears each check's result as it arrives (with its index in the step).
   */
  /** Follow one packet through the nodes (see observe/walk): tracing armed, one probe, tracing removed. */
  walk(request: WalkRequest): Promise<Walk> {
    this.walkContext ??= {
      nodeNames: this.nodeNames,
      exec: (node, command, options) => this.cluster.node(node).exec(command, options),
      captureCursor: () => this.captureCursor(),
      framesSince: (cursor) => this.framesSince(cursor),
      lane: this,
    };
    return walkPacket(this.walkContext, request);
  }

  /** A walk answers before its tracing is off the nodes: what reads, changes or saves them waits for that. */
  walksSettled(): Promise<void> {
    return walkSettled(this.walkContext);
  }

  private walkContext: WalkContext | undefined;

  async checkStep(index: number, attempt = 0, onResult?: (result: CheckResult, index: number) => void): Promise<StepReport> {
    const step = this.lab.steps[index];
    if (!step) throw new Error(`lab ${this.lab.id} has no step ${index + 1} (it has ${this.lab.steps.length})`);
    await this.walksSettled();
    await this.enterStep(index);
    // A change just written to the API (a learner's kubectl) is graded once the controllers and kube-proxy have carried it to the nodes.
    await this.kubeService?.settle();
    // Facts fresh for this round (whatever was cached may predate the learner's last command),
    // and only the sections this step's checks read: each one skipped is a program not run.
    const scoped = new Map<string, Promise<NodeFacts>>();
    const factsFor = (node: string) => {
      let facts = scoped.get(node);
      if (!facts) {
        const only = factsSectionsFor(step.checks.filter((c) => c.node === node));
        if (only === 'all') this.factsCache.delete(node);
        facts = only === 'all' ? this.facts(node) : gatherFacts(node, (command, options) => this.cluster.node(node).exec(command, options), { only });
        scoped.set(node, facts);
      }
      return facts;
    };
    const context: CheckContext = {
      nodeNames: this.nodeNames,
      facts: factsFor,
      // A check looks; it does not count as a command that makes the facts stale.
      exec: (node, command, options) => this.cluster.node(node).exec(command, options),
      captureCursor: () => this.captureCursor(),
      framesSince: (cursor) => this.framesSince(cursor),
      lane: this,
      ...(this.kubeStore ? { kube: this.kubeStore } : {}),
    };
    const checks: CheckResult[] = await Promise.all(step.checks.map(async (check, at) => {
      const result = await runCheck(check, context);
      onResult?.(result, at);
      return result;
    }));
    return stepReport(this.lab, step, checks, attempt);
  }

  /** Grade the lab as a course pipeline does: the learner's commands or the reference solutions, then each step's checks. */
  async grade(options: GradeOptions = {}): Promise<LabReport> {
    const started = Date.now();
    const steps = this.lab.steps;
    if (options.step !== undefined && (options.step < 1 || options.step > steps.length)) {
      throw new Error(`lab ${this.lab.id} has no step ${options.step} (it has ${steps.length})`);
    }
    const last = options.step ?? steps.length;
    const reports: StepReport[] = [];
    if (options.commands) {
      options.onProgress?.('applying your commands');
      const results = await this.apply(options.commands, 'your commands', { strict: false });
      for (const [node, result] of Object.entries(results)) {
        if (result.exitCode !== 0) options.onProgress?.(`your commands on ${node} ended with exit code ${result.exitCode}${result.stderr.trim() ? `: ${result.stderr.trim().split('\n').slice(-2).join(' | ')}` : ''}`);
      }
    }
    for (let index = 0; index < last; index++) {
      const step = steps[index]!;
      // A step with no solution of its own (one that follows packets) has nothing to apply.
      if (options.solution && Object.keys(step.solution).length) {
        options.onProgress?.(`applying the solution of step ${index + 1}: ${step.title}`);
        await this.applySolutions(index + 1, { from: index });
      }
      if (options.step !== undefined && index + 1 !== options.step) continue;
      options.onProgress?.(`checking step ${index + 1}: ${step.title}`);
      reports.push(await this.checkStep(index));
    }
    return labReport(this.lab, reports, { solutionApplied: options.solution ?? false, durationMs: Date.now() - started });
  }

  async close(): Promise<void> {
    await this.kubeStarting?.catch(() => undefined);
    await this.kubeService?.stop().catch(() => undefined);
    this.kubeService = undefined;
    this.factsCache.clear();
    await this.cluster.down();
  }

  private touch(node: string): void {
    this.generations.set(node, (this.generations.get(node) ?? 0) + 1);
  }
}

/** A lab whose control plane starts with its setup (`kubernetes:` without a later `fromStep`). */
export function kubeInSetup(lab: Lab): boolean {
  return lab.kubernetes !== undefined && !lab.kubernetes.fromStep;
}

function only(commands: NodeCommands, nodes: string[]): NodeCommands {
  return Object.fromEntries(Object.entries(commands).filter(([node]) => nodes.includes(node)));
}
