// Start the API server: an HTTP listener on 127.0.0.1 (by default) and a kubeconfig that
// points kubectl at it. Plain HTTP carries no credentials: client-go reads a kubeconfig's
// token or certificate only for an https server (clientcmd's ClientConfig), so the listener's
// protection is its loopback address. A `token` makes the server demand one anyway, for
// clients that send it (later phases put the server behind the `kubernetes` Service address
// for kubectl inside the nodes, over a relay that can add it).
// HTTP/1.1 is net/http1.ts over each socket, as inside a lab's network: one code path.
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { serveHttp1, type ByteStream } from '../net/http1.js';
import { KubeApi, type ApiOptions } from './api.js';
import { ControllerManager, type ManagerOptions } from './controllers/manager.js';
import { handler, http1Options } from './http.js';
import { kubeconfigFor } from './kubeconfig.js';

export { kubeconfigFor };

/** A node:net socket as net/http1's byte stream. */
export function socketStream(socket: Socket): ByteStream {
  const stream: ByteStream = {
    write: (bytes) => socket.write(bytes),
    end: () => { socket.end(); },
    destroy: () => { socket.destroy(); },
    onData: undefined, onEnd: undefined, onClose: undefined, onDrain: undefined,
  };
  socket.on('data', (bytes: Buffer) => stream.onData?.(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)));
  socket.on('end', () => stream.onEnd?.());
  socket.on('drain', () => stream.onDrain?.());
  socket.on('error', () => {}); // 'close' follows
  socket.on('close', (hadError) => stream.onClose?.(hadError ? 'reset' : undefined));
  return stream;
}

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

export async function serveKube(options: ServeOptions = {}): Promise<KubeServer> {
  const host = options.host ?? '127.0.0.1';
  const api = options.api ?? new KubeApi(options);
  const token = options.token;
  const controllers = options.controllers ? new ControllerManager(api, options.controllers === true ? {} : options.controllers) : undefined;
  controllers?.start();
  let address = `${host}:0`;
  const sockets = new Set<Socket>();
  const handle = handler(api, { token, get serverAddress() { return address; } });
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveHttp1(socketStream(socket), handle, http1Options);
  });
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
      controllers?.stop(); for (const socket of sockets) socket.destroy(); server.close(() => resolve()); }),
  };
}
