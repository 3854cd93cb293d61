// The API's operations on objects, apart from HTTP: get, list, watch, create, update, patch,
// delete and the scale subresource, with kube-apiserver's rules for each (namespaces must
// exist, the server owns uid/resourceVersion/generation, status is written through /status
// only, deleting a namespace deletes what is in it). Errors are ApiErrors that http.ts turns
// into meta/v1 Status objects with the same codes, reasons and messages as upstream.
import { formatIpv4, parseIpv4 } from '../net/addr.js';
import { ApiError } from './api-error.js';
import { decode } from './decode.js';
import { applyDefaults, sliceFromV1beta1, sliceToV1beta1, type Allocator } from './defaults.js';
import { definition } from './openapi.js';
import { randomHex } from './random.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch, type Json, type JsonObject } from './patch.js';
import { apiVersionOf, KINDS, qualifiedResource, type Kind } from './resources.js';
import { fieldSelector, labelSelector, SelectorError } from './selectors.js';
import { Store, StoreError, type KubeObject, type Snapshot, type StoreEvent } from './store.js';
import { invalidMessage, validate, type FieldError } from './validation.js';

/** Node keeps no process alive for this timer; the page has no such thing to ask. */
const unref = (timer: ReturnType<typeof setTimeout>) => { (timer as { unref?: () => void }).unref?.(); };


const CODES: Record<string, number> = { NotFound: 404, AlreadyExists: 409, Conflict: 409, Gone: 410 };

const notFound = (kind: Kind, name: string) => new ApiError(404, 'NotFound', `${qualifiedResource(kind)} "${name}" not found`, { name, group: kind.group, kind: kind.plural });
const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

export interface ListOptions { labelSelector?: string | null; fieldSelector?: string | null }
export interface WriteOptions { dryRun?: boolean }

const NAMESPACE = KINDS.find((k) => k.kind === 'Namespace')!;
const SERVICE = KINDS.find((k) => k.kind === 'Service')!;
/** A bound on memory: a lab's cluster holds tens of objects, a runaway script could make millions. */
export const MAX_OBJECTS = 5000;
/** The namespaces every cluster starts with. */
const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface ApiOptions {
  /** The Service ClusterIP range, as kube-apiserver's --service-cluster-ip-range (IPv4 /12 to /24). */
  serviceCIDR?: string;
  /** How long a deleted namespace stays Terminating before it and its objects go (ms). */
  namespaceDelay?: number;
}


export class KubeApi {
  readonly store: Store;
  private readonly cidr: { base: number; size: number };
  private readonly namespaceDelay: number;

  constructor(options: ApiOptions = {}, store = new Store()) {
    this.store = store;
    this.namespaceDelay = options.namespaceDelay ?? 1000;
    const [base, bits] = (options.serviceCIDR ?? '10.96.0.0/12').split('/') as [string, string];
    this.cidr = { base: parseIpv4(base), size: 2 ** (32 - Number(bits)) };
    for (const name of INITIAL_NAMESPACES) this.store.create(NAMESPACE.storage, this.prepare(NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, undefined), 'namespaces');
    // The `kubernetes` Service, first address of the range: where later phases put the API.
    const kubernetes = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { clusterIP: formatIpv4(this.cidr.base + 1), ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }], type: 'ClusterIP' } };
    this.store.create(SERVICE.storage, this.prepare(SERVICE, kubernetes, undefined), 'services');
  }

  /** Every object and the revision as JSON: saved with the lab run. */
  snapshot(): Snapshot {
    return this.store.snapshot();
  }

  /** Back to a snapshot; a namespace that was Terminating finishes going. */
  restore(snapshot: Snapshot): void {
    this.store.restore(snapshot);
    if (this.store.list(NAMESPACE.storage).some((n) => n.metadata.deletionTimestamp)) unref(setTimeout(() => this.finishNamespaces(), this.namespaceDelay));
  }

  // --- versions ---

  /** An object as served in `kind`'s version (EndpointSlice v1beta1 is converted). */
  private out(kind: Kind, stored: KubeObject): KubeObject {
    const { apiVersion: _stored, kind: _kind, ...object } = kind.version !== kind.storageVersion && kind.kind === 'EndpointSlice' ? sliceToV1beta1(stored) : stored;
    return { apiVersion: apiVersionOf(kind), kind: kind.kind, ...object };
  }

  private in(kind: Kind, object: KubeObject): KubeObject {
    const converted = kind.version !== kind.storageVersion && kind.kind === 'EndpointSlice' ? sliceFromV1beta1(object) : object;
    return { ...converted, apiVersion: kind.group ? `${kind.group}/${kind.storageVersion}` : kind.storageVersion, kind: kind.kind };
  }

  // --- reads ---

  get(kind: Kind, namespace: string | undefined, name: string): KubeObject {
    const found = this.store.get(kind.storage, kind.namespaced ? namespace : undefined, name);
    if (!found) throw notFound(kind, name);
    return this.out(kind, found);
  }

  list(kind: Kind, namespace: string | undefined, options: ListOptions = {}): { items: KubeObject[]; resourceVersion: string } {
    const matches = this.matcher(options);
    const items = this.store.list(kind.storage, kind.namespaced ? namespace : undefined).filter(matches).map((o) => this.out(kind, o));
    return { items, resourceVersion: String(this.store.resourceVersion) };
  }

  private matcher(options: ListOptions): (o: KubeObject) => boolean {
    try {
      const labels = labelSelector(options.labelSelector);
      const fields = fieldSelector(options.fieldSelector);
      return (o) => labels(o.metadata.labels) && fields(o);
    } catch (error) {
      if (error instanceof SelectorError) throw badRequest(error.message);
      throw error;
    }
  }

  /** Events of `kind` (in `namespace`, matching the selectors) after `since`; returns the stop function. */
  watch(kind: Kind, namespace: string | undefined, since: number | undefined, options: ListOptions, onEvent: (type: string, object: KubeObject) => void): () => void {
    const matches = this.matcher(options);
    try {
      return this.store.watch(since, (event: StoreEvent) => {
        if (event.storage !== kind.storage) return;
        if (kind.namespaced && namespace !== undefined && event.object.metadata.namespace !== namespace) return;
        if (!matches(event.object)) return;
        onEvent(event.type, this.out(kind, event.object));
      });
    } catch (error) {
      if (error instanceof StoreError) throw new ApiError(410, 'Expired', error.message);
      throw error;
    }
  }

  // --- writes ---

  private allocator(): Allocator {
    const services = this.store.list(SERVICE.storage) as { spec?: { clusterIP?: string; ports?: { nodePort?: number }[]; healthCheckNodePort?: number } }[];
    const ips = new Set(services.map((s) => s.spec?.clusterIP).filter(Boolean));
    // NodePorts and health check node ports share one range (upstream's one portallocator).
    const ports = new Set(services.flatMap((s) => [...(s.spec?.ports ?? []).map((p) => p.nodePort), s.spec?.healthCheckNodePort]).filter(Boolean));
    return {
      clusterIP: () => {
        for (let offset = 1; offset < this.cidr.size - 1; offset++) {
          const ip = formatIpv4(this.cidr.base + offset);
          if (!ips.has(ip)) { ips.add(ip); return ip; }
        }
        return undefined;
      },
      nodePort: () => {
        for (let port = 30000; port <= 32767; port++) if (!ports.has(port)) { ports.add(port); return port; }
        return undefined;
      },
    };
  }

  /** Defaults, then validation: the object as it would be stored, or a 422. */
  private prepare(kind: Kind, object: KubeObject, old: KubeObject | undefined): KubeObject {
    const stored = this.in(kind, decode(kind.kind, apiVersionOf(kind), kind.definition, object));
    if (!kind.namespaced) delete stored.metadata.namespace;
    applyDefaults(kind.kind, stored, old, this.allocator());
    const errors: FieldError[] = validate(kind.kind, stored);
    if (errors.length) {
      const name = stored.metadata.name ?? stored.metadata.generateName ?? '';
      throw new ApiError(422, 'Invalid', invalidMessage(kind.group ? `${kind.kind}.${kind.group}` : kind.kind, name, errors), {
        name, group: kind.group, kind: kind.kind, causes: errors.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
      });
    }
    return stored;
  }

  private checkBody(kind: Kind, body: unknown, namespace: string | undefined, creating = false): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body of the request was in an unknown format');
    const object = body as KubeObject;
    if (typeof object.metadata !== 'object' || object.metadata === null) object.metadata = {};
    if (object.kind !== undefined && object.kind !== kind.kind) throw badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersionOf(kind)})`);
    if (object.apiVersion !== undefined && object.apiVersion !== apiVersionOf(kind)) throw badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersionOf(kind)})`);
    if (kind.namespaced) {
      if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      object.metadata.namespace = namespace;
      const owner = this.store.get(NAMESPACE.storage, undefined, namespace ?? '');
      if (!owner) throw notFound(NAMESPACE, namespace ?? '');
      if (creating && owner.metadata.deletionTimestamp) {
        throw new ApiError(403, 'Forbidden', `${kind.plural} "${object.metadata.name ?? ''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, { name: object.metadata.name ?? '', kind: kind.plural });
      }
    }
    return object;
  }

  create(kind: Kind, namespace: string | undefined, body: unknown, options: WriteOptions = {}): KubeObject {
    if (this.store.size >= MAX_OBJECTS) throw new ApiError(403, 'Forbidden', `${qualifiedResource(kind)} is forbidden: this cluster holds at most ${MAX_OBJECTS} objects; delete some first`);
    const object = this.checkBody(kind, body, namespace, true);
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'generation'] as const) delete object.metadata[field];
    if (!object.metadata.name && object.metadata.generateName) object.metadata.name = `${object.metadata.generateName}${randomHex(3).slice(0, 5)}`;
    const stored = this.prepare(kind, object, undefined);
    if (this.store.get(kind.storage, stored.metadata.namespace, stored.metadata.name ?? '')) {
      throw new ApiError(409, 'AlreadyExists', `${qualifiedResource(kind)} "${stored.metadata.name}" already exists`, { name: stored.metadata.name ?? '', group: kind.group, kind: kind.plural });
    }
    if (options.dryRun) return this.out(kind, stored);
    return this.out(kind, this.wrap(() => this.store.create(kind.storage, stored, qualifiedResource(kind))));
  }

  /** PUT: the whole object; status kept from the stored one unless `subresource` is status. */
  update(kind: Kind, namespace: string | undefined, name: string, body: unknown, options: WriteOptions & { subresource?: 'status' } = {}): KubeObject {
    const object = this.checkBody(kind, body, namespace);
    if (object.metadata.name !== undefined && object.metadata.name !== name) throw badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`);
    object.metadata.name = name;
    const old = this.store.get(kind.storage, kind.namespaced ? namespace : undefined, name);
    if (!old) throw notFound(kind, name);
    return this.replace(kind, old, object, options);
  }

  private replace(kind: Kind, old: KubeObject, object: KubeObject, options: WriteOptions & { subresource?: 'status' }): KubeObject {
    let next: KubeObject = { ...object, metadata: { ...object.metadata } };
    delete next.metadata.deletionTimestamp; // only a delete sets it
    if (kind.subresources.includes('status')) {
      next = options.subresource === 'status' ? { ...old, status: object.status } : { ...object, ...(old.status === undefined ? {} : { status: old.status }) };
      if (options.subresource === 'status') next.metadata = { ...old.metadata, resourceVersion: object.metadata.resourceVersion ?? old.metadata.resourceVersion };
      if (next.status === undefined) delete next.status;
    }
    const stored = this.prepare(kind, next, old);
    if (options.dryRun) return this.out(kind, stored);
    return this.out(kind, this.wrap(() => this.store.update(kind.storage, stored, qualifiedResource(kind))));
  }

  patch(kind: Kind, namespace: string | undefined, name: string, contentType: string, patch: unknown, options: WriteOptions & { subresource?: 'status' } = {}): KubeObject {
    const oldStored = this.store.get(kind.storage, kind.namespaced ? namespace : undefined, name);
    if (!oldStored) throw notFound(kind, name);
    const current = this.out(kind, oldStored) as unknown as JsonObject;
    const patched = this.applyPatch(kind, current, contentType, patch);
    if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) throw badRequest('the patch made the object something other than an object');
    const object = patched as unknown as KubeObject;
    if (object.metadata?.name !== name) throw badRequest('the name of the object cannot be changed by a patch');
    if (kind.namespaced && object.metadata.namespace !== namespace) throw badRequest('the namespace of the object cannot be changed by a patch');
    return this.replace(kind, oldStored, object, options);
  }

  private applyPatch(kind: Kind, current: JsonObject, contentType: string, patch: unknown): Json {
    try {
      switch (contentType) {
        case 'application/json-patch+json': return jsonPatch(current, patch);
        case 'application/merge-patch+json': return mergePatch(current, patch as Json);
        case 'application/strategic-merge-patch+json':
          if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new PatchError('a strategic merge patch is a JSON object');
          return strategicMergePatch(current, patch as JsonObject, definition(kind.definition));
        default:
          throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
      }
    } catch (error) {
      if (error instanceof PatchError) throw new ApiError(422, 'Invalid', error.message);
      throw error;
    }
  }

  delete(kind: Kind, namespace: string | undefined, name: string, options: WriteOptions = {}): KubeObject {
    const ns = kind.namespaced ? namespace : undefined;
    const old = this.store.get(kind.storage, ns, name);
    if (!old) throw notFound(kind, name);
    if (options.dryRun) return this.out(kind, old);
    if (kind === NAMESPACE) {
      // As upstream: the namespace turns Terminating at once (no new objects in it), and the
      // namespace controller's work, deleting what is in it and then it, follows a moment later.
      if (old.metadata.deletionTimestamp) return this.out(kind, old);
      const terminating = { ...old, metadata: { ...old.metadata, deletionTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }, status: { phase: 'Terminating' } };
      const stored = this.wrap(() => this.store.update(kind.storage, terminating, qualifiedResource(kind)));
      unref(setTimeout(() => this.finishNamespaces(), this.namespaceDelay));
      return this.out(kind, stored);
    }
    return this.out(kind, this.wrap(() => this.store.delete(kind.storage, ns, name, qualifiedResource(kind))));
  }

  /** The namespace controller: each Terminating namespace emptied, then deleted. */
  finishNamespaces(): void {
    for (const namespace of this.store.list(NAMESPACE.storage).filter((n) => n.metadata.deletionTimestamp)) {
      const name = namespace.metadata.name ?? '';
      for (const k of KINDS) {
        if (!k.namespaced || k.version !== k.storageVersion) continue;
        for (const o of this.store.list(k.storage, name)) this.store.delete(k.storage, name, o.metadata.name ?? '', qualifiedResource(k));
      }
      this.store.delete(NAMESPACE.storage, undefined, name, 'namespaces');
    }
  }

  deleteCollection(kind: Kind, namespace: string | undefined, options: ListOptions & WriteOptions = {}): { items: KubeObject[]; resourceVersion: string } {
    const { items } = this.list(kind, namespace, options);
    const deleted = items.map((o) => this.delete(kind, o.metadata.namespace, o.metadata.name ?? '', options));
    return { items: deleted, resourceVersion: String(this.store.resourceVersion) };
  }

  // --- the scale subresource (autoscaling/v1 Scale) ---

  scale(kind: Kind, namespace: string | undefined, name: string): KubeObject {
    const object = this.get(kind, namespace, name) as KubeObject & { spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } }; status?: { replicas?: number } };
    const { name: n, namespace: ns, uid, resourceVersion, creationTimestamp } = object.metadata;
    return {
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name: n, namespace: ns, uid, resourceVersion, creationTimestamp },
      spec: { replicas: object.spec?.replicas ?? 1 },
      status: { replicas: object.status?.replicas ?? 0, selector: Object.entries(object.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
    };
  }

  /** A new Scale (from PUT or PATCH of /scale): its spec.replicas becomes the object's. */
  updateScale(kind: Kind, namespace: string | undefined, name: string, next: (scale: KubeObject) => unknown, options: WriteOptions = {}): KubeObject {
    const current = this.scale(kind, namespace, name);
    const wanted = next(current) as { spec?: { replicas?: unknown }; metadata?: { resourceVersion?: string } };
    const replicas = wanted?.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, { name, group: 'autoscaling', kind: 'Scale' });
    }
    const stored = this.store.get(kind.storage, namespace, name)!;
    if (wanted.metadata?.resourceVersion && wanted.metadata.resourceVersion !== stored.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(kind)} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const object = this.out(kind, stored) as KubeObject & { spec?: Record<string, unknown> };
    object.spec = { ...object.spec, replicas };
    this.replace(kind, stored, object, options);
    return options.dryRun ? { ...current, spec: { replicas } } : this.scale(kind, namespace, name);
  }

  patchScale(kind: Kind, namespace: string | undefined, name: string, contentType: string, patch: unknown, options: WriteOptions = {}): KubeObject {
    return this.updateScale(kind, namespace, name, (scale) => {
      try {
        switch (contentType) {
          case 'application/json-patch+json': return jsonPatch(scale as unknown as Json, patch);
          case 'application/merge-patch+json': return mergePatch(scale as unknown as Json, patch as Json);
          case 'application/strategic-merge-patch+json': return strategicMergePatch(scale as unknown as JsonObject, patch as JsonObject, definition('io.k8s.api.autoscaling.v1.Scale'));
          default: throw new ApiError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format');
        }
      } catch (error) {
        if (error instanceof PatchError) throw new ApiError(422, 'Invalid', error.message);
        throw error;
      }
    }, options);
  }

  private wrap<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      if (error instanceof StoreError) throw new ApiError(CODES[error.reason] ?? 500, error.reason, error.message);
      throw error;
    }
  }
}
