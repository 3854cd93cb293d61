// The class server on its default store, SQLite, in a temporary data folder. The same suite
// runs on PostgreSQL in test/integration/classroom-postgres.test.ts.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/classroom/db/store.js';
import { classroomSuite } from './suite.js';

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
