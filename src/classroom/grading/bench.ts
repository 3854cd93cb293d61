// The grading figures of `npm run bench -- --only classroom`: N submissions arrive at once
// and go through the bounded pool (one grading process per core by default, as the class
// server runs them), each read from its zip and graded on its own restored nodes.
import { cpus } from 'node:os';
import PQueue from 'p-queue';
import { withLab } from '../../harness/run-lab.js';
import { findLab } from '../../lab/load.js';
import { nodeMemoryOf } from '../../topology/topology.js';
import { snapshotKey } from '../../vm/assets-node.js';
import { buildSubmission } from './bundle.js';
import { readSubmission } from './submission.js';
import { gradeIsolated } from './worker.js';

export interface GradingBench {
  lab: string;
  nodes: number;
  submissions: number;
  pool: number;
  zipBytes: number;
  /** From the first submission queued to the last report. */
  seconds: number;
  perMinute: number;
  /** Per grading: reading the zip, then the grading process from start to report. */
  gradingSeconds: number[];
  /** Per grading process, its peak RSS (its node workers are its threads). */
  maxRssBytes: number[];
}

/** The pool size the class server uses: PODWIRE_GRADERS, else one grader per core. */
function graderPoolSize(env: Record<string, string | undefined> = process.env): number {
  const configured = Number(env.PODWIRE_GRADERS);
  return Number.isInteger(configured) && configured > 0 ? configured : cpus().length;
}

export async function benchGradings(options: { submissions?: number; pool?: number; lab?: string; log?: (line: string) => void } = {}): Promise<GradingBench> {
  const lab = findLab(options.lab ?? 'netns-veth');
  const submissions = options.submissions ?? 10;
  const pool = options.pool ?? graderPoolSize();
  const key = snapshotKey(nodeMemoryOf(lab.topology));
  // One student's work: step 1 solved, the later steps not.
  const states = await withLab(lab, async (run) => {
    await run.applySolutions(1);
    return run.save({ gzip: true });
  });
  const claimed = { [lab.steps[0]!.id]: { passed: lab.steps[0]!.checks.length, total: lab.steps[0]!.checks.length, results: [] } };
  const zip = buildSubmission({ lab: lab.id, snapshotKey: key, savedAt: Date.now(), claimed }, states);
  options.log?.(`  ${submissions} submissions of lab ${lab.id} (${Object.keys(states).length} node(s), ${(zip.length / 2 ** 20).toFixed(1)} MiB each), ${pool} at a time`);

  const queue = new PQueue({ concurrency: pool });
  const gradingSeconds: number[] = [];
  const maxRssBytes: number[] = [];
  const started = performance.now();
  await Promise.all(Array.from({ length: submissions }, (_, index) => queue.add(async () => {
    const t = performance.now();
    const submission = readSubmission(zip, { snapshotKey: key, labs: [lab.id], nodesOf: () => lab.topology.nodes.map((n) => n.name) });
    const report = await gradeIsolated({ lab, states: submission.states }, { onStats: (stats) => maxRssBytes.push(stats.maxRssBytes) });
    const first = report.steps[0]!;
    if (first.passed !== first.total) throw new Error(`grading ${index + 1} did not verify step 1: ${first.checks.filter((c) => !c.passed).map((c) => c.message).join('; ')}`);
    gradingSeconds.push((performance.now() - t) / 1000);
    options.log?.(`  grading ${index + 1}/${submissions}: ${gradingSeconds.at(-1)!.toFixed(1)} s`);
  })));
  const seconds = (performance.now() - started) / 1000;
  return {
    lab: lab.id, nodes: lab.topology.nodes.length, submissions, pool, zipBytes: zip.length,
    seconds, perMinute: submissions / (seconds / 60), gradingSeconds, maxRssBytes,
  };
}
