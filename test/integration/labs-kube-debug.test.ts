// The Service that does not answer (labs/29-service-debug), the first lab with the Kubernetes
// control plane: the readiness step's pods unready as the kubelet's probes find them, and
// plausible fixes that are wrong fail the right check, and other correct ones
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
const READINESS = stepIndex(lab, 'readiness');
const WEB_ANSWERED = 'the client pod\'s requests to web (10.96.0.50:80) are answered by both web pods';
const INTERNAL_ANSWERED = 'the client pod\'s requests to web-internal (10.96.0.60:8000) are answered by both web pods';
const API_ANSWERED = 'the client pod\'s requests to api (10.96.0.70:80) are answered by both api pods';
const API_READY = 'api\'s EndpointSlice lists two ready endpoints';
const API_PROBED = 'api\'s pods still have a readiness probe';

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

  it('the untouched api: the pods run, READY 0/1, describe shows the probe failing, the slice lists them not ready', async () => {
    const pods = await run.exec('node1', 'kubectl get pods -l app=api --no-headers', { timeout: 120 });
    expect(pods.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(1, 3))).toEqual([['0/1', 'Running'], ['0/1', 'Running']]);
    const described = await run.exec('node1', 'kubectl describe pod -l app=api', { timeout: 120 });
    expect(described.stdout).toMatch(/Readiness:\s+http-get http:\/\/:8080\/healthz delay=0s timeout=1s period=5s #success=1 #failure=3/);
    expect(described.stdout).toMatch(/Unhealthy .*Readiness probe failed: Get "http:\/\/10\.244\.\d\.\d+:8080\/healthz": dial tcp 10\.244\.\d\.\d+:8080: connect: connection refused/);
    const report = await run.checkStep(READINESS);
    expect(failedNames(report)).toEqual([API_ANSWERED, API_READY]);
    expect(report.checks.find((c) => c.name === API_ANSWERED)!.found).toMatch(/Connection refused/);
  }, 300_000);

  it('the probe pointed at another port where nothing listens (8000): the pods stay unready, the Service refuses', async () => {
    const results = await attempt(run, { node1: `kubectl patch deployment api --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/httpGet/port","value":8000}]'` });
    expect(results.node1!.exitCode, results.node1!.stderr).toBe(0);
    const { names, found } = failed(await run.checkStep(READINESS));
    expect(names, found).toEqual([API_ANSWERED, API_READY]);
  }, 300_000);

  it('the Deployment written out again with a tcpSocket probe on port http and kubectl apply -f passes', async () => {
    const yaml = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: podctl-answer
        ports:
        - {name: http, containerPort: 80}
        readinessProbe:
          tcpSocket: {port: http}
          periodSeconds: 5
`;
    const results = await attempt(run, { node1: `cat >/root/api.yaml <<'EOF'\n${yaml}EOF\nkubectl apply -f /root/api.yaml` });
    expect(results.node1!.stdout, results.node1!.stderr).toContain('deployment.apps/api configured');
    const { names, found } = failed(await run.checkStep(READINESS));
    expect(names, found).toEqual([]);
    const probe = await run.exec('node1', "kubectl get pods -l app=api -o jsonpath='{.items[*].spec.containers[0].readinessProbe}'", { timeout: 120 });
    expect(probe.stdout).not.toContain('httpGet');
  }, 300_000);

  it('the probe deleted: the pods are ready and answer, and the check for the probe fails', async () => {
    await attempt(run, { node1: `kubectl patch deployment api --type=json -p '[{"op":"remove","path":"/spec/template/spec/containers/0/readinessProbe"}]'` });
    expect(failedNames(await run.checkStep(READINESS))).toEqual([API_PROBED]);
  }, 300_000);
});
