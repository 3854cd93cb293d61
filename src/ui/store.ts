// What the page keeps between visits, in IndexedDB: per lab, the learner's progress
// (current step and each step's last result) and the saved cluster (one gzipped v86
// state per node). Nothing here needs a server.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export interface StepProgress { passed: number; total: number; checkedAt: number }
export interface LabProgress { lab: string; step: number; steps: Record<string, StepProgress>; updatedAt: number }
export interface SavedCluster {
  lab: string;
  /** The base snapshot the states grew from; a new site build cannot resume them. */
  snapshotKey: string;
  savedAt: number;
  /** Node name to gzipped state. */
  states: Record<string, Blob>;
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

export async function loadProgress(lab: string): Promise<LabProgress> {
  return (await (await open()).get('progress', lab)) ?? { lab, step: 0, steps: {}, updatedAt: 0 };
}

export async function allProgress(): Promise<Map<string, LabProgress>> {
  return new Map((await (await open()).getAll('progress')).map((p) => [p.lab, p]));
}

export async function saveProgress(progress: LabProgress): Promise<void> {
  await (await open()).put('progress', { ...progress, updatedAt: Date.now() });
}

export async function loadCluster(lab: string): Promise<SavedCluster | undefined> {
  return (await open()).get('clusters', lab);
}

export async function saveCluster(saved: SavedCluster): Promise<void> {
  await (await open()).put('clusters', saved);
}

export async function loadStart(lab: string): Promise<SavedCluster | undefined> {
  return (await open()).get('starts', lab);
}

export async function saveStart(start: SavedCluster): Promise<void> {
  await (await open()).put('starts', start);
}

/** Forget the learner's work on a lab (its start states stay: they hold nothing of theirs). */
export async function forget(lab: string): Promise<void> {
  const database = await open();
  await database.delete('clusters', lab);
  await database.delete('progress', lab);
}
