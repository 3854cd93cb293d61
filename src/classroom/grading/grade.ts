// Grading a submission on the server: the student's own nodes, restored headlessly from
// the states they uploaded on the same runtime as the CLI (LabRun), checked step by step
// with the lab's own checks. Nothing of the lab runs first (no setup, no solutions): what
// the nodes hold is what the student did. The grading is bounded in time, and the cluster
// is closed whatever happens: a hung guest fails this grading, never the grader.
import type { Lab } from '../../lab/types.js';
import { nodeKubectl } from '../../harness/kube-api-node.js';
import { kubeLabStarter } from '../../harness/kube-lab.js';
import { KUBE_STATE, LabRun } from '../../harness/lab-run.js';
import { labReport, type LabReport, type StepReport } from '../../harness/report.js';
import { snapshotAssets } from '../../vm/assets-node.js';
import { nodeWorkerHost } from '../../vm/host-node.js';
import { defaultLimits, SubmissionError, verifyState } from './submission.js';
import { nodeMemoryOf } from '../../topology/topology.js';

/** The whole of one grading: unpacking, restoring, every step's checks. */
export const GRADING_TIMEOUT_MS = 5 * 60_000;

/** A grading that could not finish: aborted, out of time, or the nodes would not come up. */
export class GradingError extends Error {
  override name = 'GradingError';
}

export interface GradingJob {
  /** The lab, already instantiated with the student's variables. */
  lab: Lab;
  /** Per node, its gzipped state as submitted (readSubmission's states). */
  states: Record<string, Uint8Array>;
  /** The lab's Kubernetes objects as submitted (readSubmission's kube), when its control plane ran. */
  kube?: Uint8Array;
}

export interface GradingOptions {
  /** Steps checked so far, of all. */
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
  /** Bound on the whole grading; GRADING_TIMEOUT_MS by default. */
  timeoutMs?: number;
}

export async function gradeSubmission(job: GradingJob, options: GradingOptions = {}): Promise<LabReport> {
  const { lab } = job;
  const started = Date.now();
  checkNodes(lab, job.states);
  const timeoutMs = options.timeoutMs ?? GRADING_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new GradingError(`grading lab ${lab.id} did not finish within ${Math.round(timeoutMs / 1000)} s: a node may be hung`)), timeoutMs);
  const onAbort = () => controller.abort(new GradingError(`grading lab ${lab.id} was cancelled`));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const stopped = controller.signal;

  let opening: Promise<LabRun> | undefined;
  const work = async (): Promise<LabReport> => {
    // Unpacked once here under the cap, keeping nothing; each node's worker unpacks its own again to restore it.
    const cap = defaultLimits().maxStateBytes;
    await Promise.all(Object.entries(job.states).map(([node, gz]) => verifyState(node, gz, cap)));
    stopped.throwIfAborted();
    const states = Object.fromEntries(Object.entries(job.states).map(([node, gz]) => [node, ownBuffer(gz)]));
    // The base snapshot too: the page saves each node as a delta against it (vm/state-delta.ts).
    // The control plane, for a lab with one: with the submitted objects if it ran in the page; else it starts afresh at its step.
    if (job.kube) states[KUBE_STATE] = ownBuffer(job.kube);
    opening = LabRun.open(lab, { host: nodeWorkerHost, assets: await snapshotAssets(nodeMemoryOf(lab.topology)), states, ...(lab.kubernetes ? { kube: kubeLabStarter(nodeKubectl) } : {}) });
    const run = await opening;
    const total = lab.steps.length;
    options.onProgress?.(0, total);
    const steps: StepReport[] = [];
    for (let index = 0; index < total; index++) {
      stopped.throwIfAborted();
      steps.push(await run.checkStep(index));
      options.onProgress?.(index + 1, total);
    }
    return labReport(lab, steps, { solutionApplied: false, durationMs: Date.now() - started });
  };

  try {
    return await Promise.race([work(), new Promise<never>((_, reject) => {
      if (stopped.aborted) reject(stopped.reason);
      stopped.addEventListener('abort', () => reject(stopped.reason), { once: true });
    })]);
  } catch (error) {
    if (error instanceof SubmissionError || error instanceof GradingError) throw error;
    throw new GradingError(`grading lab ${lab.id} failed: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    controller.abort(new GradingError('grading is over'));
    // Closing stops every node, hung or not (a stopped node's pending commands fail at once).
    // A cluster still coming up is closed when it is up.
    if (opening) {
      const closing = opening.then((run) => run.close(), () => undefined);
      await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    }
  }
}

/** The states must be the lab's nodes, all of them: a node without one would start blank and grade as nothing done. */
function checkNodes(lab: Lab, states: Record<string, Uint8Array>): void {
  const expected = lab.topology.nodes.map((node) => node.name).sort();
  const got = Object.keys(states).sort();
  if (expected.join(',') !== got.join(',')) {
    throw new SubmissionError(`lab '${lab.id}' has the nodes ${expected.join(', ')}, but the submission has states for ${got.join(', ') || 'none'}`);
  }
}

/** An ArrayBuffer holding exactly these bytes (a view may sit inside a larger one). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer as ArrayBuffer
    : bytes.slice().buffer as ArrayBuffer;
}
