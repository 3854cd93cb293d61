// The class store's schema, one numbered migration at a time, per dialect. A database records
// what it has applied in schema_migrations; start-up applies the rest, in order, each in its
// own transaction. Never edit a migration that has shipped: add the next one.
import type { Dialect, SqlDriver } from './driver.js';

/** The few words the dialects spell differently. */
const TYPES: Record<Dialect, { blob: string }> = {
  sqlite: { blob: 'BLOB' },
  postgres: { blob: 'BYTEA' },
};

type Migration = { version: number; name: string; statements: (t: { blob: string }) => string[] };

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'classes, students, check reports, submissions',
    statements: ({ blob }) => [
      `CREATE TABLE classes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        labs TEXT NOT NULL,
        deadline TEXT,
        join_code_hash TEXT NOT NULL UNIQUE,
        secret_hash TEXT NOT NULL,
        created_at BIGINT NOT NULL)`,
      `CREATE TABLE students (
        id TEXT PRIMARY KEY,
        class_id TEXT NOT NULL REFERENCES classes(id),
        display_name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        joined_at BIGINT NOT NULL)`,
      'CREATE INDEX students_by_class ON students (class_id, joined_at)',
      // The page makes report ids; they are unique per student, so one student cannot block another's.
      `CREATE TABLE reports (
        student_id TEXT NOT NULL REFERENCES students(id),
        report_id TEXT NOT NULL,
        class_id TEXT NOT NULL REFERENCES classes(id),
        lab TEXT NOT NULL,
        step_index INTEGER NOT NULL,
        step_id TEXT NOT NULL,
        at BIGINT NOT NULL,
        passed INTEGER NOT NULL,
        total INTEGER NOT NULL,
        results TEXT NOT NULL,
        hints_shown INTEGER NOT NULL,
        time_on_step_ms BIGINT NOT NULL,
        received_at BIGINT NOT NULL,
        PRIMARY KEY (student_id, report_id))`,
      'CREATE INDEX reports_by_step ON reports (class_id, student_id, lab, step_id, at)',
      // The upload stays in the row until it is graded or superseded, so a restart (or a grader
      // on another machine) finds it; then it is dropped to keep the database small.
      `CREATE TABLE submissions (
        id TEXT PRIMARY KEY,
        class_id TEXT NOT NULL REFERENCES classes(id),
        student_id TEXT NOT NULL REFERENCES students(id),
        lab TEXT NOT NULL,
        status TEXT NOT NULL,
        upload ${blob},
        upload_bytes BIGINT NOT NULL,
        claimed TEXT NOT NULL,
        verified TEXT,
        mismatches TEXT,
        error TEXT,
        progress_done INTEGER,
        progress_total INTEGER,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL)`,
      'CREATE INDEX submissions_by_status ON submissions (status, created_at)',
      'CREATE INDEX submissions_by_student ON submissions (student_id, lab, status)',
    ],
  },
];

/** Applies the migrations this database lacks; returns the versions applied. */
export async function migrate(db: SqlDriver): Promise<number[]> {
  await db.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    const done = await db.transaction(async (tx) => {
      // Several servers may start at once on one PostgreSQL: the first migrates, the others wait.
      if (tx.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(?)', [0x706f64]);
      const rows = await tx.all<{ version: number }>('SELECT version FROM schema_migrations WHERE version = ?', [migration.version]);
      if (rows.length) return false;
      for (const sql of migration.statements(TYPES[tx.dialect])) await tx.run(sql);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, Date.now()]);
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}
