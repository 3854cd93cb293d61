// The default store: one SQLite file (better-sqlite3) in the data folder.
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { SqlDriver } from './driver.js';

/** better-sqlite3 binds no booleans: they become 0 and 1, as in the PostgreSQL schema. */
const bindable = (params: readonly unknown[]) => params.map((p) => (typeof p === 'boolean' ? Number(p) : p));

export function openSqlite(file: string): SqlDriver {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // Uploads are large and dropped once graded: a new database frees their pages on request
  // (auto_vacuum takes effect only before the first table is made).
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) { statement = db.prepare(sql); statements.set(sql, statement); }
    return statement;
  };
  let depth = 0;
  const driver: SqlDriver = {
    dialect: 'sqlite',
    location: file,
    // better-sqlite3 is synchronous: every promise here is already settled, so a transaction's
    // awaits never let another request's statements in between.
    all: async <Row>(sql: string, params: readonly unknown[] = []) => prepared(sql).all(...bindable(params)) as Row[],
    run: async (sql, params = []) => prepared(sql).run(...bindable(params)).changes,
    async transaction(work) {
      if (depth > 0) return work(driver);
      db.exec('BEGIN IMMEDIATE');
      depth++;
      try {
        const result = await work(driver);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      } finally {
        depth--;
      }
    },
    async reclaim() {
      db.pragma('incremental_vacuum');
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    async sizeBytes() {
      db.pragma('wal_checkpoint(PASSIVE)');
      return statSync(file).size;
    },
    async close() { db.close(); },
  };
  return driver;
}
