// "A student's row changed": the signal behind the instructor's live grid (SSE). In one
// process an EventEmitter carries it; on PostgreSQL, LISTEN/NOTIFY carries it between every
// server process on the same database, so an instructor sees students served by another one.
import { EventEmitter } from 'node:events';
import pg from 'pg';

export interface ClassEvents {
  /** Announces that a student's row in a class changed (a report, a join, a grading). */
  publish(classId: string, studentId: string): Promise<void>;
  /** Calls `listener` with the student id on every change in the class; returns the unsubscribe. */
  subscribe(classId: string, listener: (studentId: string) => void): () => void;
  close(): Promise<void>;
}

function emitterEvents(): { emitter: EventEmitter; subscribe: ClassEvents['subscribe'] } {
  const emitter = new EventEmitter();
  // One listener per open instructor page; many pages are normal, not a leak.
  emitter.setMaxListeners(0);
  return {
    emitter,
    subscribe(classId, listener) {
      emitter.on(classId, listener);
      return () => emitter.off(classId, listener);
    },
  };
}

export function localEvents(): ClassEvents {
  const { emitter, subscribe } = emitterEvents();
  return {
    async publish(classId, studentId) { emitter.emit(classId, studentId); },
    subscribe,
    async close() { emitter.removeAllListeners(); },
  };
}

const CHANNEL = 'podwire_class';

/** LISTEN/NOTIFY on one dedicated connection; a process hears its own notifications too. */
export async function postgresEvents(connectionString: string): Promise<ClassEvents> {
  const { emitter, subscribe } = emitterEvents();
  const listener = new pg.Client({ connectionString });
  listener.on('error', (error) => console.error(`podwire: postgres events: ${error.message}`));
  await listener.connect();
  listener.on('notification', (message) => {
    if (message.channel !== CHANNEL || !message.payload) return;
    try {
      const { classId, studentId } = JSON.parse(message.payload) as { classId: string; studentId: string };
      emitter.emit(classId, studentId);
    } catch { /* not ours */ }
  });
  await listener.query(`LISTEN ${CHANNEL}`);
  const publisher = new pg.Pool({ connectionString, max: 2 });
  publisher.on('error', (error) => console.error(`podwire: postgres events: ${error.message}`));
  return {
    async publish(classId, studentId) {
      await publisher.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ classId, studentId })]);
    },
    subscribe,
    async close() {
      emitter.removeAllListeners();
      await listener.end().catch(() => undefined);
      await publisher.end().catch(() => undefined);
    },
  };
}
