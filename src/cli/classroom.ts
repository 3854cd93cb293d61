// npm run classroom: the class server (issue 13). Builds the site if dist/ is missing, opens
// the class database (SQLite in the data folder, or PostgreSQL when DATABASE_URL is set),
// starts the graders and serves the site and the class API. PORT and HOST choose where it
// listens; PODWIRE_DATA the data folder; PODWIRE_GRADERS the number of graders;
// PODWIRE_MAX_SUBMISSION the upload cap in bytes; PODWIRE_ADMIN_TOKEN, when set, guards
// class creation.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadLabs } from '../lab/load.js';
import { loadGrader } from '../classroom/queue.js';
import { catalogOf, dataFolder, openClassroom, sqliteFile } from '../classroom/server.js';
import { distDir } from './static-server.js';

async function main(): Promise<void> {
  const log = (message: string) => process.stderr.write(`podwire: ${message}\n`);
  if (!existsSync(join(distDir, 'index.html'))) {
    log('building the site (dist/ is missing) ...');
    execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  }
  const labs = loadLabs();
  const dataDir = dataFolder();
  const databaseUrl = process.env.DATABASE_URL || undefined;
  let grader: ReturnType<typeof loadGrader> | undefined;
  try {
    grader = loadGrader(labs);
  } catch (error) {
    log(`submissions are off: the grader could not be loaded (${(error as Error).message})`);
  }
  const maxSubmission = Number(process.env.PODWIRE_MAX_SUBMISSION);
  const room = await openClassroom({
    dataDir, catalog: catalogOf(labs), logger: true,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(grader ? { grader } : {}),
    ...(Number.isInteger(maxSubmission) && maxSubmission > 0 ? { maxSubmissionBytes: maxSubmission } : {}),
    ...(process.env.PODWIRE_ADMIN_TOKEN ? { adminToken: process.env.PODWIRE_ADMIN_TOKEN } : {}),
  });
  const port = Number(process.env.PORT ?? 5180);
  const host = process.env.HOST ?? '127.0.0.1';
  let url: string;
  try {
    url = await room.app.listen({ port, host });
  } catch (error) {
    await room.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'EADDRINUSE' ? `port ${port} on ${host} is in use (set PORT to choose another)` : (error as Error).message);
  }
  log(`the class server is at ${url}/`);
  log(`create a class from the site, or: npx podwire class create --name NAME --labs ${labs[0]?.id ?? 'LAB'}`);
  log(databaseUrl ? `class data: ${room.store.location} (DATABASE_URL)` : `class data: ${sqliteFile(dataDir)} (set PODWIRE_DATA to move it)`);
  log('Ctrl-C stops the server.');
  const stop = async () => { await room.close(); process.exit(0); };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: Error) => {
  process.stderr.write(`podwire: cannot start the class server: ${error.message}\n`);
  process.exit(1);
});
