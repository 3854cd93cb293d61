// Each grading in a process of its own: a crash, a runaway guest or a leak there fails that
// grading only, and killing the process stops everything it started (its node workers are
// threads of it). The server's pool calls gradeIsolated where it would call gradeSubmission.
import { fork } from 'node:child_process';
import type { LabReport } from '../../harness/report.js';
import { GRADING_TIMEOUT_MS, GradingError, type GradingJob, type GradingOptions } from './grade.js';
import { SubmissionError } from './submission.js';

export type FromGrader =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; report: LabReport; maxRssBytes: number }
  | { type: 'failed'; submission: boolean; message: string };

const fromSource = import.meta.url.endsWith('.ts');
const entry = new URL(fromSource ? './child-bootstrap.mjs' : './child.js', import.meta.url);
/** Past the grading's own bound: time for the process to close its nodes and answer. */
const GRACE_MS = 30_000;

export interface IsolatedGradingOptions extends GradingOptions {
  /** The grading process's peak resident memory, its node workers included (they are its threads). */
  onStats?(stats: { maxRssBytes: number }): void;
}

export function gradeIsolated(job: GradingJob, options: IsolatedGradingOptions = {}): Promise<LabReport> {
  const timeoutMs = options.timeoutMs ?? GRADING_TIMEOUT_MS;
  return new Promise<LabReport>((resolve, reject) => {
    // 'advanced': the states go over as bytes, not as JSON arrays of numbers.
    const child = fork(entry, [], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      outcome();
    };
    const timer = setTimeout(() => finish(() => reject(new GradingError(`grading lab ${job.lab.id} did not finish within ${Math.round(timeoutMs / 1000)} s: its process was stopped`))), timeoutMs + GRACE_MS);
    const onAbort = () => finish(() => reject(new GradingError(`grading lab ${job.lab.id} was cancelled`)));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (message: FromGrader) => {
      if (message.type === 'progress') options.onProgress?.(message.done, message.total);
      else if (message.type === 'done') {
        options.onStats?.({ maxRssBytes: message.maxRssBytes });
        finish(() => resolve(message.report));
      }
      else finish(() => reject(message.submission ? new SubmissionError(message.message) : new GradingError(message.message)));
    });
    child.on('error', (error) => finish(() => reject(new GradingError(`the grading process failed: ${error.message}`))));
    child.on('exit', (code, signal) => finish(() => reject(new GradingError(`the grading process ended (${signal ?? `exit code ${code}`}) before it had graded lab ${job.lab.id}`))));
    child.send({ lab: job.lab, states: job.states, ...(job.kube ? { kube: job.kube } : {}), timeoutMs });
  });
}
