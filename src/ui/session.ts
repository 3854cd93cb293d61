// One lab running in the page: its cluster, brought up from the shared base snapshot
// (or resumed from the states saved last time), its consoles, checks, resets and
// saves. The Svelte views only call this; it knows nothing of the DOM.
import { gradeStep, runCommands, type StepReport } from '../harness/grader.js';
import type { Lab, NodeCommands } from '../lab/types.js';
import { loadWebAssets, type DownloadProgress, type LoadedAssets } from '../vm/assets-web.js';
import { Cluster } from '../vm/cluster.js';
import { webWorkerHost } from '../vm/host-web.js';
import { loadCluster, loadStart, saveCluster, saveStart, type SavedCluster } from './store.js';

/** Console output kept per node, so a terminal opened later shows what came before. */
const CONSOLE_KEEP = 64 * 1024;

let assets: Promise<LoadedAssets> | undefined;
const progressListeners = new Set<(p: DownloadProgress) => void>();

/** The firmware and base snapshot, loaded once per page for every lab and node. */
export function nodeAssets(onProgress?: (p: DownloadProgress) => void): Promise<LoadedAssets> {
  if (onProgress) progressListeners.add(onProgress);
  assets ??= loadWebAssets((p) => { for (const listener of progressListeners) listener(p); }).catch((error) => {
    assets = undefined;
    throw error;
  });
  return assets.finally(() => { if (onProgress) progressListeners.delete(onProgress); });
}

/** What a lab's start states grew from: the base snapshot, and the lab's topology and setup. */
function startKey(lab: Lab, loaded: LoadedAssets): string {
  const text = JSON.stringify([lab.topology, lab.setup]);
  const hash = [...text].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7).toString(36);
  return `${loaded.manifest.key}/${hash}`;
}

export class LabSession {
  private consoles = new Map<string, string>();
  private consoleListeners = new Map<string, Set<(text: string) => void>>();
  /** True when the learner may have changed something since the last save. */
  dirty = false;
  /** True until the first save after the setup ran on fresh nodes: that save is also the lab's start. */
  private keepAsStart = false;
  readonly resumed: boolean;

  private constructor(readonly lab: Lab, readonly cluster: Cluster, private readonly loaded: LoadedAssets, resumed: boolean) {
    this.resumed = resumed;
    for (const node of cluster.nodes.values()) {
      this.consoles.set(node.name, '');
      node.onConsole((text) => {
        this.consoles.set(node.name, (this.consoles.get(node.name)! + text).slice(-CONSOLE_KEEP));
        for (const listener of this.consoleListeners.get(node.name) ?? []) listener(text);
      });
    }
  }

  /**
   * Start the lab: resume the cluster saved for it if there is one; else restore the
   * lab's start states (its nodes just after their setup, kept from its first run);
   * else start from the base snapshot and run the setup.
   */
  static async open(lab: Lab, options: { onProgress?: (p: DownloadProgress) => void; onStatus?: (s: string) => void; fresh?: boolean } = {}): Promise<LabSession> {
    const loaded = await nodeAssets(options.onProgress);
    const saved = options.fresh ? undefined : await loadCluster(lab.id).catch(() => undefined);
    if (saved?.snapshotKey === loaded.manifest.key) {
      options.onStatus?.('resuming the saved cluster');
      const session = await LabSession.restoreFrom(lab, loaded, saved, true);
      if (session) return session;
    }
    const hasSetup = Object.keys(lab.setup).length > 0;
    const labStart = options.fresh || !hasSetup ? undefined : await loadStart(lab.id).catch(() => undefined);
    if (labStart?.snapshotKey === startKey(lab, loaded)) {
      options.onStatus?.('starting the nodes as the setup left them');
      const session = await LabSession.restoreFrom(lab, loaded, labStart, false);
      if (session) return session;
    }
    options.onStatus?.('starting the nodes');
    const cluster = await Cluster.up(lab.topology, webWorkerHost, loaded.assets);
    const session = new LabSession(lab, cluster, loaded, false);
    options.onStatus?.('running the lab setup');
    await session.setUp([...cluster.nodes.keys()], 0);
    // The first save (LabView makes it at once, before a terminal can take a key) keeps these states as the lab's start.
    session.keepAsStart = hasSetup;
    session.refreshPrompts();
    return session;
  }

  /** A session on nodes restored from saved states, or undefined (and a warning) if they would not load. */
  private static async restoreFrom(lab: Lab, loaded: LoadedAssets, saved: SavedCluster, resumed: boolean): Promise<LabSession | undefined> {
    try {
      const states: Record<string, ArrayBuffer> = {};
      await Promise.all(Object.entries(saved.states).map(async ([name, blob]) => {
        states[name] = await blob.arrayBuffer(); // gzipped: each node's worker unpacks its own
      }));
      const cluster = await Cluster.up(lab.topology, webWorkerHost, loaded.assets, states);
      const session = new LabSession(lab, cluster, loaded, resumed);
      session.refreshPrompts();
      return session;
    } catch (error) {
      console.warn(`podwire: the ${resumed ? 'saved cluster' : "lab's start states"} did not load, starting afresh`, error);
      return undefined;
    }
  }

  /** True while the lab's start states are still to be kept: the next save keeps them too. */
  get keepsStartOnSave(): boolean {
    return this.keepAsStart;
  }

  get nodeNames(): string[] {
    return [...this.cluster.nodes.keys()];
  }

  consoleText(node: string): string {
    return this.consoles.get(node) ?? '';
  }

  onConsole(node: string, listener: (text: string) => void): () => void {
    const set = this.consoleListeners.get(node) ?? new Set();
    this.consoleListeners.set(node, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  type(node: string, text: string): void {
    this.dirty = true;
    this.cluster.node(node).type(text);
  }

  /** Tell the guest the terminal's size, so full-screen programs and line wrapping fit. */
  async resize(node: string, rows: number, cols: number): Promise<void> {
    await this.cluster.node(node).exec(`stty -F /dev/ttyS0 rows ${rows} cols ${cols}`, { timeout: 5 }).catch(() => undefined);
  }

  async check(stepIndex: number, attempt = 0): Promise<StepReport> {
    return gradeStep(this.lab, stepIndex, this.cluster, attempt);
  }

  /** A node as it was when the lab started: the base snapshot, then the lab's setup for it. */
  async resetNode(name: string): Promise<void> {
    await this.cluster.node(name).reset();
    await this.setUp([name], 0);
    this.refreshPrompts([name]);
  }

  /** Every node as it was when step `stepIndex` began: setup, then the solutions of the steps before it. */
  async resetToStep(stepIndex: number): Promise<void> {
    if (stepIndex === 0 && await this.restoreStart()) {
      this.refreshPrompts();
      return;
    }
    await Promise.all(this.nodeNames.map((name) => this.cluster.node(name).reset()));
    await this.setUp(this.nodeNames, stepIndex);
    this.refreshPrompts();
  }

  /**
   * Save every node's state for the next visit. Saves run one after another, so an
   * older snapshot can never land after a newer one.
   */
  save(): Promise<void> {
    const run = this.saving.then(() => this.saveNow());
    this.saving = run.catch(() => undefined);
    return run;
  }

  private saving: Promise<void> = Promise.resolve();

  private async saveNow(): Promise<void> {
    this.dirty = false;
    const states: Record<string, Blob> = {};
    await Promise.all(this.nodeNames.map(async (name) => {
      states[name] = new Blob([await this.cluster.node(name).snapshot({ gzip: true })]);
    }));
    await saveCluster({ lab: this.lab.id, snapshotKey: this.loaded.manifest.key, savedAt: Date.now(), states });
    if (this.keepAsStart) {
      this.keepAsStart = false;
      await saveStart({ lab: this.lab.id, snapshotKey: startKey(this.lab, this.loaded), savedAt: Date.now(), states });
    }
  }

  async close(): Promise<void> {
    this.consoleListeners.clear();
    await this.cluster.down();
  }

  /** Every node back to the lab's start states, if they are kept; false if not. */
  private async restoreStart(): Promise<boolean> {
    const start = Object.keys(this.lab.setup).length ? await loadStart(this.lab.id).catch(() => undefined) : undefined;
    if (start?.snapshotKey !== startKey(this.lab, this.loaded) || !this.nodeNames.every((name) => start.states[name])) return false;
    await Promise.all(this.nodeNames.map(async (name) => this.cluster.node(name).restore(await start.states[name]!.arrayBuffer(), this.loaded.assets)));
    return true;
  }

  private async setUp(nodes: string[], stepsBefore: number): Promise<void> {
    const only = (commands: NodeCommands) => Object.fromEntries(Object.entries(commands).filter(([node]) => nodes.includes(node)));
    await runCommands(this.cluster, only(this.lab.setup), `the setup of lab ${this.lab.id}`);
    for (const step of this.lab.steps.slice(0, stepsBefore)) await runCommands(this.cluster, only(step.solution), `the solution of step '${step.id}'`);
  }

  /** A fresh prompt on each console: after a start or restore the screen is blank. */
  private refreshPrompts(nodes = this.nodeNames): void {
    for (const name of nodes) this.cluster.node(name).type('\n');
  }
}
