// One lab running in the page: its cluster, brought up from the shared base snapshot
// (or resumed from the states saved last time), its consoles, checks, resets and
// saves. The Svelte views only call this; it knows nothing of the DOM.
//
// Nothing typed is lost: every keystroke goes to a journal (store.ts) before it goes
// to the guest, the cluster is saved when a command ends (its prompt comes back), and a
// resumed lab types again what the saved states do not hold. A save that fails says so
// and is retried; a full storage first makes room by deleting other labs' old states.
//
// Resets always finish: a reset waits for no save (it interrupts it), and ends, fails
// with the stage it was at, or is cancelled, within RESET_TIMEOUT_MS. (Before, a reset
// that stopped a node while a save was taking its state waited forever: a call to a
// stopped worker never answers, and the next save queued behind it.)
import { kubeInSetup, LabRun, type KubeStarter } from '../harness/lab-run.js';
import type { StepReport } from '../harness/report.js';
import type { Walk, WalkRequest } from '../harness/walk.js';
import type { Snapshot } from '../kube/store.js';
import type { Lab } from '../lab/types.js';
import { nodeMemoryOf } from '../topology/topology.js';
import { loadWebAssets, type DownloadProgress, type LoadedAssets } from '../vm/assets-web.js';

/** How far the node image has come down, for the views (which do not import the runtime). */
export type { DownloadProgress };
import { Cluster } from '../vm/cluster.js';
import { webWorkerHost } from '../vm/host-web.js';
import { english, words, WordsError, type Words } from './i18n/words.js';
import { evictOneFor, isQuotaError, Journal, keepWithinBudget, loadCluster, loadStart, saveCluster, saveStart, type SavedCluster } from './store.js';

/** The page's control plane, its chunk (src/kube) fetched only when a step first needs it. */
const lazyKubeStarter: KubeStarter = async (run, options) => (await import('./kube.js')).webKubeStarter(run, options);

/** The longest the other nodes wait for the node in front to show its first prompt. */
const FRONT_PROMPT_WAIT_MS = 1000;
/** Console output kept per node, so a terminal opened later shows what came before. */
const CONSOLE_KEEP = 64 * 1024;
/** A reset of a node, a step or the lab ends within this, one way or another. */
export const RESET_TIMEOUT_MS = 30_000;
/** Taking the nodes' states for a save; a node that does not answer in this fails the save. */
const SNAPSHOT_TIMEOUT_MS = 60_000;
/** After a failed save: the first retry, doubling up to the last. */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 60_000;
/**
 * After a command ends, wait this long for another before saving. A save pauses each
 * node it takes (v86 stops the machine to copy its state), so it belongs in the learner's
 * pause between commands, not in the next command: a command typed within this time
 * puts the save off until its own prompt. The journal keeps what is typed meanwhile.
 */
const SAVE_AFTER_PROMPT_MS = 1_500;
/** A journal this large is saved away at once. */
const JOURNAL_SAVE_SIZE = 16 * 1024;
/** The shell's prompt somewhere in the console output. */
const PROMPT_ANYWHERE = /root@\S*:[^\n]*# /;
/** The shell's prompt at the end of the console output: a command has ended. */
const PROMPT_AT_END = /root@\S*:[^\n]*# $/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g;

/** What LabSession.open is doing, as a key of the page's words (`lab.status.<key>`). */
export type OpeningStatus = 'resumingSaved' | 'startingFromSetup' | 'startingNodes' | 'runningSetup';

/** Per memory size (a lab's topology.memoryMb): most labs share the smallest. */
const assetsBySize = new Map<number, Promise<LoadedAssets>>();
const progressListeners = new Set<(p: DownloadProgress) => void>();

/** The firmware and the base snapshot for nodes of `memoryMb`, loaded once per page for every lab and node of that size. */
export function nodeAssets(memoryMb: number, onProgress?: (p: DownloadProgress) => void): Promise<LoadedAssets> {
  if (onProgress) progressListeners.add(onProgress);
  let assets = assetsBySize.get(memoryMb);
  if (!assets) {
    assets = loadWebAssets(memoryMb, (p) => { for (const listener of progressListeners) listener(p); }).catch((error) => {
      assetsBySize.delete(memoryMb);
      throw error;
    });
    assetsBySize.set(memoryMb, assets);
  }
  return assets.finally(() => { if (onProgress) progressListeners.delete(onProgress); });
}

/** What a lab's start states grew from: the base snapshot, and the lab's topology and setup (and the solutions of the steps before, for a step's start). */
function startKey(lab: Lab, loaded: LoadedAssets, stepIndex = 0): string {
  const text = JSON.stringify(stepIndex ? [lab.topology, lab.setup, lab.steps.slice(0, stepIndex).map((step) => step.solution)] : [lab.topology, lab.setup]);
  const hash = [...text].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7).toString(36);
  return `${loaded.key}/${hash}`;
}

/** Which variant of the lab a saved cluster ran: its values when a seed picked them, '' for the defaults. */
const variantKey = (lab: Lab): string => (lab.seed === undefined ? '' : JSON.stringify(lab.values));

/** Where the nodes as step `stepIndex` (0-based, > 0) begins are kept, beside the lab's start (no lab id has a '#'). */
const stepStartId = (lab: Lab, stepIndex: number) => `${lab.id}#step-${stepIndex + 1}`;

/** Where saving stands, for the page to show. */
export type SaveStatus =
  | { state: 'saving' }
  | { state: 'saved'; savedAt: number; evicted: Words[] }
  /** `error` is what the save threw: the page says it with errorText(). */
  | { state: 'failed'; error: unknown; retryAt: number; quota: boolean; failures: number };

/** A reset that was cancelled, or ran out of time; `stage` says where it was. */
export class ResetError extends WordsError {
  constructor(said: Words, readonly cancelled: boolean) {
    super(said);
    this.name = 'ResetError';
  }
}

class Interrupted extends WordsError {
  constructor() {
    super(words('session.interrupted'));
    this.name = 'Interrupted';
  }
}

/** `work`, or its signal's reason if the signal fires first, or a timeout error after `ms`. */
function raced<T>(work: Promise<T>, signal: AbortSignal, ms?: number, onTimeout?: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => { clearTimeout(timer); signal.removeEventListener('abort', onAbort); };
    const onAbort = () => { done(); reject(signal.reason); };
    const timer = ms === undefined ? undefined : setTimeout(() => { done(); reject(onTimeout?.() ?? new WordsError(words('session.noAnswer', { seconds: ms / 1000 }))); }, ms);
    // Handlers first: work abandoned to an abort may still fail later, and must not fail unheard.
    work.then((value) => { done(); resolve(value); }, (error: unknown) => { done(); reject(error); });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** What a reset did: the nodes it put back, the line each terminal shows, and the states that already hold a node as it is now. */
interface ResetDone {
  nodes: string[];
  /** Where the nodes are now, for the line in each terminal. */
  where: Words;
  storedAs?: Record<string, Blob>;
  /** The nodes are as step n (0-based) begins: the next save keeps them as that step's start too. */
  stepStart?: number;
}

export interface ResetOptions {
  /** Aborting it cancels the reset. */
  signal?: AbortSignal;
  /** Where the reset is, as it goes. */
  onStage?: (stage: Words) => void;
}

export class LabSession {
  private consoles = new Map<string, string>();
  private consoleListeners = new Map<string, Set<(text: string) => void>>();
  /** Nodes changed since their state was last saved, with a count of changes to tell a change made during a save. */
  private changes = new Map<string, number>();
  private unsaved = new Set<string>();
  /** The states (and what each holds of the journal) that the stored cluster has now. */
  private stored: { states: Record<string, Blob>; consoles: Record<string, string>; journalSeq: Record<string, number>; openLines: string[] } = { states: {}, consoles: {}, journalSeq: {}, openLines: [] };
  /** The stored record is behind `stored` (a reset put nodes back to states already stored): the next save writes it. */
  private recordStale = false;
  /** True until the first save after the setup ran on fresh nodes: that save is also the lab's start. */
  private keepAsStart = false;
  /** Set by a reset to the start of a step (0-based) that ran the solutions: until a key is typed, the next save also keeps the nodes as that step's start. */
  private keepAsStepStart: number | undefined;
  /** The lab's start states, taken but not yet written. */
  private pendingStart: Record<string, Blob> | undefined;
  private readonly journal: Journal;
  /** Nodes whose learner pressed Enter: their next prompt means a command ended. */
  private awaitingPrompt = new Set<string>();
  /**
   * Nodes with a line typed but not yet ended. A state taken now holds half a command in
   * the shell's line editor, so a timed save waits for the line to end, and a resumed node
   * with one gets no fresh-prompt Enter (that would run the half command).
   */
  private openLines = new Set<string>();
  /** Resets, saves: one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();
  /** Fired when a reset begins: a save or check under way stops waiting on nodes that are about to go. */
  private interrupts = new AbortController();
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private saveListeners = new Set<(status: SaveStatus) => void>();
  private checkListeners = new Set<(stepIndex: number, report: StepReport) => void>();
  private closed = false;
  readonly resumed: boolean;

  /** The lab's one lifecycle object: checks, scripts, commands and facts all go through it. */
  readonly run: LabRun;

  /** `say` words the lines the page writes into the terminals: in the page's language when the view passes its own. */
  private constructor(readonly lab: Lab, readonly cluster: Cluster, private readonly loaded: LoadedAssets, resumed: boolean, private readonly say: (said: Words) => string, kube?: KubeStarter) {
    this.run = LabRun.over(lab, cluster, kube);
    this.resumed = resumed;
    this.journal = new Journal(lab.id);
    for (const node of cluster.nodes.values()) {
      this.consoles.set(node.name, '');
      node.onConsole((text) => this.consoleOutput(node.name, text));
    }
    void this.afterBackgroundStarts();
  }

  /**
   * Start the lab: resume the cluster saved for it if there is one; else restore the
   * lab's start states (its nodes just after their setup, kept from its first run);
   * else start from the base snapshot and run the setup. Then type again whatever the
   * journal holds that the states do not.
   */
  static async open(lab: Lab, options: { onProgress?: (p: DownloadProgress) => void; onStatus?: (s: OpeningStatus) => void; fresh?: boolean; say?: (said: Words) => string } = {}): Promise<LabSession> {
    const say = options.say ?? english;
    const began = performance.now();
    // Marks of where the opening's time goes, which npm run bench reads (and Terminals' prompt-drawn).
    performance.mark('podwire:lab-open');
    // A lab with the Kubernetes control plane from its start: src/kube comes as a chunk of its
    // own, and the nodes' kubectl starts coming down beside the node assets. A lab whose control
    // plane starts at a later step (kubernetes.fromStep) fetches both only when it gets there.
    const kube = kubeInSetup(lab) ? await import('./kube.js') : undefined;
    kube?.pageKubectl().catch(() => undefined); // the starter asks again, and says why if it failed
    const kubeStarter = lab.kubernetes ? kube?.webKubeStarter ?? lazyKubeStarter : undefined;
    const loaded = await nodeAssets(nodeMemoryOf(lab.topology), options.onProgress);
    // Where the opening's time went, for whoever profiles the page (the bench reads it).
    performance.mark('podwire:node-assets-ready');
    console.debug(`podwire: node assets ready in ${Math.round(performance.now() - began)} ms`);
    if (options.fresh) new Journal(lab.id).clear();
    let saved = options.fresh ? undefined : await loadCluster(lab.id).catch(() => undefined);
    // A cluster saved for another variant of the lab (the defaults, before joining a class)
    // holds other values: start afresh, and do not type its journal into the new nodes.
    if (saved && (saved.variant ?? '') !== variantKey(lab)) {
      new Journal(lab.id).clear();
      saved = undefined;
    }
    if (saved?.snapshotKey === loaded.key) {
      options.onStatus?.('resumingSaved');
      let lost: Error | undefined;
      const session = await LabSession.restoreFrom(lab, loaded, saved, true, say, kubeStarter, (error) => { lost = error; });
      if (session) return session.replayJournal();
      // It would not load (damaged, cut short): the lab starts again, and the learner is told.
      const again = await LabSession.startAgain(lab, loaded, options, say, kubeStarter);
      if (lost) again.savedClusterLost(lost);
      return again;
    }
    return LabSession.startAgain(lab, loaded, options, say, kubeStarter);
  }

  /** The lab as it began: from its start states if kept, else from the base snapshot and its setup; the journal typed again. */
  private static async startAgain(lab: Lab, loaded: LoadedAssets, options: { onStatus?: (s: OpeningStatus) => void; fresh?: boolean }, say: (said: Words) => string, kubeStarter?: KubeStarter): Promise<LabSession> {
    const hasSetup = Object.keys(lab.setup).length > 0;
    const labStart = options.fresh || !hasSetup ? undefined : await loadStart(lab.id).catch(() => undefined);
    if (labStart?.snapshotKey === startKey(lab, loaded)) {
      options.onStatus?.('startingFromSetup');
      const session = await LabSession.restoreFrom(lab, loaded, labStart, false, say, kubeStarter);
      if (session) return session.replayJournal();
    }
    options.onStatus?.('startingNodes');
    const cluster = await Cluster.up(lab.topology, webWorkerHost, loaded.assets);
    const session = new LabSession(lab, cluster, loaded, false, say, kubeStarter);
    options.onStatus?.('runningSetup');
    try {
      await session.setUp([...cluster.nodes.keys()], 0);
    } catch (error) {
      await session.close().catch(() => undefined);
      throw error;
    }
    // The first save (LabView makes it at once, before a terminal can take a key) keeps these states as the lab's start.
    session.keepAsStart = hasSetup && !kubeInSetup(lab);
    session.refreshPrompts();
    return session.replayJournal();
  }

  /** A session on nodes restored from saved states, or undefined (and a warning, and `failed` told why) if they would not load. */
  private static async restoreFrom(lab: Lab, loaded: LoadedAssets, saved: SavedCluster, resumed: boolean, say: (said: Words) => string, kube?: KubeStarter, failed?: (error: Error) => void): Promise<LabSession | undefined> {
    // Saved before a lab's objects were kept with its nodes: its pods would have no API.
    if (kubeInSetup(lab) && !saved.kube) return undefined;
    let letOthersStart = () => {};
    try {
      const states: Record<string, ArrayBuffer> = {};
      await Promise.all(Object.entries(saved.states).map(async ([name, blob]) => {
        states[name] = await blob.arrayBuffer(); // a delta (or an older whole state), gzipped: each node's worker rebuilds its own
      }));
      performance.mark('podwire:states-read');
      // The node whose terminal is in front first; the others start after it (Cluster.up),
      // once it has drawn its first prompt: on two cores, the others' starts slowed the page
      // drawing it by 0.1-0.4 s. A lab whose control plane resumes with the nodes needs them all.
      const front = lab.topology.nodes[0]?.name;
      const restAfter = front && !saved.kube ? new Promise<void>((resolve) => { letOthersStart = resolve; }) : undefined;
      const cluster = await Cluster.up(lab.topology, webWorkerHost, loaded.assets, states, { front, restAfter });
      performance.mark('podwire:front-node-up');
      const session = new LabSession(lab, cluster, loaded, resumed, say, kube);
      if (restAfter && front) void session.shown(front, FRONT_PROMPT_WAIT_MS).then(letOthersStart);
      // The control plane's objects were saved beside the nodes: it starts again with them.
      if (saved.kube) await session.run.resumeKube(JSON.parse(await saved.kube.text()) as Snapshot).catch(async (error: unknown) => { await session.close(); throw error; });
      if (resumed) {
        session.stored = { states: { ...saved.states }, consoles: { ...saved.consoles }, journalSeq: { ...saved.journalSeq }, openLines: [...(saved.openLines ?? [])] };
        for (const name of saved.openLines ?? []) if (session.cluster.nodes.has(name)) session.openLines.add(name);
        const at = new Date(saved.savedAt).toLocaleTimeString();
        for (const name of session.nodeNames) {
          // The scrollback comes back with the cluster.
          const before = saved.consoles?.[name] ?? '';
          session.consoles.set(name, (before + (before ? '\r\n' : '') + `\x1b[2m${say(words('session.resumedMarker', { node: name, time: at }))}\x1b[0m\r\n`).slice(-CONSOLE_KEEP));
        }
      }
      session.refreshPrompts(session.nodeNames.filter((name) => !session.openLines.has(name)));
      return session;
    } catch (error) {
      letOthersStart(); // whatever waits for them sees they were stopped
      console.warn(`podwire: the ${resumed ? 'saved cluster' : "lab's start states"} did not load, starting afresh`, error);
      failed?.(error instanceof Error ? error : new Error(String(error)));
      return undefined;
    }
  }

  /** Type again, on each node, what was typed after its state was saved (or since the lab's start). */
  private replayJournal(): LabSession {
    const entries = this.journal.since(this.stored.journalSeq);
    const nodes = new Set(this.nodeNames);
    for (const entry of entries) {
      if (!nodes.has(entry.node)) continue;
      this.run.type(entry.node, entry.text);
      this.trackLine(entry.node, entry.text);
      this.markChanged(entry.node);
    }
    if (entries.length) this.scheduleSave();
    return this;
  }

  /**
   * Once every node started in the background has: a node whose saved state would not load
   * starts again as the lab began (its terminal says so), and the page's profile line is written.
   */
  private async afterBackgroundStarts(): Promise<void> {
    const failed = await this.cluster.settled;
    // Where each node's start went (worker, restore, clock and entropy, identity), for whoever profiles the page.
    console.debug('podwire: node starts (ms)', JSON.stringify(Object.fromEntries(this.nodeNames.map((name) => [name, this.cluster.node(name).lastStartPhases]))));
    for (const [name, error] of failed) {
      if (this.closed) return;
      console.warn(`podwire: ${name} did not start from its saved state`, error);
      this.note(name, this.say(words('session.startFailed', { node: name, error: error.message })));
      await this.resetNode(name).catch((reason: unknown) => console.warn(`podwire: ${name} could not be started again`, reason));
    }
  }

  /** True while the lab's start states are still to be kept: the next save keeps them too. */
  get keepsStartOnSave(): boolean {
    return this.keepAsStart;
  }

  /** True when a node may have changed since its state was last saved. */
  get dirty(): boolean {
    return this.unsaved.size > 0 || this.keepAsStart || this.pendingStart !== undefined || this.recordStale;
  }

  get nodeNames(): string[] {
    return [...this.cluster.nodes.keys()];
  }

  consoleText(node: string): string {
    return this.consoles.get(node) ?? '';
  }

  /**
   * Resolves once `node` has written to its console and the page has had two frames to draw
   * it, or after `capMs` (a hidden page draws no frames).
   */
  private shown(node: string, capMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(cap); off(); resolve(); };
      const cap = setTimeout(done, capMs);
      const off = this.onConsole(node, () => { off(); requestAnimationFrame(() => requestAnimationFrame(done)); });
    });
  }

  /** Whether the guest has written a prompt on `node`'s console since the lab was opened. */
  promptArrived(node: string): boolean {
    return this.promptsArrived.get(node) === true;
  }

  /** Per node: true once a prompt came, else the end of what the guest wrote so far. */
  private readonly promptsArrived = new Map<string, true | string>();

  onConsole(node: string, listener: (text: string) => void): () => void {
    const set = this.consoleListeners.get(node) ?? new Set();
    this.consoleListeners.set(node, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  onSaveStatus(listener: (status: SaveStatus) => void): () => void {
    this.saveListeners.add(listener);
    return () => this.saveListeners.delete(listener);
  }

  type(node: string, text: string): void {
    // On disk before it reaches the guest: a reload right after loses nothing.
    this.journal.append(node, text);
    // The nodes are no longer as the setup left them: they cannot become the lab's start.
    this.keepAsStart = false;
    this.keepAsStepStart = undefined;
    this.markChanged(node);
    this.trackLine(node, text);
    if (/[\r\n]/.test(text)) {
      this.awaitingPrompt.add(node);
      // A new command: the save its predecessor's prompt asked for waits for this one's.
      clearTimeout(this.saveTimer);
    }
    this.run.type(node, text);
    if (this.journal.size > JOURNAL_SAVE_SIZE) this.scheduleSave();
  }

  /** Tell the guest the terminal's size, so full-screen programs and line wrapping fit. */
  async resize(node: string, rows: number, cols: number): Promise<void> {
    await this.run.resize(node, rows, cols);
  }

  /** Whether turning to step `index` starts the lab's control plane (kubernetes.fromStep): the page says so while it starts. */
  needsKubeAt(index: number): boolean {
    return this.run.needsKubeAt(index);
  }

  /**
   * The learner turned to step `index`: a control plane that starts at that step starts now,
   * between saves (a save waits for it, and then keeps its objects with the nodes).
   */
  enterStep(index: number): Promise<void> {
    if (!this.run.needsKubeAt(index)) return Promise.resolve();
    return this.exclusive(() => raced(this.run.enterStep(index), this.interrupts.signal)).then(() => {
      for (const name of this.nodeNames) this.markChanged(name);
      this.scheduleSave(0);
    });
  }

  /** Grade a step. A reset that begins meanwhile ends the check with an error rather than leaving it waiting. */
  async check(stepIndex: number, attempt = 0): Promise<StepReport> {
    const report = await raced(this.run.checkStep(stepIndex, attempt), this.interrupts.signal);
    // Checks run commands on every node (and traffic between them).
    for (const name of this.nodeNames) this.markChanged(name);
    for (const listener of this.checkListeners) listener(stepIndex, report);
    return report;
  }

  /** Hear every check's report (a class sends each one to its server). */
  onCheck(listener: (stepIndex: number, report: StepReport) => void): () => void {
    this.checkListeners.add(listener);
    return () => this.checkListeners.delete(listener);
  }

  /**
   * Follow one packet (the "Follow a packet" panel): the tracing is armed on every node, one
   * probe sent, the tracing removed. A reset that begins meanwhile ends it with an error.
   */
  walk(request: WalkRequest): Promise<Walk> {
    // The nodes are not marked changed: the walk takes its tracing away again, and what is left
    // (a conntrack entry, log lines) is not worth a save that would pause the nodes under the next walk.
    return raced(this.run.walk(request), this.interrupts.signal);
  }

  /** Where a walk may start: every node, and every pod (network namespace) on it, as "node/pod". */
  async walkSources(): Promise<string[]> {
    const perNode = await Promise.all(this.nodeNames.map(async (node) => {
      const listed = await this.run.exec(node, 'ip netns list 2>/dev/null | cut -d" " -f1', { timeout: 10 }).catch(() => undefined);
      const pods = (listed?.stdout ?? '').split('\n').map((line) => line.trim()).filter(Boolean).sort();
      return [node, ...pods.map((pod) => `${node}/${pod}`)];
    }));
    return perNode.flat();
  }

  /** Why the cluster saved last time did not load, when it did not (this session started the lab again). */
  savedLost: string | undefined;

  private savedClusterLost(error: Error): void {
    this.savedLost = error.message.slice(0, 300);
    for (const name of this.nodeNames) this.note(name, this.say(words('session.savedLost', { node: name, error: this.savedLost })));
  }

  /** A line in a node's terminal from the page itself (not from the guest). */
  note(node: string, text: string): void {
    this.consoleOutput(node, `\r\n\x1b[1;33m${text}\x1b[0m\r\n`, false);
  }

  /** A node as it was when the lab started: the lab's start state if kept, else the base snapshot and the lab's setup. */
  resetNode(name: string, options: ResetOptions = {}): Promise<void> {
    // Pods of a Kubernetes lab live on every node and in the API: the whole lab goes back (as LabRun.resetNode).
    if (kubeInSetup(this.lab) || this.run.kubeRunning) return this.resetToStep(0, options);
    const where = words('session.where.lab');
    return this.reset(words('session.reset.node', { node: name }), options, async (stage, signal) => {
      stage(words('session.stage.restoringNode', { node: name }));
      const start = await this.startStates();
      const state = start?.states[name];
      if (state) {
        await this.cluster.node(name).restore(await state.arrayBuffer(), this.loaded.assets);
        // The node is its start state again: that is what to store for it, without taking it anew.
        return { nodes: [name], where, storedAs: { [name]: state } };
      } else {
        await this.cluster.node(name).reset();
        signal.throwIfAborted();
        stage(words('session.stage.setupOn', { node: name }));
        await this.setUp([name], 0);
      }
      return { nodes: [name], where };
    });
  }

  /** Every node as it was when step `stepIndex` began: the lab's start, then the solutions of the steps before it. */
  resetToStep(stepIndex: number, options: ResetOptions = {}): Promise<void> {
    const where = stepIndex === 0 ? words('session.where.lab') : words('session.where.step', { step: stepIndex + 1 });
    return this.reset(words('session.reset.to', { where }), options, async (stage, signal) => {
      // Its kubelet and kube-proxy act on the nodes: not while they reset. A step that needs it starts it again below.
      await this.run.stopKube();
      stage(words('session.stage.restoringNodes'));
      // Kept from an earlier reset to this step: the nodes as they were then, with nothing to run.
      const stepStart = stepIndex > 0 ? await this.startStates(stepIndex) : undefined;
      if (stepStart && this.nodeNames.every((name) => stepStart.states[name])) {
        await Promise.all(this.nodeNames.map(async (name) => this.cluster.node(name).restore(await stepStart.states[name]!.arrayBuffer(), this.loaded.assets)));
        return { nodes: this.nodeNames, where, storedAs: { ...stepStart.states } };
      }
      const start = await this.startStates();
      const fromStart = start && this.nodeNames.every((name) => start.states[name]);
      if (fromStart) {
        await Promise.all(this.nodeNames.map(async (name) => this.cluster.node(name).restore(await start.states[name]!.arrayBuffer(), this.loaded.assets)));
        if (stepIndex === 0) return { nodes: this.nodeNames, where, storedAs: { ...start.states } };
      } else {
        await Promise.all(this.nodeNames.map((name) => this.cluster.node(name).reset()));
        signal.throwIfAborted();
        stage(words('session.stage.setup'));
        await this.run.setup();
      }
      for (const [index, step] of this.lab.steps.slice(0, stepIndex).entries()) {
        signal.throwIfAborted();
        if (this.run.needsKubeAt(index)) stage(words('session.stage.kube'));
        await this.run.enterStep(index);
        stage(words('session.stage.solution', { step: step.id }));
        await this.run.apply(step.solution, `the solution of step '${step.id}'`);
      }
      if (this.run.needsKubeAt(stepIndex)) stage(words('session.stage.kube'));
      await this.run.enterStep(stepIndex);
      // Nodes with a control plane beside them are not kept as the step's start: their objects would be missing.
      return { nodes: this.nodeNames, where, stepStart: stepIndex > 0 && !this.run.kubeRunning ? stepIndex : undefined };
    });
  }

  /**
   * One reset: it interrupts a save or check under way (their nodes are about to be
   * replaced), waits for nothing else, and ends within RESET_TIMEOUT_MS or when cancelled.
   */
  private async reset(what: Words, options: ResetOptions, body: (stage: (s: Words) => void, signal: AbortSignal) => Promise<ResetDone>): Promise<void> {
    this.interrupts.abort(new Interrupted());
    this.interrupts = new AbortController();
    clearTimeout(this.saveTimer);
    clearTimeout(this.retryTimer);
    let stageNow = words('session.stage.waitingForSave');
    const stage = (s: Words) => { stageNow = s; options.onStage?.(s); };
    const controller = new AbortController();
    const onCancel = () => controller.abort(new ResetError(words('session.resetCancelled', { what, stage: stageNow }), true));
    options.signal?.addEventListener('abort', onCancel, { once: true });
    if (options.signal?.aborted) onCancel();
    const timer = setTimeout(() => controller.abort(new ResetError(words('session.resetTimedOut', { what, seconds: RESET_TIMEOUT_MS / 1000, stage: stageNow }), false)), RESET_TIMEOUT_MS);
    try {
      const done = await raced(this.exclusive(() => raced((async () => {
        controller.signal.throwIfAborted();
        const result = await body(stage, controller.signal);
        controller.signal.throwIfAborted();
        return result;
      })(), controller.signal)), controller.signal);
      // What was typed before the reset is gone from the nodes on purpose: so from the journal.
      this.journal.clear();
      this.awaitingPrompt.clear();
      this.openLines.clear();
      this.stored.openLines = this.stored.openLines.filter((name) => !done.nodes.includes(name));
      for (const name of done.nodes) {
        const kept = done.storedAs?.[name];
        if (kept) {
          // Stored as it is: the next save writes the record, and takes no new state of it.
          this.stored.states[name] = kept;
          this.stored.journalSeq[name] = this.journal.lastSeq;
          this.unsaved.delete(name);
          this.recordStale = true;
        } else {
          this.markChanged(name);
        }
        this.note(name, this.say(words('session.resetMarker', { node: name, where: done.where })));
      }
      for (const name of Object.keys(done.storedAs ?? {})) this.stored.consoles[name] = this.consoleText(name);
      this.keepAsStepStart = done.stepStart;
      this.refreshPrompts(done.nodes);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onCancel);
    }
  }

  /**
   * Save the nodes that changed since their last save (all of them on the first), each
   * console's text, and what of the journal they hold. Saves and resets run one after
   * another, so an older state can never land after a newer one. A failed save is
   * reported (onSaveStatus) and retried with backoff; the nodes stay marked unsaved
   * until a save succeeds.
   */
  save(): Promise<void> {
    clearTimeout(this.saveTimer);
    clearTimeout(this.retryTimer);
    const signal = this.interrupts.signal;
    const run = this.exclusive(() => this.saveNow(signal));
    run.then(() => { this.failures = 0; }, (error: unknown) => {
      if (error instanceof Interrupted || this.closed) return; // a reset took over; it saves when done
      this.failures++;
      const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.failures - 1));
      this.emit({ state: 'failed', error, retryAt: Date.now() + delay, quota: isQuotaError(error), failures: this.failures });
      this.retryTimer = setTimeout(() => { if (this.dirty) void this.save().catch(() => undefined); }, delay);
    });
    return run;
  }

  /** A save soon, gathering the commands of the next moments into one. */
  private scheduleSave(delay = SAVE_AFTER_PROMPT_MS): void {
    if (this.closed) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      // Half a command on some node: wait for its Enter (or Ctrl-C). The journal holds it meanwhile.
      if (this.openLines.size) this.scheduleSave();
      else void this.save().catch(() => undefined);
    }, delay);
  }

  /** Whether the node's line is left open by this input: text after its last Enter, Ctrl-C or Ctrl-D. */
  private trackLine(node: string, text: string): void {
    const lastEnd = Math.max(text.lastIndexOf('\r'), text.lastIndexOf('\n'), text.lastIndexOf('\x03'), text.lastIndexOf('\x04'));
    if (lastEnd === text.length - 1) this.openLines.delete(node);
    else if (text.length) this.openLines.add(node);
  }

  private async saveNow(signal: AbortSignal): Promise<void> {
    if (this.closed) return;
    // A reset came between this save's request and its turn: it replaces the nodes, and saves them itself.
    signal.throwIfAborted();
    // With a control plane running, its objects are saved with every node, so that the two agree.
    const everyNode = this.keepAsStart || this.run.kubeRunning || this.nodeNames.some((name) => !this.stored.states[name]);
    const nodes = everyNode ? this.nodeNames : this.nodeNames.filter((name) => this.unsaved.has(name));
    if (!nodes.length && !this.pendingStart && !this.recordStale) return;
    this.emit({ state: 'saving' });
    const startedAt = Date.now();
    if (nodes.length || this.recordStale) {
      // A state taken while a walk's tracing is still coming off would keep its rules.
      // (Each node's disarm is one exec with its own timeout, so this ends.)
      if (nodes.length) await raced(this.run.walksSettled(), signal);
      const counts = new Map(nodes.map((name) => [name, this.changes.get(name) ?? 0]));
      const asStepStart = nodes.length === this.nodeNames.length ? this.keepAsStepStart : undefined;
      this.keepAsStepStart = undefined;
      // Everything typed so far has been sent to the guests, so the states taken now hold it.
      const seq = this.journal.lastSeq;
      const openLines = nodes.filter((name) => this.openLines.has(name)).concat(Object.keys(this.stored.states).filter((name) => !nodes.includes(name) && this.stored.openLines.includes(name)));
      const states = { ...this.stored.states };
      const consoles = { ...this.stored.consoles };
      const journalSeq = { ...this.stored.journalSeq };
      // The objects first, as LabRun.save takes them: they must not be newer than the nodes.
      const kubeObjects = this.run.kube ? new Blob([JSON.stringify(this.run.kube.snapshot())], { type: 'application/json' }) : undefined;
      await Promise.all(nodes.map(async (name) => {
        consoles[name] = this.consoleText(name);
        journalSeq[name] = seq;
        const state = await raced(this.cluster.node(name).snapshot({ gzip: true }), signal, SNAPSHOT_TIMEOUT_MS, () => new WordsError(words('session.noState', { node: name, seconds: SNAPSHOT_TIMEOUT_MS / 1000 })));
        states[name] = new Blob([state]);
      }));
      if (signal.aborted) throw signal.reason;
      if (this.keepAsStart) {
        // These exact states are the lab's start, even if writing them must wait for a retry.
        this.pendingStart = states;
        this.keepAsStart = false;
      }
      const record: SavedCluster = { lab: this.lab.id, snapshotKey: this.loaded.key, variant: variantKey(this.lab), savedAt: startedAt, states, consoles, journalSeq, openLines, ...(kubeObjects ? { kube: kubeObjects } : {}) };
      await this.withRoom(() => saveCluster(record));
      this.stored = { states, consoles, journalSeq, openLines };
      this.recordStale = false;
      this.journal.drop(journalSeq);
      for (const [name, count] of counts) if ((this.changes.get(name) ?? 0) === count) this.unsaved.delete(name);
      if (asStepStart !== undefined) {
        // Best effort: without it, the next reset to this step runs the solutions again.
        const id = stepStartId(this.lab, asStepStart);
        await saveStart({ lab: id, snapshotKey: startKey(this.lab, this.loaded, asStepStart), savedAt: startedAt, states }).catch((error: unknown) => console.warn(`podwire: could not keep ${id}`, error));
        this.stepStarts.delete(asStepStart);
      }
    }
    const start = this.pendingStart;
    if (start) {
      await this.withRoom(() => saveStart({ lab: this.lab.id, snapshotKey: startKey(this.lab, this.loaded), savedAt: startedAt, states: start }));
      this.pendingStart = undefined;
      this.startRecord = undefined;
    }
    // Within the page's storage budget: other labs' oldest states go, never this save.
    const overBudget = await keepWithinBudget(this.lab.id).catch((error: unknown) => { console.warn('podwire: could not keep the storage budget', error); return []; });
    this.evicted.push(...overBudget);
    this.emit({ state: 'saved', savedAt: startedAt, evicted: this.evicted.splice(0) });
  }

  /** What a full storage made saves delete, told with the next save that succeeds. */
  private evicted: Words[] = [];

  /** Run a write; when storage is full, delete other labs' states, oldest first, and try again. */
  private async withRoom(write: () => Promise<void>): Promise<void> {
    for (;;) {
      try {
        await write();
        return;
      } catch (error) {
        if (!isQuotaError(error)) throw error;
        const gone = await evictOneFor(this.lab.id);
        if (!gone) {
          const full = new WordsError(words('session.storageFull', { error: (error as Error).message ?? String(error) }), { cause: error });
          full.name = 'QuotaExceededError';
          throw full;
        }
        console.warn(`podwire: storage full: deleted ${english(gone)} to make room`);
        this.evicted.push(gone);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.saveTimer);
    clearTimeout(this.retryTimer);
    this.interrupts.abort(new Interrupted());
    this.consoleListeners.clear();
    this.saveListeners.clear();
    this.checkListeners.clear();
    await this.run.close(); // the control plane, if any, then the nodes
  }

  private startRecord: Promise<SavedCluster | undefined> | undefined;
  private stepStarts = new Map<number, Promise<SavedCluster | undefined>>();

  /** The lab's start states (or, with a step, that step's), if kept and grown from this build's snapshot, setup and solutions. */
  private async startStates(stepIndex = 0): Promise<SavedCluster | undefined> {
    if (!stepIndex && !Object.keys(this.lab.setup).length) return undefined;
    // Kept start states hold no Kubernetes objects: a lab with the control plane at that step runs its setup (which starts it) again.
    const kubeFrom = this.run.kubeFromStep;
    if (kubeFrom !== undefined && stepIndex >= kubeFrom) return undefined;
    let record: Promise<SavedCluster | undefined>;
    if (stepIndex) {
      record = this.stepStarts.get(stepIndex) ?? loadStart(stepStartId(this.lab, stepIndex)).catch(() => undefined);
      this.stepStarts.set(stepIndex, record);
    } else {
      record = this.startRecord ??= loadStart(this.lab.id).catch(() => undefined);
    }
    const start = await record;
    return start?.snapshotKey === startKey(this.lab, this.loaded, stepIndex) ? start : undefined;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.then(() => undefined, () => undefined);
    return run;
  }

  private markChanged(node: string): void {
    this.changes.set(node, (this.changes.get(node) ?? 0) + 1);
    this.unsaved.add(node);
  }

  private emit(status: SaveStatus): void {
    for (const listener of this.saveListeners) listener(status);
  }

  private consoleOutput(node: string, text: string, fromGuest = true): void {
    const all = (this.consoles.get(node)! + text).slice(-CONSOLE_KEEP);
    if (fromGuest && this.promptsArrived.get(node) !== true) {
      const since = ((this.promptsArrived.get(node) || '') + text).slice(-256);
      this.promptsArrived.set(node, PROMPT_ANYWHERE.test(since.replace(ANSI, '')) || since);
    }
    this.consoles.set(node, all);
    for (const listener of this.consoleListeners.get(node) ?? []) listener(text);
    // A prompt after Enter: the command has ended, and its effect is worth keeping.
    if (fromGuest && this.awaitingPrompt.has(node) && PROMPT_AT_END.test(all.slice(-256).replace(ANSI, ''))) {
      this.awaitingPrompt.delete(node);
      this.scheduleSave();
    }
  }

  private async setUp(nodes: string[], stepsBefore: number): Promise<void> {
    await this.run.setup(nodes);
    await this.run.applySolutions(stepsBefore, { nodes });
  }

  /** A fresh prompt on each console: after a start or restore the screen is blank. */
  private refreshPrompts(nodes = this.nodeNames): void {
    for (const name of nodes) this.cluster.node(name).type('\n');
  }
}

