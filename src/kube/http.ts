// The HTTP face of the API: kube-apiserver's URL layout, content negotiation and errors.
//   /api/v1/[namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]]
//   /apis/GROUP/VERSION/[namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]]
// GET lists, gets or (with ?watch=true) streams watch events; POST creates; PUT replaces;
// PATCH patches (patch.ts); DELETE deletes. `Accept: application/json;as=Table;...` asks for
// server-side printing (tables.ts), which `kubectl get` does. Every error is a meta/v1 Status.
// Bodies are parsed as JSON data only and limited in size; nothing here logs a body or a token.
// The handler takes net/http1's requests and responses, so the same code answers on every host:
// over a lab's own TCP (harness/kube-api) in Node and in the page, and on a node:net socket
// (serve.ts).
import { parseDocument } from 'yaml';
import type { Http1Options, HttpHandler, HttpRequest, HttpResponse } from '../net/http1.js';
import type { KubeApi } from './api.js';
import { ApiError } from './api-error.js';
import { coreVersions, groupList, resourceList, VERSION } from './discovery.js';
import { openapiJson, openapiProtobuf } from './openapi.js';
import { findKind, type Kind } from './resources.js';
import type { KubeObject } from './store.js';
import { toTable } from './tables.js';

/** The largest request body taken (kube-apiserver's limit is 3 MiB; objects here are small). */
export const MAX_BODY = 1024 * 1024;
/** Open watches at once: kubectl -w holds one each; more is a leak or a flood. */
export const MAX_WATCHES = 100;

const PROTOBUF_OPENAPI = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

export function statusOf(error: ApiError): Record<string, unknown> {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: error.message, reason: error.reason,
    ...(error.details ? { details: error.details } : {}), code: error.code,
  };
}

const encoder = new TextEncoder();

function send(res: HttpResponse, code: number, body: unknown, type = 'application/json'): void {
  const data = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-cache, private', 'Content-Length': bytes.length });
  res.end(bytes);
}

/** The body as text (the framing has already held it to MAX_BODY: http1Options). */
function readBody(req: HttpRequest): string {
  if (req.body.length > MAX_BODY) throw tooLarge();
  return new TextDecoder().decode(req.body);
}

const tooLarge = () => new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY}`);

const REASONS: Record<number, string> = { 400: 'BadRequest', 413: 'RequestEntityTooLarge', 431: 'RequestHeaderFieldsTooLarge', 501: 'NotImplemented' };

/** The framing's limits, and its own errors (a malformed or oversized request) as meta/v1 Status objects. */
export const http1Options: Http1Options = {
  maxBody: MAX_BODY,
  errorBody: (status, message) => {
    const error = status === 413 ? tooLarge() : new ApiError(status, REASONS[status] ?? 'InternalError', message);
    return { type: 'application/json', body: JSON.stringify(statusOf(error)) };
  },
};

/** A key that would set an object's prototype when the object is later assigned into. */
const dropProto = (key: string, value: unknown) => (key === '__proto__' ? undefined : value);

/**
 * A request body as data: JSON (what kubectl sends) or YAML (which kube-apiserver takes too),
 * parsed into plain objects with no tags, no code, bounded aliases, and no `__proto__` keys.
 */
function parseBody(text: string, contentType: string): unknown {
  try {
    if (contentType === 'application/yaml') {
      const doc = parseDocument(text, { schema: 'core', logLevel: 'silent' });
      const problem = doc.errors[0] ?? doc.warnings[0]; // an unknown tag is a warning: refuse it too
      if (problem) throw problem;
      return JSON.parse(JSON.stringify(doc.toJS({ maxAliasCount: 100 }) ?? null), dropProto);
    }
    return JSON.parse(text, dropProto);
  } catch (error) {
    throw new ApiError(400, 'BadRequest', `the body of the request could not be decoded: ${(error as Error).message}`);
  }
}

interface Route { kind: Kind; namespace: string | undefined; name: string | undefined; subresource: string | undefined }

/** The resource a path names, or undefined for a path that is not one. */
function route(segments: string[]): Route | undefined {
  let group = '';
  let rest: string[];
  if (segments[0] === 'api' && segments[1] === 'v1') { rest = segments.slice(2); group = ''; }
  else if (segments[0] === 'apis' && segments.length >= 3) { group = segments[1]!; rest = segments.slice(3); }
  else return undefined;
  const version = segments[0] === 'api' ? 'v1' : segments[2]!;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && findKind(group, version, rest[2]!)?.namespaced) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const kind = rest[0] ? findKind(group, version, rest[0]) : undefined;
  if (!kind || rest.length > 3) return undefined;
  return { kind, namespace, name: rest[1], subresource: rest[2] };
}

const wantsTable = (accept: string | undefined) => /as=Table/.test(accept ?? '');

function listOf(kind: Kind, items: KubeObject[], resourceVersion: string): Record<string, unknown> {
  return { kind: `${kind.kind}List`, apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version, metadata: { resourceVersion }, items };
}

/** Compares in time that depends on the lengths only, as crypto.timingSafeEqual. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const given = encoder.encode(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const wanted = encoder.encode(token);
  if (given.length !== wanted.length) return false;
  let diff = 0;
  for (let i = 0; i < given.length; i++) diff |= given[i]! ^ wanted[i]!;
  return diff === 0;
}

export interface HandlerOptions { token?: string | undefined; serverAddress: string }

/** The request handler, for serveHttp1 (net/http1.ts) with http1Options. */
export function handler(api: KubeApi, options: HandlerOptions): HttpHandler {
  const watches = { open: 0 };
  return (req, res) => {
    handle(api, options, req, res, watches).catch((error: unknown) => {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`);
      if (!res.headersSent) send(res, apiError.code, statusOf(apiError));
      else res.end();
    });
  };
}

async function handle(api: KubeApi, options: HandlerOptions, req: HttpRequest, res: HttpResponse, watches: { open: number }): Promise<void> {
  const url = new URL(req.url, 'http://localhost');
  const method = req.method;
  if (options.token !== undefined && !tokenMatches(req.headers.authorization, options.token)) {
    throw new ApiError(401, 'Unauthorized', 'Unauthorized');
  }
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const accept = req.headers.accept;
  if (method === 'GET') {
    switch (path) {
      case '/healthz': case '/readyz': case '/livez': send(res, 200, 'ok', 'text/plain'); return;
      case '/version': send(res, 200, VERSION); return;
      case '/api': send(res, 200, coreVersions(options.serverAddress)); return;
      case '/apis': send(res, 200, groupList()); return;
      case '/openapi/v2':
        // As kube-apiserver: the protobuf goes out as application/octet-stream, since Go's
        // mime parser (which client-go runs on every Content-Type) rejects the '@' in the name.
        if ((accept ?? '').includes(PROTOBUF_OPENAPI)) send(res, 200, openapiProtobuf(), 'application/octet-stream');
        else send(res, 200, openapiJson());
        return;
      default: break;
    }
    const gv = path.match(/^\/api\/(v1)$|^\/apis\/([^/]+)\/([^/]+)$/);
    if (gv) {
      const list = gv[1] ? resourceList('', 'v1') : resourceList(gv[2]!, gv[3]!);
      if (list) { send(res, 200, list); return; }
    }
  }
  const target = route(path.split('/').filter(Boolean).map(decodeURIComponent));
  if (!target) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  const { kind, namespace, name, subresource } = target;
  if (kind.namespaced && namespace === undefined && name !== undefined) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  if (subresource !== undefined && !(kind.subresources as readonly string[]).includes(subresource)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  const dryRun = url.searchParams.getAll('dryRun').includes('All');
  const selectors = { labelSelector: url.searchParams.get('labelSelector'), fieldSelector: url.searchParams.get('fieldSelector') };
  const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();

  switch (method) {
    case 'GET': {
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
        if (watches.open >= MAX_WATCHES) throw new ApiError(429, 'TooManyRequests', `too many open watches (at most ${MAX_WATCHES})`);
        watches.open++;
        let closed = false;
        const release = () => { if (!closed) { closed = true; watches.open--; } };
        res.onClose(release);
        try {
          watch(api, req, res, target, url);
        } catch (error) {
          release();
          throw error;
        }
        return;
      }
      if (name === undefined) {
        const { items, resourceVersion } = api.list(kind, namespace, selectors);
        send(res, 200, wantsTable(accept) ? toTable(kind, items, resourceVersion) : listOf(kind, items, resourceVersion));
        return;
      }
      if (subresource === 'scale') { send(res, 200, api.scale(kind, namespace, name)); return; }
      const object = api.get(kind, namespace, name);
      send(res, 200, wantsTable(accept) ? toTable(kind, [object], object.metadata.resourceVersion ?? '') : object);
      return;
    }
    case 'POST': {
      if (name !== undefined) throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      const created = api.create(kind, namespace, parseBody(readBody(req), contentType), { dryRun });
      send(res, 201, created);
      return;
    }
    case 'PUT': {
      if (name === undefined) throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      const body = parseBody(readBody(req), contentType);
      if (subresource === 'scale') { send(res, 200, api.updateScale(kind, namespace, name, () => body, { dryRun })); return; }
      send(res, 200, api.update(kind, namespace, name, body, { dryRun, ...(subresource === 'status' ? { subresource: 'status' as const } : {}) }));
      return;
    }
    case 'PATCH': {
      if (name === undefined) throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      if (contentType === 'application/apply-patch+yaml') throw new ApiError(415, 'UnsupportedMediaType', 'server-side apply is not supported by this server: use client-side kubectl apply');
      const patch = parseBody(readBody(req), 'application/json');
      if (subresource === 'scale') { send(res, 200, api.patchScale(kind, namespace, name, contentType, patch, { dryRun })); return; }
      send(res, 200, api.patch(kind, namespace, name, contentType, patch, { dryRun, ...(subresource === 'status' ? { subresource: 'status' as const } : {}) }));
      return;
    }
    case 'DELETE': {
      readBody(req); // DeleteOptions: propagation does not matter without controllers
      if (name === undefined) {
        const { items, resourceVersion } = api.deleteCollection(kind, namespace, { ...selectors, dryRun });
        send(res, 200, listOf(kind, items, resourceVersion));
        return;
      }
      send(res, 200, api.delete(kind, namespace, name, { dryRun }));
      return;
    }
    default:
      throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }
}

/** A watch: newline-separated JSON events on one chunked response, until the client leaves or timeoutSeconds pass. */
function watch(api: KubeApi, req: HttpRequest, res: HttpResponse, target: Route, url: URL): void {
  const { kind, namespace, name } = target;
  const table = wantsTable(req.headers.accept);
  const since = url.searchParams.get('resourceVersion');
  const fields = [url.searchParams.get('fieldSelector'), name ? `metadata.name=${name}` : null].filter(Boolean).join(',');
  let stop = () => {};
  let started = false;
  const write = (type: string, object: KubeObject) => {
    if (!started) { res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' }); started = true; }
    const shown = table ? toTable(kind, [object], object.metadata.resourceVersion ?? '') : object;
    res.write(`${JSON.stringify({ type, object: shown })}\n`);
  };
  // resourceVersion "" or "0" means "from now, with the current objects as ADDED" (upstream's
  // "any" semantics for a watch without a list before it).
  const fromNow = !since || since === '0';
  stop = api.watch(kind, namespace, fromNow ? undefined : Number(since), { labelSelector: url.searchParams.get('labelSelector'), fieldSelector: fields || null }, write);
  if (fromNow) for (const object of api.list(kind, namespace, { labelSelector: url.searchParams.get('labelSelector'), fieldSelector: fields || null }).items) write('ADDED', object);
  if (!started) { res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' }); started = true; res.write(''); }
  const timeout = Math.min(Number(url.searchParams.get('timeoutSeconds') ?? 1800) || 1800, 3600);
  const timer = setTimeout(() => res.end(), timeout * 1000);
  const finish = () => { stop(); clearTimeout(timer); };
  res.onClose(finish);
}
