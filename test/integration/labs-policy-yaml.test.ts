// NetworkPolicy from YAML (labs/30-policy-yaml): the prediction's key is the real cluster's, and
// plausible DNS fixes that are wrong fail the right check, while other correct ones pass, all
// typed with the real kubectl inside node2. One cluster, one run through the steps in order;
// between attempts the attempt's policy is deleted again, as a learner would undo it. The
// solution bots (labs-solutions-*) grade the untouched lab and the reference solution.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedKubectl } from '../../src/harness/kube-api-node.js';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, stepIndex } from './lab-bots.js';

/** The failed checks' names, with what they found in the assertion's message. */
const failed = (report: Awaited<ReturnType<LabRun['checkStep']>>) => ({ names: failedNames(report), found: report.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.found}`).join('\n') });

const lab = findLab('policy-yaml');
const PREDICT = stepIndex(lab, 'predict');
const DNS = stepIndex(lab, 'dns');
const RESOLVES = 'the client resolves web.shop.svc.cluster.local through the cluster DNS';
const TCP = 'the client reaches the cluster DNS over TCP (10.96.0.10:53), where long answers are asked again';
const OTHER_DNS = 'the client cannot ask another DNS server (public-dns, 10.96.0.53)';
const PING = 'the client\'s ping to a web pod still gets no answer (the rest of its egress stays denied)';
const PREDICTION = '/root/prediction on node2 says what the three probes do under client-egress';

/** A NetworkPolicy for the client in shop, with these egress rules (YAML, indented under `egress:`). */
const clientPolicy = (name: string, egress: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ${name}
  namespace: shop
spec:
  podSelector:
    matchLabels: {app: client}
  policyTypes: [Egress]
  egress:
${egress}`;

/** Write a policy to a file on node2 and kubectl apply it, as the lesson has the learner do. */
const applyPolicy = async (run: LabRun, yaml: string) => {
  const results = await attempt(run, { node2: `cat >/root/attempt.yaml <<'EOF'\n${yaml}EOF\nkubectl apply -f /root/attempt.yaml` });
  expect(results.node2!.exitCode, results.node2!.stderr).toBe(0);
};
const undo = (run: LabRun) => attempt(run, { node2: 'kubectl delete -f /root/attempt.yaml' });

describe.skipIf(!cachedKubectl())('policy-yaml', () => {
  let run: LabRun;
  beforeAll(async () => {
    run = await openLab(lab);
    await run.applySolutions(DNS);
  }, 300_000);
  afterAll(async () => { await run?.close(); });

  it('under client-egress alone the three probes give the prediction\'s key (ClusterIP works, the name and ping are blocked), and a prediction that the name resolves fails the prediction check only', async () => {
    const probe = async (command: string) => ((await run.exec('node2', `${command} && echo works || echo blocked`, { timeout: 60 })).stdout.trim());
    const webPod = (await run.exec('node2', "kubectl -n shop get pods -l app=web -o jsonpath='{.items[0].status.podIP}'", { timeout: 120 })).stdout.trim();
    expect(webPod).toMatch(/^10\.244\.\d+\.\d+$/);
    expect({
      clusterip: await probe("ip netns exec shop.client nc -w 3 10.96.0.50 80 </dev/null | grep -q '^shop\\.web-'"),
      name: await probe("ip netns exec shop.client nslookup -timeout=2 -retry=1 web.shop.svc.cluster.local | grep -q '10\\.96\\.0\\.50'"),
      ping: await probe(`ip netns exec shop.client ping -c 1 -W 2 ${webPod} >/dev/null`),
    }).toEqual({ clusterip: 'works', name: 'blocked', ping: 'blocked' });
    expect(failed(await run.checkStep(PREDICT)).names).toEqual([]);

    await attempt(run, { node2: "printf 'clusterip: works\\nname: works\\nping: blocked\\n' >/root/prediction" });
    const report = await run.checkStep(PREDICT);
    expect(failedNames(report)).toEqual([PREDICTION]);
    expect(report.checks.find((c) => c.name === PREDICTION)!.found).toMatch(/name works/);
    await attempt(run, { node2: "printf 'clusterip works\\nname blocked\\nping blocked\\n' >/root/prediction" });
  }, 300_000);

  it('DNS allowed to the Service address with ipBlock 10.96.0.10/32: the policy sees the coredns pod\'s address after the DNAT, and lookups still time out', async () => {
    await applyPolicy(run, clientPolicy('dns-by-service-ip', `  - to:
    - ipBlock: {cidr: 10.96.0.10/32}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`));
    const { names, found } = failed(await run.checkStep(DNS));
    expect(names, found).toEqual([RESOLVES, TCP]);
    await undo(run);
  }, 300_000);

  it('DNS allowed to podSelector k8s-app: kube-dns without a namespaceSelector: that means pods in shop, and there are none', async () => {
    await applyPolicy(run, clientPolicy('dns-same-namespace', `  - to:
    - podSelector:
        matchLabels: {k8s-app: kube-dns}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`));
    const { names, found } = failed(await run.checkStep(DNS));
    expect(names, found).toEqual([RESOLVES, TCP]);
    await undo(run);
  }, 300_000);

  it('the kube-dns pods on UDP 53 only: names resolve, and the TCP check fails', async () => {
    await applyPolicy(run, clientPolicy('dns-udp-only', `  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
      podSelector:
        matchLabels: {k8s-app: kube-dns}
    ports:
    - {protocol: UDP, port: 53}
`));
    const { names, found } = failed(await run.checkStep(DNS));
    expect(names, found).toEqual([TCP]);
    await undo(run);
  }, 300_000);

  it('port 53 to anywhere (no `to`): the cluster DNS works, and so does any other DNS server', async () => {
    await applyPolicy(run, clientPolicy('dns-anywhere', `  - ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`));
    const { names, found } = failed(await run.checkStep(DNS));
    expect(names, found).toEqual([OTHER_DNS]);
    await undo(run);
  }, 300_000);

  it('client-egress deleted: every lookup works, and the deny checks of both steps fail', async () => {
    await attempt(run, { node2: 'kubectl delete -f /root/client-egress.yaml' });
    const { names, found } = failed(await run.checkStep(DNS));
    expect(names, found).toEqual([OTHER_DNS, PING]);
    expect(failedNames(await run.checkStep(PREDICT))).toEqual(["the client's ping to a web pod gets no answer (client-egress is in force)", 'client-egress isolates the client for egress']);
    await attempt(run, { node2: 'kubectl apply -f /root/client-egress.yaml' });
  }, 300_000);

  it('client-egress itself given a DNS rule (matchExpressions, the coredns container\'s named ports) and applied again passes both steps', async () => {
    await applyPolicy(run, clientPolicy('client-egress', `  - to:
    - podSelector:
        matchLabels: {app: web}
    ports:
    - {protocol: TCP, port: 80}
  - to:
    - namespaceSelector:
        matchExpressions:
        - {key: kubernetes.io/metadata.name, operator: In, values: [kube-system]}
      podSelector:
        matchExpressions:
        - {key: k8s-app, operator: In, values: [kube-dns]}
    ports:
    - {protocol: UDP, port: dns}
    - {protocol: TCP, port: dns-tcp}
`));
    const { names, found } = failed(await run.checkStep(DNS));
    expect(names, found).toEqual([]);
    expect(failed(await run.checkStep(PREDICT)).names).toEqual([]);
  }, 300_000);
});
