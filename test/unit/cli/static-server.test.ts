// The static server against hostile requests, sent as raw bytes over TCP (an HTTP client
// library would clean the paths up first): bad percent-encodings, traversal plain and
// encoded, a sibling folder that shares the site folder's prefix, a symbolic link out,
// and garbage. Every answer carries the security headers, and the server stays up.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { CONTENT_SECURITY_POLICY, acceptsGzip, isInside, serveStatic, type StaticServer } from '../../../src/cli/static-server.js';
import { kubectlForPage } from '../../../src/harness/kube-api-node.js';

interface RawResponse { status: number; headers: Record<string, string>; body: string }

/** One request, exactly as written, and the server's answer. */
function raw(server: StaticServer, request: string): Promise<RawResponse> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      }));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(request);
    socket.setTimeout(5000, () => socket.destroy());
  });
}

const get = (server: StaticServer, path: string, method = 'GET') => raw(server, `${method} ${path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n`);

describe('the static server under hostile requests', () => {
  let base: string;
  let server: StaticServer;
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'static-server-'));
    mkdirSync(join(base, 'dist', 'sub'), { recursive: true });
    writeFileSync(join(base, 'dist', 'index.html'), '<!doctype html><title>site</title>');
    writeFileSync(join(base, 'dist', 'app.js'), 'console.log(1)');
    writeFileSync(join(base, 'dist', 'sub', 'index.html'), 'sub page');
    mkdirSync(join(base, 'dist-evil'));
    writeFileSync(join(base, 'dist-evil', 'secret.txt'), 'sibling secret');
    writeFileSync(join(base, 'secret.txt'), 'parent secret');
    symlinkSync(join(base, 'secret.txt'), join(base, 'dist', 'link.txt'));
    server = await serveStatic({ root: join(base, 'dist'), kubectl: false });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('serves the site, with the security headers', async () => {
    const page = await get(server, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>site</title>');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    // Cross-origin isolated by default: the page's nodes share one copy of the base snapshot.
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(page.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect((await get(server, '/sub/')).body).toBe('sub page');
    expect((await get(server, '/app.js?v=1#x')).headers['content-type']).toBe('text/javascript');
  });

  it('sends code gzipped to a browser that takes gzip, and as it is to one that does not, counting the bytes sent', async () => {
    const script = `console.log(${JSON.stringify('podwire '.repeat(2000))})`;
    writeFileSync(join(base, 'dist', 'big.js'), script);
    writeFileSync(join(base, 'dist', 'state.zst'), Buffer.alloc(4000, 7));
    const { port } = new URL(server.url);
    const fetchRaw = (path: string, encoding?: string) => new Promise<{ headers: Record<string, string>; body: Buffer }>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        const all = Buffer.concat(chunks);
        const split = all.indexOf('\r\n\r\n');
        const headers = Object.fromEntries(all.subarray(0, split).toString('latin1').split('\r\n').slice(1).map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
        resolve({ headers, body: all.subarray(split + 4) });
      });
      socket.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\n${encoding ? `accept-encoding: ${encoding}\r\n` : ''}connection: close\r\n\r\n`);
    });
    const before = server.bytesSent();
    const zipped = await fetchRaw('/big.js', 'gzip, deflate');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.byteLength);
    expect(zipped.body.byteLength).toBeLessThan(script.length / 10);
    expect(gunzipSync(zipped.body).toString()).toBe(script);
    expect(server.bytesSent() - before).toBe(zipped.body.byteLength);
    const plain = await fetchRaw('/big.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(script);
    expect((await fetchRaw('/big.js', 'gzip;q=0, br')).headers['content-encoding']).toBeUndefined();
    // The snapshot is zstd already: sent as it is.
    expect((await fetchRaw('/state.zst', 'gzip')).headers['content-encoding']).toBeUndefined();
  });

  it('reads Accept-Encoding as browsers write it', () => {
    expect(acceptsGzip('gzip, deflate, br, zstd')).toBe(true);
    expect(acceptsGzip('deflate, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });

  it('has a policy that allows the site\'s own scripts and WebAssembly, and no eval or inline script', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(directives.get('connect-src')).toContain("'self'");
    expect(directives.get('object-src')).toEqual(["'none'"]);
  });

  it.each(['/%E0%A4%A', '/%', '/%zz', '/%C0%AF', '/index.html%', '/%ED%A0%80'])('answers the bad encoding %s with 400', async (path) => {
    const response = await get(server, path);
    expect(response.status).toBe(400);
    expect(response.body).toMatch(/malformed percent-encoding/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it.each([
    ['a sibling folder with the same prefix', '/../dist-evil/secret.txt'],
    ['the sibling, encoded', '/%2e%2e/dist-evil/secret.txt'],
    ['plain traversal', '/../secret.txt'],
    ['deep traversal', '/sub/../../secret.txt'],
    ['encoded dots', '/%2e%2e/secret.txt'],
    ['encoded slashes', '/..%2fsecret.txt'],
    ['encoded dots and slashes', '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
    ['a backslash', '/..%5csecret.txt'],
    ['a symbolic link that leads out', '/link.txt'],
  ])('refuses %s', async (_, path) => {
    const response = await get(server, path);
    expect([403, 404]).toContain(response.status);
    expect(response.body).not.toMatch(/secret/);
    expect(response.headers['referrer-policy']).toBe('no-referrer');
  });

  it('refuses what is not a GET or HEAD, a NUL byte, and an absolute-form target', async () => {
    expect((await get(server, '/', 'POST')).status).toBe(405);
    expect((await get(server, '/', 'DELETE')).status).toBe(405);
    const head = await get(server, '/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await get(server, '/%00')).status).toBe(400);
    expect((await get(server, '/index.html%00.js')).status).toBe(400);
    expect((await get(server, 'http://evil.example/../../secret.txt')).status).toBe(400);
    expect((await get(server, '/missing')).status).toBe(404);
  });

  it('answers garbage that is not HTTP with 400, and is still up after all of it', async () => {
    expect((await raw(server, 'GARBAGE\r\n\r\n')).status).toBe(400);
    expect((await raw(server, `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nhost: x\r\n\r\n`)).status).toBeGreaterThanOrEqual(400);
    expect((await raw(server, 'GET / HTTP/1.1\r\nhost: x\r\ncontent-length: -1\r\n\r\n')).status).toBe(400);
    const page = await get(server, '/');
    expect(page.status).toBe(200);
    expect(server.server.listening).toBe(true);
  });

  it('decides containment by resolved path, not by prefix', () => {
    expect(isInside('/srv/dist', '/srv/dist')).toBe(true);
    expect(isInside('/srv/dist', '/srv/dist/a/b.js')).toBe(true);
    expect(isInside('/srv/dist', '/srv/dist-evil/a.js')).toBe(false);
    expect(isInside('/srv/dist', '/srv/a.js')).toBe(false);
    expect(isInside('/srv/dist', '/srv/dist/..a')).toBe(true);
  });
});

describe('the nodes\' kubectl, for labs with the control plane in the page', () => {
  it('is served from the cache at kubectl/, named by its sha256 (checked), and not from the site', async () => {
    const base = mkdtempSync(join(tmpdir(), 'static-kubectl-'));
    mkdirSync(join(base, 'dist'));
    writeFileSync(join(base, 'dist', 'index.html'), 'site');
    const binary = Buffer.from('\x7fELF a stand-in for kubectl');
    const sha256 = createHash('sha256').update(binary).digest('hex');
    const file = join(base, `kubectl-${sha256}`);
    writeFileSync(file, binary);
    const server = await serveStatic({ root: join(base, 'dist'), kubectl: kubectlForPage(file)! });
    try {
      const manifest = await get(server, '/kubectl/kubectl.json');
      expect(manifest.status).toBe(200);
      expect(JSON.parse(manifest.body)).toEqual({ file: `kubectl-${sha256}`, sha256, bytes: binary.length });
      const served = await get(server, `/kubectl/kubectl-${sha256}`);
      expect(served.status).toBe(200);
      expect(served.headers['content-type']).toBe('application/octet-stream');
      expect(served.headers['cross-origin-embedder-policy']).toBe('require-corp');
      expect(served.body).toBe(binary.toString());
      expect((await get(server, '/kubectl/kubectl-0000')).status).toBe(404);
      const wrong = join(base, `kubectl-${'0'.repeat(64)}`);
      writeFileSync(wrong, binary);
      expect(() => kubectlForPage(wrong)).toThrow(/not the one in its name/);
    } finally {
      await server.close();
      rmSync(base, { recursive: true, force: true });
    }
  });
});
