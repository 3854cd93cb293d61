// Cut the OpenAPI v2 definitions that the podwire API server (src/kube) serves out of the
// upstream Kubernetes v1.21.2 schema, so that they are taken from the source, not typed by hand.
//
// The input is the v1.21.2 definitions bundle kept by kustomize (Apache-2.0), generated from
// kubernetes/kubernetes api/openapi-spec/swagger.json at v1.21.2:
//   github:kubernetes-sigs/kustomize kyaml/openapi/kubernetesapi/data/kubernetes-openapi-union-v1.21.2.bundle-v1.json.gz
// Run: npx tsx scripts/kube-openapi.ts BUNDLE.json.gz > src/kube/openapi-v1.21.2.json
// It keeps each served kind's definition and every definition it refers to ($ref, transitively),
// with the upstream text and x-kubernetes-* extensions unchanged, and trims the GVK lists of the
// shared meta kinds (DeleteOptions, WatchEvent) to the groups served.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

type Schema = Record<string, unknown>;
const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: kube-openapi.ts BUNDLE.json.gz');
const bundle = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { sources: unknown; definitions: Record<string, Schema> };

const roots = [
  'io.k8s.api.core.v1.Namespace', 'io.k8s.api.core.v1.Node', 'io.k8s.api.core.v1.Pod', 'io.k8s.api.core.v1.Service',
  'io.k8s.api.core.v1.Endpoints', 'io.k8s.api.core.v1.ConfigMap', 'io.k8s.api.core.v1.Event',
  'io.k8s.api.apps.v1.Deployment', 'io.k8s.api.apps.v1.ReplicaSet', 'io.k8s.api.autoscaling.v1.Scale',
  'io.k8s.api.discovery.v1.EndpointSlice', 'io.k8s.api.discovery.v1beta1.EndpointSlice',
  'io.k8s.api.networking.v1.NetworkPolicy',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Status', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
  'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent', 'io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList',
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList', 'io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions',
];
const lists = roots.filter((name) => /\.(api\.(core|apps|discovery|networking)\.)/.test(name)).map((name) => `${name}List`);
const groups = new Set(['', 'apps', 'autoscaling', 'discovery.k8s.io', 'networking.k8s.io']);

const kept: Record<string, Schema> = {};
const visit = (name: string): void => {
  if (kept[name]) return;
  const schema = bundle.definitions[name];
  if (!schema) throw new Error(`no definition ${name}`);
  kept[name] = schema;
  const refs = JSON.stringify(schema).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g);
  for (const [, ref] of refs) visit(ref!);
};
for (const name of [...roots, ...lists]) if (bundle.definitions[name]) visit(name);

for (const schema of Object.values(kept)) {
  const gvks = schema['x-kubernetes-group-version-kind'] as { group: string }[] | undefined;
  if (gvks && gvks.length > 1) schema['x-kubernetes-group-version-kind'] = gvks.filter((gvk) => groups.has(gvk.group));
}
const sorted = Object.fromEntries(Object.keys(kept).sort().map((name) => [name, kept[name]]));
process.stdout.write(`${JSON.stringify({ swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.21.2' }, definitions: sorted })}\n`);
