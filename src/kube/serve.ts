// Start the API server: an HTTP listener on 127.0.0.1 (by default) and a kubeconfig that
// points kubectl at it. Plain HTTP carries no credentials: client-go reads a kubeconfig's
// token or certificate only for an https server (clientcmd's ClientConfig), so the listener's
// protection is its loopback address. A `token` makes the server demand one anyway, for
// clients that send it (later phases put the server behind the `kubernetes` Service address
// for kubectl inside the nodes, over a relay that can add it).
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeApi, type ApiOptions } from './api.js';
import { ControllerManager, type ManagerOptions } from './controllers/manager.js';
import { handler } from './http.js';

export interface KubeServer {
  readonly api: KubeApi;
  readonly url: string;
  readonly port: number;
  readonly token: string | undefined;
  /** The controllers, when started (options.controllers). */
  readonly controllers: ControllerManager | undefined;
  /** A kubeconfig for kubectl, as YAML text (JSON is YAML). */
  kubeconfig(): string;
  writeKubeconfig(path: string): void;
  close(): Promise<void>;
}

export interface ServeOptions extends ApiOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  api?: KubeApi;
  /** Demand `Authorization: Bearer TOKEN` on every request. */
  token?: string;
  /** Run the controllers (src/kube/controllers) against this server's API. */
  controllers?: ManagerOptions | boolean;
}

/** A kubeconfig for kubectl talking to `server` (http://HOST:PORT), as JSON text (JSON is YAML). */
export function kubeconfigFor(server: string, token?: string): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'podwire',
    clusters: [{ name: 'podwire', cluster: { server } }],
    users: [{ name: 'podwire', user: token ? { token } : {} }],
    contexts: [{ name: 'podwire', context: { cluster: 'podwire', user: 'podwire', namespace: 'default' } }],
  }, null, 2);
}

export async function serveKube(options: ServeOptions = {}): Promise<KubeServer> {
  const host = options.host ?? '127.0.0.1';
  const api = options.api ?? new KubeApi(options);
  const token = options.token;
  const controllers = options.controllers ? new ControllerManager(api, options.controllers === true ? {} : options.controllers) : undefined;
  controllers?.start();
  let address = `${host}:0`;
  const server: Server = createServer((req, res) => handle(req, res));
  const handle = handler(api, { token, get serverAddress() { return address; } });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  address = `${host}:${port}`;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const kubeconfig = () => kubeconfigFor(url, token);
  return {
    api, url, port, token, kubeconfig, controllers,
    writeKubeconfig: (path) => writeFileSync(path, `${kubeconfig()}\n`, { mode: 0o600 }),
    close: () => new Promise((resolve) => {
      controllers?.stop(); server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
