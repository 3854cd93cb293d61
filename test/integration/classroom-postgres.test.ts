// The class server's suite (test/unit/classroom/suite.ts) on a real PostgreSQL: a private
// server from Debian's postgresql package, on a Unix socket in a temporary folder
// (scripts/postgres.sh). Boots no VMs. When PostgreSQL cannot start, this fails; it never skips.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGrader } from '../../src/classroom/queue.js';
import { openClassroom } from '../../src/classroom/server.js';
import { CATALOG, classroomSuite, gradeZip, readSubmission, submissionZip } from '../unit/classroom/suite.js';

const script = fileURLToPath(new URL('../../scripts/postgres.sh', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'podwire-pg-'));
const dataDir = mkdtempSync(join(tmpdir(), 'podwire-classroom-pg-'));
let databaseUrl = '';

beforeAll(() => {
  try {
    databaseUrl = execFileSync('bash', [script, 'start', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    throw new Error(`PostgreSQL did not start (scripts/postgres.sh start ${dir}): ${(error as { stderr?: string }).stderr ?? (error as Error).message}`);
  }
}, 120_000);

afterAll(() => {
  try { execFileSync('bash', [script, 'stop', dir], { stdio: 'ignore' }); } catch { /* not started */ }
  rmSync(dir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

classroomSuite({ name: 'PostgreSQL', config: () => ({ dataDir, databaseUrl }) });

describe('two class servers on one PostgreSQL', () => {
  it('tell each other about changes (LISTEN/NOTIFY): a report to one reaches the instructor on the other', async () => {
    const options = { dataDir, databaseUrl, catalog: CATALOG, site: false } as const;
    const [a, b] = [await openClassroom(options), await openClassroom(options)];
    try {
      const created = await a.app.inject({ method: 'POST', url: '/api/classes', payload: { name: 'Two servers', labs: ['demo'] } });
      const cls = created.json<{ classId: string; joinCode: string; instructorSecret: string }>();
      const joined = (await b.app.inject({ method: 'POST', url: '/api/join', payload: { joinCode: cls.joinCode, displayName: 'Ada' } })).json<{ token: string; studentId: string }>();
      const address = await a.app.listen({ port: 0, host: '127.0.0.1' });
      const stop = new AbortController();
      const response = await fetch(`${address}/api/classes/${cls.classId}/events`, { headers: { authorization: `Bearer ${cls.instructorSecret}` }, signal: stop.signal });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      await reader.read();
      const report = { id: crypto.randomUUID(), lab: 'demo', stepIndex: 0, stepId: 'one', at: Date.now(), passed: 1, total: 1, results: [{ id: 'x', passed: true }], hintsShown: 0, timeOnStepMs: 1 };
      const sent = Date.now();
      expect((await b.app.inject({ method: 'POST', url: '/api/reports', headers: { authorization: `Bearer ${joined.token}` }, payload: report })).statusCode).toBe(201);
      let text = '';
      while (!text.includes('event: student')) text += (await reader.read()).value ?? '';
      while (!text.endsWith('\n\n')) text += (await reader.read()).value ?? '';
      expect(Date.now() - sent).toBeLessThan(2000);
      expect(text).toContain(`"studentId":"${joined.studentId}"`);
      stop.abort();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('leave grading to a separate grader (podwire grader) when the server runs none', async () => {
    const server = await openClassroom({ dataDir, databaseUrl, catalog: CATALOG, site: false, graders: 0, grader: { read: readSubmission, grade: gradeZip } });
    const grader = await runGrader(databaseUrl, gradeZip, 1);
    try {
      const cls = (await server.app.inject({ method: 'POST', url: '/api/classes', payload: { name: 'Remote grading', labs: ['demo'] } })).json<{ joinCode: string }>();
      const { token } = (await server.app.inject({ method: 'POST', url: '/api/join', payload: { joinCode: cls.joinCode, displayName: 'Ada' } })).json<{ token: string }>();
      const auth = { authorization: `Bearer ${token}` };
      const submitted = await server.app.inject({ method: 'POST', url: '/api/submissions?lab=demo', headers: { ...auth, 'content-type': 'application/octet-stream' }, payload: Buffer.from(submissionZip({ facts: { 'one-a': true } })) });
      expect(submitted.statusCode).toBe(202);
      const url = `/api/submissions/${submitted.json<{ submissionId: string }>().submissionId}`;
      let status = '';
      for (const started = Date.now(); status !== 'done' && Date.now() - started < 30_000;) {
        status = (await server.app.inject({ method: 'GET', url, headers: auth })).json<{ status: string }>().status;
        if (status !== 'done') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await server.app.inject({ method: 'GET', url, headers: auth })).json()).toMatchObject({ status: 'done', verified: { one: { passed: 1, total: 2 } } });
    } finally {
      await grader.close();
      await server.close();
    }
  });
});
