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
import type { Lab } from '../lab/types.js';
import type { LabReport } from '../harness/report.js';
import type { StepScore } from '../classroom/protocol.js';
import type { Grade } from '../classroom/queue.js';
import { catalogOf, dataFolder, openClassroom, sqliteFile, type ReadSubmission } from '../classroom/server.js';
import { distDir } from './static-server.js';

// The grader's modules (src/classroom/grading, src/lab/variables.ts), by the signatures of
// the classroom contract. They are loaded at run time so that this server still starts, and
// says so, where they are missing.
interface GradingModules {
  readSubmission(zip: Uint8Array, expect: { snapshotKey: string; labs: string[]; nodesOf?: (lab: string) => string[] | undefined }):
    { manifest: { lab: string; claimed: Record<string, StepScore> }; states: Record<string, Uint8Array> };
  /** Each grading in a process of its own (grading/worker.ts). */
  gradeIsolated(job: { lab: Lab; states: Record<string, Uint8Array> }, options?: { onProgress?(done: number, total: number): void; signal?: AbortSignal }): Promise<LabReport>;
  /** Per step, the results under the ids the page reports them by (grading/verify.ts). */
  verifiedSteps(report: LabReport): Record<string, StepScore>;
  instantiateLab(lab: Lab, seed?: string): Lab;
  snapshotKey(): string;
}

const load = (path: string) => import(path) as Promise<Record<string, unknown>>;

async function loadGrader(labs: Lab[]): Promise<{ read: ReadSubmission; grade: Grade }> {
  const modules = Object.assign({}, ...await Promise.all([
    load('../classroom/grading/submission.js'), load('../classroom/grading/worker.js'), load('../classroom/grading/verify.js'),
    load('../lab/variables.js'), load('../vm/assets-node.js'),
  ])) as GradingModules;
  for (const name of ['readSubmission', 'gradeIsolated', 'verifiedSteps', 'instantiateLab', 'snapshotKey'] as const) {
    if (typeof modules[name] !== 'function') throw new Error(`${name} is missing`);
  }
  const snapshotKey = modules.snapshotKey();
  const byId = new Map(labs.map((lab) => [lab.id, lab]));
  const nodesOf = (lab: string) => byId.get(lab)?.topology.nodes.map((node) => node.name);
  return {
    read: (zip, lab) => modules.readSubmission(zip, { snapshotKey, labs: [lab], nodesOf }),
    async grade(job) {
      const lab = byId.get(job.lab);
      if (!lab) throw new Error(`this server has no lab '${job.lab}'`);
      const { states } = modules.readSubmission(job.upload, { snapshotKey, labs: [job.lab], nodesOf });
      const report = await modules.gradeIsolated({ lab: modules.instantiateLab(lab, job.seed), states }, { onProgress: job.onProgress, signal: job.signal });
      return modules.verifiedSteps(report);
    },
  };
}

async function main(): Promise<void> {
  const log = (message: string) => process.stderr.write(`podwire: ${message}\n`);
  if (!existsSync(join(distDir, 'index.html'))) {
    log('building the site (dist/ is missing) ...');
    execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  }
  const labs = loadLabs();
  const dataDir = dataFolder();
  const databaseUrl = process.env.DATABASE_URL || undefined;
  let grader: Awaited<ReturnType<typeof loadGrader>> | undefined;
  try {
    grader = await loadGrader(labs);
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
