// The HTTP face (src/kube/http.ts) without kubectl: body limits, the optional token,
// discovery, the OpenAPI document in both forms (the protobuf decoded back with gnostic's
// OpenAPIv2.proto), Status errors, and a watch from a resourceVersion.
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY, MAX_WATCHES } from '../../../src/kube/http.js';
import { serveKube, type KubeServer } from '../../../src/kube/serve.js';

let server: KubeServer;
beforeAll(async () => { server = await serveKube(); });
afterAll(async () => { await server?.close(); });

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });

describe('http', () => {
  it('listens on 127.0.0.1 by default', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a body over the limit with a 413 Status', async () => {
    const body = JSON.stringify({ metadata: { name: 'big' }, data: { blob: 'x'.repeat(MAX_BODY) } });
    const response = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'RequestEntityTooLarge', code: 413 });
  });

  it('answers malformed JSON with a 400 Status, and an unknown path with a 404 Status', async () => {
    const bad = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', body: '{"metadata":', headers: { 'Content-Type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).reason).toBe('BadRequest');
    const unknown = await get('/apis/batch/v1/jobs');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' });
  });

  it('serves discovery: core v1, the groups with their preferred versions, and scale subresources', async () => {
    const groups = await (await get('/apis')).json();
    expect(groups.groups.map((g: { name: string; preferredVersion: { version: string } }) => `${g.name}/${g.preferredVersion.version}`))
      .toEqual(['apps/v1', 'discovery.k8s.io/v1beta1', 'networking.k8s.io/v1']);
    const apps = await (await get('/apis/apps/v1')).json();
    expect(apps.resources).toContainEqual(expect.objectContaining({ name: 'deployments/scale', group: 'autoscaling', version: 'v1', kind: 'Scale' }));
    const core = await (await get('/api/v1')).json();
    expect(core.resources).toContainEqual(expect.objectContaining({ name: 'services', shortNames: ['svc'], namespaced: true, kind: 'Service' }));
  });

  it('serves /openapi/v2 as gnostic protobuf that decodes to the same definitions as the JSON', async () => {
    const json = await (await get('/openapi/v2')).json();
    const response = await get('/openapi/v2', { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    const root = new protobuf.Root();
    root.loadSync(new URL('../../../src/kube/OpenAPIv2.proto', import.meta.url).pathname, { keepCase: true });
    const doc = root.lookupType('openapi.v2.Document').decode(new Uint8Array(await response.arrayBuffer())) as unknown as {
      definitions: { additional_properties: { name: string; value: { vendor_extension?: { name: string; value: { yaml: string } }[]; properties?: { additional_properties: { name: string; value: { vendor_extension?: { name: string; value: { yaml: string } }[] } }[] } } }[] };
    };
    const names = doc.definitions.additional_properties.map((d) => d.name);
    expect(names).toEqual(Object.keys(json.definitions));
    const service = doc.definitions.additional_properties.find((d) => d.name === 'io.k8s.api.core.v1.Service')!;
    expect(JSON.parse(service.value.vendor_extension!.find((e) => e.name === 'x-kubernetes-group-version-kind')!.value.yaml)).toEqual([{ group: '', kind: 'Service', version: 'v1' }]);
    const podSpec = doc.definitions.additional_properties.find((d) => d.name === 'io.k8s.api.core.v1.PodSpec')!;
    const containers = podSpec.value.properties!.additional_properties.find((p) => p.name === 'containers')!;
    expect(Object.fromEntries(containers.value.vendor_extension!.map((e) => [e.name, JSON.parse(e.value.yaml)]))).toEqual({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
  });

  it('streams watch events after a resourceVersion, as Tables when asked', async () => {
    const list = await (await get('/api/v1/namespaces/default/configmaps')).json();
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}`, {
      signal: controller.signal, headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', body: JSON.stringify({ metadata: { name: 'seen' }, data: { a: 'b' } }) });
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('\n')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const event = JSON.parse(text.split('\n')[0]!);
    expect(event.type).toBe('ADDED');
    expect(event.object).toMatchObject({ kind: 'Table', rows: [{ cells: ['seen', 1, expect.any(String)] }] });
  });

  it('takes YAML bodies as data only, and drops __proto__ keys', async () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: &x hello\n  b: *x\n';
    const created = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', body: yaml, headers: { 'Content-Type': 'application/yaml' } });
    expect(created.status).toBe(201);
    expect((await created.json()).data).toEqual({ a: 'hello', b: 'hello' });
    const tagged = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', body: 'metadata: {name: t}\ndata: !!js/function "function () {}"\n', headers: { 'Content-Type': 'application/yaml' } });
    expect(tagged.status).toBe(400);
    const proto = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', body: '{"metadata":{"name":"p","__proto__":{"polluted":true}},"data":{"a":"b"}}' });
    expect(proto.status).toBe(201);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys((await proto.json()).metadata)).not.toContain('__proto__');
  });

  it('holds at most MAX_WATCHES watches open, and frees a slot when one closes', async () => {
    const controller = new AbortController();
    const open = await Promise.all(Array.from({ length: MAX_WATCHES }, () => fetch(`${server.url}/api/v1/pods?watch=true`, { signal: controller.signal })));
    expect(open.every((r) => r.status === 200)).toBe(true);
    const refused = await fetch(`${server.url}/api/v1/pods?watch=true`);
    expect(refused.status).toBe(429);
    controller.abort();
    for (let i = 0; i < 50; i++) {
      const again = await fetch(`${server.url}/api/v1/pods?watch=true&timeoutSeconds=1`);
      if (again.status === 200) { await again.body?.cancel(); return; }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('no watch slot came free');
  });

  it('demands the bearer token when it has one', async () => {
    const guarded = await serveKube({ token: 'secret-token' });
    try {
      expect((await fetch(`${guarded.url}/api`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/api`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${guarded.url}/api`, { headers: { Authorization: 'Bearer secret-token' } })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});
