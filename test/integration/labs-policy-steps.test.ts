// The network-policy lab's last step (labs/12-network-policy, step yaml): the same policies from
// YAML, on pods the control plane runs, graded by traffic, the object and the controller's rules.
// One cluster: opened at the step's start (the hand-made solutions of the steps before, then the
// control plane), and between attempts the attempt's policies are deleted again, as a learner
// would undo them. The solution bots (labs-solutions-*) grade the untouched step and the
// reference solution.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cachedKubectl } from '../../src/harness/kube-api-node.js';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, stepIndex } from './lab-bots.js';

const lab = findLab('network-policy');
const YAML = stepIndex(lab, 'yaml');
const webPort = lab.values.webPort!;
const reference = lab.steps[YAML]!.solution.node1!;

const METRICS = `frontend (shop) still cannot reach web's metrics port, ${lab.values.metricsPort}`;
const CLIENT_OPEN = 'client, which no policy selects, still accepts connections from frontend on 80';
const WEB_TO_FRONTEND = 'web reaches frontend:80, a pod in the cluster';
const ISOLATES = 'the policy controller isolates each web pod, for ingress and for egress, and no other pod';
const OBJECTS = 'the policies are NetworkPolicy objects in shop';

/** The failed checks' names, with what they found, for the assertion's message. */
const failed = (report: Awaited<ReturnType<LabRun['checkStep']>>) => ({ names: failedNames(report), found: report.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.found}`).join('\n') });

describe.skipIf(!cachedKubectl())('network-policy, from YAML', () => {
  let run: LabRun;
  const undo = () => attempt(run, { node1: 'kubectl -n shop delete networkpolicy --all' });
  /** Policies written to a file on node1 and applied with kubectl, as the lesson has the learner do. */
  const applyPolicies = async (yaml: string) => {
    const results = await attempt(run, { node1: `cat >/root/attempt.yaml <<'EOF'\n${yaml}EOF\nkubectl apply -f /root/attempt.yaml` });
    expect(results.node1!.exitCode, results.node1!.stderr).toBe(0);
  };

  beforeAll(async () => {
    run = await openLab(lab);
    const started = Date.now();
    await run.resetToStep(YAML);
    console.log(`network-policy: the hand-made steps' solutions and the control plane in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);
  afterAll(async () => { await run?.close(); });
  afterEach(async () => { await undo(); });
  /** What the node holds, for a failure's message. */
  const dump = async () => (await run.exec('node1', "ip netns list; iptables-save -t filter | grep -E 'NWPLCY|POD-'; kubectl -n shop get netpol,pods -o wide", { timeout: 120 })).stdout;

  it('the control plane leaves the hand-made rules in place (its jump goes first in FORWARD), and the hand-made policies still hold for the hand-made pods', async () => {
    const forward = (await run.exec('node1', 'iptables -S FORWARD')).stdout;
    const jumps = forward.split('\n').filter((l) => l.startsWith('-A FORWARD'));
    expect(jumps[0]).toContain('-j KUBE-NWPLCY-FORWARD');
    expect(jumps.findIndex((l) => l.includes('-j NP-FORWARD'))).toBeGreaterThan(0);
    expect(jumps.at(-1)).toContain('-j NP-TO-db');
    // The last hand-made step's checks hold for the state they all leave (the earlier steps' do not: allow-frontend opens what default-deny closed).
    for (const id of ['allow-namespace', 'egress']) {
      const { names, found } = failed(await run.checkStep(stepIndex(lab, id)));
      expect(names, `${id}: ${found}`).toEqual([]);
    }
  }, 300_000);

  it('one policy for both directions, with matchExpressions and the named port http, passes', async () => {
    await applyPolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector:
    matchExpressions:
    - {key: app, operator: In, values: [web]}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {role: frontend}}
    ports:
    - {protocol: TCP, port: http}
  - from:
    - namespaceSelector:
        matchExpressions:
        - {key: kubernetes.io/metadata.name, operator: In, values: [monitoring]}
  egress:
  - to:
    - namespaceSelector: {}
  - ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`);
    const { names, found } = failed(await run.checkStep(YAML));
    expect(names, `${found}\n${names.length ? await dump() : ''}`).toEqual([]);
  }, 300_000);

  it('the default deny written with podSelector: {} isolates frontend and client too: web cannot reach frontend, nor frontend client', async () => {
    const wrong = reference.replace('  podSelector:\n    matchLabels:\n      app: web\n', '  podSelector: {}\n');
    expect(wrong).not.toEqual(reference);
    await applyPolicies(wrong.slice(wrong.indexOf('apiVersion'), wrong.lastIndexOf('EOF')));
    const { names, found } = failed(await run.checkStep(YAML));
    expect(names, found).toEqual([CLIENT_OPEN, WEB_TO_FRONTEND, ISOLATES]);
  }, 300_000);

  it('frontend allowed without its port: it reaches the metrics too', async () => {
    const wrong = reference.replace(`    ports:\n    - protocol: TCP\n      port: ${webPort}\n`, '');
    expect(wrong).not.toEqual(reference);
    await applyPolicies(wrong.slice(wrong.indexOf('apiVersion'), wrong.lastIndexOf('EOF')));
    const { names, found } = failed(await run.checkStep(YAML));
    expect(names, `${found}\n${await dump()}`).toEqual([METRICS]);
  }, 300_000);

  it("web's new pods sent to the hand-made chain instead of a NetworkPolicy: the object and rules checks say so", async () => {
    await attempt(run, {
      node1: [
        'for w in $(ip netns list | awk \'/^shop\\.web-/ {print $1}\'); do',
        '  ip=$(podip $w)',
        '  iptables -I NP-FORWARD 2 -d $ip -j NP-TO-web',
        'done',
      ].join('\n'),
    });
    const { names } = failed(await run.checkStep(YAML));
    expect(names).toContain(OBJECTS);
    expect(names).toContain(ISOLATES);
  }, 300_000);
});
