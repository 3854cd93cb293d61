// The class store: every read and write the class server makes, over either SQL driver.
// Values always go in as parameters, never into the SQL text.
import type { CheckReport, Mismatch, StepScore, SubmissionState } from '../protocol.js';
import type { SqlDriver } from './driver.js';
import { migrate } from './migrations.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';

export interface ClassRecord {
  classId: string;
  name: string;
  labs: string[];
  deadline?: string;
  joinCodeHash: string;
  secretHash: string;
  createdAt: number;
}

export interface StudentRecord {
  studentId: string;
  classId: string;
  displayName: string;
  tokenHash: string;
  joinedAt: number;
}

/** One student's reports on one step, summed up. */
export interface StepTotals {
  studentId: string;
  lab: string;
  stepId: string;
  stepIndex: number;
  attempts: number;
  failures: number;
  /** At least one report had every check passing. */
  passed: boolean;
  bestPassed: number;
  total: number;
  firstAt: number;
  lastAt: number;
  hintsShown: number;
  timeOnStepMs: number;
}

export interface SubmissionRecord {
  submissionId: string;
  classId: string;
  studentId: string;
  lab: string;
  status: SubmissionState;
  uploadBytes: number;
  claimed: Record<string, StepScore>;
  verified?: Record<string, StepScore>;
  mismatches?: Mismatch[];
  error?: string;
  progress?: { done: number; total: number };
  createdAt: number;
  updatedAt: number;
}

/** The latest verified grading of a student's lab. */
export interface VerifiedRecord { studentId: string; lab: string; verified: Record<string, StepScore>; mismatches: Mismatch[] }

type ClassRow = { id: string; name: string; labs: string; deadline: string | null; join_code_hash: string; secret_hash: string; created_at: number };
type StudentRowDb = { id: string; class_id: string; display_name: string; token_hash: string; joined_at: number };
type SubmissionRow = {
  id: string; class_id: string; student_id: string; lab: string; status: SubmissionState; upload_bytes: number; claimed: string;
  verified: string | null; mismatches: string | null; error: string | null; progress_done: number | null; progress_total: number | null;
  created_at: number; updated_at: number;
};

const toClass = (r: ClassRow): ClassRecord => ({
  classId: r.id, name: r.name, labs: JSON.parse(r.labs) as string[], ...(r.deadline ? { deadline: r.deadline } : {}),
  joinCodeHash: r.join_code_hash, secretHash: r.secret_hash, createdAt: Number(r.created_at),
});
const toStudent = (r: StudentRowDb): StudentRecord => ({
  studentId: r.id, classId: r.class_id, displayName: r.display_name, tokenHash: r.token_hash, joinedAt: Number(r.joined_at),
});
const toSubmission = (r: SubmissionRow): SubmissionRecord => ({
  submissionId: r.id, classId: r.class_id, studentId: r.student_id, lab: r.lab, status: r.status, uploadBytes: Number(r.upload_bytes),
  claimed: JSON.parse(r.claimed) as Record<string, StepScore>,
  ...(r.verified ? { verified: JSON.parse(r.verified) as Record<string, StepScore> } : {}),
  ...(r.mismatches ? { mismatches: JSON.parse(r.mismatches) as Mismatch[] } : {}),
  ...(r.error ? { error: r.error } : {}),
  ...(r.progress_total !== null ? { progress: { done: Number(r.progress_done ?? 0), total: Number(r.progress_total) } } : {}),
  createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});

const SUBMISSION_COLUMNS = 'id, class_id, student_id, lab, status, upload_bytes, claimed, verified, mismatches, error, progress_done, progress_total, created_at, updated_at';

export class ClassStore {
  constructor(readonly db: SqlDriver) {}

  get dialect() { return this.db.dialect; }
  get location() { return this.db.location; }

  async createClass(c: ClassRecord): Promise<void> {
    await this.db.run(
      'INSERT INTO classes (id, name, labs, deadline, join_code_hash, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [c.classId, c.name, JSON.stringify(c.labs), c.deadline ?? null, c.joinCodeHash, c.secretHash, c.createdAt],
    );
  }

  async classById(classId: string): Promise<ClassRecord | undefined> {
    const [row] = await this.db.all<ClassRow>('SELECT * FROM classes WHERE id = ?', [classId]);
    return row && toClass(row);
  }

  async classByJoinCodeHash(hash: string): Promise<ClassRecord | undefined> {
    const [row] = await this.db.all<ClassRow>('SELECT * FROM classes WHERE join_code_hash = ?', [hash]);
    return row && toClass(row);
  }

  async addStudent(s: StudentRecord): Promise<void> {
    await this.db.run(
      'INSERT INTO students (id, class_id, display_name, token_hash, joined_at) VALUES (?, ?, ?, ?, ?)',
      [s.studentId, s.classId, s.displayName, s.tokenHash, s.joinedAt],
    );
  }

  async studentByTokenHash(hash: string): Promise<StudentRecord | undefined> {
    const [row] = await this.db.all<StudentRowDb>('SELECT * FROM students WHERE token_hash = ?', [hash]);
    return row && toStudent(row);
  }

  async student(classId: string, studentId: string): Promise<StudentRecord | undefined> {
    const [row] = await this.db.all<StudentRowDb>('SELECT * FROM students WHERE class_id = ? AND id = ?', [classId, studentId]);
    return row && toStudent(row);
  }

  async students(classId: string): Promise<StudentRecord[]> {
    return (await this.db.all<StudentRowDb>('SELECT * FROM students WHERE class_id = ? ORDER BY joined_at, display_name, id', [classId])).map(toStudent);
  }

  /** Stores a check report once; false when this student already sent this report id. */
  async addReport(student: StudentRecord, report: CheckReport, receivedAt: number): Promise<boolean> {
    const changed = await this.db.run(
      `INSERT INTO reports (student_id, report_id, class_id, lab, step_index, step_id, at, passed, total, results, hints_shown, time_on_step_ms, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (student_id, report_id) DO NOTHING`,
      [student.studentId, report.id, student.classId, report.lab, report.stepIndex, report.stepId, report.at, report.passed, report.total,
        JSON.stringify(report.results), report.hintsShown, report.timeOnStepMs, receivedAt],
    );
    return changed === 1;
  }

  async lastReport(classId: string, studentId: string, lab: string, stepId: string): Promise<CheckReport | undefined> {
    const [row] = await this.db.all<{
      report_id: string; lab: string; step_index: number; step_id: string; at: number; passed: number; total: number; results: string; hints_shown: number; time_on_step_ms: number;
    }>(
      `SELECT report_id, lab, step_index, step_id, at, passed, total, results, hints_shown, time_on_step_ms FROM reports
       WHERE class_id = ? AND student_id = ? AND lab = ? AND step_id = ? ORDER BY at DESC, received_at DESC LIMIT 1`,
      [classId, studentId, lab, stepId],
    );
    if (!row) return undefined;
    return {
      id: row.report_id, lab: row.lab, stepIndex: Number(row.step_index), stepId: row.step_id, at: Number(row.at), passed: Number(row.passed),
      total: Number(row.total), results: JSON.parse(row.results) as CheckReport['results'], hintsShown: Number(row.hints_shown), timeOnStepMs: Number(row.time_on_step_ms),
    };
  }

  /** Every step's totals for a class, or for one student of it. */
  async stepTotals(classId: string, studentId?: string): Promise<StepTotals[]> {
    const rows = await this.db.all<{
      student_id: string; lab: string; step_id: string; step_index: number; attempts: number; failures: number; passed: number;
      best_passed: number; total: number; first_at: number; last_at: number; hints_shown: number; time_on_step_ms: number;
    }>(
      `SELECT student_id, lab, step_id, MAX(step_index) AS step_index, COUNT(*) AS attempts,
              SUM(CASE WHEN passed < total THEN 1 ELSE 0 END) AS failures,
              MAX(CASE WHEN passed >= total THEN 1 ELSE 0 END) AS passed,
              MAX(passed) AS best_passed, MAX(total) AS total, MIN(at) AS first_at, MAX(at) AS last_at,
              MAX(hints_shown) AS hints_shown, MAX(time_on_step_ms) AS time_on_step_ms
       FROM reports WHERE class_id = ? ${studentId === undefined ? '' : 'AND student_id = ?'}
       GROUP BY student_id, lab, step_id`,
      studentId === undefined ? [classId] : [classId, studentId],
    );
    return rows.map((r) => ({
      studentId: r.student_id, lab: r.lab, stepId: r.step_id, stepIndex: Number(r.step_index), attempts: Number(r.attempts),
      failures: Number(r.failures), passed: Number(r.passed) === 1, bestPassed: Number(r.best_passed), total: Number(r.total),
      firstAt: Number(r.first_at), lastAt: Number(r.last_at), hintsShown: Number(r.hints_shown), timeOnStepMs: Number(r.time_on_step_ms),
    }));
  }

  /**
   * Stores a submission as queued, superseding this student's queued ones for the same lab
   * (their uploads are dropped). Returns the ids it superseded.
   */
  async addSubmission(s: { submissionId: string; classId: string; studentId: string; lab: string; upload: Uint8Array; claimed: Record<string, StepScore>; at: number }): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const older = await tx.all<{ id: string }>("SELECT id FROM submissions WHERE student_id = ? AND lab = ? AND status = 'queued'", [s.studentId, s.lab]);
      if (older.length) {
        await tx.run("UPDATE submissions SET status = 'superseded', upload = NULL, updated_at = ? WHERE student_id = ? AND lab = ? AND status = 'queued'", [s.at, s.studentId, s.lab]);
      }
      await tx.run(
        `INSERT INTO submissions (id, class_id, student_id, lab, status, upload, upload_bytes, claimed, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
        [s.submissionId, s.classId, s.studentId, s.lab, Buffer.from(s.upload.buffer, s.upload.byteOffset, s.upload.byteLength), s.upload.byteLength, JSON.stringify(s.claimed), s.at, s.at],
      );
      return older.map((o) => o.id);
    });
  }

  async submission(submissionId: string): Promise<SubmissionRecord | undefined> {
    const [row] = await this.db.all<SubmissionRow>(`SELECT ${SUBMISSION_COLUMNS} FROM submissions WHERE id = ?`, [submissionId]);
    return row && toSubmission(row);
  }

  async upload(submissionId: string): Promise<Uint8Array | undefined> {
    const [row] = await this.db.all<{ upload: Buffer | null }>('SELECT upload FROM submissions WHERE id = ?', [submissionId]);
    return row?.upload ? new Uint8Array(row.upload) : undefined;
  }

  /** 1 for the next queued submission to be graded, 2 for the one after, ... */
  async queuePosition(submissionId: string): Promise<number | undefined> {
    const [row] = await this.db.all<{ position: number }>(
      `SELECT COUNT(*) AS position FROM submissions q, submissions s
       WHERE s.id = ? AND s.status = 'queued' AND q.status = 'queued'
         AND (q.created_at < s.created_at OR (q.created_at = s.created_at AND q.id <= s.id))`,
      [submissionId],
    );
    const position = Number(row?.position ?? 0);
    return position > 0 ? position : undefined;
  }

  /**
   * Takes a queued submission for grading; false when it is no longer queued (superseded, or
   * taken). With `staleBefore`, a grading nobody has touched since then (its grader died) is
   * taken over too.
   */
  async startGrading(submissionId: string, at: number, staleBefore = 0): Promise<boolean> {
    return (await this.db.run(
      "UPDATE submissions SET status = 'grading', updated_at = ? WHERE id = ? AND (status = 'queued' OR (status = 'grading' AND updated_at < ?))",
      [at, submissionId, staleBefore],
    )) === 1;
  }

  async setProgress(submissionId: string, done: number, total: number, at: number): Promise<void> {
    await this.db.run('UPDATE submissions SET progress_done = ?, progress_total = ?, updated_at = ? WHERE id = ?', [done, total, at, submissionId]);
  }

  async finishGrading(submissionId: string, result: { verified: Record<string, StepScore>; mismatches: Mismatch[] }, at: number): Promise<void> {
    await this.db.run(
      "UPDATE submissions SET status = 'done', verified = ?, mismatches = ?, upload = NULL, updated_at = ? WHERE id = ? AND status = 'grading'",
      [JSON.stringify(result.verified), JSON.stringify(result.mismatches), at, submissionId],
    );
  }

  /** Puts a grading cut short (the server is stopping) back in the queue. */
  async releaseGrading(submissionId: string, at: number): Promise<void> {
    await this.db.run("UPDATE submissions SET status = 'queued', progress_done = NULL, progress_total = NULL, updated_at = ? WHERE id = ? AND status = 'grading'", [at, submissionId]);
  }

  /** How many submissions are queued or being graded, in every class. */
  async unfinishedCount(): Promise<number> {
    const [row] = await this.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM submissions WHERE status IN ('queued', 'grading')");
    return Number(row?.n ?? 0);
  }

  async failGrading(submissionId: string, error: string, at: number): Promise<void> {
    await this.db.run("UPDATE submissions SET status = 'failed', error = ?, upload = NULL, updated_at = ? WHERE id = ? AND status = 'grading'", [error, at, submissionId]);
  }

  /**
   * Submissions left queued or grading (a server stopped mid-way): the grading ones go back
   * to queued. Returns every queued id, oldest first.
   */
  async requeueUnfinished(at: number, resetGrading = true): Promise<string[]> {
    if (resetGrading) await this.db.run("UPDATE submissions SET status = 'queued', progress_done = NULL, progress_total = NULL, updated_at = ? WHERE status = 'grading'", [at]);
    return (await this.db.all<{ id: string }>("SELECT id FROM submissions WHERE status = 'queued' ORDER BY created_at, id")).map((r) => r.id);
  }

  /** For each student and lab of a class (or of one student), the latest finished grading. */
  async latestVerified(classId: string, studentId?: string): Promise<VerifiedRecord[]> {
    const rows = await this.db.all<{ student_id: string; lab: string; verified: string; mismatches: string | null }>(
      `SELECT s.student_id, s.lab, s.verified, s.mismatches FROM submissions s
       WHERE s.class_id = ? ${studentId === undefined ? '' : 'AND s.student_id = ?'} AND s.status = 'done'
         AND NOT EXISTS (SELECT 1 FROM submissions n WHERE n.student_id = s.student_id AND n.lab = s.lab AND n.status = 'done'
                         AND (n.created_at > s.created_at OR (n.created_at = s.created_at AND n.id > s.id)))`,
      studentId === undefined ? [classId] : [classId, studentId],
    );
    return rows.map((r) => ({
      studentId: r.student_id, lab: r.lab, verified: JSON.parse(r.verified) as Record<string, StepScore>,
      mismatches: r.mismatches ? JSON.parse(r.mismatches) as Mismatch[] : [],
    }));
  }

  /** After uploads were dropped (graded, failed or superseded): give their space back. */
  reclaimSpace(): Promise<void> { return this.db.reclaim(); }

  sizeBytes(): Promise<number> { return this.db.sizeBytes(); }
  close(): Promise<void> { return this.db.close(); }
}

/** Opens (and migrates) the store: PostgreSQL when a connection string is given, else the SQLite file. */
export async function openStore(options: { databaseUrl?: string; sqliteFile: string }): Promise<ClassStore> {
  const db = options.databaseUrl ? openPostgres(options.databaseUrl) : openSqlite(options.sqliteFile);
  try {
    await migrate(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return new ClassStore(db);
}
