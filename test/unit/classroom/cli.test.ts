// podwire class create|export, in process, on a SQLite file in a temporary data folder: the
// export reads what the class server stored, and the secret never comes from an argument.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { classCommand } from '../../../src/cli/class.js';
import { catalogOf, openClassroom } from '../../../src/classroom/server.js';
import { loadLabs } from '../../../src/lab/load.js';

const dataDir = mkdtempSync(join(tmpdir(), 'podwire-class-cli-'));

async function podwireClass(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { out += String(chunk); return true; });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { err += String(chunk); return true; });
  const saved = { ...process.env };
  Object.assign(process.env, { PODWIRE_DATA: dataDir }, env);
  delete process.env.DATABASE_URL;
  try {
    return { code: await classCommand(args), out, err };
  } finally {
    process.env = saved;
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('podwire class', () => {
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates a class whose students the export then lists', async () => {
    const created = await podwireClass(['create', '--name', 'Evening class', '--labs', 'vxlan, fix-mtu', '--origin', 'https://class.example/']);
    expect(created.code).toBe(0);
    const classId = /\(([A-Za-z0-9_-]{16,})\)/.exec(created.out)![1]!;
    const secret = /instructor secret: (\S+)/.exec(created.out)![1]!;
    const joinCode = /join link: +https:\/\/class\.example\/#\/join\/(\S+)/.exec(created.out)![1]!;
    expect(created.out).toContain(`https://class.example/#/teach/${classId}/${secret}`);

    // A student joins through the server on the same data folder.
    const room = await openClassroom({ dataDir, catalog: catalogOf(loadLabs()), site: false });
    try {
      expect((await room.app.inject({ method: 'POST', url: '/api/join', payload: { joinCode, displayName: 'Grace' } })).statusCode).toBe(201);
    } finally {
      await room.close();
    }

    const csv = await podwireClass(['export', classId, '--format', 'csv'], { PODWIRE_INSTRUCTOR_SECRET: secret });
    expect(csv.code).toBe(0);
    const rows = parseCsv(csv.out, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.student)).toEqual(['Grace']);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['vxlan minutes', 'fix-mtu minutes', 'verified total']));

    const secretFile = join(dataDir, 'secret.txt');
    writeFileSync(secretFile, `${secret}\n`);
    const junit = await podwireClass(['export', classId, '--format', 'junit', '--secret-file', secretFile]);
    expect(junit.code).toBe(0);
    expect(junit.out).toMatch(/^<\?xml/);

    expect(await podwireClass(['export', classId, '--format', 'json'], { PODWIRE_INSTRUCTOR_SECRET: 'C'.repeat(43) })).toMatchObject({ code: 2, err: expect.stringContaining('secret is wrong') });
    expect(await podwireClass(['export', classId, '--format', 'json'])).toMatchObject({ code: 2, err: expect.stringContaining('PODWIRE_INSTRUCTOR_SECRET') });
    expect(await podwireClass(['export', classId, '--secret', secret])).toMatchObject({ code: 2 });
    expect(await podwireClass(['export', 'nosuchclass00000'], { PODWIRE_INSTRUCTOR_SECRET: secret })).toMatchObject({ code: 2, err: expect.stringContaining("no class 'nosuchclass00000'") });
  });

  it('refuses a class without labs, with an unknown one, or with one the page cannot run', async () => {
    expect(await podwireClass(['create', '--name', 'X'])).toMatchObject({ code: 2, err: expect.stringContaining('labs') });
    expect(await podwireClass(['create', '--name', 'X', '--labs', 'nope'])).toMatchObject({ code: 2, err: expect.stringContaining("unknown lab 'nope'") });
    // A submission does not carry a Kubernetes lab's API objects yet, so the grader could not grade one.
    expect(await podwireClass(['create', '--name', 'X', '--labs', 'vxlan,service-debug'])).toMatchObject({ code: 2, err: expect.stringContaining("lab 'service-debug' runs with the Kubernetes control plane, whose objects a class submission does not carry yet") });
    expect(await podwireClass(['create', '--name', 'X', '--labs', 'vxlan', '--deadline', 'soon'])).toMatchObject({ code: 2, err: expect.stringContaining('ISO-8601') });
  });
});
