// The Kubernetes control plane of a lab that asks for it (`kubernetes:` in its front matter),
// on any host (the host only says where the nodes' kubectl binary comes from): after the lab's setup, the API server and the controllers
// (harness/kube-cluster: kubelet through podctl, kube-proxy's rules, EndpointSlices), the API
// inside the lab's network with kubectl in every node (harness/kube-api), the cluster DNS
// when the lab asks for it (`dns: true`: a coredns pod behind kube-dns), and the lab's
// manifests created as `kubectl apply -f` would create them (with the last-applied
// annotation, so that the learner's own `kubectl apply` merges with them). It returns when
// every pod has started and every node has its rules. The manifests are data: objects handed
// to the API server, which validates them as it validates kubectl's.
import { KubeApi } from '../kube/api.js';
import type { Any } from '../kube/controllers/common.js';
import { manifestKind } from '../kube/resources.js';
import type { KubeManifest } from '../lab/types.js';
import { attachKubeApi, type KubectlBinary } from './kube-api.js';
import { KubeCluster } from './kube-cluster.js';
import type { KubeStarter, LabRun, LabService } from './lab-run.js';

/** kubectl apply's annotation: the object as the user wrote it. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The kind of a manifest, by its apiVersion and kind. */
function kindOf(manifest: KubeManifest) {
  const kind = manifestKind(manifest.apiVersion, manifest.kind);
  if (!kind) throw new Error(`the lab's manifests: no kind ${manifest.kind} in ${manifest.apiVersion} is served here`);
  return kind;
}

/** Create each manifest as `kubectl apply -f` creates a new object. */
export function applyManifests(api: KubeApi, manifests: readonly KubeManifest[]): void {
  for (const manifest of manifests) {
    const kind = kindOf(manifest);
    const body = structuredClone(manifest) as Any;
    body.metadata.annotations = { ...body.metadata.annotations, [LAST_APPLIED]: `${JSON.stringify(manifest)}\n` };
    api.create(kind, kind.namespaced ? (manifest.metadata.namespace ?? 'default') : undefined, body);
  }
}

/** A host's starter (LabRunOptions.kube), given where its kubectl binary comes from (asked at each start). */
export const kubeLabStarter = (kubectl: () => Promise<KubectlBinary | undefined> | KubectlBinary | undefined): KubeStarter => async (run: LabRun, { fromSaved }): Promise<LabService> => {
  const api = new KubeApi();
  // The lab's cluster nodes (kubernetes.nodes), or all of them; the others stay outside, with no kubectl.
  const nodes = run.lab.kubernetes?.nodes;
  const cluster = await KubeCluster.start(run, { api, ...(nodes ? { nodes } : {}), ...(run.lab.kubernetes?.dns ? { dns: {} } : {}) });
  const inNodes = await Promise.resolve(kubectl())
    .then((binary) => attachKubeApi(run, { api, kubectl: binary, ...(nodes ? { nodes } : {}) }))
    .catch((error: unknown) => { cluster.stop(); throw error; });
  const stop = async () => { cluster.stop(); await inNodes.close(); };
  try {
    // Objects saved with the nodes came back with KubeCluster.start (LabRun.attachKube).
    if (!fromSaved) applyManifests(api, run.lab.kubernetes?.manifests ?? []);
    await cluster.settle();
    if (cluster.errors.length) throw new Error(`the lab's Kubernetes objects did not come up: ${cluster.errors.join('; ')}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop, settle: () => cluster.settle() };
};
