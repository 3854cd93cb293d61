// Check reports on their way to the class server, offline first: each report is written
// to IndexedDB before anything is sent, and leaves it only when the server has it. The
// outbox is sent at start, when the browser comes back online, when the page is shown
// again, every SYNC_EVERY_MS, and right after a report is queued. A report carries a
// uuid made here, so sending it twice (a reply lost on the way) stores it once.
//
// Its own database, so the lab store's versions and upgrades (store.ts) stay as they are.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { CheckReport } from '../../classroom/protocol.js';
import { ApiError, api } from './client.js';

const SYNC_EVERY_MS = 10_000;

interface Queued { report: CheckReport; token: string; queuedAt: number }
/** Where sending stands, for the page to show. */
export interface OutboxStatus { waiting: number; sending: boolean; error?: string; sentAt?: number }

interface OutboxDb extends DBSchema {
  outbox: { key: string; value: Queued; indexes: { queuedAt: number } };
}

let db: Promise<IDBPDatabase<OutboxDb>> | undefined;
const open = () => (db ??= openDB<OutboxDb>('podwire-classroom', 1, {
  upgrade(database) {
    database.createObjectStore('outbox', { keyPath: 'report.id' }).createIndex('queuedAt', 'queuedAt');
  },
  blocking(_current, _next, event) {
    (event.target as IDBDatabase).close();
    db = undefined;
  },
}));

let status: OutboxStatus = { waiting: 0, sending: false };
const listeners = new Set<(status: OutboxStatus) => void>();
function update(change: Partial<OutboxStatus>): void {
  status = { ...status, ...change };
  for (const listener of listeners) listener(status);
}

export function onOutboxStatus(listener: (status: OutboxStatus) => void): () => void {
  listeners.add(listener);
  listener(status);
  return () => listeners.delete(listener);
}

/** Keep a report to send (on disk first), and try to send it now. */
export async function enqueue(token: string, report: CheckReport): Promise<void> {
  const database = await open();
  await database.put('outbox', { report, token, queuedAt: Date.now() });
  update({ waiting: await database.count('outbox') });
  void sync();
}

let running: Promise<void> | undefined;
let again = false;

/** Send what waits, oldest first; one run at a time (a call during a run makes it go round once more). */
function sync(): Promise<void> {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      await sendAll();
    } while (again);
  })().finally(() => { running = undefined; });
  return running;
}

async function sendAll(): Promise<void> {
  const database = await open();
  const queued = await database.getAllFromIndex('outbox', 'queuedAt');
  update({ waiting: queued.length });
  if (!queued.length) return;
  update({ sending: true });
  try {
    for (const entry of queued) {
      try {
        await api.report(entry.token, entry.report);
      } catch (error) {
        // The server refused this report for good (malformed, not in the class, token gone):
        // sending it again would be refused again, so it is dropped and the refusal shown.
        if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429) {
          console.warn(`podwire: the class server refused a check report: ${error.message}`);
          update({ error: `a check report was refused: ${error.message}` });
        } else {
          // Offline, or the server is down or busy: everything stays for the next try.
          update({ error: (error as Error).message, waiting: await database.count('outbox') });
          return;
        }
      }
      await database.delete('outbox', entry.report.id);
      update({ waiting: await database.count('outbox'), sentAt: Date.now() });
    }
    update({ error: undefined });
  } finally {
    update({ sending: false });
  }
}

let started = false;
/** Begin sending in the background: now, and on every occasion the network may be back. */
export function startOutbox(): void {
  if (started) return;
  started = true;
  const kick = () => { void sync().catch((error: unknown) => update({ error: (error as Error).message })); };
  window.addEventListener('online', kick);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') kick(); });
  setInterval(kick, SYNC_EVERY_MS);
  kick();
}
