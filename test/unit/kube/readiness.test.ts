// Readiness probes (src/kube/controllers/probe.ts and the kubelet's probe rounds): the worker's
// state machine against upstream's (pkg/kubelet/prober/worker.go doProbe), the status it
// writes, and what follows from it through the API and a real kubectl 1.20: the READY column,
// describe, the EndpointSlice's conditions, the Endpoints' notReadyAddresses, the Unhealthy
// events. The probes themselves are answered by a table here (no node); the node-side script
// is tested on this host's bash, and on the nodes by the integration tests.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Any } from '../../../src/kube/controllers/common.js';
import { addressOnlyRuntime, type PodRuntime, type ProbeRequest } from '../../../src/kube/controllers/kubelet.js';
import { probeAction, probeTiming, ReadinessWorker, withReadiness, type ProbeOutcome } from '../../../src/kube/controllers/probe.js';
import { serveKube, type KubeServer } from '../../../src/kube/serve.js';
import { parseProbeOutput, probeScript } from '../../../src/harness/kube-probe.js';

const timing = (t: Partial<ReturnType<typeof probeTiming>> = {}) => ({ ...probeTiming({}), ...t });

describe('ReadinessWorker (worker.go doProbe)', () => {
  it('upstream defaults: timeout 1, period 10, success 1, failure 3, no initial delay', () => {
    expect(probeTiming({ httpGet: { port: 80 } })).toEqual({ initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
  });

  it('starts not ready; one success makes it ready; it takes failureThreshold failures in a row to unready it', () => {
    const w = new ReadinessWorker(timing(), 0, 0);
    expect(w.ready).toBe(false);
    expect(w.record('success')).toBe(true);
    expect(w.ready).toBe(true);
    expect([w.record('failure'), w.record('failure')]).toEqual([false, false]);
    expect(w.ready).toBe(true);
    expect(w.record('success')).toBe(false); // the run of failures is broken
    expect([w.record('failure'), w.record('failure'), w.record('failure')]).toEqual([false, false, true]);
    expect(w.ready).toBe(false);
  });

  it('a new container stays not ready through failures below the threshold (the initial value is Failure)', () => {
    const w = new ReadinessWorker(timing(), 0, 0);
    expect(w.record('failure')).toBe(false);
    expect(w.ready).toBe(false);
  });

  it('successThreshold 2: ready after two successes in a row, not after one', () => {
    const w = new ReadinessWorker(timing({ successThreshold: 2 }), 0, 0);
    expect(w.record('success')).toBe(false);
    expect(w.record('failure')).toBe(false);
    expect(w.record('success')).toBe(false);
    expect(w.record('success')).toBe(true);
    expect(w.ready).toBe(true);
  });

  it('an errored probe is thrown away: it neither counts nor breaks a run', () => {
    const w = new ReadinessWorker(timing(), 0, 0, true);
    expect([w.record('failure'), w.record('error'), w.record('failure'), w.record('error')]).toEqual([false, false, false, false]);
    expect(w.ready).toBe(true);
    expect(w.record('failure')).toBe(true);
    expect(w.probes).toBe(5);
  });

  it('probes at once, then each period; ticks before initialDelaySeconds are skipped, missed ticks dropped', () => {
    const w = new ReadinessWorker(timing({ periodSeconds: 10, initialDelaySeconds: 15 }), 0, 0);
    expect(w.due(0)).toBe(false); // the first tick, within the delay
    expect(w.due(5_000)).toBe(false); // no tick
    expect(w.due(10_000)).toBe(false); // a tick, 10 s < 15 s
    expect(w.due(20_000)).toBe(true);
    expect(w.due(25_000)).toBe(false);
    expect(w.due(61_000)).toBe(true); // ticks at 30, 40, 50, 60 missed: one probe
    expect(w.next).toBe(70_000);
    const now = new ReadinessWorker(timing({ periodSeconds: 1 }), 0, 0);
    expect(now.due(0)).toBe(true);
  });
});

describe('a probe\'s action', () => {
  const container = { name: 'web', ports: [{ name: 'http', containerPort: 80 }] };
  it('httpGet to the pod IP, a named port looked up in the container\'s ports, path / by default', () => {
    expect(probeAction({ httpGet: { port: 'http' } }, container, '10.244.1.2')).toEqual({ type: 'httpGet', host: '10.244.1.2', port: 80, path: '/', scheme: 'HTTP', headers: [] });
    expect(probeAction({ tcpSocket: { port: 8080 } }, container, '10.244.1.2')).toEqual({ type: 'tcpSocket', host: '10.244.1.2', port: 8080 });
    expect(probeAction({ exec: { command: ['cat', '/tmp/ready'] } }, container, '10.244.1.2')).toEqual({ type: 'exec', command: ['cat', '/tmp/ready'] });
  });
  it('a port name the container does not declare is an error (prober.go: the probe errs)', () => {
    expect(probeAction({ httpGet: { port: 'health' } }, container, '10.244.1.2')).toEqual({ error: 'port health not found' });
  });
});

describe('withReadiness', () => {
  const status = {
    phase: 'Running',
    conditions: [{ type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: 't0' }, { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: 't0' }, { type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: 't0' }],
    containerStatuses: [{ name: 'web', ready: true }, { name: 'side', ready: true }],
  };
  it('an unready container makes Ready and ContainersReady False, naming it; the time moves with the status only', () => {
    const next = withReadiness(status, new Map([['web', false]]), 't1')!;
    expect(next.containerStatuses).toEqual([{ name: 'web', ready: false }, { name: 'side', ready: true }]);
    expect(next.conditions.slice(1)).toEqual(['Ready', 'ContainersReady'].map((type) => ({ type, status: 'False', lastProbeTime: null, lastTransitionTime: 't1', reason: 'ContainersNotReady', message: 'containers with unready status: [web]' })));
    expect(next.conditions[0]).toEqual(status.conditions[0]);
    expect(withReadiness(next, new Map([['web', false]]), 't2')).toBeUndefined();
    expect(withReadiness(next, new Map([['web', true]]), 't3')!.conditions[1]).toEqual({ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: 't3' });
  });
});

describe('the node-side round (bash, on this host)', () => {
  const pod = { namespace: 'default', name: 'p', uid: 'u', node: 'n', labels: {} };
  it('a refused tcpSocket and httpGet fail with upstream\'s messages; an exec outcome is its exit status', () => {
    const probes: ProbeRequest[] = [
      { pod, container: 'c', action: { type: 'tcpSocket', host: '127.0.0.1', port: 1 }, timeoutSeconds: 1 },
      { pod, container: 'c', action: { type: 'httpGet', host: '127.0.0.1', port: 1, path: '/healthz', scheme: 'HTTP', headers: [] }, timeoutSeconds: 1 },
    ];
    const out = execFileSync('bash', ['-c', probeScript(probes, (p) => p.name)]).toString();
    expect(parseProbeOutput(out, 2)).toEqual([
      { result: 'failure', message: 'dial tcp 127.0.0.1:1: connect: connection refused' },
      { result: 'failure', message: 'Get "http://127.0.0.1:1/healthz": dial tcp 127.0.0.1:1: connect: connection refused' },
    ]);
    expect(parseProbeOutput('1 success\n', 2)).toEqual([{ result: 'error', message: 'the probe printed nothing' }, { result: 'success', message: '' }]);
  });
});

const KUBECTL = process.env.PODWIRE_KUBECTL ?? join(process.env.PODWIRE_CACHE ?? join(homedir(), '.cache', 'podwire'), 'kubectl-1.20', 'usr', 'bin', 'kubectl');

describe.skipIf(!existsSync(KUBECTL))('readiness through the API and kubectl 1.20', () => {
  let server: KubeServer;
  let dir: string;
  let kubeconfig: string;
  /** What the probes of each pod answer (by pod name prefix: all pods start failing). */
  let answer: (p: ProbeRequest) => ProbeOutcome = () => ({ result: 'failure', message: 'dial tcp: connect: connection refused' });
  const rounds: number[] = [];
  const runtime = (api: Parameters<typeof addressOnlyRuntime>[0]): PodRuntime => ({
    ...addressOnlyRuntime(api),
    probe: async (_node, probes) => { rounds.push(probes.length); return probes.map((p) => answer(p)); },
  });
  const kubectl = (...args: string[]) => new Promise<string>((resolve, reject) => {
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 20_000 }, (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)));
  });
  const objects = async (what: string) => JSON.parse(await kubectl('get', what, '-o', 'json')).items as Any[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podwire-readiness-'));
    kubeconfig = join(dir, 'kubeconfig');
    server = await serveKube({ controllers: { runtime } });
    server.writeKubeconfig(kubeconfig);
    writeFileSync(join(dir, 'web.yaml'), `apiVersion: v1
kind: Node
metadata: {name: node1}
spec: {podCIDR: 10.244.1.0/24}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: podctl-answer
        ports: [{name: http, containerPort: 80}]
        readinessProbe:
          httpGet: {path: /healthz, port: http}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
`);
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('failing probes: READY 0/1, Ready False in describe with the probe and an Unhealthy event, endpoints not ready', async () => {
    await kubectl('apply', '-f', join(dir, 'web.yaml'));
    await server.controllers!.settle();
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a second round
    expect(rounds.length).toBeGreaterThan(0);
    expect(rounds[0]).toBe(2); // both pods of the node in one round
    const table = await kubectl('get', 'pods', '--no-headers');
    expect(table.trim().split('\n').map((l) => l.split(/\s+/).slice(1, 3))).toEqual([['0/1', 'Running'], ['0/1', 'Running']]);
    const [pod] = await objects('pods');
    const described = await kubectl('describe', 'pod', pod!.metadata.name);
    expect(described).toMatch(/Readiness:\s+http-get http:\/\/:http\/healthz delay=0s timeout=1s period=1s #success=1 #failure=3/);
    expect(described).toMatch(/^\s+Ready\s+False\s*$/m);
    expect(described).toMatch(/Warning\s+Unhealthy\s+.*kubelet\s+Readiness probe failed: dial tcp: connect: connection refused/);
    const [slice] = await objects('endpointslices');
    expect(slice!.endpoints.map((e: Any) => e.conditions)).toEqual([{ ready: false, serving: false, terminating: false }, { ready: false, serving: false, terminating: false }]);
    const [ep] = await objects('endpoints');
    expect(ep!.subsets[0].addresses).toBeUndefined();
    expect(ep!.subsets[0].notReadyAddresses).toHaveLength(2);
  });

  it('the probe succeeds: ready at the next round, the endpoints follow; three failures in a row unready it again', async () => {
    answer = () => ({ result: 'success', message: '' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await server.controllers!.settle();
    expect((await kubectl('get', 'pods', '--no-headers')).match(/1\/1\s+Running/g)).toHaveLength(2);
    const [slice] = await objects('endpointslices');
    expect(slice!.endpoints.map((e: Any) => e.conditions.ready)).toEqual([true, true]);
    answer = () => ({ result: 'failure', message: 'HTTP probe failed with statuscode: 500' });
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect((await objects('endpointslices'))[0]!.endpoints.map((e: Any) => e.conditions.ready)).toEqual([true, true]); // one or two failures: still ready
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await server.controllers!.settle();
    expect((await objects('endpointslices'))[0]!.endpoints.map((e: Any) => e.conditions.ready)).toEqual([false, false]);
    const events = (await objects('events')).filter((e) => e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 500');
    expect(events).toHaveLength(2);
    expect(events[0]!.count).toBeGreaterThanOrEqual(3);
  }, 20_000);
});
