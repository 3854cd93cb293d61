// The Kubernetes API inside the lab's network (issue 17, item 1): a real kubectl in every node
// and pod talks to the TypeScript API server at the `kubernetes` Service address, as in-cluster
// clients do. Node.js only (node:http carries the requests); the browser side is still to come.
//
//   node or pod ──TCP──▶ router ──attachService──▶ TcpEndpoint (src/net) ──byte stream──▶ node:http ──▶ kube handler
//
// What is set up, as kube-apiserver and kubeadm would:
//   - the endpoint listens on the `kubernetes` ClusterIP:443 and on the router's address on each
//     segment at :6443 (the "advertise address"), so it answers with or without kube-proxy;
//   - the `kubernetes` Endpoints and EndpointSlice name ROUTER:6443 (the apiserver's endpoint
//     reconciler writes these), so kube-proxy's real DNAT rules carry 10.96.0.1:443 there;
//   - in each node, /root/.kube/config with `server: http://10.96.0.1:443` (plain HTTP: client-go
//     takes it, and this endpoint speaks no TLS) and /usr/local/bin/kubectl, a small script
//     that fetches the real kubectl (Debian's kubernetes-client 1.20, i386, about 37 MB: too big
//     for the node image) from GET /podwire/kubectl into /run on first use, checks its size
//     and runs it.
// Pods share the node's files, so `ip netns exec POD kubectl ...` works the same way.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import type { KubeApi } from '../kube/api.js';
import { ENDPOINTS, SERVICE, SLICE, type Any } from '../kube/controllers/common.js';
import { handler } from '../kube/http.js';
import { kubeconfigFor } from '../kube/serve.js';
import { TcpEndpoint, type StreamHandler, type TcpStream } from '../net/tcp-endpoint.js';
import type { LabRun } from './lab-run.js';

/** kube-apiserver's secure port: where the `kubernetes` Service's targetPort points. */
export const API_PORT = 6443;
/** The path a node's kubectl script fetches the binary from. */
export const KUBECTL_PATH = '/podwire/kubectl';

export interface KubeInNodesOptions {
  api: KubeApi;
  /** The nodes that get kubectl; all of the lab's by default. */
  nodes?: string[];
  /** The i386 kubectl; by default the one scripts/setup.sh keeps in the cache. */
  kubectl?: string;
  /** Connections at once (kubectl opens one or two; wget one). */
  maxConnections?: number;
}

export interface KubeInNodes {
  readonly endpoint: TcpEndpoint;
  /** The server URL in the nodes' kubeconfig. */
  readonly server: string;
  /** The binary served, if one was found. */
  readonly kubectl: { path: string; sha256: string; bytes: number } | undefined;
  /** How many times a node fetched the binary. */
  readonly fetches: number;
  /** Writes the kubeconfig and the kubectl script into a node (again after a reset). */
  install(node: string): Promise<void>;
  close(): Promise<void>;
}

/** Where scripts/setup.sh keeps the i386 kubectl: kubectl-1.20-i386/kubectl-<sha256>. */
export function cachedKubectl(): string | undefined {
  if (process.env.PODWIRE_KUBECTL_I386) return process.env.PODWIRE_KUBECTL_I386;
  const dir = join(process.env.PODWIRE_CACHE ?? join(homedir(), '.cache', 'podwire'), 'kubectl-1.20-i386');
  if (!existsSync(dir)) return undefined;
  const name = readdirSync(dir).find((f) => /^kubectl-[0-9a-f]{64}$/.test(f));
  return name && join(dir, name);
}

/**
 * The script that stands in for kubectl until the real one is fetched. Guest shell: kept small.
 * It checks the size, not the sha256: busybox takes about 10 s to hash 37 MB under v86, twice
 * the transfer. TCP's checksums cover the bytes; the name, by sha256, keeps an old copy apart.
 */
export function kubectlScript(server: string, kubectl: { sha256: string; bytes: number }): string {
  return `#!/bin/sh
# kubectl, fetched on first use. The real one (Debian's kubernetes-client 1.20) is too big
# for the node image, so the API server hands it out. It goes to /run, a tmpfs of its own:
# the root filesystem has no room for it.
bin=/run/kubectl-${kubectl.sha256.slice(0, 16)}
if [ ! -x "$bin" ]; then
  part="$bin.$$"
  wget -q -O "$part" ${server}${KUBECTL_PATH} || { rm -f "$part"; echo "kubectl: cannot fetch it from ${server}" >&2; exit 1; }
  [ "$(stat -c %s "$part")" = ${kubectl.bytes} ] || { rm -f "$part"; echo "kubectl: the fetch was cut short" >&2; exit 1; }
  chmod +x "$part" && mv "$part" "$bin"
fi
exec "$bin" "$@"
`;
}

/** A node:stream Duplex over one TCP connection of the endpoint, for node:http. */
function duplexOf(stream: TcpStream): Duplex {
  let ended = false;
  const duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      try {
        if (stream.write(chunk)) callback();
        else stream.onDrain = () => { stream.onDrain = undefined; callback(); };
      } catch (error) {
        callback(error as Error);
      }
    },
    final(callback) { ended = true; stream.end(); callback(); },
    // node:http destroys a socket once it has ended it: then the FINs finish the connection
    // (a RST there would cut off a response still in flight). Otherwise, a RST.
    destroy(error, callback) { if (error || !ended) stream.destroy(); callback(error); },
  });
  stream.onData = (bytes) => duplex.push(Buffer.from(bytes));
  stream.onEnd = () => duplex.push(null);
  stream.onClose = (error) => { if (!duplex.destroyed) duplex.destroy(error ? new Error(error) : undefined); };
  return duplex;
}

const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The `kubernetes` Endpoints and EndpointSlice: the API at ADDRESS:6443, as kube-apiserver's reconciler writes them. */
function writeEndpoints(api: KubeApi, address: string): void {
  const labels = { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' };
  const slice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kubernetes', namespace: 'default', labels },
    addressType: 'IPv4', endpoints: [{ addresses: [address], conditions: { ready: true } }], ports: [{ name: 'https', port: API_PORT, protocol: 'TCP' }] };
  const endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default' },
    subsets: [{ addresses: [{ ip: address }], ports: [{ name: 'https', port: API_PORT, protocol: 'TCP' }] }] };
  for (const [kind, body] of [[ENDPOINTS, endpoints], [SLICE, slice]] as const) {
    if (!api.store.get(kind.storage, 'default', 'kubernetes')) api.create(kind, 'default', body);
  }
}

export interface ApiStreams {
  /** Give it each accepted connection. */
  readonly handler: StreamHandler;
  readonly fetches: number;
  close(): void;
}

/** The API (and GET /podwire/kubectl) over TCP streams: node:http parses each as an HTTP connection. */
export function apiStreamHandler(api: KubeApi, options: { serverAddress: string; kubectl?: KubeInNodes['kubectl'] }): ApiStreams {
  const { kubectl } = options;
  let fetches = 0;
  const kube = handler(api, { serverAddress: options.serverAddress });
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === KUBECTL_PATH) {
      if (!kubectl) { res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no kubectl binary here: run scripts/setup.sh\n'); return; }
      fetches++;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': kubectl.bytes });
      createReadStream(kubectl.path, { highWaterMark: 256 * 1024 }).pipe(res);
      return;
    }
    kube(req, res);
  });
  return {
    handler: (stream) => void http.emit('connection', duplexOf(stream)),
    get fetches() { return fetches; },
    close: () => http.closeAllConnections(),
  };
}

/** Puts the API server in the lab's network and kubectl in its nodes. */
export async function attachKubeApi(run: LabRun, options: KubeInNodesOptions): Promise<KubeInNodes> {
  const { api } = options;
  const router = run.cluster.router;
  if (!router) throw new Error('this cluster has no router to put the API behind');
  const service = api.get(SERVICE, 'default', 'kubernetes') as Any;
  const clusterIP: string = service.spec.clusterIP;
  const servicePort: number = service.spec.ports[0]?.port ?? 443;
  const server = `http://${clusterIP}:${servicePort}`;
  const gateways = run.topology.segments.map((s) => s.gateway);
  writeEndpoints(api, gateways[0]!);

  const path = options.kubectl ?? cachedKubectl();
  const kubectl = path && existsSync(path) ? { path, sha256: sha256Of(path), bytes: statSync(path).size } : undefined;
  const streams = apiStreamHandler(api, { serverAddress: `${clusterIP}:${servicePort}`, kubectl });
  const endpoint = new TcpEndpoint({
    listen: [{ address: clusterIP, port: servicePort }, ...gateways.map((address) => ({ address, port: API_PORT }))],
    handler: streams.handler,
    maxConnections: options.maxConnections ?? 64,
  });
  router.attachService(endpoint);

  const kubeconfig = kubeconfigFor(server);
  const install = async (node: string) => {
    const script = kubectl ? kubectlScript(server, kubectl) : '#!/bin/sh\necho "kubectl: no binary (run scripts/setup.sh on the host)" >&2\nexit 1\n';
    const command = `mkdir -p /root/.kube && cat >/root/.kube/config <<'PODWIRE_EOF'\n${kubeconfig}\nPODWIRE_EOF\n`
      + `cat >/usr/local/bin/kubectl <<'PODWIRE_EOF'\n${script}PODWIRE_EOF\nchmod 755 /usr/local/bin/kubectl`;
    const result = await run.exec(node, command, { timeout: 30 });
    if (result.exitCode !== 0) throw new Error(`installing kubectl on ${node} failed: ${result.stderr.trim()}`);
  };
  await Promise.all((options.nodes ?? run.nodeNames).map(install));

  return {
    endpoint, server, kubectl, install,
    get fetches() { return streams.fetches; },
    close: async () => {
      router.attachService(null);
      endpoint.close();
      streams.close();
    },
  };
}
