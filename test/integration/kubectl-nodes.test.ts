// A real kubectl inside the nodes and pods (issue 17, item 1): the TypeScript API server sits in
// the lab's network behind the router (src/net/tcp-endpoint.ts, src/harness/kube-api-node.ts),
// at the `kubernetes` Service address. Each node's first `kubectl` fetches the real binary
// (Debian's kubernetes-client 1.20, i386) from the API endpoint; then, typed inside node1, a
// Deployment and a Service are applied, the pods run on both nodes, and `kubectl get pods -o
// wide` inside node1, inside node2 and inside a pod's network namespace shows them. The pod's
// request goes through kube-proxy's real DNAT of 10.96.0.1:443 to the router's :6443.
import { describe, expect, it } from 'vitest';
import { attachKubeApi } from '../../src/harness/kube-api.js';
import { cachedKubectl, nodeKubectl } from '../../src/harness/kube-api-node.js';
import { KubeCluster } from '../../src/harness/kube-cluster.js';
import { withLab } from '../../src/harness/run-lab.js';
import { POD, type Any } from '../../src/kube/controllers/common.js';
import { WEB_DEPLOYMENT, kubeTestLab, webService } from './kube-fixtures.js';

const MANIFEST = `${WEB_DEPLOYMENT}---\n${webService()}`;
const LAB = kubeTestLab('kubectl-nodes');

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

describe.skipIf(!cachedKubectl())('kubectl inside the nodes', () => {
  it('fetches kubectl on first use; apply and get pods -o wide from a node, the other node and a pod', async () => {
    await withLab(LAB, async (run) => {
      const kube = await KubeCluster.start(run, { nodes: ['node1', 'node2'] });
      const inNodes = await attachKubeApi(run, { api: kube.api, kubectl: nodeKubectl() });
      const timed = async (node: string, command: string) => {
        const start = performance.now();
        const result = await run.exec(node, command, { timeout: 300 });
        expect(result.exitCode, `${node}: ${command}\n${result.stderr}`).toBe(0);
        return { stdout: result.stdout, ms: performance.now() - start };
      };
      try {
        await kube.settle(); // the `kubernetes` EndpointSlice is in every node's rules
        expect(kube.errors).toEqual([]);

        // The transfer alone, into nothing: the endpoint's throughput to a real Linux.
        const transfer = await timed('node1', `wget -q -O /dev/null ${inNodes.server}/podwire/kubectl`);
        const first = await timed('node1', 'kubectl version --client --short');
        expect(first.stdout).toMatch(/Client Version: v1\.20\./);
        expect(inNodes.fetches).toBe(2);
        const again = await timed('node1', 'kubectl version --client --short');
        expect(inNodes.fetches).toBe(2);
        const bytes = inNodes.kubectl!.bytes;

        const apply = await timed('node1', `cat >/root/web.yaml <<'EOF'\n${MANIFEST}EOF\nkubectl apply -f /root/web.yaml`);
        expect(apply.stdout).toBe('deployment.apps/web created\nservice/web created\n');
        await kube.settle();
        expect(kube.errors).toEqual([]);
        const web = (kube.api.list(POD, 'default').items as Any[]).filter((p) => p.metadata.labels?.app === 'web');
        // A pod whose start failed (podctl's CNI ADD, once in CI on a loaded machine) is Failed
        // with the reason, and its ReplicaSet made another, as a Deployment does: two run.
        for (const failed of web.filter((p) => p.status.phase !== 'Running')) {
          expect(failed.status, `pod ${failed.metadata.name}`).toMatchObject({ phase: 'Failed', reason: 'StartError', message: expect.any(String) });
          console.log(`kubectl-nodes: pod ${failed.metadata.name} failed to start and was replaced: ${failed.status.message}`);
        }
        const pods = web.filter((p) => p.status.phase === 'Running');
        expect(pods).toHaveLength(2);

        const shows = (table: string) => {
          for (const p of pods) {
            expect(table).toMatch(new RegExp(`^${p.metadata.name}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${p.status.podIP.replace(/\./g, '\\.')}\\s+${p.spec.nodeName}\\s`, 'm'));
          }
        };
        const gets: number[] = [];
        for (let i = 0; i < 3; i++) {
          const get = await timed('node1', 'kubectl get pods -o wide');
          shows(get.stdout);
          gets.push(get.ms);
        }
        // Inside the node, as the shell sees it (no agent round trip): `time` of one get.
        const inside = await timed('node1', 'TIMEFORMAT=%R; { time kubectl get pods >/dev/null; } 2>&1');
        const insideSeconds = Number(inside.stdout.trim());

        const other = await timed('node2', 'kubectl get pods -o wide');
        shows(other.stdout);
        expect(inNodes.fetches).toBe(3);
        expect((await timed('node2', 'kubectl get svc web --no-headers')).stdout).toMatch(/^web\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP/m);
        expect((await timed('node2', 'kubectl get endpoints kubernetes --no-headers')).stdout).toMatch(/^kubernetes\s+10\.0\.0\.1:6443\s/m);

        // From a pod's network namespace: through kube-proxy's DNAT to the router's :6443.
        const pod = pods.find((p) => p.spec.nodeName === 'node1') ?? pods[0]!;
        const fromPod = await timed(pod.spec.nodeName, `ip netns exec ${pod.metadata.name} kubectl get pods -o wide`);
        shows(fromPod.stdout);
        // The router still answers its own ping, though the API listens on its address.
        expect((await run.exec('node1', 'ping -c 1 -W 2 10.0.0.1')).exitCode).toBe(0);
        const nat = await run.exec('node1', 'iptables-save -t nat | grep -c "default/kubernetes:https.*DNAT.*10.0.0.1:6443"');
        expect(Number(nat.stdout.trim())).toBeGreaterThan(0);

        const fetchMs = first.ms - again.ms;
        console.log(`kubectl in the nodes: ${bytes} bytes to node1's /dev/null in ${seconds(transfer.ms)} (${((bytes * 8) / transfer.ms / 1000).toFixed(1)} Mbit/s); `
          + `first kubectl on node1 ${seconds(first.ms)} (of it the fetch into /run and the size check about ${seconds(fetchMs)}), then ${seconds(again.ms)}; `
          + `kubectl apply ${seconds(apply.ms)}; get pods -o wide ${gets.map(seconds).join(', ')} (${insideSeconds} s by the node's own clock); `
          + `node2's first get (fetch included) ${seconds(other.ms)}; from a pod ${seconds(fromPod.ms)}; endpoint ${JSON.stringify(inNodes.endpoint.counters)}`);
      } finally {
        await inNodes.close();
        kube.stop();
      }
    });
  }, 900_000);
});
