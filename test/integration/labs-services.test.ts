// The services group (across-subnets, clusterip, nodeport, ipvs): plausible mistakes fail
// the check that names them, and other correct ways pass. labs.test.ts already checks that
// every lab fails untouched and passes with its reference solution.
import { describe, expect, it } from 'vitest';
import { cachedKubectl } from '../../src/harness/kube-api-node.js';
import type { LabRun } from '../../src/harness/lab-run.js';
import { findLab } from '../../src/lab/load.js';
import { WEB_DEPLOYMENT } from './kube-fixtures.js';
import { attempt, failedNames, gradeWith, stepIndex, withLab } from './lab-bots.js';

describe('services labs: plausible mistakes fail the right check, and other correct ways pass', () => {
  it('host-gw challenge: a covering route and a gateway address pass; masquerading or no proxy ARP fails the check that names it', async () => {
    const lab = findLab('host-gw');
    const challenge = lab.steps.findIndex((step) => step.id === 'calico-pod');
    await withLab(lab, async (run) => {
      await run.applySolutions(challenge);
      // Another correct way: a route covering the whole /24 on node1, a route for the block
      // on pod-c's veth, and 169.254.1.1 as an address of node2's instead of proxy ARP.
      await attempt(run, {
        node1: 'ip route add 10.244.12.0/24 via 10.0.0.12',
        node2: 'ip route add 10.244.12.64/26 dev cali-pod-c\nip addr add 169.254.1.1/32 dev cali-pod-c',
      });
      expect(failedNames(await run.checkStep(challenge))).toEqual([]);
      // The pings still get replies when node2 masquerades, but pod-a no longer sees pod-c's address.
      await attempt(run, { node2: 'iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE' });
      const masqueraded = await run.checkStep(challenge);
      expect(failedNames(masqueraded)).toEqual(["pod-c's ping reaches node1 with the pod addresses, unchanged"]);
      expect(masqueraded.hint).toMatch(/no NAT/);
      expect(masqueraded.checks.find((c) => !c.passed)!.expected).toContain('in no tunnel');
      // Routes both ways but no proxy ARP: pod-c never gets a MAC for its gateway.
      await run.resetToStep(challenge);
      await attempt(run, { node1: 'ip route add 10.244.12.64/26 via 10.0.0.12', node2: 'ip route add 10.244.12.66 dev cali-pod-c' });
      const unanswered = await run.checkStep(challenge);
      expect(failedNames(unanswered)).toEqual([
        'pod-a reaches pod-c', 'pod-c reaches pod-a', 'pod-b reaches pod-c on the same node, through node2\'s routing table',
        "pod-c's ping reaches node1 with the pod addresses, unchanged",
      ]);
      expect(unanswered.hint).toMatch(/ip route get/);
    });
  }, 300_000);

  it('across-subnets: sending pod traffic to the router instead is not the host-gw route, and nobody is asked for 10.0.2.12', async () => {
    const lab = findLab('across-subnets');
    const report = await gradeWith(lab, 0, { node1: 'ip route add 10.244.2.0/24 via 10.0.1.1' });
    expect(failedNames(report)).toEqual(['node1 has the host-gw route to node2\'s pod CIDR via node2', 'node1 asks for 10.0.2.12 on eth0 and nobody answers']);
    expect(report.checks.find((c) => !c.passed)!.found).toContain('10.244.2.0/24 via 10.0.1.1');
  });

  it('across-subnets: a tunnel on node1 only gets the ping to node2 inside IP-in-IP, but no reply', async () => {
    const lab = findLab('across-subnets');
    const report = await gradeWith(lab, 1, { node1: lab.steps[1]!.solution.node1! });
    expect(failedNames(report)).toEqual(['pod-a reaches pod-b', 'pod-b reaches pod-a']);
  });

  it('across-subnets: point-to-point ipip devices pass as well as Calico\'s tunl0', async () => {
    const lab = findLab('across-subnets');
    const report = await gradeWith(lab, 1, {
      node1: [
        'ip route del 10.244.2.0/24',
        'ip link add ipip-node2 type ipip local 10.0.1.11 remote 10.0.2.12 && ip link set ipip-node2 up',
        'ip route add 10.244.2.0/24 dev ipip-node2',
      ].join('\n'),
      node2: 'ip link add ipip-node1 type ipip local 10.0.2.12 remote 10.0.1.11 && ip link set ipip-node1 up && ip route add 10.244.1.0/24 dev ipip-node1',
    });
    expect(failedNames(report)).toEqual([]);
  });

  it('clusterip: two plain DNAT rules in a row send everything to web-1; only the spreading check fails, saying where they went', async () => {
    const lab = findLab('clusterip');
    const report = await gradeWith(lab, 0, {
      node1: [
        'iptables -t nat -A PREROUTING -d 10.96.0.100 -p tcp --dport 80 -j DNAT --to-destination 10.244.1.2:80',
        'iptables -t nat -A PREROUTING -d 10.96.0.100 -p tcp --dport 80 -j DNAT --to-destination 10.244.1.3:80',
      ].join('\n'),
    });
    expect(failedNames(report)).toEqual(['new connections from the client to 10.96.0.100:80 are sent to both web-1 and web-2']);
    expect(report.checks.find((c) => !c.passed)!.found).toMatch(/10\.244\.1\.2;/);
    expect(report.checks.find((c) => !c.passed)!.found).not.toMatch(/10\.244\.1\.3;/);
    expect(report.hint).toMatch(/statistic/);
  });

  it('clusterip: a strict round robin with --mode nth passes as well as --mode random, and so do two rules straight in PREROUTING with no chains of their own (the step gives the goal, not the layout)', async () => {
    const lab = findLab('clusterip');
    const nth = lab.steps[0]!.solution.node1!.replace('--mode random --probability 0.5', '--mode nth --every 2 --packet 0');
    expect(nth).toContain('--mode nth');
    await withLab(lab, async (run) => {
      await attempt(run, { node1: nth });
      expect(failedNames(await run.checkStep(0))).toEqual([]);

      // Unhooked and emptied, the chains DNAT nothing; the flat layout alone must do the job.
      await attempt(run, {
        node1: [
          'iptables -t nat -F PREROUTING && iptables -t nat -F OUTPUT',
          'for chain in MY-SERVICES MY-SVC-WEB MY-SEP-WEB-1 MY-SEP-WEB-2; do iptables -t nat -F $chain; done',
          'iptables -t nat -A PREROUTING -d 10.96.0.100 -p tcp --dport 80 -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.244.1.3:80',
          'iptables -t nat -A PREROUTING -d 10.96.0.100 -p tcp --dport 80 -j DNAT --to-destination 10.244.1.2:80',
        ].join('\n'),
      });
      expect(failedNames(await run.checkStep(0))).toEqual([]);
    });
  }, 300_000);

  it('clusterip: without the OUTPUT hook, pods reach the Service but node1 itself does not', async () => {
    const lab = findLab('clusterip');
    const report = await gradeWith(lab, 1, {
      node1: 'iptables -t nat -D OUTPUT -j MY-SERVICES\nsysctl -w net.bridge.bridge-nf-call-iptables=1',
    });
    expect(failedNames(report)).toEqual(['node1 itself reaches the Service too']);
    expect(report.checks.find((c) => !c.passed)!.hint).toMatch(/OUTPUT/);
  });

  it('clusterip: kube-proxy-mini on top of the hand-made rules leaves them in place, and the check names them', async () => {
    const lab = findLab('clusterip');
    const report = await gradeWith(lab, stepIndex(lab, 'kube-proxy'), {
      node1: "mkdir -p /etc/kubernetes\necho 'default/web 10.96.0.100:80/tcp - 10.244.1.2:80 10.244.1.3:80' >/etc/kubernetes/services\nkube-proxy-mini sync",
    });
    expect(failedNames(report)).toEqual(["only kube-proxy's KUBE-SEP chains DNAT now (your own rules are gone)"]);
    expect(report.checks.find((c) => !c.passed)!.found).toContain('MY-SEP-WEB-1');
  });

  it('nodeport: masquerading in the first step hides the client, and the check says what web-1 saw; so does the followed packet, whose answer still leaves from node1:30080', async () => {
    const lab = findLab('nodeport');
    await withLab(lab, async (run) => {
      await attempt(run, {
        node1: [
          lab.steps[stepIndex(lab, 'local')]!.solution.node1!,
          'iptables -t nat -A POSTROUTING -d 10.244.1.2 -p tcp --dport 80 -j MASQUERADE',
        ].join('\n'),
      });
      const report = await run.checkStep(stepIndex(lab, 'local'));
      expect(failedNames(report)).toEqual(["the client reaches web-1 on node1's port 30080, and web-1 sees the client's own address"]);
      expect(report.checks[0]!.found).toMatch(/web-1: you are 10\.244\.1\.1/);
      // The follow step: web-1 saw node1's cni0 address, not the client's; the answer is
      // un-NATed twice on node1 and reaches the client from node1:30080 all the same.
      const followed = await run.checkStep(stepIndex(lab, 'follow'));
      expect(failedNames(followed)).toEqual(['following one connection to node1:30080, node1 DNATs it to web-1, which sees it come from the client, 10.0.0.13']);
      expect(followed.checks[0]!.found).toContain('no hop "web-1 arrives (10.0.0.13:"');
    });
  });

  it('nodeport: DNAT on both nodes without masquerading loses the answers from the other node\'s pod', async () => {
    const lab = findLab('nodeport');
    const anyNode = stepIndex(lab, 'any-node');
    const noMasquerade = lab.steps[anyNode]!.solution.node1!.split('\n').filter((line) => !/MASQUERADE|MARK/.test(line)).join('\n');
    const report = await gradeWith(lab, anyNode, { node1: noMasquerade, node2: noMasquerade });
    const failed = failedNames(report);
    expect(failed).toContain('through node2:30080 the client reaches both web-1 and web-2');
    // web-1's answers, from the other node, never reach the client. (web-2, on node2, answers
    // when the random DNAT picks it; `ask` gives up after two misses, so it may not have.)
    const found = report.checks.find((c) => c.name === 'through node2:30080 the client reaches both web-1 and web-2')!.found;
    expect(found).toContain('(no answer)');
    expect(found).not.toContain('web-1: you are');
  });

  it('nodeport: SNAT by conntrack state instead of a mark passes too', async () => {
    const lab = findLab('nodeport');
    const anyNode = stepIndex(lab, 'any-node');
    const dnatOnly = lab.steps[anyNode]!.solution.node1!.split('\n').filter((line) => !/MASQUERADE|MARK/.test(line)).join('\n');
    const snat = `${dnatOnly}\niptables -t nat -A POSTROUTING -m conntrack --ctstate DNAT --ctorigdstport 30080 -j MASQUERADE`;
    const report = await gradeWith(lab, anyNode, { node1: snat, node2: snat });
    expect(failedNames(report)).toEqual([]);
  });

  it('nodeport, externalTrafficPolicy Local: Cluster-style rules on node2, or a DNAT without SNAT, fail; kube-proxy-mini\'s :local passes', async () => {
    const lab = findLab('nodeport');
    const toWeb1 = 'iptables -t nat -A NODEPORTS -p tcp --dport 32080 -j DNAT --to-destination 10.244.1.2:80';
    const [anyNode, localPolicy] = [stepIndex(lab, 'any-node'), stepIndex(lab, 'local-policy')];
    await withLab(lab, async (run) => {
      await run.applySolutions(localPolicy);
      // Wrong: node2 forwards admin's port to web-1 and masquerades it, as for policy Cluster.
      await attempt(run, { node1: toWeb1, node2: `iptables -t nat -A NODEPORTS -p tcp --dport 32080 -j MARK --or-mark 0x4000\n${toWeb1}` });
      let report = await run.checkStep(localPolicy);
      expect(failedNames(report)).toEqual(['through node2:32080, where admin has no pod, the client gets no answer']);
      expect(report.checks.find((c) => !c.passed)!.found).toContain('web-1: you are 10.0.0.12');

      // Wrong: node2 forwards without SNAT. The client gets no answer, but web-1 answers it straight back.
      await run.resetToStep(localPolicy);
      await attempt(run, { node1: toWeb1, node2: toWeb1 });
      report = await run.checkStep(localPolicy);
      expect(failedNames(report)).toEqual(['node2 does not pass the client\'s connections on to web-1 either (web-1 would answer the client straight back)']);
      expect(report.checks.find((c) => !c.passed)!.found).toContain('answered by the pod itself');

      // Right: kube-proxy's own layout, from kube-proxy-mini (KUBE-EXT -> KUBE-SVL; on node2 a DROP in KUBE-EXTERNAL-SERVICES).
      await run.resetToStep(localPolicy);
      const services = [
        'default/web 10.96.0.100:80/tcp 30080 10.244.1.2:80 10.244.2.2:80',
        'default/admin 10.96.0.101:80/tcp 32080:local 10.244.1.2:80',
      ].join('\n');
      const kubeProxy = [
        'iptables -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j NODEPORTS',
        'iptables -t nat -D POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE',
        'iptables -t nat -F NODEPORTS && iptables -t nat -X NODEPORTS',
        `mkdir -p /etc/kubernetes && printf '%s\\n' '${services.replaceAll('\n', "' '")}' >/etc/kubernetes/services`,
        'kube-proxy-mini sync',
      ].join('\n');
      const synced = await attempt(run, { node1: kubeProxy, node2: kubeProxy });
      const rules = await run.exec('node2', 'kube-proxy-mini show');
      expect(rules.stdout, synced.node2!.stderr).toMatch(/-A KUBE-NODEPORTS .*--dport 32080 -j KUBE-EXT-[A-Z2-7]{16}/);
      expect(rules.stdout).toMatch(/-A KUBE-EXTERNAL-SERVICES .*default\/admin has no local endpoints.*--dport 32080 -j DROP/);
      expect((await run.exec('node1', 'kube-proxy-mini show')).stdout).toMatch(/-A KUBE-EXT-([A-Z2-7]{16}) -j KUBE-SVL-\1/);
      report = await run.checkStep(localPolicy);
      expect(failedNames(report)).toEqual([]);
      // The Cluster Service still works through kube-proxy-mini's KUBE-EXT chain.
      report = await run.checkStep(anyNode);
      expect(failedNames(report)).toEqual([]);
    });
  });

  it('ipvs: a virtual server without the VIP on kube-ipvs0 is never reached', async () => {
    const lab = findLab('ipvs');
    const report = await gradeWith(lab, 0, {
      node1: lab.steps[0]!.solution.node1!.split('\n').filter((line) => !line.startsWith('ip ')).join('\n'),
    });
    expect(failedNames(report)).toEqual([
      'node1 has a dummy interface kube-ipvs0',
      'the ClusterIP 10.96.0.100 is bound to kube-ipvs0',
      'requests from the client pod to 10.96.0.100:80 reach both pods',
      "ipvsadm -Lnc shows the client's connection to the VIP, sent to a pod",
    ]);
  });

  it('ipvs: wrr with equal weights fails the weight and the 6-to-2 checks, naming what it found', async () => {
    const lab = findLab('ipvs');
    const report = await gradeWith(lab, 1, { node1: 'ipvsadm -E -t 10.96.0.100:80 -s wrr' });
    expect(failedNames(report)).toEqual(['web-1 has weight 3', 'of 8 requests from the client pod, web-1 gets 6 and web-2 gets 2']);
    expect(report.checks.find((c) => c.name.startsWith('of 8'))!.found).toMatch(/4 web-1 \| +4 web-2/);
  });

  it('ipvs: rr with persistence keeps the client on one pod but is not source hashing; then, in the challenge, real servers on the Service\'s port 8080 fail the real-server and traffic checks, and a persistent wrr server written with long options passes', async () => {
    const lab = findLab('ipvs');
    const challenge = lab.steps.findIndex((step) => step.id === 'api');
    await withLab(lab, async (run) => {
      await run.applySolutions(2);
      await attempt(run, { node1: 'ipvsadm -E -t 10.96.0.100:80 -s rr -p 300' });
      expect(failedNames(await run.checkStep(2))).toEqual(['the virtual server uses the sh (source hashing) scheduler']);

      // The challenge on this cluster. The Service's port on both sides: nothing listens on 8080.
      await attempt(run, {
        node1: [
          'ip addr add 10.96.0.200/32 dev kube-ipvs0',
          'ipvsadm -A -t 10.96.0.200:8080 -s rr -p 600',
          'ipvsadm -a -t 10.96.0.200:8080 -r 10.244.1.2:8080 -m',
          'ipvsadm -a -t 10.96.0.200:8080 -r 10.244.1.3:8080 -m',
        ].join('\n'),
      });
      const servicePort = await run.checkStep(challenge);
      expect(failedNames(servicePort)).toEqual([
        'its real servers are exactly the ready pods, web-1 and web-2, on the targetPort 80 in NAT mode',
        '6 requests from the client pod to 10.96.0.200:8080 are all answered, by the same pod',
      ]);
      expect(servicePort.checks.find((c) => c.name.startsWith('its real servers'))!.found).toContain('10.244.1.2:8080 Masq');

      // Another correct way: rebuilt with long options, another scheduler (of the three this node loads) and explicit weights.
      await attempt(run, {
        node1: [
          'ipvsadm --delete-service --tcp-service 10.96.0.200:8080',
          'ipvsadm --add-service --tcp-service 10.96.0.200:8080 --scheduler wrr --persistent=600',
          'for pod in 10.244.1.3 10.244.1.2; do ipvsadm --add-server --tcp-service 10.96.0.200:8080 --real-server $pod:80 --masquerading --weight 2; done',
        ].join('\n'),
      });
      expect(failedNames(await run.checkStep(challenge))).toEqual([]);
    });
  }, 300_000);
});

// The last step of clusterip and nodeport: the same Service from YAML, with the lab's control
// plane (kubernetes.fromStep: it starts when the step is reached, on top of the hand-made and
// kube-proxy-mini rules). One cluster per lab; resetToStep(yaml) runs the steps before it again
// and starts a fresh control plane. Between the wrong attempts that need no fresh nodes, the
// Service is deleted with kubectl and written again, as a learner would.

/** A file written on node1 and applied with kubectl, as a learner pastes it. */
const applyFile = (yaml: string) => `cat >/root/attempt.yaml <<'EOF'\n${yaml}EOF\nkubectl apply -f /root/attempt.yaml`;

/** The web Service with these lines under spec (ports: 80 to targetPort, selector app: web unless given). */
const service = (spec: string, { selector = 'app: web', targetPort = 80 } = {}) => `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
${spec}  selector: {${selector}}
  ports:
  - {protocol: TCP, port: 80, targetPort: ${targetPort}}
`;

/** A failed check's found text, by name. */
const found = (report: Awaited<ReturnType<LabRun['checkStep']>>, name: string | undefined) => report.checks.find((c) => c.name === name)!.found;

describe.skipIf(!cachedKubectl())('services labs, the step from YAML (the control plane from that step on)', () => {
  it('clusterip: kube-proxy removes kube-proxy-mini\'s chains when it starts (the kubernetes Service\'s are all that is left); clusterIP left out, targetPort 8080 and a selector that misses fail the checks that name them; kubectl create deployment and expose pass', async () => {
    const lab = findLab('clusterip');
    const YAML = stepIndex(lab, 'yaml');
    const [ANSWERED, RULES, CLUSTER_IP, SLICE] = lab.steps[YAML]!.checks.map((c) => c.name!);
    await withLab(lab, async (run) => {
      await run.resetToStep(YAML);
      expect(run.kubeRunning).toBe(true);
      // kube-proxy-mini's Service (10.96.0.100 to web-1 and web-2) is gone, chains and all; what
      // is left is the kubernetes Service's, to the API server in the lab's network.
      const nat = (await run.exec('node1', 'iptables-save -t nat')).stdout;
      expect(nat).not.toContain('10.96.0.100');
      expect(nat).not.toContain('10.244.1.2:80');
      expect(nat.match(/^:KUBE-(SVC|SEP)-/gm)).toHaveLength(2);
      expect(nat).toContain('default/kubernetes:https -> 10.0.0.1:6443');
      const untouched = await run.checkStep(YAML);
      expect(failedNames(untouched)).toEqual([ANSWERED, RULES, CLUSTER_IP, SLICE]);

      // clusterIP left out: the API server picks 10.96.0.2, and nothing is at 10.96.0.100.
      await attempt(run, { node1: applyFile(`${WEB_DEPLOYMENT}---\n${service('')}`) });
      let report = await run.checkStep(YAML);
      expect(failedNames(report)).toEqual([ANSWERED, RULES, CLUSTER_IP]);
      expect(found(report, ANSWERED)).toContain('answered by: no pod of the API');
      expect(found(report, CLUSTER_IP)).toContain('10.96.0.2');

      // targetPort 8080: the endpoints are ready (no readiness probe) and the rules are all there, but the pods refuse.
      await attempt(run, { node1: `kubectl delete svc web\n${applyFile(service('  clusterIP: 10.96.0.100\n', { targetPort: 8080 }))}` });
      report = await run.checkStep(YAML);
      expect(failedNames(report)).toEqual([ANSWERED]);
      expect(found(report, ANSWERED)).toContain('no answer: 2');

      // A selector that matches no pod: an empty EndpointSlice, no KUBE-SVC chain, and filter KUBE-SERVICES rejects.
      await attempt(run, { node1: `kubectl delete svc web\n${applyFile(service('  clusterIP: 10.96.0.100\n', { selector: 'app: webserver' }))}` });
      report = await run.checkStep(YAML);
      expect(failedNames(report)).toEqual([ANSWERED, RULES, SLICE]);
      expect((await run.exec('node1', 'iptables -S KUBE-SERVICES')).stdout).toMatch(/-d 10\.96\.0\.100\/32 .*default\/web has no endpoints.*-j REJECT/);

      // Right, another way: kubectl create deployment and kubectl expose, from a fresh control plane.
      await run.resetToStep(YAML);
      await attempt(run, { node1: 'kubectl create deployment web --image=podctl-answer --replicas=2\nkubectl expose deployment web --port=80 --cluster-ip=10.96.0.100' });
      report = await run.checkStep(YAML);
      expect(failedNames(report), report.checks.map((c) => `${c.name}: ${c.found}`).join('\n')).toEqual([]);
      // kube-proxy's chains for it: the same three levels and the same KUBE-SVC name kube-proxy-mini wrote.
      console.log((await run.exec('node1', "iptables-save -t nat | grep -e '^-A KUBE-SERVICES' -e '^-A KUBE-SVC' -e '^-A KUBE-SEP'")).stdout);
    });
  }, 600_000);

  it('nodeport: the hand rules answer until a Service has the port; nodePort left out fails every check but the EndpointSlice\'s, externalTrafficPolicy Local only the traffic checks; kubectl create service nodeport passes', async () => {
    const lab = findLab('nodeport');
    const YAML = stepIndex(lab, 'yaml');
    const [NODE1, NODE2, RULES1, RULES2, NODE_PORT, SLICE] = lab.steps[YAML]!.checks.map((c) => c.name!);
    await withLab(lab, async (run) => {
      await run.resetToStep(YAML);
      // kube-proxy's jump into KUBE-SERVICES comes first in PREROUTING, but no Service has the port yet: the hand rules still answer.
      const untouched = await run.checkStep(YAML);
      expect(failedNames(untouched)).toEqual([NODE1, NODE2, RULES1, RULES2, NODE_PORT, SLICE]);
      expect(found(untouched, NODE1)).toMatch(/web-[12]: you are/);

      // nodePort left out: the API server picks 30000, and 30080 is still the hand rules' port.
      await attempt(run, { node1: applyFile(`${WEB_DEPLOYMENT}---\n${service('  type: NodePort\n')}`) });
      let report = await run.checkStep(YAML);
      expect(failedNames(report)).toEqual([NODE1, NODE2, RULES1, RULES2, NODE_PORT]);
      expect(found(report, NODE1)).toMatch(/web-1 or web-2, made by hand: [1-9]/);
      expect(found(report, NODE_PORT)).toContain('30000');

      // externalTrafficPolicy Local, from the step before: each node sends the port only to its own pod.
      await attempt(run, { node1: 'kubectl patch svc web -p \'{"spec":{"externalTrafficPolicy":"Local","ports":[{"port":80,"nodePort":30080}]}}\'' });
      report = await run.checkStep(YAML);
      expect(failedNames(report)).toEqual([NODE1, NODE2]);
      expect(found(report, NODE1)).toContain('pods of the API: 1');

      // Right, another way: kubectl create deployment and kubectl create service nodeport.
      await run.resetToStep(YAML);
      await attempt(run, { node1: 'kubectl create deployment web --image=podctl-answer --replicas=2\nkubectl create service nodeport web --tcp=80:80 --node-port=30080' });
      report = await run.checkStep(YAML);
      expect(failedNames(report), report.checks.map((c) => `${c.name}: ${c.found}`).join('\n')).toEqual([]);
      // With no endpoints, the hand rules take the port again (kube-proxy's REJECT matches a local destination only, before their DNAT).
      await attempt(run, { node1: 'kubectl scale deployment web --replicas=0' });
      await run.checkStep(YAML);
      console.log((await run.exec('client', 'ask 10.0.0.11 30080 2')).stdout);
    });
  }, 600_000);
});
