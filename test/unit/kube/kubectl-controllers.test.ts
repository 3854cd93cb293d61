// The controllers (src/kube/controllers) seen through a real kubectl 1.20, as a learner sees
// them: apply a Deployment of 2 and a Service, then `get pods,endpointslices` shows two
// running pods spread over the two nodes and one slice with both; delete a pod and a new
// one takes its place; scale and the slice follows; delete the Deployment and its
// ReplicaSet and pods go (garbage collection). No VM: the kubelet runs addressOnlyRuntime,
// which gives each pod an address from its node's podCIDR and runs nothing.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressOnlyRuntime } from '../../../src/kube/controllers/kubelet.js';
import { serveKube, type KubeServer } from '../../../src/kube/serve.js';

const KUBECTL = process.env.PODWIRE_KUBECTL ?? join(process.env.PODWIRE_CACHE ?? join(homedir(), '.cache', 'podwire'), 'kubectl-1.20', 'usr', 'bin', 'kubectl');
const FIXTURE = new URL('./fixtures/web-deployment.yaml', import.meta.url).pathname;

let server: KubeServer;
let dir: string;
let kubeconfig: string;

function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  await server.controllers!.settle();
  const result = await kubectl(...args);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** `kubectl get` rows as arrays of cells, without the header. */
const rows = (table: string) => table.trim().split('\n').slice(1).map((line) => line.trim().split(/\s{2,}/));

beforeAll(async () => {
  if (!existsSync(KUBECTL)) throw new Error(`no kubectl 1.20 at ${KUBECTL}: run scripts/setup.sh`);
  dir = mkdtempSync(join(tmpdir(), 'podwire-kubectl-ctl-'));
  kubeconfig = join(dir, 'kubeconfig');
  server = await serveKube({ controllers: { runtime: addressOnlyRuntime } });
  server.writeKubeconfig(kubeconfig);
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const podNames = async () => (await ok('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}')).split(' ').filter(Boolean).sort();
const sliceIPs = async () => (await ok('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'jsonpath={.items[*].endpoints[*].addresses[0]}')).split(' ').filter(Boolean).sort();
const podIPs = async () => (await ok('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].status.podIP}')).split(' ').filter(Boolean).sort();

describe('controllers through kubectl 1.20', () => {
  it('apply a Deployment of 2 and a Service: get pods,endpointslices shows both pods, running, one per node, in one slice', async () => {
    expect(await ok('apply', '-f', FIXTURE)).toBe('node/node1 created\nnode/node2 created\ndeployment.apps/web created\nservice/web created\n');
    const out = await ok('get', 'pods,endpointslices', '-o', 'wide');
    const [pods, slices] = out.split('\n\n');
    const podRows = rows(pods!);
    expect(podRows).toHaveLength(2);
    for (const row of podRows) {
      expect(row[0]).toMatch(/^pod\/web-[bcdfghjklmnpqrstvwxz2456789]+-[0-9a-z]{5}$/);
      expect(row.slice(1, 3)).toEqual(['1/1', 'Running']);
    }
    expect(podRows.map((r) => r[6]).sort()).toEqual(['node1', 'node2']);
    expect(podRows.map((r) => r[5]).sort()).toEqual(['10.244.1.2', '10.244.2.2']);
    const sliceRows = rows(slices!);
    expect(sliceRows).toHaveLength(1);
    expect(sliceRows[0]![0]).toMatch(/^endpointslice\.discovery\.k8s\.io\/web-[0-9a-z]{5}$/);
    expect(sliceRows[0]!.slice(1, 4)).toEqual(['IPv4', '8080', '10.244.1.2,10.244.2.2']);
    expect(await ok('get', 'endpoints', 'web', '--no-headers')).toMatch(/^web\s+10\.244\.1\.2:8080,10\.244\.2\.2:8080\s/);
    expect(await ok('get', 'deployment', 'web', '--no-headers')).toMatch(/^web\s+2\/2\s+2\s+2\s/);
    expect(await ok('describe', 'service', 'web')).toMatch(/^Endpoints:\s+10\.244\.1\.2:8080,10\.244\.2\.2:8080$/m);
  });

  it('delete a pod: a new one takes its place, and the slice follows', async () => {
    const before = await podNames();
    expect(await ok('delete', 'pod', before[0]!)).toBe(`pod "${before[0]}" deleted\n`);
    const after = await podNames();
    expect(after).toHaveLength(2);
    expect(after).not.toContain(before[0]);
    expect(await sliceIPs()).toEqual(await podIPs());
  });

  it('scale to 4 and back to 1: the slice follows', async () => {
    expect(await ok('scale', 'deployment', 'web', '--replicas=4')).toBe('deployment.apps/web scaled\n');
    expect(await podNames()).toHaveLength(4);
    expect(await sliceIPs()).toEqual(await podIPs());
    expect((await sliceIPs())).toHaveLength(4);
    await ok('scale', 'deployment', 'web', '--replicas=1');
    expect(await sliceIPs()).toEqual(await podIPs());
    expect(await sliceIPs()).toHaveLength(1);
    expect(await ok('get', 'rs', '--no-headers')).toMatch(/^web-\S+\s+1\s+1\s+1\s/);
  });

  it('a Service whose targetPort names no container port has an empty slice', async () => {
    await ok('create', 'service', 'clusterip', 'broken', '--tcp', '80:htp');
    await ok('set', 'selector', 'service', 'broken', 'app=web');
    expect(rows(await ok('get', 'endpointslices', '-l', 'kubernetes.io/service-name=broken'))[0]!.slice(1, 4)).toEqual(['IPv4', '<unset>', '<unset>']);
    expect(await ok('get', 'endpoints', 'broken', '--no-headers')).toMatch(/^broken\s+<none>\s/);
  });

  it('delete the Deployment: its ReplicaSet and pods go by garbage collection; delete the Service: its slice goes', async () => {
    await ok('delete', 'deployment', 'web');
    expect(await ok('get', 'rs,pods', '-o', 'name')).toBe('');
    expect(await sliceIPs()).toEqual([]);
    await ok('delete', 'service', 'web');
    expect(await ok('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'name')).toBe('');
    expect((await kubectl('get', 'endpoints', 'web')).stderr).toBe('Error from server (NotFound): endpoints "web" not found\n');
  });
});
