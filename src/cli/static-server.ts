// A plain static file server for the built site (dist/): what `npm start` serves, and
// what the browser tests and benchmarks open. Any static host would do the same job.
// Every request is untrusted: a bad one gets a 4xx, never an exception that ends the server.
import { createReadStream, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { kubectlForPage, type KubectlForPage } from '../harness/kube-api-node.js';

export const distDir = fileURLToPath(new URL('../../dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.webmanifest': 'application/manifest+json', '.wasm': 'application/wasm',
  '.md': 'text/markdown; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Files worth compressing on the way: text and WebAssembly. The snapshot is zstd already. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.wasm', '.md', '.svg', '.txt']);
/** Larger files are sent as they are: compressing them in one go would hold the server up. */
const COMPRESS_AT_MOST = 16 << 20;

/** Whether a request's Accept-Encoding takes gzip (and does not refuse it with q=0). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : header ?? '';
  return value.split(',').some((part) => {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/**
 * The outer fence for everything served, workers and the service worker included (a
 * worker gets its policy from its own response, not from the page's meta tag). The
 * page's own meta CSP can only narrow it further.
 * - script-src: the site's own scripts; 'wasm-unsafe-eval' lets v86 compile its
 *   WebAssembly and the code its JIT makes, and nothing else (no eval).
 * - style-src 'unsafe-inline': xterm.js and Svelte set inline styles.
 * - connect-src: the site itself; labs opened by URL, which are fetched as data
 *   from any https address; and data: URLs, from which the zstd decoder fetches its
 *   WebAssembly.
 * - worker-src blob:: v86 and the bundler may start workers from blobs.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' data: https:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

/** Headers on every response, errors included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Cross-origin isolation: with these the page may share memory with its workers, so its
 * nodes share one copy of the base snapshot (SharedArrayBuffer), and may measure its
 * memory. Everything the page loads is its own origin's, so nothing is blocked.
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

export interface StaticServerOptions {
  root?: string;
  host?: string;
  port?: number;
  /** Extra files by path, e.g. a lab to open by URL in a test. */
  extra?: Record<string, string>;
  /**
   * Send the headers that make the page cross-origin isolated (true unless false): its nodes
   * then share one copy of the base snapshot (SharedArrayBuffer), and the page may measure its memory.
   */
  isolated?: boolean;
  /**
   * The nodes' kubectl for labs with the control plane, served at kubectl/ from the cache (not
   * from the site: it is 37 MB, and no part of the first visit). By default the one
   * scripts/setup.sh keeps; false serves none.
   */
  kubectl?: KubectlForPage | false;
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

/** Why a request was refused, with its status. */
class Refusal extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** The request's path, decoded; a 400 for a bad percent-encoding or a NUL byte. */
export function requestPath(url: string | undefined): string {
  const raw = (url ?? '/').split(/[?#]/)[0]!;
  if (!raw.startsWith('/')) throw new Refusal(400, 'bad request: the path must start with /');
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    throw new Refusal(400, 'bad request: malformed percent-encoding in the path');
  }
  if (path.includes('\0')) throw new Refusal(400, 'bad request: NUL in the path');
  return path;
}

/** True when `file` is `root` or inside it, by resolved path (a sibling `dist-evil` is outside `dist`). */
export function isInside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function statOrNull(file: string): Stats | null {
  try { return statSync(file); } catch { return null; }
}

export async function serveStatic(options: StaticServerOptions = {}): Promise<StaticServer> {
  const wanted = resolve(options.root ?? distDir);
  if (!statOrNull(join(wanted, 'index.html'))?.isFile()) throw new Error(`${wanted} has no index.html: build the site first (npm run build)`);
  const root = realpathSync(wanted);
  let sent = 0;
  let isCut = false;
  // Each file compressed once, while it stays as it was (a rebuilt site gets new ones).
  const gzipped = new Map<string, { mtimeMs: number; size: number; body: Buffer }>();
  const compressed = (file: string, stats: Stats): Buffer => {
    const kept = gzipped.get(file);
    if (kept && kept.mtimeMs === stats.mtimeMs && kept.size === stats.size) return kept.body;
    const body = gzipSync(readFileSync(file), { level: 9 });
    gzipped.set(file, { mtimeMs: stats.mtimeMs, size: stats.size, body });
    return body;
  };
  const refused: string[] = [];
  const isolation: Readonly<Record<string, string>> = options.isolated !== false ? ISOLATION_HEADERS : {};
  const kubectl = options.kubectl === false ? undefined : options.kubectl ?? kubectlForPage();

  const fail = (res: ServerResponse, status: number, message: string) => {
    if (res.headersSent) { res.destroy(); return; }
    res.writeHead(status, { ...SECURITY_HEADERS, ...isolation, 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${message}\n`);
  };

  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const path = requestPath(req.url);
    if (isCut) { refused.push(path); req.socket.destroy(); return; }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new Refusal(405, 'method not allowed');
    const body = req.method === 'GET';
    const extra = options.extra?.[path];
    if (extra !== undefined) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': TYPES[extname(path)] ?? 'text/plain', 'access-control-allow-origin': '*', ...isolation });
      res.end(body ? extra : undefined);
      return;
    }
    if (kubectl && path === `/${kubectl.manifestPath}`) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json', 'content-length': Buffer.byteLength(kubectl.manifest), 'cache-control': 'no-cache', ...isolation });
      res.end(body ? kubectl.manifest : undefined);
      return;
    }
    if (kubectl && path === `/${kubectl.filePath}`) {
      // Named by its content: a browser may keep it for good.
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/octet-stream', 'content-length': kubectl.bytes, 'cache-control': 'public, max-age=31536000, immutable', ...isolation });
      if (!body) { res.end(); return; }
      sent += kubectl.bytes;
      const stream = createReadStream(kubectl.file);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
      return;
    }
    let file = resolve(root, `.${path}`);
    if (!isInside(root, file)) throw new Refusal(403, 'forbidden');
    if (statOrNull(file)?.isDirectory()) file = join(file, 'index.html');
    const stats = statOrNull(file);
    if (!stats?.isFile()) throw new Refusal(404, 'not found');
    // A symbolic link inside the site must not lead out of it either.
    if (!isInside(root, realpathSync(file))) throw new Refusal(403, 'forbidden');
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const compressible = COMPRESSIBLE.has(extname(file)) && stats.size <= COMPRESS_AT_MOST;
    const vary = compressible ? { vary: 'accept-encoding' } : {};
    if (compressible && acceptsGzip(req.headers['accept-encoding'])) {
      // The first visit's download is mostly code and WebAssembly besides the snapshot.
      const content = compressed(file, stats);
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': content.byteLength, 'content-encoding': 'gzip', ...vary, ...isolation });
      if (body) sent += content.byteLength;
      res.end(body ? content : undefined);
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': stats.size, ...vary, ...isolation });
    if (!body) { res.end(); return; }
    sent += stats.size;
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const server = createServer((req, res) => {
    try {
      answer(req, res);
    } catch (error) {
      if (error instanceof Refusal) fail(res, error.status, error.message);
      else fail(res, 500, 'internal error');
    }
  });
  // A request Node cannot even parse gets a 400 and its connection closed, nothing more.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolveListen);
  });
  // Past listening, a server error (say, out of file descriptors) is logged, not fatal.
  server.on('error', (error) => console.error(`podwire: static server: ${error.message}`));
  const { port } = server.address() as { port: number };
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    server,
    bytesSent: () => sent,
    cut: (on) => { isCut = on; if (on) server.closeAllConnections(); },
    refused: () => [...refused],
    close: () => new Promise((resolveClose) => { server.closeAllConnections(); server.close(() => resolveClose()); }),
  };
}
