// externalTrafficPolicy: Local, hands on (labs/31-local-traffic): plausible answers that are
// wrong fail the right check, and other correct ones pass, all typed with the real kubectl in
// node1 (and iptables where the wrong answer is a hand rule). One cluster, one run through the
// steps in order (each attempt starts where the one before it left the objects). The solution
// bots (labs-solutions-*) grade the untouched lab and the reference solution, with resets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedKubectl } from '../../src/harness/kube-api-node.js';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, stepIndex } from './lab-bots.js';

/** The failed checks' names, with what they found in the assertion's message. */
const failed = (report: Awaited<ReturnType<LabRun['checkStep']>>) => ({ names: failedNames(report), found: report.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.found}`).join('\n') });

const lab = findLab('local-traffic');
const LOCAL = stepIndex(lab, 'local');
const SPREAD = stepIndex(lab, 'spread');
const [NODE1_CLIENT, NODE2_DROPS, POLICY_LOCAL] = lab.steps[LOCAL]!.checks.map((c) => c.name!);
const [SPREAD_NODE1, SPREAD_NODE2, STILL_LOCAL] = lab.steps[SPREAD]!.checks.map((c) => c.name!);

/** The web Deployment as the lab starts it, without its nodeSelector, with two replicas. */
const SPREAD_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: podctl-answer
        command: [socat, "TCP-LISTEN:80,fork,reuseaddr", "SYSTEM:echo pod $SOCAT_SOCKADDR sees you as $SOCAT_PEERADDR"]
        ports:
        - {name: http, containerPort: 80}
`;

const applyFile = (name: string, yaml: string) => `cat >/root/${name} <<'EOF'\n${yaml}EOF\nkubectl apply -f /root/${name}`;

describe.skipIf(!cachedKubectl())('local-traffic', () => {
  let run: LabRun;
  beforeAll(async () => {
    run = await openLab(lab);
    await run.applySolutions(LOCAL);
  }, 300_000);
  afterAll(async () => { await run?.close(); });

  it('the untouched step: node1 answers with a node address, node2 still forwards to node1\'s pod', async () => {
    const report = await run.checkStep(LOCAL);
    expect(failedNames(report)).toEqual([NODE1_CLIENT, NODE2_DROPS, POLICY_LOCAL]);
    // Through node1 the masquerade leaves by cni0: the pod sees the bridge's address.
    expect(report.checks.find((c) => c.name === NODE1_CLIENT)!.found).toMatch(/sees you as 10\.244\.1\.1\b/);
    expect(report.checks.find((c) => c.name === NODE2_DROPS)!.found).toMatch(/sees you as 10\.0\.0\.12\b/);
  }, 300_000);

  it('internalTrafficPolicy: Local instead of external: the NodePort is untouched, every check fails', async () => {
    const results = await attempt(run, { node1: `kubectl patch service web -p '{"spec":{"internalTrafficPolicy":"Local"}}'` });
    expect(results.node1!.exitCode, results.node1!.stderr).toBe(0);
    expect(failedNames(await run.checkStep(LOCAL))).toEqual([NODE1_CLIENT, NODE2_DROPS, POLICY_LOCAL]);
    await attempt(run, { node1: `kubectl patch service web -p '{"spec":{"internalTrafficPolicy":"Cluster"}}'` });
    // Graded again, which waits until kube-proxy has written the change to both nodes (the next attempt adds to its chains).
    expect(failedNames(await run.checkStep(LOCAL))).toEqual([NODE1_CLIENT, NODE2_DROPS, POLICY_LOCAL]);
  }, 300_000);

  it('a hand rule that skips the masquerade for the client: the traffic looks right, the Service check fails, and kube-proxy\'s next sync removes it', async () => {
    const rule = 'iptables -t nat -I KUBE-POSTROUTING 1 -s 10.0.0.13 -j RETURN';
    await attempt(run, { node1: rule, node2: rule });
    const report = await run.checkStep(LOCAL);
    const { names: handNames, found: handFound } = failed(report);
    expect(handNames, handFound).toEqual([POLICY_LOCAL]);
    // Through node2 the pod saw the client, and its reply went from node1 straight to the client, which knew no such
    // connection: node2's check passes, its connection hung.

    // The Service written out again with the policy and applied: passes, and kube-proxy rewrote KUBE-POSTROUTING whole.
    const yaml = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: web}
  ports:
  - {name: 80-80, port: 80, targetPort: 80, nodePort: 30080}
`;
    const results = await attempt(run, { node1: applyFile('web-svc.yaml', yaml) });
    expect(results.node1!.stdout).toContain('service/web configured');
    const { names, found } = failed(await run.checkStep(LOCAL));
    expect(names, found).toEqual([]);
    for (const node of ['node1', 'node2']) expect((await run.exec(node, 'iptables -t nat -S KUBE-POSTROUTING')).stdout, node).not.toContain('10.0.0.13');
  }, 300_000);

  it('more replicas with the nodeSelector kept: both pods on node1, node2 still drops', async () => {
    await attempt(run, { node1: 'kubectl scale deployment web --replicas=2' });
    const report = await run.checkStep(SPREAD);
    const { names, found } = failed(report);
    expect(names, found).toEqual([SPREAD_NODE2]);
    expect(report.checks.find((c) => c.name === SPREAD_NODE2)!.found).toMatch(/no answer/);
  }, 300_000);

  it('back to externalTrafficPolicy Cluster: both nodes answer, without the client\'s address', async () => {
    await attempt(run, { node1: `kubectl patch service web -p '{"spec":{"externalTrafficPolicy":"Cluster"}}'` });
    expect(failedNames(await run.checkStep(SPREAD))).toEqual([SPREAD_NODE1, SPREAD_NODE2, STILL_LOCAL]);
    await attempt(run, { node1: `kubectl patch service web -p '{"spec":{"externalTrafficPolicy":"Local"}}'` });
  }, 300_000);

  it('the Deployment applied again without its nodeSelector passes: one pod per node, each answering the client', async () => {
    const results = await attempt(run, { node1: applyFile('web.yaml', SPREAD_DEPLOYMENT) });
    expect(results.node1!.stdout).toContain('deployment.apps/web configured');
    const { names, found } = failed(await run.checkStep(SPREAD));
    expect(names, found).toEqual([]);
  }, 300_000);
});
