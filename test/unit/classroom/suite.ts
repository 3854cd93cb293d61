// The class server's tests, written once and run against both stores: SQLite in a temporary
// folder (test/unit/classroom/server.test.ts) and a private PostgreSQL
// (test/integration/classroom-postgres.test.ts). Requests go through fastify.inject, the
// live events through a real socket. The grader here is a small real function over real
// zips: a node's "state" is gzipped JSON saying which checks pass.
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser } from 'fast-xml-parser';
import { gunzipSync, gzipSync, strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabCatalog } from '../../../src/classroom/db/progress.js';
import { ClassView, type CheckReport, type CreateClassResponse, type JoinResponse, type StepScore, type SubmissionStatus } from '../../../src/classroom/protocol.js';
import { SubmissionManifestSchema } from '../../../src/classroom/grading/bundle.js';
import type { GradeJob } from '../../../src/classroom/queue.js';
import { openClassroom, type Classroom, type ClassroomConfig, type ReadSubmission } from '../../../src/classroom/server.js';

export const CATALOG: LabCatalog = new Map([
  ['demo', { id: 'demo', title: 'Demo', steps: [{ id: 'one', title: 'One' }, { id: 'two', title: 'Two' }, { id: 'three', title: 'Three' }] }],
  ['other', { id: 'other', title: 'Other', steps: [{ id: 'only', title: 'Only' }] }],
]);

const SNAPSHOT_KEY = 'test-snapshot-1';

/** The grader's readSubmission in miniature: a zip with a valid manifest and states made by this image. */
export const readSubmission: ReadSubmission = (zip) => {
  let files: Record<string, Uint8Array>;
  try { files = unzipSync(zip); } catch { throw new Error('the upload is not a zip file'); }
  const manifestFile = files['manifest.json'];
  if (!manifestFile) throw new Error('the zip has no manifest.json');
  let json: unknown;
  try { json = JSON.parse(strFromU8(manifestFile)); } catch { throw new Error('manifest.json is not JSON'); }
  const manifest = v.parse(SubmissionManifestSchema, json);
  if (manifest.snapshotKey !== SNAPSHOT_KEY) throw new Error(`these states were made by another image or v86 version (${manifest.snapshotKey}), not this server's (${SNAPSHOT_KEY})`);
  if (!Object.keys(files).some((name) => name.startsWith('states/'))) throw new Error('the zip has no node states');
  return { manifest };
};

/** What "the cluster" really shows: each state file is gzipped JSON {checkId: passed}. */
export async function gradeZip(job: GradeJob): Promise<Record<string, StepScore>> {
  const files = unzipSync(job.upload);
  const facts: Record<string, boolean> = {};
  const states = Object.entries(files).filter(([name]) => name.startsWith('states/'));
  for (const [i, [, data]] of states.entries()) {
    Object.assign(facts, JSON.parse(strFromU8(gunzipSync(data))) as Record<string, boolean>);
    job.onProgress(i + 1, states.length);
  }
  const lab = CATALOG.get(job.lab)!;
  return Object.fromEntries(lab.steps.map((step) => {
    const results = [`${step.id}-a`, `${step.id}-b`].map((id) => ({ id, passed: facts[id] === true }));
    return [step.id, { passed: results.filter((r) => r.passed).length, total: results.length, results }];
  }));
}

export function submissionZip(options: { lab?: string; snapshotKey?: string; claimed?: Record<string, StepScore>; facts?: Record<string, boolean> } = {}): Uint8Array {
  const manifest = { lab: options.lab ?? 'demo', snapshotKey: options.snapshotKey ?? SNAPSHOT_KEY, savedAt: Date.now(), claimed: options.claimed ?? {} };
  return zipSync({ 'manifest.json': strToU8(JSON.stringify(manifest)), 'states/node1.gz': gzipSync(strToU8(JSON.stringify(options.facts ?? {}))) });
}

/** A grader that waits for the test to let it go, to hold the queue busy. */
class Gate {
  private waiting: (() => void)[] = [];
  closed = false;
  async pass(signal: AbortSignal): Promise<void> {
    if (!this.closed) return;
    await new Promise<void>((resolve, reject) => {
      this.waiting.push(resolve);
      signal.addEventListener('abort', () => reject(new Error('grading stopped')), { once: true });
    });
  }
  open(): void { this.closed = false; for (const go of this.waiting.splice(0)) go(); }
}

export interface Backend {
  name: string;
  /** A fresh configuration, pointing at the same data on every call. */
  config(): Pick<ClassroomConfig, 'dataDir' | 'databaseUrl'>;
}

export function classroomSuite(backend: Backend): void {
  describe(`class server on ${backend.name}`, () => {
    let room: Classroom;
    const gate = new Gate();
    const open = () => openClassroom({
      ...backend.config(), catalog: CATALOG, site: false, graders: 1, submissionsPerMinute: 5, maxSubmissionBytes: 256 * 1024,
      grader: { read: readSubmission, grade: async (job) => { await gate.pass(job.signal); return gradeZip(job); } },
    });
    beforeAll(async () => { room = await open(); });
    afterAll(async () => { gate.open(); await room?.close(); });

    const call = async <T = Record<string, unknown>>(method: 'GET' | 'POST', url: string, body?: unknown, token?: string, headers: Record<string, string> = {}) => {
      const response = await room.app.inject({
        method, url,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array) ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body === undefined ? {} : { payload: body instanceof Uint8Array ? Buffer.from(body) : typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: response.statusCode, body: (response.headers['content-type']?.includes('json') ? response.json() : response.body) as T, headers: response.headers };
    };
    const createClass = async (labs = ['demo']) => {
      const r = await call<CreateClassResponse>('POST', '/api/classes', { name: 'Networking 101', labs, deadline: '2030-01-01T12:00:00Z' });
      expect(r.status).toBe(201);
      return r.body;
    };
    const join = async (joinCode: string, displayName: string) => {
      const r = await call<JoinResponse>('POST', '/api/join', { joinCode, displayName });
      expect(r.status).toBe(201);
      return r.body;
    };
    const report = (stepId: string, passed: number, extra: Partial<CheckReport> = {}): CheckReport => ({
      id: crypto.randomUUID(), lab: 'demo', stepIndex: ['one', 'two', 'three'].indexOf(stepId), stepId, at: Date.now(), passed, total: 2,
      results: [{ id: `${stepId}-a`, passed: passed >= 1 }, { id: `${stepId}-b`, passed: passed >= 2, ...(passed < 2 ? { message: 'route missing' } : {}) }],
      hintsShown: 1, timeOnStepMs: 30_000, ...extra,
    });
    const view = async (cls: CreateClassResponse) => {
      const r = await call('GET', `/api/classes/${cls.classId}`, undefined, cls.instructorSecret);
      expect(r.status).toBe(200);
      return v.parse(ClassView, r.body);
    };

    it('creates a class with a join link and a secret instructor link, and lets students join', async () => {
      const cls = await createClass();
      expect(cls.classId).toMatch(/^[A-Za-z0-9_-]{16,}$/);
      expect(cls.joinCode.length).toBeGreaterThanOrEqual(10);
      expect(cls.joinPath).toBe(`#/join/${cls.joinCode}`);
      expect(cls.instructorPath).toBe(`#/teach/${cls.classId}/${cls.instructorSecret}`);
      const ada = await join(cls.joinCode, '  Ada  ');
      expect(ada.seed).toBe(`${cls.classId}:${ada.studentId}`);
      expect(ada.labs).toEqual(['demo']);
      const me = await call('GET', '/api/me', undefined, ada.token);
      expect(me.body).toMatchObject({ studentId: ada.studentId, displayName: 'Ada', className: 'Networking 101', deadline: '2030-01-01T12:00:00Z', seed: ada.seed });
      const grid = await view(cls);
      expect(grid.class).toMatchObject({ classId: cls.classId, name: 'Networking 101', labs: ['demo'] });
      expect(grid.students.map((s) => s.displayName)).toEqual(['Ada']);
      expect(grid.students[0]!.labs.demo).toEqual({ steps: {}, stuck: false });
      // Secrets are stored as hashes only.
      const rows = await room.store.db.all<Record<string, unknown>>('SELECT * FROM classes WHERE id = ?', [cls.classId]);
      expect(JSON.stringify(rows)).not.toContain(cls.instructorSecret);
      expect(JSON.stringify(rows)).not.toContain(cls.joinCode);
    });

    it('stores each check report once, and shows attempts, passes and who is stuck', async () => {
      const cls = await createClass();
      const ada = await join(cls.joinCode, 'Ada');
      const bob = await join(cls.joinCode, 'Bob');
      const first = report('one', 1);
      expect(await call('POST', '/api/reports', first, ada.token)).toMatchObject({ status: 201, body: { stored: true } });
      expect(await call('POST', '/api/reports', first, ada.token)).toMatchObject({ status: 200, body: { stored: false } });
      // Another student may send the same report id: it is his own record.
      expect(await call('POST', '/api/reports', { ...first, passed: 0 }, bob.token)).toMatchObject({ status: 201 });
      expect((await call('POST', '/api/reports', report('one', 2), ada.token)).status).toBe(201);
      for (let i = 0; i < 3; i++) expect((await call('POST', '/api/reports', report('one', 0), bob.token)).status).toBe(201);
      const grid = await view(cls);
      const [a, b] = grid.students;
      expect(a!.labs.demo!.steps.one).toMatchObject({ status: 'passed', attempts: 2, failures: 1, hintsShown: 1 });
      expect(a!.labs.demo!.currentStepId).toBe('two');
      expect(a!.labs.demo!.stuck).toBe(false);
      expect(b!.labs.demo!.steps.one).toMatchObject({ status: 'attempted', attempts: 4, failures: 4 });
      expect(b!.labs.demo).toMatchObject({ currentStepId: 'one', stuck: true });
      expect(b!.labs.demo!.stuckReason).toMatch(/failed attempts/);
      const last = await call<CheckReport>('GET', `/api/classes/${cls.classId}/students/${ada.studentId}/reports/last?lab=demo&stepId=one`, undefined, cls.instructorSecret);
      expect(last.status).toBe(200);
      expect(last.body).toMatchObject({ stepId: 'one', passed: 2, total: 2 });
      expect((await call('GET', `/api/classes/${cls.classId}/students/${ada.studentId}/reports/last?lab=demo&stepId=three`, undefined, cls.instructorSecret)).status).toBe(404);
    });

    it('sends a changed student row to the instructor over SSE', async () => {
      const cls = await createClass();
      const ada = await join(cls.joinCode, 'Ada');
      const address = await room.app.listen({ port: 0, host: '127.0.0.1' });
      const stop = new AbortController();
      try {
        const response = await fetch(`${address}/api/classes/${cls.classId}/events`, { headers: { authorization: `Bearer ${cls.instructorSecret}` }, signal: stop.signal });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        expect((await reader.read()).value).toContain(': connected');
        const sent = Date.now();
        expect((await call('POST', '/api/reports', report('one', 2), ada.token)).status).toBe(201);
        let text = '';
        while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
        const elapsed = Date.now() - sent;
        const [event, data] = text.trim().split('\n');
        expect(event).toBe('event: student');
        const row = JSON.parse(data!.replace(/^data: /, '')) as { studentId: string; labs: Record<string, { steps: Record<string, { status: string }> }> };
        expect(row.studentId).toBe(ada.studentId);
        expect(row.labs.demo!.steps.one!.status).toBe('passed');
        expect(elapsed).toBeLessThan(2000);
      } finally {
        stop.abort();
      }
      // A wrong secret gets no stream.
      expect((await call('GET', `/api/classes/${cls.classId}/events`, undefined, 'x'.repeat(43))).status).toBe(403);
    });

    it('exports CSV, JSON and JUnit XML that parse back to the class results', async () => {
      const cls = await createClass(['demo', 'other']);
      const ada = await join(cls.joinCode, 'Ada, "the first"');
      const bob = await join(cls.joinCode, 'Bob <b>');
      await call('POST', '/api/reports', report('one', 2, { timeOnStepMs: 120_000 }), ada.token);
      await call('POST', '/api/reports', report('one', 1), bob.token);
      const csv = await call<string>('GET', `/api/classes/${cls.classId}/export.csv`, undefined, cls.instructorSecret);
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      const rows = parseCsv(csv.body, { columns: true }) as Record<string, string>[];
      expect(rows.map((r) => r.student)).toEqual(['Ada, "the first"', 'Bob <b>']);
      expect(rows[0]).toMatchObject({ 'demo/one self-reported': '1', 'demo/one verified': '', 'demo/two self-reported': '', 'demo minutes': '2', 'self-reported total': '1' });
      expect(rows[1]).toMatchObject({ 'demo/one self-reported': '0.5', 'other/only self-reported': '' });
      const json = await call<{ students: { displayName: string; labs: Record<string, { steps: Record<string, { selfReported: { passed: boolean } | null }> }> }[] }>(
        'GET', `/api/classes/${cls.classId}/export.json`, undefined, cls.instructorSecret);
      expect(json.body.students[0]!.labs.demo!.steps.one!.selfReported!.passed).toBe(true);
      expect(json.body.students[1]!.labs.demo!.steps.two!.selfReported).toBeNull();
      const xml = await call<string>('GET', `/api/classes/${cls.classId}/export.xml`, undefined, cls.instructorSecret);
      const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml.body) as {
        testsuites: { tests: string; failures: string; testsuite: { name: string; testcase: { name: string; failure?: { message: string } }[] | { name: string } }[] };
      };
      expect(junit.testsuites.tests).toBe('8');
      expect(junit.testsuites.failures).toBe('7');
      expect(junit.testsuites.testsuite.map((s) => s.name)).toEqual(['Ada, "the first": demo', 'Ada, "the first": other', 'Bob <b>: demo', 'Bob <b>: other']);
      const adaDemo = junit.testsuites.testsuite[0]!.testcase as { name: string; failure?: unknown }[];
      expect(adaDemo.map((c) => [c.name, !!c.failure])).toEqual([['one', false], ['two', true], ['three', true]]);
      expect((await call('GET', `/api/classes/${cls.classId}/export.pdf`, undefined, cls.instructorSecret)).status).toBe(404);
      expect((await call('GET', `/api/classes/${cls.classId}/export.csv`)).status).toBe(401);
    });

    it('refuses bad input with a clear 4xx and changes nothing', async () => {
      const cls = await createClass();
      const ada = await join(cls.joinCode, 'Ada');
      const bob = await join(cls.joinCode, 'Bob');
      await call('POST', '/api/reports', report('one', 1), ada.token);
      const before = await view(cls);
      const exported = async () => { const { exportedAt: _, ...rest } = (await call<{ exportedAt: string }>('GET', `/api/classes/${cls.classId}/export.json`, undefined, cls.instructorSecret)).body; return rest; };
      const beforeExport = await exported();
      const refusals: [string, Promise<{ status: number; body: unknown }>, number, RegExp][] = [
        ['malformed JSON', call('POST', '/api/reports', '{"id": ', ada.token, { 'content-type': 'application/json' }), 400, /not valid JSON/],
        ['empty body', call('POST', '/api/reports', '', ada.token, { 'content-type': 'application/json' }), 400, /empty/],
        ['wrong type', call('POST', '/api/reports', { ...report('one', 2), passed: 'yes' }, ada.token), 400, /passed/],
        ['passed > total', call('POST', '/api/reports', report('one', 3), ada.token), 400, /exceed/],
        ['unknown step', call('POST', '/api/reports', report('nine', 2, { stepIndex: 8 }), ada.token), 400, /no step 'nine'/],
        ['lab not in the class', call('POST', '/api/reports', { ...report('one', 2), lab: 'other', stepId: 'only' }, ada.token), 400, /not part of this class/],
        ['writing another student\'s record', call('POST', '/api/reports', { ...report('one', 2), studentId: bob.studentId }, ada.token), 400, /studentId/],
        ['no token', call('POST', '/api/reports', report('one', 2)), 401, /student token/],
        ['a made-up token', call('POST', '/api/reports', report('one', 2), 'A'.repeat(43)), 401, /unknown/],
        ['oversized body', call('POST', '/api/reports', { ...report('one', 2), results: [{ id: 'x', passed: true, message: 'y'.repeat(70_000) }] }, ada.token), 413, /larger than/],
        ['not JSON at all', call('POST', '/api/reports', 'hello', ada.token, { 'content-type': 'text/plain' }), 415, /Content-Type/],
        ['prototype pollution', call('POST', '/api/reports', '{"__proto__": {"admin": true}}', ada.token, { 'content-type': 'application/json' }), 400, /./],
        ['wrong instructor secret', call('GET', `/api/classes/${cls.classId}`, undefined, 'B'.repeat(43)), 403, /wrong/],
        ['student token as instructor secret', call('GET', `/api/classes/${cls.classId}`, undefined, ada.token), 403, /wrong/],
        ['no instructor secret', call('GET', `/api/classes/${cls.classId}`), 401, /instructor secret/],
        ['unknown class', call('GET', '/api/classes/nosuchclass00000', undefined, cls.instructorSecret), 404, /no class/],
        ['unknown join code', call('POST', '/api/join', { joinCode: 'nosuchcode0', displayName: 'Eve' }), 404, /join code/],
        ['empty display name', call('POST', '/api/join', { joinCode: cls.joinCode, displayName: '   ' }), 400, /empty/],
        ['class with an unknown lab', call('POST', '/api/classes', { name: 'X', labs: ['nope'] }), 400, /unknown lab 'nope'/],
        ['class with a bad deadline', call('POST', '/api/classes', { name: 'X', labs: ['demo'], deadline: 'friday' }), 400, /ISO-8601/],
        ['garbage submission', call('POST', '/api/submissions?lab=demo', new Uint8Array([1, 2, 3, 4]), ada.token, { 'content-type': 'application/octet-stream' }), 400, /not a zip/],
        ['foreign submission', call('POST', '/api/submissions?lab=demo', submissionZip({ snapshotKey: 'other-image-7' }), ada.token, { 'content-type': 'application/octet-stream' }), 400, /another image or v86 version/],
        ['submission for another lab', call('POST', '/api/submissions?lab=demo', submissionZip({ lab: 'other' }), ada.token, { 'content-type': 'application/octet-stream' }), 400, /not 'demo'/],
        ['oversized upload', call('POST', '/api/submissions?lab=demo', new Uint8Array(300 * 1024), bob.token, { 'content-type': 'application/octet-stream' }), 413, /larger than this server accepts here \(262144 bytes\)/],
        ['upload as JSON', call('POST', '/api/submissions?lab=demo', { zip: 'x' }, bob.token), 415, /application\/octet-stream/],
        ['submission without a lab', call('POST', '/api/submissions', submissionZip(), ada.token, { 'content-type': 'application/octet-stream' }), 400, /which lab/],
        ['another student\'s report', call('GET', `/api/classes/${cls.classId}/students/${ada.studentId}/reports/last?lab=demo&stepId=one`, undefined, bob.token), 403, /wrong/],
        ['unknown submission', call('GET', '/api/submissions/nosuchsubmission', undefined, ada.token), 404, /no submission/],
      ];
      for (const [what, request, status, message] of refusals) {
        const r = await request;
        expect({ what, status: r.status }).toEqual({ what, status });
        expect(typeof (r.body as { error?: unknown }).error, what).toBe('string');
        expect((r.body as { error: string }).error, what).toMatch(message);
      }
      expect(await view(cls)).toEqual(before);
      expect(await exported()).toEqual(beforeExport);
      const stored = await room.store.db.all<{ n: number }>('SELECT COUNT(*) AS n FROM submissions WHERE class_id = ?', [cls.classId]);
      expect(Number(stored[0]!.n)).toBe(0);
    });

    it('grades a submission, keeps verified next to self-reported, flags a forged claim, and lets a newer submission supersede a queued one', async () => {
      const cls = await createClass();
      const ada = await join(cls.joinCode, 'Ada');
      const bob = await join(cls.joinCode, 'Bob');
      // Ada claims step one fully, but her cluster only shows one-a.
      await call('POST', '/api/reports', report('one', 2), ada.token);
      const forged = { one: { passed: 2, total: 2, results: [{ id: 'one-a', passed: true }, { id: 'one-b', passed: true }] } };
      gate.closed = true;
      const submit = (token: string, facts: Record<string, boolean>) =>
        call<{ submissionId: string; position: number }>('POST', '/api/submissions?lab=demo', submissionZip({ claimed: forged, facts }), token, { 'content-type': 'application/octet-stream' });
      const busy = await submit(bob.token, { 'one-a': true, 'one-b': true });
      expect(busy.status).toBe(202);
      const older = await submit(ada.token, { 'one-a': true });
      const newer = await submit(ada.token, { 'one-a': true });
      expect(newer.status).toBe(202);
      const status = async (id: string, token = ada.token) => (await call<SubmissionStatus>('GET', `/api/submissions/${id}`, undefined, token)).body;
      expect((await status(older.body.submissionId)).status).toBe('superseded');
      expect(await status(newer.body.submissionId)).toMatchObject({ status: 'queued' });
      expect((await status(newer.body.submissionId)).position).toBeGreaterThanOrEqual(1);
      // Bob may not read Ada's submission; the instructor may.
      expect((await call('GET', `/api/submissions/${newer.body.submissionId}`, undefined, bob.token)).status).toBe(403);
      gate.open();
      await room.queue!.idle();
      const graded = await status(newer.body.submissionId, cls.instructorSecret);
      expect(graded.status).toBe('done');
      expect(graded.verified!.one).toMatchObject({ passed: 1, total: 2 });
      expect(graded.mismatches).toEqual([{ stepId: 'one', id: 'one-b' }]);
      expect((await status(older.body.submissionId)).status).toBe('superseded');
      const grid = await view(cls);
      // Ada's self-reported pass stays, and is not verified; Bob's step one is verified.
      expect(grid.students[0]!.labs.demo!.steps.one!.status).toBe('passed');
      expect(grid.students[1]!.labs.demo!.steps.one!.status).toBe('verified');
      const rows = parseCsv((await call<string>('GET', `/api/classes/${cls.classId}/export.csv`, undefined, cls.instructorSecret)).body, { columns: true }) as Record<string, string>[];
      expect(rows[0]).toMatchObject({ 'demo/one self-reported': '1', 'demo/one verified': '0.5', 'demo mismatches': 'one:one-b' });
      expect(rows[1]).toMatchObject({ 'demo/one verified': '1' });
    });

    it('rate-limits submissions per student', async () => {
      const cls = await createClass();
      const eve = await join(cls.joinCode, 'Eve');
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) codes.push((await call('POST', '/api/submissions?lab=demo', new Uint8Array([0]), eve.token, { 'content-type': 'application/octet-stream' })).status);
      expect(codes).toEqual([400, 400, 400, 400, 400, 429]);
      await room.queue!.idle();
    });

    it('loses nothing across a server restart, and grades what was queued', async () => {
      const cls = await createClass();
      const ada = await join(cls.joinCode, 'Ada');
      const sentBefore = report('one', 2);
      await call('POST', '/api/reports', sentBefore, ada.token);
      await call('POST', '/api/reports', report('two', 0), ada.token);
      gate.closed = true;
      const queued = await call<{ submissionId: string }>('POST', '/api/submissions?lab=demo', submissionZip({ facts: { 'one-a': true, 'one-b': true } }), ada.token, { 'content-type': 'application/octet-stream' });
      expect(queued.status).toBe(202);
      const before = await view(cls);
      await room.close();
      gate.open();
      room = await open();
      await room.queue!.idle();
      // Everything is still there; the submission left queued is graded now, so step one is verified.
      const expected = structuredClone(before);
      expected.students[0]!.labs.demo!.steps.one!.status = 'verified';
      expect(await view(cls)).toEqual(expected);
      // The student's token and the report ids still hold.
      expect((await call('GET', '/api/me', undefined, ada.token)).status).toBe(200);
      expect(await call('POST', '/api/reports', sentBefore, ada.token)).toMatchObject({ status: 200, body: { stored: false } });
      const graded = (await call<SubmissionStatus>('GET', `/api/submissions/${queued.body.submissionId}`, undefined, ada.token)).body;
      expect(graded).toMatchObject({ status: 'done', verified: { one: { passed: 2, total: 2 } } });
      expect((await view(cls)).students[0]!.labs.demo!.steps.one!.status).toBe('verified');
    });
  });
}
