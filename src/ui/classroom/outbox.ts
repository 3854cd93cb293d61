// Check reports on their way to the class server, offline first: each report is written
// to IndexedDB as it is sent, and leaves it only when the server has it. The
// outbox is sent at start, when the browser comes back online, when the page is shown
// again, and every SYNC_EVERY_MS; a new report is sent at once. A report carries a
// uuid made here, so sending it twice (a reply lost on the way) stores it once.
//
// Its own database, so the lab store's versions and upgrades (store.ts) stay as they are.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { CheckReport } from '../../classroom/protocol.js';
import { ApiError, api } from './client.js';
import { errorWords, words, type WordValue } from '../i18n/words.js';

const SYNC_EVERY_MS = 10_000;

interface Queued { report: CheckReport; token: string; queuedAt: number }
/** Where sending stands, for the page to show. */
/** `error` is words for the page to say (say()), or a server's own sentence. */
export interface OutboxStatus { waiting: number; sending: boolean; error?: WordValue; sentAt?: number }

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

/** Reports not yet confirmed by the server, by id: what the page says is waiting. */
const pending = new Set<string>();
/** Reports being sent right now, which a sync running meanwhile leaves alone. */
const inFlight = new Set<string>();

/**
 * Send one report. 'sent' when the server has it (now or before); 'refused' when the server
 * will never take it (malformed, not in the class, token gone: sending it again would be
 * refused again, so it is dropped and the refusal shown); 'later' when offline, or the
 * server is down or busy.
 */
async function deliver(entry: Queued): Promise<'sent' | 'refused' | 'later'> {
  inFlight.add(entry.report.id);
  try {
    await api.report(entry.token, entry.report);
    pending.delete(entry.report.id);
    update({ waiting: pending.size, sentAt: Date.now() });
    return 'sent';
  } catch (error) {
    if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429) {
      console.warn(`podwire: the class server refused a check report: ${error.message}`);
      pending.delete(entry.report.id);
      update({ waiting: pending.size, error: words('outbox.refused', { error: errorWords(error) }) });
      return 'refused';
    }
    update({ error: errorWords(error) });
    return 'later';
  } finally {
    inFlight.delete(entry.report.id);
  }
}

/**
 * Keep a report, and send it. Both at once: the write to IndexedDB can wait behind a saved
 * cluster's megabytes, and the instructor should not. The report leaves the database only
 * once the server has it; until then the outbox sends it again on its next occasion.
 */
export async function enqueue(token: string, report: CheckReport): Promise<void> {
  const entry: Queued = { report, token, queuedAt: Date.now() };
  pending.add(report.id);
  update({ waiting: pending.size });
  const database = await open();
  const [, outcome] = await Promise.all([database.put('outbox', entry), deliver(entry)]);
  if (outcome !== 'later') await database.delete('outbox', report.id);
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
  const queued = (await database.getAllFromIndex('outbox', 'queuedAt')).filter((entry) => !inFlight.has(entry.report.id));
  for (const entry of queued) pending.add(entry.report.id);
  update({ waiting: pending.size });
  if (!queued.length) return;
  update({ sending: true });
  try {
    for (const entry of queued) {
      const outcome = await deliver(entry);
      if (outcome === 'later') return; // everything stays for the next try
      await database.delete('outbox', entry.report.id);
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
  const kick = () => { void sync().catch((error: unknown) => update({ error: errorWords(error) })); };
  window.addEventListener('online', kick);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') kick(); });
  setInterval(kick, SYNC_EVERY_MS);
  kick();
}
