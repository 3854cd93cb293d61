// The Service that does not answer (labs/29-service-debug), the first lab with the Kubernetes
// control plane: plausible fixes that are wrong fail the right check, and other correct ones
// pass, all typed with the real kubectl inside node1. One cluster, one run through the steps in
// order (each attempt starts where the one before it left the objects). The solution bots
// (labs-solutions-*) grade the untouched lab and the reference solution, and run the lab's
// resets (the control plane started afresh).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedKubectl } from '../../src/harness/kube-api-node.js';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, stepIndex } from './lab-bots.js';

/** The failed checks' names, with what they found in the assertion's message. */
const failed = (report: Awaited<ReturnType<LabRun['checkStep']>>) => ({ names: failedNames(report), found: report.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.found}`).join('\n') });

const lab = findLab('service-debug');
const TARGET_PORT = stepIndex(lab, 'target-port');
const PORT_NAME = stepIndex(lab, 'port-name');
const WEB_ANSWERED = 'the client pod\'s requests to web (10.96.0.50:80) are answered by both web pods';
const INTERNAL_ANSWERED = 'the client pod\'s requests to web-internal (10.96.0.60:8000) are answered by both web pods';

describe.skipIf(!cachedKubectl())('service-debug', () => {
  let run: LabRun;
  beforeAll(async () => {
    run = await openLab(lab);
    await run.applySolutions(TARGET_PORT);
  }, 300_000);
  afterAll(async () => { await run?.close(); });

  it('the port fixed by hand in the Endpoints object: kube-proxy reads EndpointSlices, and the controller writes the Endpoints back', async () => {
    const results = await attempt(run, { node1: `kubectl patch endpoints web --type=json -p '[{"op":"replace","path":"/subsets/0/ports/0/port","value":80}]'` });
    expect(results.node1!.exitCode, results.node1!.stderr).toBe(0);
    expect(failedNames(await run.checkStep(TARGET_PORT))).toEqual([WEB_ANSWERED, "web's EndpointSlice sends to port 80, where the pods listen"]);
    const port = await run.exec('node1', "kubectl get endpoints web -o jsonpath='{.subsets[0].ports[0].port}'", { timeout: 120 });
    expect(port.stdout).toBe('8080');
  }, 300_000);

  it('the Service written out again with targetPort: http (the container\'s port name) and kubectl apply -f passes', async () => {
    const yaml = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: 10.96.0.50
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
`;
    const results = await attempt(run, { node1: `cat >/root/web-svc.yaml <<'EOF'\n${yaml}EOF\nkubectl apply -f /root/web-svc.yaml` });
    expect(results.node1!.stdout).toContain('service/web configured');
    const { names, found } = failed(await run.checkStep(TARGET_PORT));
    expect(names, found).toEqual([]);
  }, 300_000);

  it('targetPort set to the Service\'s own port (8000): the endpoints come back ready, and every connection is refused', async () => {
    await attempt(run, { node1: `kubectl patch service web-internal -p '{"spec":{"ports":[{"port":8000,"targetPort":8000}]}}'` });
    const report = await run.checkStep(PORT_NAME);
    expect(failedNames(report)).toEqual([INTERNAL_ANSWERED]);
    expect(report.checks.find((c) => c.name === INTERNAL_ANSWERED)!.found).toMatch(/Connection refused/);
  }, 300_000);

  it('targetPort 80 by a JSON patch passes', async () => {
    await attempt(run, { node1: `kubectl patch service web-internal --type=json -p '[{"op":"replace","path":"/spec/ports/0/targetPort","value":80}]'` });
    const { names, found } = failed(await run.checkStep(PORT_NAME));
    expect(names, found).toEqual([]);
  }, 300_000);
});
