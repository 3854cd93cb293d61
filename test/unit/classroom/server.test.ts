// The class server on its default store, SQLite, in a temporary data folder. The same suite
// runs on PostgreSQL in test/integration/classroom-postgres.test.ts.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/classroom/db/store.js';
import { localEvents } from '../../../src/classroom/events.js';
import { buildClassServer } from '../../../src/classroom/server.js';
import { ISOLATION_HEADERS, SECURITY_HEADERS } from '../../../src/cli/static-server.js';
import { CATALOG, classroomSuite } from './suite.js';

const dataDir = mkdtempSync(join(tmpdir(), 'podwire-classroom-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

classroomSuite({ name: 'SQLite', config: () => ({ dataDir }) });

describe('the SQLite file', () => {
  it('gives the space of graded uploads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwire-classroom-space-'));
    try {
      const store = await openStore({ sqliteFile: join(dir, 'classroom.sqlite') });
      await store.createClass({ classId: 'c'.repeat(16), name: 'C', labs: ['demo'], joinCodeHash: 'j', secretHash: 's', createdAt: 0 });
      await store.addStudent({ studentId: 's'.repeat(16), classId: 'c'.repeat(16), displayName: 'A', tokenHash: 't', joinedAt: 0 });
      const empty = await store.sizeBytes();
      await store.addSubmission({ submissionId: 'x', classId: 'c'.repeat(16), studentId: 's'.repeat(16), lab: 'demo', upload: randomBytes(4 << 20), claimed: {}, at: 1 });
      expect(await store.sizeBytes()).toBeGreaterThan(empty + (4 << 20));
      expect(await store.startGrading('x', 2)).toBe(true);
      await store.finishGrading('x', { verified: {}, mismatches: [] }, 3);
      await store.reclaimSpace();
      expect(await store.sizeBytes()).toBeLessThan(empty + (256 << 10));
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the class server, configured', () => {
  it('serves the site with the security headers, guards class creation with the admin token, and answers unknown API paths in JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwire-classroom-site-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>podwire</title>');
    const store = await openStore({ sqliteFile: join(dir, 'classroom.sqlite') });
    const app = await buildClassServer({ store, events: localEvents(), catalog: CATALOG, site: dir, adminToken: 'the-admin-token-1' });
    try {
      const page = await app.inject({ method: 'GET', url: '/' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<title>podwire</title>');
      expect(page.headers).toMatchObject({ ...SECURITY_HEADERS, ...ISOLATION_HEADERS });
      const create = (token?: string) => app.inject({ method: 'POST', url: '/api/classes', headers: token ? { authorization: `Bearer ${token}` } : {}, payload: { name: 'C', labs: ['demo'] } });
      expect((await create()).statusCode).toBe(401);
      expect((await create('not-the-admin-token')).json()).toEqual({ error: 'the admin token is wrong' });
      expect((await create('the-admin-token-1')).statusCode).toBe(201);
      const unknown = await app.inject({ method: 'GET', url: '/api/nothing-here' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toEqual({ error: 'no such address: GET /api/nothing-here' });
      expect(unknown.headers).toMatchObject({ ...SECURITY_HEADERS, 'cache-control': 'no-store' });
      const submit = await app.inject({ method: 'POST', url: '/api/submissions?lab=demo', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from([1]) });
      expect(submit.statusCode).toBe(401);
    } finally {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
