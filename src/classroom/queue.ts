// Grading submissions in a bounded pool, behind a queue. The submissions table holds each
// one's status, so nothing is lost when a server stops: with SQLite, p-queue bounds the
// gradings in this process and start() re-queues whatever was queued or half graded; with
// PostgreSQL, pg-boss carries the jobs, so graders in other processes can take them too.
import { cpus } from 'node:os';
import PQueue from 'p-queue';
import { PgBoss } from 'pg-boss';
import type { LabReport } from '../harness/report.js';
import type { Lab } from '../lab/types.js';
import { instantiateLab } from '../lab/variables.js';
import { nodeMemoryOf } from '../topology/topology.js';
import { snapshotKey } from '../vm/assets-node.js';
import { readSubmission } from './grading/submission.js';
import { mismatches, verifiedSteps } from './grading/verify.js';
import { gradeIsolated } from './grading/worker.js';
import { studentSeed, type StepScore } from './protocol.js';
import { openStore, type ClassStore } from './db/store.js';
import { postgresEvents, type ClassEvents } from './events.js';

export interface GradeJob {
  submissionId: string;
  lab: string;
  /** The student's variant seed, computed by the server. */
  seed: string;
  /** The zip as uploaded (manifest.json and states/<node>.gz). */
  upload: Uint8Array;
  onProgress(done: number, total: number): void;
  signal: AbortSignal;
}

/**
 * Unpacks and checks an upload before it is stored (the grader's readSubmission, with the
 * snapshot key this server expects). Throws, with a message for the student, when the zip is
 * not a submission for `lab` made by this image.
 */
export type ReadSubmission = (zip: Uint8Array, lab: string) => { manifest: { lab: string; claimed: Record<string, StepScore> } };

/** Restores a submission's states and grades them: per step id, what the server found. */
export type Grade = (job: GradeJob) => Promise<Record<string, StepScore>>;

export interface GradingQueue {
  /** Re-queues what a stopped server left, and starts grading. */
  start(): Promise<void>;
  enqueue(submissionId: string): Promise<void>;
  /** Resolves when nothing is queued or grading in this process (tests, benchmarks). */
  idle(): Promise<void>;
  /** Stops grading; a grading cut short goes back to the queue, for the next start. */
  close(): Promise<void>;
}

/**
 * One grader per core unless PODWIRE_GRADERS says otherwise. 0 (PostgreSQL only) makes a
 * server that takes no grading jobs itself and leaves them to `podwire grader` processes.
 */
export function graderCount(env = process.env): number {
  const wanted = env.PODWIRE_GRADERS?.trim() ? Number(env.PODWIRE_GRADERS) : NaN;
  return Number.isInteger(wanted) && wanted >= 0 ? wanted : Math.max(1, cpus().length);
}

/** A grading nobody has touched for this long lost its grader (PostgreSQL: another process died). */
const STALE_MS = 30 * 60 * 1000;

/** Grades one submission and records the outcome; returns quietly when it is no longer queued. */
async function gradeOne(store: ClassStore, events: ClassEvents, grade: Grade, submissionId: string, signal: AbortSignal, takeOverStale: boolean): Promise<void> {
  const now = Date.now();
  if (!await store.startGrading(submissionId, now, takeOverStale ? now - STALE_MS : 0)) return;
  const submission = await store.submission(submissionId);
  const upload = await store.upload(submissionId);
  if (!submission) return;
  const announce = () => events.publish(submission.classId, submission.studentId).catch(() => undefined);
  if (!upload) {
    await store.failGrading(submissionId, 'the upload was lost before grading', Date.now());
    await announce();
    return;
  }
  try {
    const verified = await grade({
      submissionId, lab: submission.lab, seed: studentSeed(submission.classId, submission.studentId), upload, signal,
      onProgress: (done, total) => { void store.setProgress(submissionId, done, total, Date.now()).catch(() => undefined); },
    });
    await store.finishGrading(submissionId, { verified, mismatches: mismatches(submission.claimed, verified) }, Date.now());
  } catch (error) {
    // Stopped by close(): back to the queue, so the next start (or another grader) grades it again.
    if (signal.aborted) { await store.releaseGrading(submissionId, Date.now()); return; }
    await store.failGrading(submissionId, (error as Error).message || String(error), Date.now());
  }
  await announce();
  await store.reclaimSpace().catch(() => undefined);
}

/** In-process pool: p-queue with `concurrency` gradings at once. */
export function localQueue(store: ClassStore, events: ClassEvents, grade: Grade, concurrency = graderCount()): GradingQueue {
  // SQLite has no other process to grade: at least one grader here.
  const queue = new PQueue({ concurrency: Math.max(1, concurrency) });
  const stop = new AbortController();
  const enqueue = async (submissionId: string) => {
    void queue.add(() => gradeOne(store, events, grade, submissionId, stop.signal, false)).catch((error: Error) => console.error(`podwire: grading ${submissionId}: ${error.message}`));
  };
  return {
    async start() {
      for (const id of await store.requeueUnfinished(Date.now())) await enqueue(id);
    },
    enqueue,
    idle: () => queue.onIdle(),
    async close() {
      queue.clear();
      stop.abort();
      await queue.onIdle();
    },
  };
}

const JOB = 'podwire-grade';

/** pg-boss on the class database: any process that runs a worker (concurrency > 0) takes jobs. */
export async function pgBossQueue(connectionString: string, store: ClassStore, events: ClassEvents, grade: Grade, concurrency = graderCount()): Promise<GradingQueue> {
  const boss = new PgBoss({ connectionString, schema: 'podwire_boss' });
  boss.on('error', (error: Error) => console.error(`podwire: pg-boss: ${error.message}`));
  const stop = new AbortController();
  let running = 0;
  return {
    async start() {
      await boss.start();
      await boss.createQueue(JOB).catch(() => undefined);
      if (concurrency > 0) {
        await boss.work<{ submissionId: string }>(JOB, { localConcurrency: concurrency, batchSize: 1, pollingIntervalSeconds: 1 }, async (jobs) => {
          running++;
          try {
            for (const job of jobs) await gradeOne(store, events, grade, job.data.submissionId, stop.signal, true);
          } finally {
            running--;
          }
        });
      }
      // Submissions stored while no queue ran (the server stopped between the two writes):
      // send them again; a job whose submission is no longer queued does nothing.
      // Half-graded ones are left to their grader, or to the stale take-over.
      for (const id of await store.requeueUnfinished(Date.now(), false)) await boss.send(JOB, { submissionId: id });
    },
    async enqueue(submissionId) {
      await boss.send(JOB, { submissionId });
    },
    async idle() {
      // The submissions table is the truth: pg-boss's own counts are refreshed only now and then.
      while (await store.unfinishedCount() > 0 || running > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    },
    async close() {
      stop.abort();
      await boss.stop({ graceful: true, timeout: 5000 }).catch(() => undefined);
    },
  };
}


/**
 * A grading process without HTTP (`podwire grader`): takes jobs from the class database's
 * pg-boss queue, grades them and records the results, which every server then shows.
 */
export async function runGrader(databaseUrl: string, grade: Grade, concurrency = graderCount()): Promise<{ store: ClassStore; close(): Promise<void> }> {
  const store = await openStore({ databaseUrl, sqliteFile: '' });
  const events = await postgresEvents(databaseUrl);
  const queue = await pgBossQueue(databaseUrl, store, events, grade, Math.max(1, concurrency));
  await queue.start();
  return {
    store,
    async close() {
      await queue.close();
      await events.close();
      await store.close();
    },
  };
}

/** The real grader, for `npm run classroom` and `podwire grader`: the lab instantiated with the student's values, graded in a process of its own. */
export function loadGrader(labs: Lab[]): { read: ReadSubmission; grade: Grade } {
  const byId = new Map(labs.map((lab) => [lab.id, lab]));
  const nodesOf = (lab: string) => byId.get(lab)?.topology.nodes.map((node) => node.name);
  // States restore only into nodes of the lab's own memory size: its snapshot's key says which.
  const keyOf = (lab: string) => snapshotKey(nodeMemoryOf(byId.get(lab)?.topology ?? {}));
  return {
    read: (zip, lab) => readSubmission(zip, { snapshotKey: keyOf(lab), labs: [lab], nodesOf }),
    async grade(job) {
      const lab = byId.get(job.lab);
      if (!lab) throw new Error(`this server has no lab '${job.lab}'`);
      const { states, kube } = readSubmission(job.upload, { snapshotKey: keyOf(job.lab), labs: [job.lab], nodesOf });
      const report = await gradeIsolated({ lab: instantiateLab(lab, job.seed), states, ...(kube ? { kube } : {}) }, { onProgress: job.onProgress, signal: job.signal });
      return verifiedSteps(report);
    },
  };
}
