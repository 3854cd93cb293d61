// Verified results end to end on real nodes: a student solves step 1 of a lab only, the
// page's saved states go into a submission, the server reads it and grades it in a
// grading process of its own. Step 1 is verified; the forged claims for the later steps
// are mismatches, with a verified score of 0.
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { gradeSubmission, GradingError } from '../../src/classroom/grading/grade.js';
import { buildSubmission, resultId, type SubmissionManifest } from '../../src/classroom/grading/bundle.js';
import { readSubmission } from '../../src/classroom/grading/submission.js';
import { mismatches, verifiedSteps } from '../../src/classroom/grading/verify.js';
import { gradeIsolated } from '../../src/classroom/grading/worker.js';
import { KUBE_STATE } from '../../src/harness/lab-run.js';
import { withLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { snapshotKey } from '../../src/vm/assets-node.js';
import { isDelta } from '../../src/vm/state-delta.js';
import { nodeMemoryOf } from '../../src/topology/topology.js';

describe('classroom grading', () => {
  let saved: Record<string, Uint8Array> | undefined;

  it('verifies what the nodes hold, not what the manifest claims', async () => {
    const lab = findLab('netns-veth');
    expect(lab.steps.length).toBeGreaterThan(1);
    const states = await withLab(lab, async (run) => {
      await run.applySolutions(1);
      return run.save({ gzip: true });
    });
    // What the page keeps and uploads: each node as its pages that differ from the base snapshot.
    for (const [node, state] of Object.entries(states)) {
      expect(isDelta(gunzipSync(new Uint8Array(state))), `${node}'s state is a delta`).toBe(true);
      expect(state.byteLength, `${node}'s delta, gzipped`).toBeLessThan(8 << 20);
    }

    // Forged: every check of every step claimed passed.
    const claimed = Object.fromEntries(lab.steps.map((step) => [step.id, {
      passed: step.checks.length, total: step.checks.length,
      results: step.checks.map((check, index) => ({ id: resultId(check.name, index), passed: true })),
    }]));
    const manifest: SubmissionManifest = { lab: lab.id, snapshotKey: snapshotKey(nodeMemoryOf(lab.topology)), savedAt: Date.now(), claimed };
    const zip = buildSubmission(manifest, states);
    const submission = readSubmission(zip, { snapshotKey: snapshotKey(nodeMemoryOf(lab.topology)), labs: [lab.id], nodesOf: () => lab.topology.nodes.map((n) => n.name) });
    expect(submission.manifest).toEqual(manifest);
    saved = submission.states;

    const progress: string[] = [];
    const report = await gradeIsolated({ lab, states: submission.states }, { onProgress: (done, total) => progress.push(`${done}/${total}`) });
    const total = lab.steps.length;
    expect(progress).toEqual(Array.from({ length: total + 1 }, (_, done) => `${done}/${total}`));
    expect(report.solutionApplied).toBe(false);

    const verified = verifiedSteps(report);
    const [first, ...later] = lab.steps;
    expect(verified[first!.id]).toMatchObject({ passed: first!.checks.length, total: first!.checks.length });
    for (const step of later) expect(verified[step.id]!.passed, `step ${step.id}`).toBe(0);
    expect(mismatches(claimed, verified)).toEqual(later.flatMap((step) => step.checks.map((check, index) => ({ stepId: step.id, id: resultId(check.name, index) }))));
  });

  it('ends a grading that is cancelled or out of time', async () => {
    const lab = findLab('netns-veth');
    if (!saved) throw new Error('needs the states of the first test');
    // Cancelled once the nodes are up: it ends at once, not when the checks would have.
    const controller = new AbortController();
    const started = Date.now();
    await expect(gradeSubmission({ lab, states: saved }, { signal: controller.signal, onProgress: (done) => { if (done === 0) controller.abort(); } }))
      .rejects.toThrow(new GradingError(`grading lab ${lab.id} was cancelled`));
    expect(Date.now() - started).toBeLessThan(60_000);
    // Out of time in its own process: the process answers with why, and is gone.
    await expect(gradeIsolated({ lab, states: saved }, { timeoutMs: 1 })).rejects.toThrow(`grading lab ${lab.id} did not finish within 0 s: a node may be hung`);
  });

  it('grades a lab with the Kubernetes control plane from the nodes and the objects the page saved with them (kube.json)', async () => {
    const lab = findLab('service-debug');
    // Step 1's fix is in the API (web's selector): the nodes alone would not show it.
    const states = await withLab(lab, async (run) => {
      await run.applySolutions(1);
      return run.save({ gzip: true });
    });
    const { [KUBE_STATE]: objects, ...nodes } = states;
    expect(objects, 'the objects are saved beside the nodes').toBeDefined();
    const claimed = { [lab.steps[0]!.id]: { passed: 1, total: 1, results: [] } };
    const zip = buildSubmission({ lab: lab.id, snapshotKey: snapshotKey(nodeMemoryOf(lab.topology)), savedAt: Date.now(), claimed }, nodes, new Uint8Array(objects!));
    const submission = readSubmission(zip, { snapshotKey: snapshotKey(nodeMemoryOf(lab.topology)), labs: [lab.id], nodesOf: () => lab.topology.nodes.map((n) => n.name) });
    expect(submission.kube).toBeDefined();
    const report = await gradeIsolated({ lab, states: submission.states, kube: submission.kube! });
    const verified = verifiedSteps(report);
    const [first, ...later] = lab.steps;
    expect(verified[first!.id], 'step 1, fixed in the API, is verified').toMatchObject({ passed: first!.checks.length, total: first!.checks.length });
    for (const step of later) expect(verified[step.id]!.passed, `step ${step.id}`).toBeLessThan(step.checks.length);
  });
});
