// A small HTTP/1.1 server over any byte stream: a connection of src/net/tcp-endpoint.ts (the API
// inside a lab's network, in Node and in the page alike) or a node:net socket (`podwire kube
// serve`). One code path on every host, with no node:http.
//
// Why not a package: http-parser-js (the pure-JS one) is written against Node's Buffer, and
// llhttp ships inside Node (undici), not for the page. What a server needs is small (RFC 9112):
//   - request line and header fields, at most MAX_HEAD bytes and MAX_FIELDS fields (431);
//   - a body by Content-Length or chunked transfer coding (trailers read and dropped), at most
//     maxBody bytes (413); both framings at once, a bad length, obs-fold or a space before the
//     colon are a 400 and the connection closes (RFC 9112 6.3, 5.1, 5.2: request smuggling);
//   - persistent connections (HTTP/1.1 by default, HTTP/1.0 with Connection: keep-alive) and
//     pipelining: requests are answered one at a time, in order;
//   - responses with a Content-Length, or chunked when none is given (kubectl's `-w` watches),
//     with backpressure (write() returns false; drained() waits for the stream).
// A request reaches the handler with its whole body: the API's bodies are small, and the server
// never holds more than one request's (plus one head of the next) per connection.

import type { TcpStream } from './tcp-endpoint.js';

/** A byte stream both ways: the lab's TCP (TcpStream) or a Node socket wrapped as one (kube/serve.ts). */
export type ByteStream = Omit<TcpStream, 'remote'>;

export interface HttpRequest {
  readonly method: string;
  /** The request target as sent (origin form: /path?query). */
  readonly url: string;
  /** "1.1" or "1.0". */
  readonly version: string;
  /** Field names in lower case; repeated fields joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface HttpResponse {
  readonly headersSent: boolean;
  readonly finished: boolean;
  writeHead(status: number, headers?: Record<string, string | number>): HttpResponse;
  /** False when the stream is backed up: await drained() before writing more. */
  write(data: string | Uint8Array): boolean;
  end(data?: string | Uint8Array): void;
  drained(): Promise<void>;
  /** Called once, when the response has ended or the connection is gone. */
  onClose(listener: () => void): void;
}

export type HttpHandler = (req: HttpRequest, res: HttpResponse) => void;

export interface Http1Options {
  /** The largest request body (Content-Length or chunked), in bytes. */
  maxBody?: number;
  /** The body of an error the framing answers itself (400, 413, 431, 501, 500). */
  errorBody?: (status: number, message: string) => { type: string; body: string };
}

/** The request line and header fields together (Node's default is 16 KiB too). */
export const MAX_HEAD = 16 * 1024;
export const MAX_FIELDS = 100;
export const DEFAULT_MAX_BODY = 1024 * 1024;

const REASONS: Record<number, string> = {
  100: 'Continue', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 304: 'Not Modified',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 410: 'Gone', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity',
  429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
};

const encoder = new TextEncoder();
const latin1 = new TextDecoder('latin1');
const bytesOf = (data: string | Uint8Array) => (typeof data === 'string' ? encoder.encode(data) : data);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/1\.([01])$/;

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

function indexOfCrlfCrlf(bytes: Uint8Array, from: number): number {
  for (let i = Math.max(0, from); i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

function indexOfCrlf(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  return -1;
}

interface Head { method: string; url: string; version: string; headers: Record<string, string>; framing: { length: number } | 'chunked'; keepAlive: boolean; expectContinue: boolean }

function parseHead(text: string, maxBody: number): Head {
  const lines = text.split('\r\n');
  const line = REQUEST_LINE.exec(lines[0] ?? '');
  if (!line) throw new HttpError(400, 'malformed request line');
  const [, method, url, minor] = line as unknown as [string, string, string, string];
  if (lines.length - 1 > MAX_FIELDS) throw new HttpError(431, `more than ${MAX_FIELDS} header fields`);
  const headers: Record<string, string> = {};
  const lengths: string[] = [];
  for (const field of lines.slice(1)) {
    const colon = field.indexOf(':');
    const name = field.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name)) throw new HttpError(400, 'malformed header field'); // also obs-fold and "Name :"
    const value = field.slice(colon + 1).trim();
    if (/[\0\r\n]/.test(value)) throw new HttpError(400, 'malformed header field value');
    const key = name.toLowerCase();
    if (key === 'content-length') lengths.push(...value.split(',').map((v) => v.trim()));
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  const version = `1.${minor}`;
  const connection = (headers.connection ?? '').toLowerCase().split(',').map((t) => t.trim());
  const keepAlive = version === '1.1' ? !connection.includes('close') : connection.includes('keep-alive');
  let framing: Head['framing'] = { length: 0 };
  if (headers['transfer-encoding'] !== undefined) {
    if (lengths.length) throw new HttpError(400, 'both Transfer-Encoding and Content-Length');
    const codings = headers['transfer-encoding'].toLowerCase().split(',').map((t) => t.trim());
    if (codings.length !== 1 || codings[0] !== 'chunked') throw new HttpError(501, `transfer coding ${headers['transfer-encoding']} is not supported`);
    framing = 'chunked';
  } else if (lengths.length) {
    if (!lengths.every((v) => /^\d{1,15}$/.test(v)) || new Set(lengths).size !== 1) throw new HttpError(400, 'invalid Content-Length');
    const length = Number(lengths[0]);
    if (length > maxBody) throw new HttpError(413, `request body larger than ${maxBody} bytes`);
    framing = { length };
  }
  const expectContinue = (headers.expect ?? '').toLowerCase() === '100-continue' && version === '1.1';
  return { method: method!, url: url!, version, headers, framing, keepAlive, expectContinue };
}

/** Serves HTTP/1.1 on one connection until either side closes it. */
export function serveHttp1(stream: ByteStream, handler: HttpHandler, options: Http1Options = {}): void {
  const maxBody = options.maxBody ?? DEFAULT_MAX_BODY;
  let buffer = new Uint8Array(0);
  let head: Head | undefined; // parsed, body still arriving
  let body: Uint8Array[] = [];
  let bodySize = 0;
  let chunk: { left: number } | 'size' | 'trailers' = 'size'; // chunked decoding state
  let scanned = 0; // where the search for the end of the head resumes
  let busy = false; // a response is in progress: later requests wait (pipelining)
  let peerEnded = false;
  let closed = false;
  let current: { close(): void } | undefined;
  let backed = false; // the stream's last write said it is past its high-water mark
  const drainWaiters: (() => void)[] = [];
  const put = (bytes: Uint8Array): boolean => { backed = !stream.write(bytes); return !backed; };

  const close = () => {
    if (closed) return;
    closed = true;
    current?.close();
    for (const wake of drainWaiters.splice(0)) wake();
  };
  stream.onClose = close;
  stream.onDrain = () => { backed = false; for (const wake of drainWaiters.splice(0)) wake(); };
  stream.onData = (bytes) => {
    if (closed) return;
    const joined = new Uint8Array(buffer.length + bytes.length);
    joined.set(buffer);
    joined.set(bytes, buffer.length);
    buffer = joined;
    // Bytes that queue behind a response in progress are bounded too.
    if (busy && buffer.length > MAX_HEAD + maxBody + 64 * 1024) { stream.destroy(); close(); return; }
    pump();
  };
  // The peer's FIN: requests already whole are answered; a response still in progress (a watch)
  // is over, as node:http does without httpAllowHalfOpen: clients do not half-close and wait.
  // A request that was whole before the FIN is still answered, then the stream ends.
  stream.onEnd = () => {
    if (closed) return;
    peerEnded = true;
    if (busy && current) {
      const response = current;
      current = undefined;
      closed = true;
      response.close();
      stream.end();
      return;
    }
    pump();
    if (!busy && !closed) { closed = true; stream.end(); }
  };

  /** Answers an error the framing found, then closes: the rest of the stream cannot be trusted. */
  const fail = (status: number, message: string) => {
    const { type, body: text } = options.errorBody?.(status, message) ?? { type: 'text/plain; charset=utf-8', body: `${message}\n` };
    const data = encoder.encode(text);
    put(encoder.encode(`HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\nContent-Type: ${type}\r\nContent-Length: ${data.length}\r\nConnection: close\r\n\r\n`));
    put(data);
    stream.end();
    busy = true;
    buffer = new Uint8Array(0);
    closed = true;
  };

  /** Parses what is buffered; dispatches one whole request at a time. */
  const pump = () => {
    try {
      while (!busy && !closed) {
        if (!head) {
          const end = indexOfCrlfCrlf(buffer, scanned - 3);
          if (end < 0) {
            if (buffer.length > MAX_HEAD) throw new HttpError(431, `request head larger than ${MAX_HEAD} bytes`);
            scanned = buffer.length;
            return;
          }
          if (end + 4 > MAX_HEAD) throw new HttpError(431, `request head larger than ${MAX_HEAD} bytes`);
          // RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request line.
          let start = 0;
          while (buffer[start] === 13 && buffer[start + 1] === 10 && start < end) start += 2;
          head = parseHead(latin1.decode(buffer.subarray(start, end)), maxBody);
          buffer = buffer.subarray(end + 4);
          scanned = 0;
          body = [];
          bodySize = 0;
          chunk = 'size';
          if (head.expectContinue && (head.framing === 'chunked' || head.framing.length > 0)) put(encoder.encode('HTTP/1.1 100 Continue\r\n\r\n'));
        }
        if (!readBody(head)) return;
        const done = head;
        head = undefined;
        dispatch(done, concat(body, bodySize));
      }
    } catch (error) {
      if (error instanceof HttpError) fail(error.status, error.message);
      else fail(400, 'malformed request');
    }
  };

  /** Takes body bytes from the buffer; true when the body is complete. */
  const readBody = (h: Head): boolean => {
    if (h.framing !== 'chunked') {
      const take = Math.min(h.framing.length - bodySize, buffer.length);
      if (take > 0) { body.push(buffer.slice(0, take)); bodySize += take; buffer = buffer.subarray(take); }
      return bodySize === h.framing.length;
    }
    for (;;) {
      if (chunk === 'size' || chunk === 'trailers') {
        const eol = indexOfCrlf(buffer, 0);
        if (eol < 0) { if (buffer.length > 4096) throw new HttpError(400, 'chunk header too long'); return false; }
        const line = latin1.decode(buffer.subarray(0, eol));
        buffer = buffer.subarray(eol + 2);
        if (chunk === 'trailers') {
          if (line === '') return true; // end of the trailer section
          continue; // a trailer field: dropped
        }
        const size = /^([0-9A-Fa-f]{1,8})[ \t]*(;.*)?$/.exec(line);
        if (!size) throw new HttpError(400, 'malformed chunk size');
        const n = parseInt(size[1]!, 16);
        if (bodySize + n > maxBody) throw new HttpError(413, `request body larger than ${maxBody} bytes`);
        chunk = n === 0 ? 'trailers' : { left: n };
        continue;
      }
      if (chunk.left > 0) {
        const take = Math.min(chunk.left, buffer.length);
        if (take === 0) return false;
        body.push(buffer.slice(0, take));
        bodySize += take;
        buffer = buffer.subarray(take);
        chunk.left -= take;
        if (chunk.left > 0) return false;
      }
      if (buffer.length < 2) return false;
      if (buffer[0] !== 13 || buffer[1] !== 10) throw new HttpError(400, 'chunk data not followed by CRLF');
      buffer = buffer.subarray(2);
      chunk = 'size';
    }
  };

  const dispatch = (h: Head, data: Uint8Array) => {
    busy = true;
    const keepAlive = h.keepAlive;
    const isHead = h.method === 'HEAD';
    let status = 0;
    let headersSent = false;
    let finished = false;
    let chunked = false;
    let closeAfter = !keepAlive;
    let pending: Record<string, string | number> = {};
    const listeners: (() => void)[] = [];
    const fire = () => { for (const listener of listeners.splice(0)) listener(); };
    current = { close: () => { finished = true; fire(); } };

    const sendHead = () => {
      if (headersSent) return;
      headersSent = true;
      const names = Object.keys(pending).map((n) => n.toLowerCase());
      const hasLength = names.includes('content-length');
      if (!hasLength && status !== 204 && status !== 304 && !isHead) {
        if (h.version === '1.1') { chunked = true; pending['Transfer-Encoding'] = 'chunked'; } else closeAfter = true;
      }
      if (names.includes('transfer-encoding') && !chunked) { delete pending['Transfer-Encoding']; chunked = true; pending['Transfer-Encoding'] = 'chunked'; }
      if (closeAfter) pending.Connection = 'close';
      else if (h.version === '1.0') pending.Connection = 'keep-alive';
      const lines = [`HTTP/1.1 ${status || 200} ${REASONS[status || 200] ?? ''}`];
      for (const [name, value] of Object.entries(pending)) {
        if (/[\r\n]/.test(`${name}${value}`)) throw new Error(`header ${name} holds a line break`);
        lines.push(`${name}: ${value}`);
      }
      put(encoder.encode(`${lines.join('\r\n')}\r\n\r\n`));
    };
    const writeBytes = (bytes: Uint8Array): boolean => {
      if (isHead || bytes.length === 0) return true;
      if (!chunked) return put(bytes);
      put(encoder.encode(`${bytes.length.toString(16)}\r\n`));
      put(bytes);
      return put(encoder.encode('\r\n'));
    };
    const res: HttpResponse = {
      get headersSent() { return headersSent; },
      get finished() { return finished; },
      writeHead(code, headers = {}) {
        if (headersSent) throw new Error('headers already sent');
        status = code;
        pending = { ...headers };
        return res;
      },
      write(chunkData) {
        if (finished || closed) return true;
        sendHead();
        return writeBytes(bytesOf(chunkData));
      },
      end(chunkData) {
        if (finished) return;
        if (closed) { finished = true; fire(); return; }
        if (!headersSent && chunkData !== undefined && !Object.keys(pending).some((n) => n.toLowerCase() === 'content-length') && !isHead) {
          pending['Content-Length'] = bytesOf(chunkData).length;
        }
        sendHead();
        if (chunkData !== undefined) writeBytes(bytesOf(chunkData));
        if (chunked) put(encoder.encode('0\r\n\r\n'));
        finished = true;
        current = undefined;
        fire();
        busy = false;
        if (closeAfter) { closed = true; stream.end(); return; }
        if (peerEnded) { pump(); if (!busy && !closed) { closed = true; stream.end(); } return; }
        queueMicrotask(pump);
      },
      drained: () => (closed || !backed ? Promise.resolve() : new Promise<void>((resolve) => drainWaiters.push(resolve))),
      onClose(listener) { if (finished) queueMicrotask(listener); else listeners.push(listener); },
    };
    try {
      handler({ method: h.method, url: h.url, version: h.version, headers: h.headers, body: data }, res);
    } catch {
      if (!headersSent) { res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }); res.end('internal error\n'); }
      else { stream.destroy(); close(); }
    }
  };
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}
