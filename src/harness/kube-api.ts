// The Kubernetes API inside the lab's network (issue 17, item 1): a real kubectl in every node
// and pod talks to the TypeScript API server at the `kubernetes` Service address, as in-cluster
// clients do. The same on every host: in Node.js (kube-api-node.ts finds the binary in the
// cache) and in the page (src/ui/kube.ts fetches it from the page's origin).
//
//   node or pod ──TCP──▶ router ──attachService──▶ TcpEndpoint (src/net) ──byte stream──▶ net/http1 ──▶ kube handler
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
import type { KubeApi } from '../kube/api.js';
import { ENDPOINTS, SERVICE, SLICE, type Any } from '../kube/controllers/common.js';
import { handler, http1Options } from '../kube/http.js';
import { kubeconfigFor } from '../kube/kubeconfig.js';
import { serveHttp1, type HttpResponse } from '../net/http1.js';
import { TcpEndpoint, type StreamHandler } from '../net/tcp-endpoint.js';
import type { LabRun } from './lab-run.js';

/** kube-apiserver's secure port: where the `kubernetes` Service's targetPort points. */
export const API_PORT = 6443;
/** The path a node's kubectl script fetches the binary from. */
export const KUBECTL_PATH = '/podwire/kubectl';

export interface KubeInNodesOptions {
  api: KubeApi;
  /** The nodes that get kubectl; all of the lab's by default. */
  nodes?: string[];
  /** The i386 kubectl the nodes fetch; without it their kubectl script says there is none. */
  kubectl?: KubectlBinary | undefined;
  /** Connections at once (kubectl opens one or two; wget one). */
  maxConnections?: number;
}

export interface KubeInNodes {
  readonly endpoint: TcpEndpoint;
  /** The server URL in the nodes' kubeconfig. */
  readonly server: string;
  /** The binary served, if one was given. */
  readonly kubectl: KubectlBinary | undefined;
  /** How many times a node fetched the binary. */
  readonly fetches: number;
  /** Writes the kubeconfig and the kubectl script into a node (again after a reset). */
  install(node: string): Promise<void>;
  close(): Promise<void>;
}

/** The i386 kubectl, as a host has it: a file in Node's cache, bytes fetched by the page. */
export interface KubectlBinary {
  readonly sha256: string;
  readonly bytes: number;
  /** Its bytes from the start, in pieces. */
  read(): AsyncIterable<Uint8Array>;
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

/** Sends the binary, waiting for the stream to take each piece; stops if the connection goes. */
async function sendKubectl(kubectl: KubectlBinary, res: HttpResponse): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': kubectl.bytes });
  for await (const piece of kubectl.read()) {
    if (res.finished) return;
    if (!res.write(piece)) await res.drained();
  }
  res.end();
}

/** The API (and GET /podwire/kubectl) over TCP streams, each an HTTP/1.1 connection (net/http1). */
export function apiStreamHandler(api: KubeApi, options: { serverAddress: string; kubectl?: KubectlBinary | undefined }): ApiStreams {
  const { kubectl } = options;
  let fetches = 0;
  const kube = handler(api, { serverAddress: options.serverAddress });
  const open = new Set<{ destroy(): void }>();
  const http = (req: Parameters<typeof kube>[0], res: HttpResponse) => {
    if (req.method === 'GET' && req.url === KUBECTL_PATH) {
      if (!kubectl) { res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no kubectl binary here: run scripts/setup.sh\n'); return; }
      fetches++;
      sendKubectl(kubectl, res).catch(() => { if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end('kubectl could not be read\n'); else res.end(); });
      return;
    }
    kube(req, res);
  };
  return {
    handler: (stream) => {
      open.add(stream);
      const onClose = stream.onClose;
      serveHttp1(stream, http, http1Options);
      const framing = stream.onClose;
      stream.onClose = (error) => { open.delete(stream); framing?.(error); onClose?.(error); };
    },
    get fetches() { return fetches; },
    close: () => { for (const stream of [...open]) stream.destroy(); open.clear(); },
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

  const { kubectl } = options;
  const streams = apiStreamHandler(api, { serverAddress: `${clusterIP}:${servicePort}`, kubectl });
  const endpoint = new TcpEndpoint({
    listen: [{ address: clusterIP, port: servicePort }, ...gateways.map((address) => ({ address, port: API_PORT }))],
    handler: streams.handler,
    maxConnections: options.maxConnections ?? 64,
  });
  router.attachService(endpoint);

  const kubeconfig = kubeconfigFor(server);
  const install = async (node: string) => {
    const script = kubectl ? kubectlScript(server, kubectl) : '#!/bin/sh\necho "kubectl: no binary on this host (scripts/setup.sh fetches it)" >&2\nexit 1\n';
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
