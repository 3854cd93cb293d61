// What the page keeps between visits, in IndexedDB: per lab, the learner's progress
// (current step and each step's last result) and the saved cluster (one gzipped v86
// state per node, with each console's text). Nothing here needs a server.
//
// Labs are stored by their storage key: a shipped lab's id, or for a lab opened from
// a URL or a file, its origin and content hash (labs.ts), so that an outside lab can
// never reach a shipped lab's records. Progress from two tabs is merged per step,
// inside one transaction, so that a stale copy never overwrites newer credit; a copy
// of it in localStorage (ProgressMirror) survives a reload that cuts the write off.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import * as v from 'valibot';
import { words, type Words } from './i18n/words.js';

export interface StepProgress { passed: number; total: number; checkedAt: number }
export interface LabProgress { lab: string; step: number; steps: Record<string, StepProgress>; updatedAt: number }
export interface SavedCluster {
  lab: string;
  /** The base snapshot the states grew from; a new site build cannot resume them. */
  snapshotKey: string;
  /** The lab's variant the nodes ran (its values, when a class seed picked them); absent for the defaults. */
  variant?: string;
  savedAt: number;
  /** Node name to gzipped state. */
  states: Record<string, Blob>;
  /** Each console's text when its state was taken, so a resumed terminal shows what came before. */
  consoles?: Record<string, string>;
  /** Per node, the last journal entry (see Journal below) the state already holds. */
  journalSeq?: Record<string, number>;
  /** Nodes whose state holds a half-typed line: a resume must not press Enter on it. */
  openLines?: string[];
  /** The Kubernetes objects (the API's store snapshot, JSON) taken with the nodes, while the lab's control plane ran. */
  kube?: Blob;
}

interface PodwireDb extends DBSchema {
  progress: { key: string; value: LabProgress };
  clusters: { key: string; value: SavedCluster };
  /** Each lab's nodes just after its setup ran: a fresh start restores these instead of running the setup again. */
  starts: { key: string; value: SavedCluster };
}

let db: Promise<IDBPDatabase<PodwireDb>> | undefined;
const open = () => (db ??= openDB<PodwireDb>('podwire', 2, {
  upgrade(database, oldVersion) {
    if (oldVersion < 1) {
      database.createObjectStore('progress', { keyPath: 'lab' });
      database.createObjectStore('clusters', { keyPath: 'lab' });
    }
    if (oldVersion < 2) database.createObjectStore('starts', { keyPath: 'lab' });
  },
  // Another tab deletes or upgrades the database: step aside rather than block it, and reopen next time.
  blocking(_current, _next, event) {
    (event.target as IDBDatabase).close();
    db = undefined;
  },
}));

// What IndexedDB hands back is read as data from outside: another build of the page, an
// extension or a learner with DevTools may have written it. A record that does not fit is
// not used (and said so in the console); within a record, only the step results that fit.
const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000));
const StepProgressSchema = v.object({ passed: count, total: count, checkedAt: v.pipe(v.number(), v.finite()) });
const LabProgressSchema = v.object({
  lab: v.string(), step: count, updatedAt: v.pipe(v.number(), v.finite()),
  steps: v.record(v.string(), v.unknown()),
});
const SavedClusterSchema = v.object({
  lab: v.string(), snapshotKey: v.string(), variant: v.optional(v.string()), savedAt: v.pipe(v.number(), v.finite()),
  states: v.record(v.string(), v.instance(Blob)),
  consoles: v.optional(v.record(v.string(), v.string())),
  journalSeq: v.optional(v.record(v.string(), v.pipe(v.number(), v.finite()))),
  openLines: v.optional(v.array(v.string())),
  kube: v.optional(v.instance(Blob)),
});

/** A stored progress record as the page may use it, or undefined if it is not one. */
export function readProgress(lab: string, raw: unknown): LabProgress | undefined {
  const record = v.safeParse(LabProgressSchema, raw);
  if (!record.success || record.output.lab !== lab) {
    if (raw !== undefined) console.warn(`podwire: the stored progress of ${lab} is not readable and is not used`, raw);
    return undefined;
  }
  const steps: Record<string, StepProgress> = {};
  for (const [id, step] of Object.entries(record.output.steps)) {
    const parsed = v.safeParse(StepProgressSchema, step);
    if (parsed.success && parsed.output.passed <= parsed.output.total) steps[id] = parsed.output;
  }
  return { ...record.output, steps };
}

/** A stored cluster as the page may restore it, or undefined if it is not one. */
export function readSavedCluster(lab: string, raw: unknown): SavedCluster | undefined {
  const record = v.safeParse(SavedClusterSchema, raw);
  if (record.success && record.output.lab === lab) return record.output;
  if (raw !== undefined) console.warn(`podwire: the stored cluster of ${lab} is not readable and is not used`, raw);
  return undefined;
}

/**
 * A copy of each lab's progress in localStorage. Its writes are synchronous, so a result
 * shown on screen is on disk before a reload a moment later can take the page away; the
 * IndexedDB write that follows may be cut off by that reload (it was, in CI). A read
 * merges both copies, per step, the later result winning.
 */
export class ProgressMirror {
  constructor(private readonly storage: Storage | undefined = globalThis.localStorage) {}

  private key(lab: string) { return `podwire-progress:${lab}`; }

  read(lab: string): LabProgress | undefined {
    try {
      const raw = this.storage?.getItem(this.key(lab));
      return raw == null ? undefined : readProgress(lab, JSON.parse(raw));
    } catch {
      return undefined;
    }
  }

  /** Keep `progress` merged with the copy here; returns what is now kept. */
  record(progress: LabProgress): LabProgress {
    const merged = mergeProgress(this.read(progress.lab), progress);
    this.write(merged);
    return merged;
  }

  /** Forget some steps' results, as `clearSteps` does. */
  clear(lab: string, stepIds: string[], step: number): void {
    const kept = this.read(lab);
    if (kept) this.write(withoutSteps(kept, stepIds, step));
  }

  /** The labs with a copy here. */
  labs(): string[] {
    const prefix = this.key('');
    const labs: string[] = [];
    try {
      for (let index = 0; index < (this.storage?.length ?? 0); index++) {
        const key = this.storage?.key(index);
        if (key?.startsWith(prefix)) labs.push(key.slice(prefix.length));
      }
    } catch { /* storage may be off */ }
    return labs;
  }

  forget(lab: string): void {
    try { this.storage?.removeItem(this.key(lab)); } catch { /* storage may be off */ }
  }

  private write(progress: LabProgress): void {
    try {
      this.storage?.setItem(this.key(progress.lab), JSON.stringify(progress));
    } catch (error) {
      console.warn('podwire: could not keep a copy of the progress', error);
    }
  }
}

const mirror = new ProgressMirror();

/** Two copies as one (either may be missing): per step the later result. */
function both(a: LabProgress | undefined, b: LabProgress | undefined): LabProgress | undefined {
  if (!a || !b) return a ?? b;
  return a.updatedAt <= b.updatedAt ? mergeProgress(a, b) : mergeProgress(b, a);
}

export async function loadProgress(lab: string): Promise<LabProgress> {
  const stored = readProgress(lab, await (await open()).get('progress', lab));
  return both(stored, mirror.read(lab)) ?? { lab, step: 0, steps: {}, updatedAt: 0 };
}

export async function allProgress(): Promise<Map<string, LabProgress>> {
  const records = await (await open()).getAll('progress');
  const all = new Map<string, LabProgress>();
  for (const raw of records) {
    const stored = typeof raw?.lab === 'string' ? readProgress(raw.lab, raw) : undefined;
    if (stored) all.set(stored.lab, stored);
  }
  for (const lab of mirror.labs()) {
    const progress = both(all.get(lab), mirror.read(lab));
    if (progress) all.set(lab, progress);
  }
  return all;
}

/**
 * Two copies of one lab's progress as one: per step the later result wins (a stale copy
 * cannot undo newer credit); at equal times, the better one. The current step is the
 * newer writer's.
 */
export function mergeProgress(stored: LabProgress | undefined, incoming: LabProgress): LabProgress {
  if (!stored) return incoming;
  const steps: Record<string, StepProgress> = { ...stored.steps };
  for (const [id, result] of Object.entries(incoming.steps)) {
    const old = steps[id];
    if (!old || result.checkedAt > old.checkedAt || (result.checkedAt === old.checkedAt && result.passed > old.passed)) steps[id] = result;
  }
  return { ...incoming, steps, step: incoming.updatedAt >= stored.updatedAt ? incoming.step : stored.step };
}

/**
 * The step to show on return: the first one not yet passed, found by the steps' ids, so a
 * step added to the lab since (or moved) does not shift the learner's place; the stored
 * number only when no step has a result yet.
 */
export function resumeStep(stepIds: readonly string[], progress: LabProgress): number {
  const last = Math.max(0, stepIds.length - 1);
  if (Object.keys(progress.steps).length === 0) return Math.min(progress.step, last);
  const open = stepIds.findIndex((id) => { const result = progress.steps[id]; return !result || result.passed < result.total; });
  return open === -1 ? last : open;
}

/** Store progress merged with what is stored (another tab may have written since), and return the merged record. */
export async function saveProgress(progress: LabProgress): Promise<LabProgress> {
  const kept = mirror.record({ ...progress, updatedAt: Date.now() }); // at once, before any await
  const transaction = (await open()).transaction('progress', 'readwrite');
  const merged = mergeProgress(readProgress(progress.lab, await transaction.store.get(progress.lab)), kept);
  await transaction.store.put(merged);
  await transaction.done;
  return merged;
}

/** A progress record without some steps' results, `step` the current one at most. */
function withoutSteps(progress: LabProgress, stepIds: string[], step: number): LabProgress {
  const steps = Object.fromEntries(Object.entries(progress.steps).filter(([id]) => !stepIds.includes(id)));
  return { ...progress, steps, step: Math.min(progress.step, step), updatedAt: Date.now() };
}

/** Forget the results of some steps (after a reset took their work away); `step` becomes the current one. */
export async function clearSteps(lab: string, stepIds: string[], step: number): Promise<void> {
  mirror.clear(lab, stepIds, step);
  const transaction = (await open()).transaction('progress', 'readwrite');
  const stored = await transaction.store.get(lab);
  if (stored) await transaction.store.put(withoutSteps(stored, stepIds, step));
  await transaction.done;
}

export async function loadCluster(lab: string): Promise<SavedCluster | undefined> {
  return readSavedCluster(lab, await (await open()).get('clusters', lab));
}

export async function saveCluster(saved: SavedCluster): Promise<void> {
  await (await open()).put('clusters', saved);
  askToPersist();
}

let persistenceAsked = false;
/**
 * Ask the browser, once per page and only once there is work to keep, not to clear this
 * site's storage under pressure: best-effort storage may be evicted without a word, and
 * with it a learner's saved clusters. The answer changes nothing here (a refusal still
 * saves); browsers grant it by their own rules (an installed or often-visited site).
 */
function askToPersist(): void {
  if (persistenceAsked) return;
  persistenceAsked = true;
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  storage?.persist?.().then((granted) => console.debug(`podwire: persistent storage ${granted ? 'granted' : 'not granted'}`), () => undefined);
}

export async function loadStart(lab: string): Promise<SavedCluster | undefined> {
  return readSavedCluster(lab, await (await open()).get('starts', lab));
}

export async function saveStart(start: SavedCluster): Promise<void> {
  await (await open()).put('starts', start);
}

/** Forget the learner's work on a lab (its start states stay: they hold nothing of theirs). */
export async function forget(lab: string): Promise<void> {
  mirror.forget(lab);
  const database = await open();
  await database.delete('clusters', lab);
  await database.delete('progress', lab);
}

/** True for the error a full storage gives (the name differs between browsers and layers). */
export function isQuotaError(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const message = String((error as { message?: string } | undefined)?.message ?? error);
  return name === 'QuotaExceededError' || /quota/i.test(message);
}

/**
 * Make room for a lab's save: delete one stored state of another lab, the cheapest
 * first (start states, which a fresh start can rebuild by running the setup), then
 * the oldest saved clusters. Returns what it deleted, or undefined if nothing is left.
 */
export async function evictOneFor(lab: string): Promise<Words | undefined> {
  const [oldest] = evictionOrder(await storedStates(), (record) => record.lab === lab);
  if (!oldest) return undefined;
  await (await open()).delete(oldest.store, oldest.lab);
  return evictedWords(oldest, oldest.lab);
}

/**
 * The most the page keeps of saved nodes, every lab together. A save is a few hundred KB
 * per node (deltas against the shared base snapshot), but a lab's start states and a
 * learner's clusters pile up over a course, and the browser may evict the whole site
 * without a word once its storage is under pressure. Past the budget, the oldest other
 * labs' states go first.
 */
export const STORAGE_BUDGET_BYTES = 200 * 2 ** 20;

/** One stored record of node states and its size. */
export interface StoredStates { store: 'starts' | 'clusters'; lab: string; savedAt: number; bytes: number }

/** The lab a record belongs to: a step's start is kept as "<lab>#step-<n>". */
const labOf = (record: StoredStates) => record.lab.split('#')[0]!;

/** The order stored states go in when room is wanted: start states before saved clusters, the oldest first; none that `kept` spares. */
function evictionOrder(records: readonly StoredStates[], kept: (record: StoredStates) => boolean): StoredStates[] {
  return records.filter((record) => !kept(record)).sort((a, b) => (a.store === b.store ? a.savedAt - b.savedAt : a.store === 'starts' ? -1 : 1));
}

/** What the page says of a deleted record, naming it `lab`. */
const evictedWords = ({ store }: StoredStates, lab: string): Words => words(store === 'starts' ? 'store.evicted.starts' : 'store.evicted.saved', { lab });

/**
 * What to delete so that the stored states fit `budget`, in eviction order. Never anything
 * of `lab` (the one being saved, whose newest save must stay; its steps' starts included),
 * so the result may still be over the budget.
 */
export function overBudget(records: readonly StoredStates[], lab: string, budget: number): StoredStates[] {
  let total = records.reduce((sum, record) => sum + record.bytes, 0);
  const gone: StoredStates[] = [];
  for (const record of evictionOrder(records, (r) => labOf(r) === lab)) {
    if (total <= budget) break;
    gone.push(record);
    total -= record.bytes;
  }
  return gone;
}

/** Every stored record of node states, with its size. */
export async function storedStates(): Promise<StoredStates[]> {
  const database = await open();
  const records: StoredStates[] = [];
  for (const store of ['starts', 'clusters'] as const) {
    for (const saved of await database.getAll(store)) {
      const bytes = Object.values(saved.states).reduce((sum, blob) => sum + (blob instanceof Blob ? blob.size : 0), 0);
      records.push({ store, lab: saved.lab, savedAt: saved.savedAt, bytes });
    }
  }
  return records;
}

/** Delete other labs' states until the stored ones fit the budget; says what went. */
export async function keepWithinBudget(lab: string, budget = STORAGE_BUDGET_BYTES): Promise<Words[]> {
  const gone = overBudget(await storedStates(), lab, budget);
  const database = await open();
  for (const record of gone) await database.delete(record.store, record.lab);
  return gone.map((record) => evictedWords(record, labOf(record)));
}

/** What the page keeps, for the catalogue: its saved states against the budget, and the browser's own figures when it gives them. */
export async function storageSummary(): Promise<{ bytes: number; budget: number; labs: number; usage?: number; quota?: number; persisted?: boolean }> {
  const records = await storedStates();
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  const estimate = await storage?.estimate?.().catch(() => undefined);
  const persisted = await storage?.persisted?.().catch(() => undefined);
  return {
    bytes: records.reduce((sum, record) => sum + record.bytes, 0),
    budget: STORAGE_BUDGET_BYTES,
    labs: new Set(records.filter((record) => record.store === 'clusters').map((record) => record.lab)).size,
    ...(estimate?.usage !== undefined ? { usage: estimate.usage } : {}),
    ...(estimate?.quota !== undefined ? { quota: estimate.quota } : {}),
    ...(persisted !== undefined ? { persisted } : {}),
  };
}

/** One piece of console input, in the order typed. */
export interface JournalEntry { seq: number; node: string; text: string }

/**
 * What the learner typed since the last save, per lab, kept in localStorage: its writes
 * are synchronous, so a keystroke recorded before a reload or a closed tab is on disk
 * before the page goes, which no asynchronous store can promise. A save clears what it
 * holds; a resumed lab types the rest again. It stays small: a save empties it.
 */
export class Journal {
  private entries: JournalEntry[];
  private readonly key: string;
  private highest = 0;

  constructor(lab: string, private readonly storage: Storage | undefined = globalThis.localStorage) {
    this.key = `podwire-journal:${lab}`;
    this.entries = this.read();
  }

  private read(): JournalEntry[] {
    try {
      const parsed = JSON.parse(this.storage?.getItem(this.key) ?? '{}') as { last?: unknown; entries?: unknown };
      if (typeof parsed?.last === 'number') this.highest = parsed.last;
      if (!Array.isArray(parsed?.entries)) return [];
      return parsed.entries.filter((e): e is JournalEntry => typeof e?.seq === 'number' && typeof e?.node === 'string' && typeof e?.text === 'string');
    } catch {
      return [];
    }
  }

  private write(): void {
    try {
      // The last number stays when the entries go, so numbers never repeat.
      this.storage?.setItem(this.key, JSON.stringify({ last: this.lastSeq, entries: this.entries }));
    } catch (error) {
      console.warn('podwire: could not keep the input journal', error);
    }
  }

  /** The number of the last entry made (0 if none): numbers only grow. */
  get lastSeq(): number {
    return Math.max(this.highest, this.entries.at(-1)?.seq ?? 0);
  }

  /** Characters kept, so a caller can save before the journal grows large. */
  get size(): number {
    return this.entries.reduce((sum, e) => sum + e.text.length, 0);
  }

  append(node: string, text: string): number {
    // One entry per piece of input, never grown: a save may hold the first half of a line.
    // Numbers grow with the clock, so they keep growing after the journal was emptied.
    this.entries.push({ seq: Math.max(this.lastSeq + 1, Date.now()), node, text });
    this.highest = this.lastSeq;
    this.write();
    return this.lastSeq;
  }

  /** Per node, the input after `after[node]`, in order: what a state saved then does not hold. */
  since(after: Record<string, number> = {}): JournalEntry[] {
    return this.entries.filter((e) => e.seq > (after[e.node] ?? 0));
  }

  /** Forget the entries a save now holds. */
  drop(upTo: Record<string, number>): void {
    this.highest = this.lastSeq;
    this.entries = this.entries.filter((e) => e.seq > (upTo[e.node] ?? 0));
    this.write();
  }

  clear(): void {
    this.highest = this.lastSeq;
    this.entries = [];
    this.write();
  }
}
