// NetworkPolicy, cluster DNS and object checks on real nodes (issue 17): the TypeScript API
// server and controllers drive two real nodes (harness/kube-cluster). A default-deny policy
// and an allow-from-label policy become iptables rules on the node of the pod they select,
// and real connections from pods on both nodes are blocked or let through; deleting the allow
// policy removes its chain. The cluster DNS is a coredns pod running dnsmasq (as lab 13 runs
// it) behind kube-dns at 10.96.0.10, fed the records of src/kube/dns: a pod's nslookup gets a
// Service's ClusterIP, a headless Service's pod address and an SRV record, and its resolver
// (the kubelet's resolv.conf) finds the Service by its short name. Object checks of a lab step
// read the API's objects through the lab run.
import { describe, expect, it } from 'vitest';
import { KubeCluster } from '../../src/harness/kube-cluster.js';
import { withLab } from '../../src/harness/run-lab.js';
import { NETWORKPOLICY, POD, SERVICE, type Any } from '../../src/kube/controllers/common.js';
import { policyChainName } from '../../src/kube/policy/iptables.js';
import { kubeTestLab } from './kube-fixtures.js';

const LAB = kubeTestLab('kube-objects', {
  steps: `  - id: objects
    checks:
      - name: web's EndpointSlice has 1 ready endpoint
        node: node1
        object: { resource: endpointslices, selector: kubernetes.io/service-name=web, field: "endpoints[*].conditions.ready", equals: true, count: 1 }
      - name: the coredns pod runs
        node: node1
        object: { resource: pods, namespace: kube-system, name: coredns, field: status.phase, equals: Running }
      - name: two NetworkPolicies in default
        node: node1
        object: { resource: netpol, count: 2 }
      - name: web has 3 ready endpoints
        node: node1
        object: { resource: endpointslices, selector: kubernetes.io/service-name=web, field: "endpoints[*].conditions.ready", equals: true, count: 3 }
`,
  sections: `
## Objects

Nothing to do.
`,
});

const pod = (name: string, node: string, labels: Record<string, string>) => ({
  metadata: { name, labels },
  spec: { nodeName: node, containers: [{ name: 'app', image: 'podctl-answer', ports: [{ name: 'http', containerPort: 80 }] }] },
});

describe('NetworkPolicy, DNS and object checks on real nodes', () => {
  it('default deny + allow from a label blocks and allows real connections, egress to a named port only; pods resolve Services (also by their short names), headless Services and SRV records', async () => {
    await withLab(LAB, async (run) => {
      const started = performance.now();
      const kube = await KubeCluster.start(run, { nodes: ['node1', 'node2'], dns: { node: 'node1' } });
      try {
        const { api } = kube;
        api.create(POD, 'default', pod('web', 'node2', { app: 'web' }));
        api.create(POD, 'default', pod('frontend', 'node1', { role: 'frontend' }));
        api.create(POD, 'default', pod('other', 'node1', { role: 'other' }));
        api.create(POD, 'default', pod('near', 'node2', { role: 'other' })); // beside web: bridged, not routed
        api.create(SERVICE, 'default', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
        api.create(SERVICE, 'default', { metadata: { name: 'web-headless' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
        await kube.settle();
        const up = performance.now() - started;
        expect(kube.errors).toEqual([]);
        expect(kube.manager.errors).toEqual([]);
        const ipOf = (name: string, ns = 'default') => (api.store.get(POD.storage, ns, name) as Any).status.podIP as string;
        const clusterIP = (api.store.get(SERVICE.storage, 'default', 'web') as Any).spec.clusterIP as string;
        const webIP = ipOf('web');
        const nodeOf: Record<string, string> = { frontend: 'node1', other: 'node1', near: 'node2' };
        /** What answers a TCP connection from a pod: the answering pod's name, or '' (blocked). */
        const ask = async (from: string, address: string) => (await run.exec(nodeOf[from]!, `ip netns exec ${from} nc -w 2 ${address} 80 </dev/null 2>/dev/null | tail -n 1`, { timeout: 30 })).stdout.trim();
        for (const from of ['frontend', 'other', 'near']) expect(await ask(from, webIP), `${from} before any policy`).toBe('web');

        // Upstream's docs, "Default deny all ingress traffic", and an allow by label on a named port.
        let start = performance.now();
        api.create(NETWORKPOLICY, 'default', { metadata: { name: 'default-deny-ingress' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
        api.create(NETWORKPOLICY, 'default', { metadata: { name: 'web-allow-frontend' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }], ports: [{ port: 'http' }] }] } });
        await kube.settle();
        const policyToRules = Math.max(kube.policySynced.get('node1')!, kube.policySynced.get('node2')!) - start;
        expect(kube.errors).toEqual([]);
        expect(await ask('frontend', webIP), 'frontend, from node1').toBe('web');
        expect(await ask('frontend', clusterIP), 'frontend through the ClusterIP').toBe('web');
        expect(await ask('other', webIP), 'other, from node1').toBe('');
        expect(await ask('near', webIP), 'near, beside web on node2').toBe('');
        expect((await run.exec('node2', `nc -w 2 ${webIP} 80 </dev/null | tail -n 1`)).stdout.trim(), 'the node itself').toBe('web');
        expect((await run.exec('node2', 'iptables -S FORWARD | sed -n 2p')).stdout.trim()).toBe('-A FORWARD -m comment --comment "kubernetes network policy" -j KUBE-NWPLCY-FORWARD');

        // Object checks of a lab step, through the lab run: three pass, the fourth names what it found.
        const report = await run.checkStep(1);
        expect(report.checks.map((c) => [c.name, c.passed])).toEqual([
          ["web's EndpointSlice has 1 ready endpoint", true], ['the coredns pod runs', true], ['two NetworkPolicies in default', true], ['web has 3 ready endpoints', false],
        ]);
        expect(report.checks[3]!.message).toMatch(/^web has 3 ready endpoints: expected 3 value\(s\) of endpoints\[\*\]\.conditions\.ready = true in endpointslices -l kubernetes\.io\/service-name=web in namespace default, found 1 of 1 pass: web-\w+: endpoints\[0\]\.conditions\.ready = true$/);

        // The cluster DNS, asked from a pod (whose ingress is denied: the answers are replies).
        start = performance.now();
        const lookup = async (args: string, want: RegExp) => {
          let out = '';
          for (let i = 0; i < 10; i++) {
            out = (await run.exec('node1', `ip netns exec other nslookup ${args} 2>&1`, { timeout: 30 })).stdout;
            if (want.test(out)) break;
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
          return out;
        };
        const esc = (ip: string) => ip.replace(/\./g, '\\.');
        expect(await lookup('web.default.svc.cluster.local 10.96.0.10', new RegExp(`Address:\\s*${esc(clusterIP)}\\s*$`, 'm'))).toMatch(new RegExp(`Address:\\s*${esc(clusterIP)}\\s*$`, 'm'));
        expect(await lookup('web-headless.default.svc.cluster.local 10.96.0.10', new RegExp(`Address:\\s*${esc(webIP)}\\s*$`, 'm'))).toMatch(new RegExp(`Address:\\s*${esc(webIP)}\\s*$`, 'm'));
        const srv = await lookup('-type=srv _http._tcp.web.default.svc.cluster.local 10.96.0.10', /web\.default\.svc\.cluster\.local/);
        expect(srv).toMatch(/\b80\b.*web\.default\.svc\.cluster\.local/);
        const dnsTime = performance.now() - start;
        // The kubelet's resolv.conf: frontend connects to the Service by its short name (the search path; glibc's resolver, as in lab 13).
        const short = await run.exec('node1', 'ip netns exec frontend socat -t 5 -T 5 - TCP:web:80 </dev/null 2>&1 | tail -n 1', { timeout: 30 });
        const why = async () => (await run.exec('node1', 'ip netns exec frontend cat /etc/resolv.conf; grep hosts /etc/nsswitch.conf')).stdout;
        expect(short.stdout.trim(), short.stdout.trim() === 'web' ? '' : await why()).toBe('web');

        // Egress (upstream's "should allow egress access on one named port"): frontend may open
        // connections to app=web on its port named http, and nothing else, so not to the DNS either.
        api.create(NETWORKPOLICY, 'default', { metadata: { name: 'frontend-egress' }, spec: { podSelector: { matchLabels: { role: 'frontend' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'http' }] }] } });
        await kube.settle();
        expect(kube.errors).toEqual([]);
        expect(await ask('frontend', webIP), 'frontend to web, egress allowed').toBe('web');
        const noDns = await run.exec('node1', 'timeout 5 ip netns exec frontend nslookup web.default.svc.cluster.local 10.96.0.10 2>&1', { timeout: 30 });
        expect(noDns.stdout, 'frontend asks the DNS, egress denied').not.toMatch(new RegExp(`Address:\\s*${esc(clusterIP)}`));
        expect(await lookup('web.default.svc.cluster.local 10.96.0.10', new RegExp(`Address:\\s*${esc(clusterIP)}\\s*$`, 'm')), 'other still asks it').toMatch(new RegExp(`Address:\\s*${esc(clusterIP)}\\s*$`, 'm'));

        // Without the allow, frontend is blocked too, and the policy's chain leaves node2.
        const allowChain = policyChainName('default', 'web-allow-frontend', 'ingress');
        expect((await run.exec('node2', 'iptables-save -t filter')).stdout).toContain(`:${allowChain} `);
        api.delete(NETWORKPOLICY, 'default', 'web-allow-frontend');
        await kube.settle();
        expect(await ask('frontend', webIP), 'frontend, the allow deleted').toBe('');
        expect((await run.exec('node2', 'iptables-save -t filter')).stdout).not.toContain(allowChain);
        expect(kube.errors).toEqual([]);
        console.log(`kube objects on real nodes: 4 pods, 2 Services and the DNS pod up in ${(up / 1000).toFixed(1)} s; 2 NetworkPolicies to rules on both nodes ${(policyToRules / 1000).toFixed(2)} s; 3 lookups ${(dnsTime / 1000).toFixed(1)} s`);
      } finally {
        kube.stop();
      }
    });
  }, 600_000);
});
