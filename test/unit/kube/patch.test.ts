// The strategic merge patch (src/kube/patch.ts) against upstream's own cases. The first group
// is taken from k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go
// (createStrategicMergePatchTestCaseData and strategicMergePatchRawTestCases: each case's
// "current" object, its "threeWay" patch and the expected "result"), on the same fake schema
// upstream uses (testdata/swagger-merge-item.json: mergingList merges by name, mergingIntList
// merges as a set, nonMergingIntList is replaced, retainKeysMap keeps only $retainKeys).
// The second group patches real kinds with the served v1.21.2 schema, including the patch
// kubectl 1.20 sent for a second `apply` (captured with -v=8).
import { describe, expect, it } from 'vitest';
import { definition, type Schema } from '../../../src/kube/openapi.js';
import { jsonPatch, mergePatch, strategicMergePatch, type JsonObject } from '../../../src/kube/patch.js';

const mergeItem: Schema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    value: { type: 'string' },
    other: { type: 'string' },
    simpleMap: { type: 'object', additionalProperties: { type: 'string' } },
    mergingList: { type: 'array', items: { $ref: '#/definitions/mergeItem' }, 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' },
    mergingIntList: { type: 'array', items: { type: 'integer' }, 'x-kubernetes-patch-strategy': 'merge' },
    nonMergingIntList: { type: 'array', items: { type: 'integer' } },
    retainKeysMap: { type: 'object', 'x-kubernetes-patch-strategy': 'retainKeys', properties: { name: { type: 'string' }, value: { type: 'string' }, other: { type: 'string' } } },
  },
};

const upstream: { description: string; current: JsonObject; threeWay: JsonObject; result?: JsonObject; error?: string }[] = [
  { description: 'add field and delete field from map', current: { name: 1, other: 'a' }, threeWay: { name: null, value: 1 }, result: { value: 1, other: 'a' } },
  { description: 'delete field from nested map', current: { simpleMap: { key1: 1, key2: 1, other: 'a' } }, threeWay: { simpleMap: { key2: null } }, result: { simpleMap: { key1: 1, other: 'a' } } },
  { description: 'delete all fields from map', current: { name: 1, value: 1, other: 'a' }, threeWay: { name: null, value: null }, result: { other: 'a' } },
  { description: 'replace list of scalars with conflict', current: { nonMergingIntList: [1, 4] }, threeWay: { nonMergingIntList: [2, 3] }, result: { nonMergingIntList: [2, 3] } },
  {
    description: 'delete all maps from merging list with conflict',
    current: { mergingList: [{ name: 1, other: 'a' }, { name: 2, other: 'b' }] },
    threeWay: { mergingList: [{ name: 1, $patch: 'delete' }, { name: 2, $patch: 'delete' }] },
    result: { mergingList: [] },
  },
  {
    description: 'nested patch merge with empty list',
    current: { name: 'hi', mergingList: [{ name: 'hello2' }] },
    threeWay: { '$setElementOrder/mergingList': [{ name: 'hello' }, { name: 'doesntexist' }], mergingList: [{ name: 'hello' }, { $patch: 'delete', name: 'doesntexist' }] },
    result: { name: 'hi', mergingList: [{ name: 'hello' }, { name: 'hello2' }] },
  },
  {
    description: 'delete items in lists of scalars',
    current: { mergingIntList: [1, 2, 3, 4] },
    threeWay: { '$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3] },
    result: { mergingIntList: [1, 2, 4] },
  },
  {
    description: 'delete all duplicate items in lists of scalars',
    current: { mergingIntList: [1, 2, 3, 3, 4] },
    threeWay: { '$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3] },
    result: { mergingIntList: [1, 2, 4] },
  },
  {
    description: 'merge lists of maps',
    current: { mergingList: [{ name: 1, other: 'a' }, { name: 2, value: 2, other: 'b' }] },
    threeWay: { '$setElementOrder/mergingList': [{ name: 4 }, { name: 1 }, { name: 2 }, { name: 3 }], mergingList: [{ name: 4, value: 4 }, { name: 3, value: 3 }] },
    result: { mergingList: [{ name: 4, value: 4 }, { name: 1, other: 'a' }, { name: 2, value: 2, other: 'b' }, { name: 3, value: 3 }] },
  },
  {
    description: '$deleteFromPrimitiveList of nonexistent item in primitive list should not add the item to the list',
    current: { mergingIntList: [1, 2] }, threeWay: { '$deleteFromPrimitiveList/mergingIntList': [3] }, result: { mergingIntList: [1, 2] },
  },
  { description: 'missing merge key should error out', current: { mergingList: [{ name: 1, value: 'a' }] }, threeWay: { mergingList: [{ value: 'b' }] }, error: 'does not contain declared merge key' },
  {
    description: 'retainKeys: fields not listed are dropped from the map (TestStrategicMergePatch retainKeys cases)',
    current: { retainKeysMap: { name: 'foo', value: 'bar', other: 'x' } },
    threeWay: { retainKeysMap: { $retainKeys: ['name', 'value'], value: 'baz' } },
    result: { retainKeysMap: { name: 'foo', value: 'baz' } },
  },
  {
    description: '$patch: replace on a map replaces it whole',
    current: { simpleMap: { key1: '1', key2: '2' } }, threeWay: { simpleMap: { $patch: 'replace', key3: '3' } }, result: { simpleMap: { key3: '3' } },
  },
];

describe('strategic merge patch: upstream cases', () => {
  for (const c of upstream) {
    it(c.description, () => {
      const apply = () => strategicMergePatch(c.current, c.threeWay, mergeItem);
      if (c.error) expect(apply).toThrow(c.error);
      else expect(apply()).toEqual(c.result);
    });
  }
});

describe('strategic merge patch: real kinds with the served schema', () => {
  const deployment = definition('io.k8s.api.apps.v1.Deployment');
  const live: JsonObject = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 2, selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [
        { name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }], imagePullPolicy: 'IfNotPresent' },
        { name: 'sidecar', image: 'busybox', ports: [{ containerPort: 9000, protocol: 'TCP' }] },
      ] } },
    },
  };

  it('applies the patch kubectl 1.20 sent for a changed image and a removed ports field', () => {
    const patch = { spec: { replicas: 3, template: { spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }], containers: [{ image: 'nginx:1.26', name: 'web', ports: null }] } } } };
    const result = strategicMergePatch(live, patch, deployment) as any;
    expect(result.spec.replicas).toBe(3);
    expect(result.spec.template.spec.containers).toEqual([
      { name: 'web', image: 'nginx:1.26', imagePullPolicy: 'IfNotPresent' }, // merged by name; server-set fields kept
      { name: 'sidecar', image: 'busybox', ports: [{ containerPort: 9000, protocol: 'TCP' }] },
    ]);
  });

  it('merges container ports by containerPort and deletes a container by name', () => {
    const patch: JsonObject = { spec: { template: { spec: { containers: [
      { name: 'web', ports: [{ containerPort: 8080, name: 'alt' }, { containerPort: 80, name: 'web' }] },
      { name: 'sidecar', $patch: 'delete' },
    ] } } } };
    const result = strategicMergePatch(live, patch, deployment) as any;
    expect(result.spec.template.spec.containers).toHaveLength(1);
    expect(result.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 80, name: 'web', protocol: 'TCP' }, { containerPort: 8080, name: 'alt' }]);
  });

  it('Deployment strategy is retainKeys: switching to Recreate drops rollingUpdate', () => {
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } };
    expect((strategicMergePatch(live, patch, deployment) as any).spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('Service ports merge by port; a selector (a map) merges key by key', () => {
    const service: JsonObject = { spec: { selector: { app: 'web', tier: 'front' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] } };
    const patch = { spec: { selector: { tier: null }, ports: [{ port: 80, targetPort: 'http' }] } };
    expect(strategicMergePatch(service, patch, definition('io.k8s.api.core.v1.Service'))).toEqual({
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] },
    });
  });

  it('a list without a patch strategy is replaced (NetworkPolicy ingress rules)', () => {
    const policy: JsonObject = { spec: { ingress: [{ from: [{ podSelector: {} }] }, { ports: [{ port: 80 }] }] } };
    const patch = { spec: { ingress: [{ ports: [{ port: 443 }] }] } };
    expect(strategicMergePatch(policy, patch, definition('io.k8s.api.networking.v1.NetworkPolicy'))).toEqual({ spec: { ingress: [{ ports: [{ port: 443 }] }] } });
  });
});

describe('JSON merge patch and JSON patch', () => {
  it('RFC 7386: null deletes, objects merge, lists replace (its appendix A examples)', () => {
    expect(mergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } })).toEqual({ a: 'z', c: { d: 'e' } });
    expect(mergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] });
    expect(mergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
  });

  it('RFC 6902: add, replace, remove, test', () => {
    const doc = { spec: { replicas: 1, list: [1, 2] } };
    expect(jsonPatch(doc, [
      { op: 'replace', path: '/spec/replicas', value: 4 }, { op: 'add', path: '/spec/list/-', value: 3 },
      { op: 'remove', path: '/spec/list/0' }, { op: 'test', path: '/spec/replicas', value: 4 },
    ])).toEqual({ spec: { replicas: 4, list: [2, 3] } });
    expect(() => jsonPatch(doc, [{ op: 'test', path: '/spec/replicas', value: 9 }])).toThrow('test of /spec/replicas failed');
  });
});
