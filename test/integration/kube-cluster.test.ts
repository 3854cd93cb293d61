// Kubernetes objects on the real dataplane (issue 17, phase two): the TypeScript API server
// and controllers drive two real nodes. A Deployment of 2 and a NodePort Service are applied
// to the API; the scheduler spreads the pods, the kubelet runs each with podctl on its node
// (the real CNI bridge + host-local ADD), the EndpointSlice controller lists them, and
// kube-proxy writes the iptables rules to both nodes with iptables-restore --noflush. The
// objects go in and out through a real kubectl 1.20, as a learner would type them.
// Then requests from a third node, through either node's NodePort, reach both pods; and
// deleting a pod replaces it and removes its KUBE-SEP chain on every node.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeCluster } from '../../src/harness/kube-cluster.js';
import { withLab } from '../../src/harness/run-lab.js';
import { POD, SLICE, type Any } from '../../src/kube/controllers/common.js';
import { endpointChainName } from '../../src/kube/proxy/iptables.js';
import { serveKube } from '../../src/kube/serve.js';
import { WEB_DEPLOYMENT, kubeTestLab, webService } from './kube-fixtures.js';

const KUBECTL = process.env.PODWIRE_KUBECTL ?? join(process.env.PODWIRE_CACHE ?? join(homedir(), '.cache', 'podwire'), 'kubectl-1.20', 'usr', 'bin', 'kubectl');

const SERVICE_YAML = webService('NodePort', 30080);
const LAB = kubeTestLab('kube-cluster', { client: true });

/** Ask HOST:PORT over TCP from the client up to `tries` times; the set of pods that answered. */
async function askFrom(run: Parameters<Parameters<typeof withLab>[1]>[0], host: string, port: number, tries = 16): Promise<string[]> {
  const result = await run.exec('client', `for i in $(seq ${tries}); do nc -w 3 ${host} ${port} </dev/null 2>/dev/null | tail -n 1; done | sort | uniq -c`, { timeout: 120 });
  return result.stdout.trim().split('\n').filter(Boolean).map((line) => line.trim().split(/\s+/)[1]!).sort();
}

describe('Kubernetes objects on real nodes', () => {
  it('a Deployment of 2 behind a NodePort: both pods through either node; a deleted pod\'s KUBE-SEP goes from every node', async () => {
    await withLab(LAB, async (run) => {
      const kube = await KubeCluster.start(run, { nodes: ['node1', 'node2'] });
      const server = await serveKube({ api: kube.api });
      const dir = mkdtempSync(join(tmpdir(), 'podwire-kube-cluster-'));
      server.writeKubeconfig(join(dir, 'kubeconfig'));
      const kubectl = (...args: string[]) => new Promise<string>((resolve, reject) => {
        execFile(KUBECTL, ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 30_000 }, (error, stdout, stderr) => (error ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(stdout)));
      });
      const file = (name: string, text: string) => { writeFileSync(join(dir, name), text); return join(dir, name); };
      try {
        const { api } = kube;
        let start = performance.now();
        expect(await kubectl('apply', '-f', file('deployment.yaml', WEB_DEPLOYMENT))).toBe('deployment.apps/web created\n');
        await kube.settle();
        const podsUp = performance.now() - start;
        const pods = () => (api.list(POD, 'default').items as Any[]).filter((p) => p.metadata.labels?.app === 'web');
        expect(pods().map((p) => p.status.phase)).toEqual(['Running', 'Running']);
        expect(pods().map((p) => p.spec.nodeName).sort()).toEqual(['node1', 'node2']);
        for (const p of pods()) expect(p.status.podIP).toMatch(p.spec.nodeName === 'node1' ? /^10\.244\.1\./ : /^10\.244\.2\./);

        start = performance.now();
        expect(await kubectl('apply', '-f', file('service.yaml', SERVICE_YAML))).toBe('service/web created\n');
        const applied = performance.now() - start;
        await kube.settle();
        const serviceToRules = Math.max(...['node1', 'node2'].map((n) => kube.synced.get(n)!)) - start;
        expect(kube.errors).toEqual([]);
        const names = pods().map((p) => p.metadata.name as string).sort();
        for (const node of ['10.0.0.11', '10.0.0.12']) expect(await askFrom(run, node, 30080), `through ${node}`).toEqual(names);

        // Delete one pod: a new one replaces it, and its KUBE-SEP chain leaves every node.
        const victim = pods()[0]!;
        const sep = endpointChainName('default/web:http', 'tcp', `${victim.status.podIP}:80`);
        for (const node of ['node1', 'node2']) expect((await run.exec(node, 'iptables-save -t nat')).stdout).toContain(`:${sep} `);
        start = performance.now();
        expect(await kubectl('delete', 'pod', victim.metadata.name)).toBe(`pod "${victim.metadata.name}" deleted\n`);
        await kube.settle();
        const podReplaced = performance.now() - start;
        expect(kube.errors).toEqual([]);
        for (const node of ['node1', 'node2']) expect((await run.exec(node, 'iptables-save -t nat')).stdout, node).not.toContain(sep);
        const after = pods().map((p) => p.metadata.name as string).sort();
        expect(after).toHaveLength(2);
        expect(after).not.toContain(victim.metadata.name);
        expect((api.list(SLICE, 'default').items as Any[]).find((s) => s.metadata.labels['kubernetes.io/service-name'] === 'web')!.endpoints).toHaveLength(2);
        for (const node of ['10.0.0.11', '10.0.0.12']) expect(await askFrom(run, node, 30080), `through ${node} after the delete`).toEqual(after);
        const table = await kubectl('get', 'pods,endpointslices', '-o', 'wide');
        for (const p of pods()) expect(table).toMatch(new RegExp(`^pod/${p.metadata.name}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${p.status.podIP.replace(/\./g, '\\.')}\\s+${p.spec.nodeName}\\s`, 'm'));
        console.log(`kube on real nodes: Deployment of 2 running in ${(podsUp / 1000).toFixed(1)} s; kubectl apply of the Service to its rules on both nodes ${(serviceToRules / 1000).toFixed(2)} s (kubectl itself ${(applied / 1000).toFixed(2)} s); pod deleted to replacement running and rules rewritten ${(podReplaced / 1000).toFixed(1)} s`);
      } finally {
        kube.stop();
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }, 600_000);
});
