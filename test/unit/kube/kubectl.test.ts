// A real kubectl 1.20 (Debian bookworm's kubernetes-client, unpacked by scripts/setup.sh) against
// the TypeScript API server (src/kube), on 127.0.0.1 at a free port. Every served kind goes
// through apply, get (-o yaml, -o json, -o wide), describe and delete; then label, scale, expose,
// create, a second apply that changes a field and removes one, get -w with its ADDED and
// MODIFIED events, diff (a server-side dry run), validation errors (the server's and
// kubectl's own from /openapi/v2) and 404s.
//
// It lives with the unit tests, not test/integration: it boots no VM and needs no lock, runs in
// a few seconds, and so guards the API on every `vitest --project unit` run.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { serveKube, type KubeServer } from '../../../src/kube/serve.js';

const KUBECTL = process.env.PODWIRE_KUBECTL ?? join(process.env.PODWIRE_CACHE ?? join(homedir(), '.cache', 'podwire'), 'kubectl-1.20', 'usr', 'bin', 'kubectl');
const FIXTURE = new URL('./fixtures/all-kinds.yaml', import.meta.url).pathname;

let server: KubeServer;
let dir: string;
let kubeconfig: string;

interface Result { code: number; stdout: string; stderr: string }

function kubectl(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const result = await kubectl(...args);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(async () => {
  if (!existsSync(KUBECTL)) throw new Error(`no kubectl 1.20 at ${KUBECTL}: run scripts/setup.sh (it unpacks Debian's kubernetes-client there)`);
  dir = mkdtempSync(join(tmpdir(), 'podwire-kubectl-'));
  kubeconfig = join(dir, 'kubeconfig');
  server = await serveKube({ namespaceDelay: 200 });
  server.writeKubeconfig(kubeconfig);
  expect(await ok('version', '--client', '--short')).toMatch(/^Client Version: v1\.20\./);
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Each served kind: its object in the fixture, the columns `get -o wide` shows, and a line `describe` prints. */
const KINDS = [
  { resource: 'namespace', name: 'shop', namespaced: false, wide: ['NAME', 'STATUS', 'AGE'], describe: /^Status:\s+Active$/m },
  { resource: 'node', name: 'node1', namespaced: false, wide: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'], describe: /InternalIP:\s+192\.0\.2\.11/ },
  { resource: 'pod', name: 'client', namespaced: true, wide: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'], describe: /Image:\s+busybox:1\.36/ },
  { resource: 'deployment.apps', name: 'web', namespaced: true, wide: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'], describe: /Replicas:\s+2 desired/ },
  { resource: 'replicaset.apps', name: 'cache', namespaced: true, wide: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'], describe: /Replicas:\s+0 current \/ 1 desired/ },
  { resource: 'service', name: 'web', namespaced: true, wide: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR'], describe: /TargetPort:\s+http\/TCP/ },
  { resource: 'endpoints', name: 'manual', namespaced: true, wide: ['NAME', 'ENDPOINTS', 'AGE'], describe: /Addresses:\s+192\.0\.2\.21/ },
  { resource: 'endpointslice.discovery.k8s.io', name: 'manual-abc12', namespaced: true, wide: ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'], describe: /Topology:\s+kubernetes\.io\/hostname=node1/ },
  { resource: 'networkpolicy.networking.k8s.io', name: 'web-from-client', namespaced: true, wide: ['NAME', 'POD-SELECTOR', 'AGE'], describe: /PodSelector:\s+app=client/ },
  { resource: 'configmap', name: 'settings', namespaced: true, wide: ['NAME', 'DATA', 'AGE'], describe: /^color:$/m },
];

const ns = (k: { namespaced: boolean }) => (k.namespaced ? ['-n', 'shop'] : []);
const header = (table: string) => table.split('\n')[0]!.trim().split(/\s{2,}/);

describe('kubectl 1.20 against the podwire API server', () => {
  it('applies one object of every kind (client-side apply: POST with the last-applied annotation)', async () => {
    const out = await ok('apply', '-f', FIXTURE);
    const expected = parseAllDocuments(readFileSync(FIXTURE, 'utf8')).length;
    expect(out.trim().split('\n')).toHaveLength(expected);
    expect(out).toContain('namespace/shop created');
    expect(out).toContain('endpointslice.discovery.k8s.io/manual-abc12 created');
    const live = JSON.parse(await ok('get', 'configmap', 'settings', '-n', 'shop', '-o', 'json'));
    expect(JSON.parse(live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'])).toMatchObject({ kind: 'ConfigMap', data: { color: 'blue' } });
  });

  describe.each(KINDS)('$resource', (k) => {
    it('get -o yaml, -o json, -o wide and describe', async () => {
      const yaml = parse(await ok('get', k.resource, k.name, ...ns(k), '-o', 'yaml')) as { kind: string; metadata: Record<string, string> };
      expect(yaml.metadata.name).toBe(k.name);
      expect(yaml.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(yaml.metadata.resourceVersion).toMatch(/^\d+$/);
      const json = JSON.parse(await ok('get', k.resource, k.name, ...ns(k), '-o', 'json')) as { kind: string; metadata: { name: string } };
      expect(json.kind).toBe(yaml.kind);
      const wide = await ok('get', k.resource, ...ns(k), '-o', 'wide');
      expect(header(wide)).toEqual(k.wide);
      expect(wide).toMatch(new RegExp(`^${k.name}\\s`, 'm'));
      const described = await ok('describe', k.resource, k.name, ...ns(k));
      expect(described).toMatch(new RegExp(`^Name:\\s+${k.name}$`, 'm'));
      expect(described).toMatch(k.describe);
    });
  });

  it('shows each Service type as a real cluster does', async () => {
    const rows = Object.fromEntries((await ok('get', 'services', '-n', 'shop', '-o', 'wide', '--no-headers')).trim().split('\n').map((line) => {
      const cells = line.trim().split(/\s+/);
      return [cells[0], cells.slice(1, 5).join(' ')];
    }));
    expect(rows.web).toMatch(/^ClusterIP 10\.96\.\d+\.\d+ <none> 80\/TCP$/);
    expect(rows['web-np']).toMatch(/^NodePort 10\.96\.\d+\.\d+ <none> 80:30080\/TCP$/);
    expect(rows['web-lb']).toMatch(/^LoadBalancer 10\.96\.\d+\.\d+ <pending> 80:3\d{4}\/TCP$/);
    expect(rows['web-headless']).toBe('ClusterIP None <none> 80/TCP');
    expect(rows.upstream).toBe('ExternalName <none> example.org <none>');
    expect(await ok('describe', 'service', 'web-lb', '-n', 'shop')).toMatch(/External Traffic Policy:\s+Local/);
  });

  it('apply twice: a changed field is changed, a removed field is removed, a field set by someone else stays', async () => {
    await ok('label', 'deployment', 'web', '-n', 'shop', 'owner=ops');
    const second = file('web-v2.yaml', `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.26
`);
    expect(await ok('apply', '-f', second)).toBe('deployment.apps/web configured\n');
    const live = JSON.parse(await ok('get', 'deployment', 'web', '-n', 'shop', '-o', 'json'));
    expect(live.spec.replicas).toBe(3);
    expect(live.spec.template.spec.containers[0].image).toBe('nginx:1.26');
    expect(live.spec.template.spec.containers[0].ports).toBeUndefined();
    expect(live.metadata.labels).toEqual({ owner: 'ops' });
    expect(live.metadata.generation).toBe(2);
    expect(await ok('apply', '-f', second)).toBe('deployment.apps/web unchanged\n');
  });

  it('label, scale (Deployment and ReplicaSet, through /scale) and expose', async () => {
    expect(await ok('label', 'pod', 'client', '-n', 'shop', 'tier=front')).toBe('pod/client labeled\n');
    expect(await ok('get', 'pods', '-n', 'shop', '-l', 'tier=front', '-o', 'name')).toBe('pod/client\n');
    expect(await ok('label', 'pod', 'client', '-n', 'shop', 'tier-')).toBe('pod/client labeled\n');
    expect(await ok('get', 'pods', '-n', 'shop', '-l', 'tier=front', '-o', 'name')).toBe('');
    expect(await ok('scale', 'deployment', 'web', '-n', 'shop', '--replicas=5')).toBe('deployment.apps/web scaled\n');
    expect(await ok('get', 'deployment', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).toBe('5');
    expect(await ok('scale', 'replicaset', 'cache', '-n', 'shop', '--replicas=2')).toBe('replicaset.apps/cache scaled\n');
    expect(await ok('get', 'rs', 'cache', '-n', 'shop', '--no-headers')).toMatch(/^cache\s+2\s+0\s+0\s/);
    expect(await ok('expose', 'deployment', 'web', '-n', 'shop', '--name', 'web-alt', '--port', '8080', '--target-port', '80')).toBe('service/web-alt exposed\n');
    const exposed = JSON.parse(await ok('get', 'service', 'web-alt', '-n', 'shop', '-o', 'json'));
    expect(exposed.spec).toMatchObject({ type: 'ClusterIP', selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }] });
  });

  it('create: from a file, from flags, and twice (AlreadyExists)', async () => {
    const cm = file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: made\n  namespace: shop\ndata:\n  a: "1"\n');
    expect(await ok('create', '-f', cm)).toBe('configmap/made created\n');
    expect(await ok('create', 'deployment', 'api', '-n', 'shop', '--image', 'nginx:1.25')).toBe('deployment.apps/api created\n');
    expect(await ok('create', 'service', 'nodeport', 'api', '-n', 'shop', '--tcp', '80:8080')).toBe('service/api created\n');
    const again = await kubectl('create', '-f', cm);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Error from server (AlreadyExists): error when creating');
    expect(again.stderr).toContain('configmaps "made" already exists');
  });

  it('get -w --output-watch-events shows ADDED then MODIFIED', async () => {
    const watcher = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'configmaps', '-n', 'shop', '-w', '--output-watch-events'], { env: { PATH: process.env.PATH ?? '', HOME: dir } });
    let out = '';
    watcher.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    const waitFor = async (pattern: RegExp) => {
      for (let i = 0; i < 100 && !pattern.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(pattern);
    };
    try {
      await waitFor(/^ADDED\s+settings\s/m); // the list before the watch
      await ok('create', 'configmap', 'watched', '-n', 'shop', '--from-literal=k=v');
      await waitFor(/^ADDED\s+watched\s+1\s/m);
      await ok('label', 'configmap', 'watched', '-n', 'shop', 'seen=yes');
      await waitFor(/^MODIFIED\s+watched\s+1\s/m);
    } finally {
      watcher.kill();
    }
    expect(out.split('\n')[0]).toMatch(/^EVENT\s+NAME\s+DATA\s+AGE$/);
  });

  it('validation: the server answers 422 in upstream words; kubectl checks fields against /openapi/v2', async () => {
    const badPort = file('bad-port.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\n  namespace: shop\nspec:\n  ports:\n  - port: 70000\n    targetPort: 80\n');
    const server = await kubectl('apply', '-f', badPort);
    expect(server.code).toBe(1);
    expect(server.stderr).toContain('The Service "bad" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive');
    const badField = file('bad-field.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\n  namespace: shop\nspec:\n  portz:\n  - port: 80\n');
    const client = await kubectl('apply', '-f', badField);
    expect(client.code).toBe(1);
    expect(client.stderr).toContain('ValidationError(Service.spec): unknown field "portz" in io.k8s.api.core.v1.ServiceSpec');
    const badType = file('bad-type.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\n  namespace: shop\nspec:\n  replicas: "two"\n  selector:\n    matchLabels: {app: bad}\n  template:\n    metadata:\n      labels: {app: bad}\n    spec:\n      containers: [{name: c, image: nginx}]\n');
    expect((await kubectl('create', '-f', badType)).stderr).toContain('ValidationError(Deployment.spec.replicas): invalid type for io.k8s.api.apps.v1.DeploymentSpec.replicas: got "string", expected "integer"');
  });

  it('diff and --dry-run=server: a server-side dry run shows the change and stores nothing', async () => {
    const changed = file('changed.yaml', readFileSync(FIXTURE, 'utf8').replace('color: blue', 'color: red'));
    const diff = await kubectl('diff', '-f', changed);
    expect(diff.code).toBe(1); // kubectl diff: 1 means "there are differences"
    expect(diff.stdout).toMatch(/^-\s+color: blue$/m);
    expect(diff.stdout).toMatch(/^\+\s+color: red$/m);
    expect(diff.stdout).not.toMatch(/clusterIP|nodePort/); // allocations are kept, not redone
    expect(await ok('apply', '-f', changed, '--dry-run=server')).toContain('configmap/settings configured (server dry run)');
    expect(await ok('get', 'configmap', 'settings', '-n', 'shop', '-o', 'jsonpath={.data.color}')).toBe('blue');
  });

  it('404s: a missing object, a missing namespace', async () => {
    const pod = await kubectl('get', 'pod', 'nope', '-n', 'shop');
    expect(pod.code).toBe(1);
    expect(pod.stderr).toBe('Error from server (NotFound): pods "nope" not found\n');
    expect((await kubectl('delete', 'deployment', 'nope', '-n', 'shop')).stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    expect((await kubectl('create', 'configmap', 'x', '-n', 'nowhere')).stderr).toBe('Error from server (NotFound): namespaces "nowhere" not found\n');
  });

  it('measures `kubectl get pods` (median of 20)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      await ok('get', 'pods', '-n', 'shop');
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const median = (times[9]! + times[10]!) / 2;
    console.log(`kubectl get pods: median ${median.toFixed(0)} ms of 20 (min ${times[0]!.toFixed(0)}, max ${times[19]!.toFixed(0)})`);
    expect(median).toBeLessThan(2000);
  });

  describe.each([...KINDS].reverse())('delete $resource', (k) => {
    it('deletes it, and then it is not found', async () => {
      expect(await ok('delete', k.resource, k.name, ...ns(k))).toMatch(/ deleted\n$/);
      const gone = await kubectl('get', k.resource, k.name, ...ns(k));
      if (k.resource !== 'namespace') expect(gone.stderr).toMatch(/\(NotFound\): .* not found/);
    });
  });

  it('the deleted namespace took what was left in it', async () => {
    expect((await kubectl('get', 'namespace', 'shop')).stderr).toBe('Error from server (NotFound): namespaces "shop" not found\n');
    expect(await ok('get', 'all', '-n', 'shop', '-o', 'name')).toBe('');
  });
});

describe('podwire kube serve', () => {
  it('prints a kubeconfig path that kubectl can use, and stops on SIGTERM', async () => {
    const config = join(dir, 'cli-kubeconfig');
    const child = spawn(process.execPath, [new URL('../../../bin/podwire.mjs', import.meta.url).pathname, 'kube', 'serve', '--port', '0', '--kubeconfig', config]);
    try {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
      for (let i = 0; i < 200 && !out.includes('\n'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toBe(`${config}\n`);
      const result = await new Promise<string>((resolve, reject) => {
        execFile(KUBECTL, ['--kubeconfig', config, '--cache-dir', join(dir, 'cli-cache'), 'get', 'namespaces', '-o', 'name'], { env: { PATH: process.env.PATH ?? '', HOME: dir } }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
      });
      expect(result).toBe('namespace/default\nnamespace/kube-node-lease\nnamespace/kube-public\nnamespace/kube-system\n');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
