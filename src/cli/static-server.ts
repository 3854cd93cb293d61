// A plain static file server for the built site (dist/): what `npm start` serves, and
// what the browser tests and benchmarks open. Any static host would do the same job.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const distDir = fileURLToPath(new URL('../../dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.wasm': 'application/wasm', '.md': 'text/markdown; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
};

export interface StaticServerOptions {
  root?: string;
  host?: string;
  port?: number;
  /** Extra files by path, e.g. a lab to open by URL in a test. */
  extra?: Record<string, string>;
  /** Send the headers that make the page cross-origin isolated (needed to measure its memory). */
  isolated?: boolean;
}

export interface StaticServer {
  url: string;
  server: Server;
  bytesSent(): number;
  /** Cut the network (or mend it): while cut, every request's connection is dropped unanswered. */
  cut(on: boolean): void;
  /** The paths asked for while the network was cut. */
  refused(): string[];
  close(): Promise<void>;
}

export async function serveStatic(options: StaticServerOptions = {}): Promise<StaticServer> {
  const root = options.root ?? distDir;
  if (!existsSync(join(root, 'index.html'))) throw new Error(`${root} has no index.html: build the site first (npm run build)`);
  let sent = 0;
  let isCut = false;
  const refused: string[] = [];
  const isolation: Record<string, string> = options.isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (isCut) { refused.push(path); req.socket.destroy(); return; }
    const extra = options.extra?.[path];
    if (extra !== undefined) {
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'text/plain', 'access-control-allow-origin': '*', ...isolation });
      res.end(extra);
      return;
    }
    let file = normalize(join(root, path));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) { res.writeHead(404).end('not found'); return; }
    const size = statSync(file).size;
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size, ...isolation });
    sent += size;
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    server,
    bytesSent: () => sent,
    cut: (on) => { isCut = on; if (on) server.closeAllConnections(); },
    refused: () => [...refused],
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
