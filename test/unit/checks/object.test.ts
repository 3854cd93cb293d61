// The object check kind (src/checks/object.ts): read from a lab file, and judged against the
// objects of a real KubeApi whose controllers made them (addressOnlyRuntime: pod IPs, nothing runs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck, type Check } from '../../../src/checks/index.js';
import { parsePath, resourceKind, valuesAt } from '../../../src/checks/object.js';
import { KubeApi } from '../../../src/kube/api.js';
import { NODE, POD, SERVICE } from '../../../src/kube/controllers/common.js';
import { addressOnlyRuntime } from '../../../src/kube/controllers/kubelet.js';
import { ControllerManager } from '../../../src/kube/controllers/manager.js';
import { parseLab } from '../../../src/lab/parse.js';
import { recordedContext } from './context.js';

const lab = (checks: string) => parseLab('labs/x/lab.md', `---
id: x
title: X
summary: x
level: beginner
time: 5 min
topology: { nodes: [{ name: node1 }] }
steps:
  - id: s
    checks:
${checks.trim().split('\n').map((l) => `      ${l}`).join('\n')}
---
X

## S

s
`);

let api: KubeApi;
let manager: ControllerManager;
beforeAll(async () => {
  api = new KubeApi();
  manager = new ControllerManager(api, { runtime: addressOnlyRuntime });
  manager.start();
  api.create(NODE, undefined, { metadata: { name: 'node1' }, spec: { podCIDR: '10.244.1.0/24' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  for (const name of ['web-1', 'web-2']) api.create(POD, 'default', { metadata: { name, labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }] } });
  api.create(SERVICE, 'default', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  api.create(SERVICE, 'default', { metadata: { name: 'typo' }, spec: { selector: { app: 'wbe' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  await manager.settle();
});
afterAll(() => manager.stop());

const context = () => ({ ...recordedContext(), kube: api.store });
const judge = async (yaml: string) => {
  const [check] = lab(yaml).steps[0]!.checks as Check[];
  return runCheck(check!, context());
};

describe('object checks', () => {
  it('reads field paths: dots, [N], [*] and quoted keys; refuses what is not a path', () => {
    expect(parsePath('endpoints[*].conditions.ready')).toEqual([{ key: 'endpoints' }, { all: true }, { key: 'conditions' }, { key: 'ready' }]);
    expect(parsePath('metadata.labels["kubernetes.io/service-name"]')).toEqual([{ key: 'metadata' }, { key: 'labels' }, { key: 'kubernetes.io/service-name' }]);
    for (const bad of ['', '.a', 'a..b', 'a[x]', 'a[0', 'a b', 'a;process.exit()', 'a()']) expect(parsePath(bad), bad).toBeUndefined();
    expect(valuesAt({ e: [{ r: true }, { r: false }, {}] }, parsePath('e[*].r')!)).toEqual([{ path: 'e[0].r', value: true }, { path: 'e[1].r', value: false }]);
    expect(resourceKind('endpointslices')?.version).toBe('v1');
    expect(resourceKind('deploy')?.kind).toBe('Deployment');
    expect(resourceKind('networkpolicies.networking.k8s.io')?.kind).toBe('NetworkPolicy');
    expect(resourceKind('Service')?.plural).toBe('services');
  });

  it('the EndpointSlice of web has 2 ready endpoints', async () => {
    const result = await judge(`- name: web has 2 ready endpoints
  node: node1
  object: { resource: endpointslices, selector: kubernetes.io/service-name=web, field: "endpoints[*].conditions.ready", equals: true, count: 2 }`);
    expect(result.passed).toBe(true);
    expect(result.expected).toBe('2 value(s) of endpoints[*].conditions.ready = true in endpointslices -l kubernetes.io/service-name=web in namespace default');
  });

  it('a Service whose selector matches nothing: expected and found say what the slice holds', async () => {
    const result = await judge(`- name: typo has 1 ready endpoint
  node: node1
  object: { resource: endpointslices, selector: kubernetes.io/service-name=typo, field: "endpoints[*].conditions.ready", equals: true, count: ">= 1" }`);
    expect(result.passed).toBe(false);
    expect(result.message).toBe('typo has 1 ready endpoint: expected at least 1 value(s) of endpoints[*].conditions.ready = true in endpointslices -l kubernetes.io/service-name=typo in namespace default, found 1 object(s), none with a value at endpoints[*].conditions.ready');
  });

  it('a pod by name: status.phase; values that fail are listed with their paths', async () => {
    expect((await judge('- { name: p, node: node1, object: { resource: po, name: web-1, field: status.phase, equals: Running } }')).passed).toBe(true);
    expect((await judge('- { name: p, node: node1, object: { resource: pods, name: web-1, field: status.podIP, matches: "^10\\\\.244\\\\.1\\\\." } }')).passed).toBe(true);
    const all = await judge('- { name: p, node: node1, object: { resource: pods, selector: app=web, field: "status.phase", equals: Pending } }');
    expect(all.passed).toBe(false);
    expect(all.found).toBe('0 of 2 pass: web-1: status.phase = "Running", web-2: status.phase = "Running"');
  });

  it('counts objects without a field; count 0 is "none exists"; another namespace has none', async () => {
    expect((await judge('- { name: p, node: node1, object: { resource: pods, selector: app=web, count: 2 } }')).passed).toBe(true);
    expect((await judge('- { name: p, node: node1, object: { resource: services, name: gone, count: 0 } }')).passed).toBe(true);
    const other = await judge('- { name: p, node: node1, object: { resource: pods, namespace: kube-system, name: web-1 } }');
    expect(other.found).toBe('no pods named web-1 in namespace kube-system');
    expect((await judge('- { name: n, node: node1, object: { resource: nodes, name: node1, field: "spec.podCIDR", equals: 10.244.1.0/24 } }')).passed).toBe(true);
  });

  it('without a Kubernetes API, the check says so', async () => {
    const [check] = lab('- { name: p, node: node1, object: { resource: pods, count: 0 } }').steps[0]!.checks as Check[];
    const result = await runCheck(check!, recordedContext());
    expect(result.passed).toBe(false);
    expect(result.found).toBe('this lab runs no Kubernetes API: there are no objects to read');
  });

  it('a lab file with a wrong resource, path, selector or count is refused with the field named', () => {
    expect(() => lab('- { name: p, node: node1, object: { resource: pod-disruption } }')).toThrow(/unknown resource 'pod-disruption'/);
    expect(() => lab('- { name: p, node: node1, object: { resource: pods, field: "status.phase()" } }')).toThrow(/is not a field path/);
    expect(() => lab('- { name: p, node: node1, object: { resource: pods, selector: "app in (" } }')).toThrow(/not a label selector/);
    expect(() => lab('- { name: p, node: node1, object: { resource: pods, count: "lots" } }')).toThrow(/comparison like ">= 2"/);
    expect(() => lab('- { name: p, node: node1, object: { resource: pods, jsonpath: "{.items}" } }')).toThrow(/unknown field 'jsonpath'/);
  });
});
