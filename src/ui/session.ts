// One lab running in the page: a LabRun on Web Workers, brought up from the shared base
// snapshot (or resumed from the states saved last time), plus what only the page needs:
// the consoles' scrollback, and saving to IndexedDB (the lab's start states among them).
// The Svelte views only call this; it knows nothing of the DOM.
import { LabRun } from '../harness/lab-run.js';
import type { StepReport } from '../harness/report.js';
import type { Lab } from '../lab/types.js';
import { loadWebAssets, type DownloadProgress, type LoadedAssets } from '../vm/assets-web.js';
import type { Cluster } from '../vm/cluster.js';
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

  private constructor(readonly lab: Lab, readonly run: LabRun, private readonly loaded: LoadedAssets, resumed: boolean) {
    this.resumed = resumed;
    for (const name of run.nodeNames) {
      this.consoles.set(name, '');
      run.onConsole(name, (text) => {
        this.consoles.set(name, (this.consoles.get(name)! + text).slice(-CONSOLE_KEEP));
        for (const listener of this.consoleListeners.get(name) ?? []) listener(text);
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
    const run = await LabRun.open(lab, { host: webWorkerHost, assets: loaded.assets, ...(options.onStatus ? { onStatus: options.onStatus } : {}) });
    const session = new LabSession(lab, run, loaded, false);
    // The first save (LabView makes it at once, before a terminal can take a key) keeps these states as the lab's start.
    session.keepAsStart = hasSetup;
    session.refreshPrompts();
    return session;
  }

  /** A session on nodes restored from saved states, or undefined (and a warning) if they would not load. */
  private static async restoreFrom(lab: Lab, loaded: LoadedAssets, saved: SavedCluster, resumed: boolean): Promise<LabSession | undefined> {
    try {
      const run = await LabRun.open(lab, { host: webWorkerHost, assets: loaded.assets, states: await statesOf(saved) });
      const session = new LabSession(lab, run, loaded, resumed);
      session.refreshPrompts();
      return session;
    } catch (error) {
      console.warn(`podwire: the ${resumed ? 'saved cluster' : "lab's start states"} did not load, starting afresh`, error);
      return undefined;
    }
  }

  /** @deprecated the views move to `run` (facts, links, framesSince, topology); until then they read the cluster here. */
  get cluster(): Cluster {
    return this.run.cluster;
  }

  /** True while the lab's start states are still to be kept: the next save keeps them too. */
  get keepsStartOnSave(): boolean {
    return this.keepAsStart;
  }

  get nodeNames(): string[] {
    return this.run.nodeNames;
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
    this.run.type(node, text);
  }

  /** Tell the guest the terminal's size, so full-screen programs and line wrapping fit. */
  resize(node: string, rows: number, cols: number): Promise<void> {
    return this.run.resize(node, rows, cols);
  }

  check(stepIndex: number, attempt = 0): Promise<StepReport> {
    return this.run.checkStep(stepIndex, attempt);
  }

  /** A node as it was when the lab started: the base snapshot, then the lab's setup for it. */
  async resetNode(name: string): Promise<void> {
    await this.run.resetNode(name);
    this.refreshPrompts([name]);
  }

  /** Every node as it was when step `stepIndex` began: the kept start states for the first step, else setup and the solutions of the steps before it. */
  async resetToStep(stepIndex: number): Promise<void> {
    if (!(stepIndex === 0 && await this.restoreStart())) await this.run.resetToStep(stepIndex);
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
    const states = Object.fromEntries(Object.entries(await this.run.save({ gzip: true })).map(([name, state]) => [name, new Blob([state])]));
    await saveCluster({ lab: this.lab.id, snapshotKey: this.loaded.manifest.key, savedAt: Date.now(), states });
    if (this.keepAsStart) {
      this.keepAsStart = false;
      await saveStart({ lab: this.lab.id, snapshotKey: startKey(this.lab, this.loaded), savedAt: Date.now(), states });
    }
  }

  async close(): Promise<void> {
    this.consoleListeners.clear();
    await this.run.close();
  }

  /** Every node back to the lab's start states, if they are kept; false if not. */
  private async restoreStart(): Promise<boolean> {
    const start = Object.keys(this.lab.setup).length ? await loadStart(this.lab.id).catch(() => undefined) : undefined;
    if (start?.snapshotKey !== startKey(this.lab, this.loaded) || !this.nodeNames.every((name) => start.states[name])) return false;
    await this.run.restore(await statesOf(start));
    return true;
  }

  /** A fresh prompt on each console: after a start or restore the screen is blank. */
  private refreshPrompts(nodes = this.nodeNames): void {
    for (const name of nodes) this.run.type(name, '\n');
  }
}

/** Saved states as the workers take them: still gzipped, each node's worker unpacks its own. */
async function statesOf(saved: SavedCluster): Promise<Record<string, ArrayBuffer>> {
  const states: Record<string, ArrayBuffer> = {};
  await Promise.all(Object.entries(saved.states).map(async ([name, blob]) => { states[name] = await blob.arrayBuffer(); }));
  return states;
}
