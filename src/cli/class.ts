// podwire class create|export: the instructor's side of the class server, from a shell, on
// the same database the server uses (the SQLite file in the data folder, or DATABASE_URL).
// The instructor secret is read from PODWIRE_INSTRUCTOR_SECRET or a file, never from an
// argument, which any user of the machine could see in the process list.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { openStore } from '../classroom/db/store.js';
import { exportClass, type ExportFormat } from '../classroom/exports.js';
import { CreateClassRequest, describeIssues } from '../classroom/protocol.js';
import { graderCount, loadGrader, runGrader } from '../classroom/queue.js';
import { matchesHash } from '../classroom/secrets.js';
import { HttpError, catalogOf, createClass, dataFolder, sqliteFile } from '../classroom/server.js';
import { loadLabs } from '../lab/load.js';

const CLASS_USAGE = `usage:
  podwire class create --name NAME --labs LAB,LAB... [--deadline 2026-12-24T18:00:00Z] [--origin URL]
  podwire class export CLASS_ID --format csv|json|junit [--secret-file FILE]

  The class database is the one \`npm run classroom\` uses: DATABASE_URL when set, else
  classroom.sqlite in PODWIRE_DATA (default ~/.local/share/podwire/classroom).
  export reads the instructor secret from PODWIRE_INSTRUCTOR_SECRET or --secret-file.`;

class ClassUsageError extends Error {}

function secretFrom(file: string | undefined): string {
  if (file) {
    try { return readFileSync(file, 'utf8').trim(); } catch (error) { throw new ClassUsageError(`--secret-file ${file}: ${(error as Error).message}`); }
  }
  const secret = process.env.PODWIRE_INSTRUCTOR_SECRET?.trim();
  if (!secret) throw new ClassUsageError('export needs the instructor secret: set PODWIRE_INSTRUCTOR_SECRET or give --secret-file FILE');
  return secret;
}

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: { name: { type: 'string' }, labs: { type: 'string' }, deadline: { type: 'string' }, origin: { type: 'string' }, format: { type: 'string' }, 'secret-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [action, ...rest] = positionals;
  if (values.help) { process.stdout.write(`${CLASS_USAGE}\n`); return 0; }
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const open = () => openStore({ ...(databaseUrl ? { databaseUrl } : {}), sqliteFile: sqliteFile(dataFolder()) });
  if (action === 'create') {
    if (rest.length) throw new ClassUsageError(`unexpected argument '${rest[0]}'`);
    const parsed = v.safeParse(CreateClassRequest, {
      name: values.name, labs: values.labs?.split(',').map((l) => l.trim()).filter(Boolean), ...(values.deadline ? { deadline: values.deadline } : {}),
    });
    if (!parsed.success) throw new ClassUsageError(describeIssues(parsed.issues));
    const store = await open();
    try {
      const created = await createClass(store, catalogOf(loadLabs()), parsed.output, Date.now());
      const origin = (values.origin ?? `http://127.0.0.1:${process.env.PORT ?? 5180}`).replace(/\/+$/, '');
      process.stdout.write([
        `class:            ${parsed.output.name} (${created.classId})`,
        `join link:        ${origin}/${created.joinPath}`,
        `instructor link:  ${origin}/${created.instructorPath}`,
        `instructor secret: ${created.instructorSecret}`,
        'Keep the instructor link and secret to yourself: the server stores only their hash and cannot show them again.',
        '',
      ].join('\n'));
    } finally {
      await store.close();
    }
    return 0;
  }
  if (action === 'export') {
    const [classId, ...extra] = rest;
    if (!classId) throw new ClassUsageError('export needs a class id');
    if (extra.length) throw new ClassUsageError(`unexpected argument '${extra[0]}'`);
    const format = values.format ?? 'csv';
    if (!['csv', 'json', 'junit'].includes(format)) throw new ClassUsageError(`--format takes csv, json or junit, not '${format}'`);
    const secret = secretFrom(values['secret-file']);
    const store = await open();
    try {
      const cls = await store.classById(classId);
      if (!cls) throw new ClassUsageError(`there is no class '${classId}' in ${store.location}`);
      if (!matchesHash(secret, cls.secretHash)) throw new ClassUsageError('the instructor secret is wrong for this class');
      process.stdout.write(await exportClass(store, cls, catalogOf(loadLabs()), format as ExportFormat));
    } finally {
      await store.close();
    }
    return 0;
  }
  throw new ClassUsageError(action ? `unknown class command '${action}'` : 'class needs a command: create or export');
}

/**
 * `podwire grader`: grades submissions for the class servers on DATABASE_URL, with
 * PODWIRE_GRADERS gradings at once, until Ctrl-C (or SIGTERM).
 */
export async function graderCommand(argv: string[]): Promise<number> {
  const databaseUrl = process.env.DATABASE_URL;
  if (argv.length || !databaseUrl) {
    process.stderr.write(`podwire: ${argv.length ? `unexpected argument '${argv[0]}'` : 'podwire grader needs DATABASE_URL (with SQLite, npm run classroom grades by itself)'}\n`);
    return 2;
  }
  try {
    const graders = graderCount();
    const grader = await runGrader(databaseUrl, loadGrader(loadLabs()).grade, graders);
    process.stderr.write(`podwire: grading for ${grader.store.location} with ${Math.max(1, graders)} grader(s); Ctrl-C stops.\n`);
    await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
    await grader.close();
    return 0;
  } catch (error) {
    process.stderr.write(`podwire: the grader could not start: ${(error as Error).message}\n`);
    return 3;
  }
}

/** Runs `podwire class ...`; returns the exit code (2 for bad usage, a wrong secret or an unknown class). */
export async function classCommand(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (error) {
    const usage = error instanceof ClassUsageError || error instanceof HttpError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`podwire: ${(error as Error).message}\n`);
    if (usage) { process.stderr.write(`${CLASS_USAGE}\n`); return 2; }
    return 3;
  }
}
