// net/http1.ts, the HTTP/1.1 framing the API serves through on every host: fed bytes as a TCP
// connection delivers them (split anywhere), read back as the client would see them.
import { describe, expect, it } from 'vitest';
import { MAX_HEAD, serveHttp1, type ByteStream, type HttpHandler, type HttpRequest } from '../../../src/net/http1.js';

const text = new TextDecoder();
const bytes = (s: string) => new TextEncoder().encode(s);

/** A stream whose peer is the test: what the server writes is collected; `backed` makes write() say the queue is full. */
function peer(handler: HttpHandler, options: Parameters<typeof serveHttp1>[2] = {}) {
  const out: Uint8Array[] = [];
  const state = { ended: false, destroyed: false, backed: false };
  const stream: ByteStream = {
    write: (b) => { out.push(b.slice()); return !state.backed; },
    end: () => { state.ended = true; },
    destroy: () => { state.destroyed = true; },
    onData: undefined, onEnd: undefined, onClose: undefined, onDrain: undefined,
  };
  serveHttp1(stream, handler, options);
  return {
    stream, state,
    send: (s: string | Uint8Array) => stream.onData!(typeof s === 'string' ? bytes(s) : s),
    output: () => text.decode(Buffer.concat(out)),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const echo: HttpHandler = (req, res) => {
  const body = `${req.method} ${req.url} ${text.decode(req.body)}`;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': bytes(body).length });
  res.end(body);
};
/** The status lines of every response in the output. */
const statuses = (output: string) => [...output.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));

describe('http1', () => {
  it('answers pipelined requests in order, on one kept-alive connection, even split byte by byte', async () => {
    const seen: string[] = [];
    const p = peer((req, res) => { seen.push(req.url); echo(req, res); });
    const wire = 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /c HTTP/1.1\r\nHost: x\r\n\r\n';
    for (const byte of bytes(wire)) p.send(new Uint8Array([byte]));
    for (let i = 0; i < 5; i++) await tick();
    expect(seen).toEqual(['/a', '/b', '/c']);
    const output = p.output();
    expect(statuses(output)).toEqual([200, 200, 200]);
    expect(output).toContain('POST /b hello');
    expect(output.indexOf('GET /a')).toBeLessThan(output.indexOf('POST /b'));
    expect(output.indexOf('POST /b')).toBeLessThan(output.indexOf('GET /c'));
    expect(p.state.ended).toBe(false);
  });

  it('waits for a slow response before the next pipelined request', async () => {
    const order: string[] = [];
    let finish: (() => void) | undefined;
    const p = peer((req, res) => {
      order.push(`start ${req.url}`);
      if (req.url === '/slow') finish = () => { order.push('end /slow'); res.end('slow'); };
      else res.end('fast');
    });
    p.send('GET /slow HTTP/1.1\r\n\r\nGET /fast HTTP/1.1\r\n\r\n');
    await tick();
    expect(order).toEqual(['start /slow']);
    finish!();
    await tick();
    expect(order).toEqual(['start /slow', 'end /slow', 'start /fast']);
  });

  it('takes a chunked request body, with chunk extensions and trailers', async () => {
    const p = peer(echo);
    p.send('PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n');
    p.send('6\r\n world\r\n0\r\nX-Trailer: dropped\r\n\r\n');
    await tick();
    expect(p.output()).toContain('PUT /x hello world');
  });

  it('sends chunked responses when no length is given (a watch), and ends them with the last chunk', async () => {
    let res: Parameters<HttpHandler>[1] | undefined;
    let closed = 0;
    const p = peer((_req, r) => { res = r; r.writeHead(200, { 'Content-Type': 'application/json' }); r.write(''); r.onClose(() => closed++); });
    p.send('GET /api/v1/pods?watch=true HTTP/1.1\r\n\r\n');
    await tick();
    expect(p.output()).toMatch(/^HTTP\/1\.1 200 OK\r\nContent-Type: application\/json\r\nTransfer-Encoding: chunked\r\n\r\n$/);
    res!.write('{"type":"ADDED"}\n');
    expect(p.output().endsWith('11\r\n{"type":"ADDED"}\n\r\n')).toBe(true);
    res!.end();
    expect(p.output().endsWith('0\r\n\r\n')).toBe(true);
    expect(closed).toBe(1);
  });

  it('ends a response in progress when the peer sends FIN, and tells the handler', async () => {
    let closed = 0;
    const p = peer((_req, r) => { r.writeHead(200); r.write('x'); r.onClose(() => closed++); });
    p.send('GET /watch HTTP/1.1\r\n\r\n');
    await tick();
    p.stream.onEnd!();
    expect(closed).toBe(1);
    expect(p.state.ended).toBe(true);
  });

  it('answers a request sent just before the FIN, then ends (printf ... | nc)', async () => {
    const p = peer(echo);
    p.send('GET /once HTTP/1.1\r\n\r\n');
    await tick();
    p.stream.onEnd!();
    expect(p.output()).toContain('GET /once');
    expect(p.state.ended).toBe(true);
  });

  it('closes after the answer on Connection: close and on HTTP/1.0 without keep-alive', async () => {
    const a = peer(echo);
    a.send('GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(a.output()).toContain('Connection: close');
    expect(a.state.ended).toBe(true);
    const b = peer(echo);
    b.send('GET / HTTP/1.0\r\n\r\n');
    expect(b.state.ended).toBe(true);
    const c = peer(echo);
    c.send('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    expect(c.output()).toContain('Connection: keep-alive');
    expect(c.state.ended).toBe(false);
  });

  it('refuses a body over the limit with 413, by Content-Length or by chunks, and closes', async () => {
    const handled: HttpRequest[] = [];
    const a = peer((req, res) => { handled.push(req); res.end(); }, { maxBody: 10 });
    a.send('POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n');
    expect(statuses(a.output())).toEqual([413]);
    expect(a.state.ended).toBe(true);
    const b = peer((req, res) => { handled.push(req); res.end(); }, { maxBody: 10 });
    b.send('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n');
    b.send('8\r\n12345678\r\n0\r\n\r\n');
    expect(statuses(b.output())).toEqual([413]);
    expect(handled).toEqual([]);
  });

  it('refuses a head over MAX_HEAD, or too many fields, with 431', () => {
    const a = peer(echo);
    a.send(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(MAX_HEAD)}`);
    expect(statuses(a.output())).toEqual([431]);
    expect(a.state.ended).toBe(true);
    const b = peer(echo);
    b.send(`GET / HTTP/1.1\r\n${Array.from({ length: 101 }, (_, i) => `X-${i}: 1\r\n`).join('')}\r\n`);
    expect(statuses(b.output())).toEqual([431]);
  });

  it('answers malformed requests with 400 and closes: request line, fields, lengths, smuggling, chunks', () => {
    const bad = [
      'GARBAGE\r\n\r\n',
      'GET / HTTP/2.0\r\n\r\n',
      'GET  / HTTP/1.1\r\n\r\n',
      'GET / HTTP/1.1\r\nNo-Colon\r\n\r\n',
      'GET / HTTP/1.1\r\nSpace : before colon\r\n\r\n',
      'GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n',
      'POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n',
      'POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
      'POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n',
    ];
    for (const request of bad) {
      const handled: string[] = [];
      const p = peer((req, res) => { handled.push(req.url); res.end(); });
      p.send(request);
      expect(statuses(p.output()), JSON.stringify(request)).toEqual([400]);
      expect(p.state.ended, request).toBe(true);
      expect(handled, request).toEqual([]);
    }
    const gzip = peer(echo);
    gzip.send('POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n');
    expect(statuses(gzip.output())).toEqual([501]);
  });

  it('renders its own errors with errorBody (the API makes them meta/v1 Status objects)', () => {
    const p = peer(echo, { errorBody: (status, message) => ({ type: 'application/json', body: JSON.stringify({ code: status, message }) }) });
    p.send('BAD\r\n\r\n');
    expect(p.output()).toMatch(/Content-Type: application\/json[\s\S]*\{"code":400,"message":"malformed request line"\}$/);
  });

  it('says when the stream is backed up, and drained() waits for it', async () => {
    let res: Parameters<HttpHandler>[1] | undefined;
    const p = peer((_req, r) => { res = r; r.writeHead(200, { 'Content-Length': 4 }); });
    p.send('GET /kubectl HTTP/1.1\r\n\r\n');
    p.state.backed = true;
    expect(res!.write('ab')).toBe(false);
    let drained = false;
    const waiting = res!.drained().then(() => { drained = true; });
    await tick();
    expect(drained).toBe(false);
    p.state.backed = false;
    p.stream.onDrain!();
    await waiting;
    expect(res!.write('cd')).toBe(true);
    res!.end();
    expect(p.output().endsWith('\r\n\r\nabcd')).toBe(true);
  });

  it('answers 500 when the handler throws before answering', () => {
    const p = peer(() => { throw new Error('boom'); });
    p.send('GET / HTTP/1.1\r\n\r\n');
    expect(statuses(p.output())).toEqual([500]);
  });

  it('answers HEAD with the head only', () => {
    const p = peer(echo);
    p.send('HEAD /h HTTP/1.1\r\n\r\n');
    expect(p.output()).toMatch(/\r\n\r\n$/);
    expect(p.output()).not.toContain('HEAD /h');
  });
});
