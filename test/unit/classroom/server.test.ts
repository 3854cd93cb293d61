// The class server on its default store, SQLite, in a temporary data folder. The same suite
// runs on PostgreSQL in test/integration/classroom-postgres.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { classroomSuite } from './suite.js';

const dataDir = mkdtempSync(join(tmpdir(), 'podwire-classroom-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

classroomSuite({ name: 'SQLite', config: () => ({ dataDir }) });
