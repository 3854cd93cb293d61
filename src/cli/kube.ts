// podwire kube serve [--port N] [--host ADDR] [--kubeconfig FILE] [--controllers]: the
// TypeScript API server (src/kube, issue 17) on its own, for a real kubectl: it prints the
// path of a kubeconfig to pass to `kubectl --kubeconfig`, and serves until interrupted.
// --controllers runs the controllers too, with a kubelet that only hands out pod addresses
// (no nodes run here).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { addressOnlyRuntime } from '../kube/controllers/kubelet.js';
import { serveKube } from '../kube/serve.js';

const USAGE = `usage:
  podwire kube serve [--port N] [--host ADDR] [--kubeconfig FILE] [--controllers]
                     serve the Kubernetes API (Namespace, Node, Pod, Deployment, ReplicaSet,
                     Service, Endpoints, EndpointSlice, NetworkPolicy, ConfigMap) from memory
                     and print a kubeconfig path for kubectl; --host defaults to 127.0.0.1;
                     --controllers runs the Deployment, ReplicaSet, garbage collector,
                     scheduler and EndpointSlice controllers (pods get addresses, no dataplane)`;

export async function kubeCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: { port: { type: 'string' }, host: { type: 'string' }, kubeconfig: { type: 'string' }, controllers: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals[0] !== 'serve' || positionals.length > 1) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) { process.stderr.write(`podwire: --port takes a port number, not '${values.port}'\n${USAGE}\n`); return 2; }
  const server = await serveKube({ port, ...(values.host ? { host: values.host } : {}), ...(values.controllers ? { controllers: { runtime: addressOnlyRuntime } } : {}) });
  const kubeconfig = values.kubeconfig ?? join(mkdtempSync(join(tmpdir(), 'podwire-kube-')), 'kubeconfig');
  server.writeKubeconfig(kubeconfig);
  process.stderr.write(`podwire: Kubernetes API on ${server.url}; try: kubectl --kubeconfig ${kubeconfig} get namespaces\n`);
  process.stdout.write(`${kubeconfig}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
