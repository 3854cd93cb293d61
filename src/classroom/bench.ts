// The class server's figures for `npm run bench -- --only classroom`: a class of simulated
// students sends Check reports over HTTP while the instructor's page listens on the live
// stream, then several students submit at once and the server grades them itself. The
// server is the real one (fastify, SQLite in a temporary folder, the real grader), reached
// over a real socket; only the students are simulated.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLab } from '../harness/run-lab.js';
import { findLab, loadLabs } from '../lab/load.js';
import { nodeMemoryOf } from '../topology/topology.js';
import { snapshotKey } from '../vm/assets-node.js';
import { buildSubmission } from './grading/bundle.js';
import type { CheckReport, CreateClassResponse, JoinResponse } from './protocol.js';
import { loadGrader } from './queue.js';
import { catalogOf, openClassroom } from './server.js';

export interface ClassServerBench {
  students: number;
  reports: number;
  /** Per report: from the student's POST to the instructor's stream carrying the changed row. */
  reportToInstructorMs: number[];
  /** Per report: the POST alone. */
  postMs: number[];
  submissions: number;
  zipBytes: number;
  /** From the first upload to the last verified result. */
  gradingSeconds: number;
  gradingsPerMinute: number;
  /** The server process's resident memory, sampled through the run (gradings run in processes of their own). */
  serverMaxRssBytes: number;
  databaseBytesPerStudent: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchClassServer(options: { students?: number; reportsEach?: number; submissions?: number; log?: (line: string) => void } = {}): Promise<ClassServerBench> {
  const studentCount = options.students ?? 30;
  const reportsEach = options.reportsEach ?? 10;
  const submissionCount = Math.min(options.submissions ?? 10, studentCount);
  const lab = findLab('netns-veth');
  const dataDir = mkdtempSync(join(tmpdir(), 'podwire-class-bench-'));
  const labs = loadLabs();
  const room = await openClassroom({ dataDir, catalog: catalogOf(labs), grader: loadGrader(labs), site: false, logger: false, submissionsPerMinute: 100 });
  let serverMaxRssBytes = process.memoryUsage().rss;
  const sampler = setInterval(() => { serverMaxRssBytes = Math.max(serverMaxRssBytes, process.memoryUsage().rss); }, 200);
  const stopStream = new AbortController();
  try {
    const address = await room.app.listen({ port: 0, host: '127.0.0.1' });
    const call = async <T>(method: string, path: string, body?: unknown, token?: string): Promise<T> => {
      const response = await fetch(`${address}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return await response.json() as T;
    };
    const cls = await call<CreateClassResponse>('POST', '/api/classes', { name: 'bench', labs: [lab.id] });
    const students = await Promise.all(Array.from({ length: studentCount }, (_, i) => call<JoinResponse>('POST', '/api/join', { joinCode: cls.joinCode, displayName: `student ${i + 1}` })));

    // The instructor's live stream: each changed row wakes whoever waits for that student.
    const waiting = new Map<string, () => void>();
    const stream = await fetch(`${address}/api/classes/${cls.classId}/events`, { headers: { authorization: `Bearer ${cls.instructorSecret}` }, signal: stopStream.signal });
    void (async () => {
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(event)?.[1];
          if (!event.startsWith('event: student') || !data) continue;
          const studentId = (JSON.parse(data) as { studentId: string }).studentId;
          waiting.get(studentId)?.();
        }
      }
    })();

    const step = lab.steps[0]!;
    const reportToInstructorMs: number[] = [];
    const postMs: number[] = [];
    options.log?.(`  ${studentCount} students, ${reportsEach} Check reports each, lab ${lab.id}`);
    await Promise.all(students.map(async (student) => {
      for (let i = 0; i < reportsEach; i++) {
        await sleep(100 + Math.random() * 900); // the learner types between Checks
        const passed = i === reportsEach - 1 ? step.checks.length : 0;
        const report: CheckReport = {
          id: crypto.randomUUID(), lab: lab.id, stepIndex: 0, stepId: step.id, at: Date.now(), passed, total: step.checks.length,
          results: step.checks.map((check, index) => ({ id: check.name || `check ${index + 1}`, passed: passed > 0 })), hintsShown: i, timeOnStepMs: i * 20_000,
        };
        const heard = new Promise<void>((resolve) => waiting.set(student.studentId, resolve));
        const started = performance.now();
        await call('POST', '/api/reports', report, student.token);
        postMs.push(performance.now() - started);
        await heard;
        reportToInstructorMs.push(performance.now() - started);
      }
    }));

    const reportFigures = { students: studentCount, reports: reportToInstructorMs.length, reportToInstructorMs, postMs };
    if (submissionCount === 0) {
      return { ...reportFigures, submissions: 0, zipBytes: 0, gradingSeconds: 0, gradingsPerMinute: 0, serverMaxRssBytes, databaseBytesPerStudent: (await room.store.sizeBytes()) / studentCount };
    }

    // Submissions: one student's real nodes (step 1 solved), uploaded by several students at once.
    const states = await withLab(lab, async (run) => {
      await run.applySolutions(1);
      return run.save({ gzip: true });
    });
    const claimed = { [step.id]: { passed: step.checks.length, total: step.checks.length, results: [] } };
    const zip = buildSubmission({ lab: lab.id, snapshotKey: snapshotKey(nodeMemoryOf(lab.topology)), savedAt: Date.now(), claimed }, states);
    options.log?.(`  ${submissionCount} submissions at once (${(zip.length / 2 ** 20).toFixed(1)} MiB each)`);
    const uploadStarted = performance.now();
    const submitted = await Promise.all(students.slice(0, submissionCount).map(async (student) => {
      const response = await fetch(`${address}/api/submissions?lab=${lab.id}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${student.token}` }, body: new Blob([zip as Uint8Array<ArrayBuffer>]) });
      if (response.status !== 202) throw new Error(`submission: ${response.status} ${await response.text()}`);
      return { token: student.token, id: ((await response.json()) as { submissionId: string }).submissionId };
    }));
    await Promise.all(submitted.map(async ({ token, id }) => {
      for (;;) {
        const status = await call<{ status: string; error?: string; verified?: Record<string, { passed: number; total: number }> }>('GET', `/api/submissions/${id}`, undefined, token);
        if (status.status === 'done') {
          if (status.verified?.[step.id]?.passed !== step.checks.length) throw new Error(`submission ${id} did not verify step 1`);
          return;
        }
        if (status.status === 'failed' || status.status === 'superseded') throw new Error(`submission ${id}: ${status.status} ${status.error ?? ''}`);
        await sleep(500);
      }
    }));
    const gradingSeconds = (performance.now() - uploadStarted) / 1000;
    return {
      ...reportFigures,
      submissions: submissionCount, zipBytes: zip.length, gradingSeconds, gradingsPerMinute: submissionCount / (gradingSeconds / 60),
      serverMaxRssBytes, databaseBytesPerStudent: (await room.store.sizeBytes()) / studentCount,
    };
  } finally {
    clearInterval(sampler);
    stopStream.abort();
    await room.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
