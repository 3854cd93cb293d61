// The objects of one cluster, in memory: what etcd holds for kube-apiserver. Every write takes
// the next resourceVersion (one counter for the whole store, as etcd's revision is) and is
// kept in a short history, so a watch can start from a resourceVersion a list returned and
// miss nothing in between. The store knows no kinds: it keeps JSON objects under a storage
// key (resources.ts) and namespace/name, and sets the metadata the server owns.
import { randomUUID } from './random.js';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: EventType;
  readonly storage: string;
  readonly object: KubeObject;
  readonly resourceVersion: number;
}

export interface Snapshot {
  readonly resourceVersion: number;
  readonly objects: readonly { readonly storage: string; readonly object: KubeObject }[];
}

export class StoreError extends Error {
  constructor(readonly reason: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone', message: string) {
    super(message);
  }
}

/** How many events a watch can reach back: older resourceVersions get 410 Gone, as from etcd after compaction. */
const HISTORY = 2000;

const key = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;
const clone = <T>(value: T): T => structuredClone(value);

/** The fields that make a spec change (and so a new generation): all but metadata and status. */
function specOf(object: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = object;
  return JSON.stringify(rest);
}

export class Store {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly watchers = new Set<(event: StoreEvent) => void>();
  private revision = 0;
  constructor(private readonly now: () => Date = () => new Date()) {}

  get resourceVersion(): number {
    return this.revision;
  }

  /** How many objects the store holds, all kinds together. */
  get size(): number {
    let count = 0;
    for (const bucket of this.objects.values()) count += bucket.size;
    return count;
  }

  private bucket(storage: string): Map<string, KubeObject> {
    let bucket = this.objects.get(storage);
    if (!bucket) this.objects.set(storage, bucket = new Map());
    return bucket;
  }

  list(storage: string, namespace?: string): KubeObject[] {
    const all = [...this.bucket(storage).values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace);
    return all.sort((a, b) => key(a.metadata.namespace, a.metadata.name ?? '').localeCompare(key(b.metadata.namespace, b.metadata.name ?? ''))).map(clone);
  }

  get(storage: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.bucket(storage).get(key(namespace, name));
    return found && clone(found);
  }

  /** A new object: the server sets uid, resourceVersion, creationTimestamp and generation. */
  create(storage: string, object: KubeObject, what: string): KubeObject {
    const name = object.metadata.name;
    if (!name) throw new Error('create needs a name');
    const bucket = this.bucket(storage);
    if (bucket.has(key(object.metadata.namespace, name))) throw new StoreError('AlreadyExists', `${what} "${name}" already exists`);
    const stored = clone(object);
    delete stored.metadata.deletionTimestamp;
    stored.metadata.uid = randomUUID();
    stored.metadata.creationTimestamp = this.now().toISOString().replace(/\.\d+Z$/, 'Z');
    stored.metadata.generation = 1;
    stored.metadata.resourceVersion = String(++this.revision);
    bucket.set(key(object.metadata.namespace, name), stored);
    this.emit({ type: 'ADDED', storage, object: stored, resourceVersion: this.revision });
    return clone(stored);
  }

  /**
   * Replace an object. A resourceVersion in the new object must match the stored one
   * (optimistic concurrency, as kube-apiserver's GuaranteedUpdate); none means "whatever is there".
   */
  update(storage: string, object: KubeObject, what: string): KubeObject {
    const name = object.metadata.name ?? '';
    const bucket = this.bucket(storage);
    const old = bucket.get(key(object.metadata.namespace, name));
    if (!old) throw new StoreError('NotFound', `${what} "${name}" not found`);
    const wanted = object.metadata.resourceVersion;
    if (wanted && wanted !== old.metadata.resourceVersion) {
      throw new StoreError('Conflict', `Operation cannot be fulfilled on ${what} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const stored = clone(object);
    if (old.metadata.deletionTimestamp) stored.metadata.deletionTimestamp = old.metadata.deletionTimestamp; // once set, for good
    for (const field of ['uid', 'creationTimestamp', 'generation'] as const) {
      if (old.metadata[field] === undefined) delete stored.metadata[field];
      else stored.metadata[field] = old.metadata[field] as never;
    }
    if (JSON.stringify({ ...stored, metadata: { ...stored.metadata, resourceVersion: old.metadata.resourceVersion } }) === JSON.stringify(old)) {
      return clone(old); // nothing changed: no new resourceVersion, no event (as kube-apiserver)
    }
    if (specOf(stored) !== specOf(old)) stored.metadata.generation = (old.metadata.generation ?? 1) + 1;
    stored.metadata.resourceVersion = String(++this.revision);
    bucket.set(key(object.metadata.namespace, name), stored);
    this.emit({ type: 'MODIFIED', storage, object: stored, resourceVersion: this.revision });
    return clone(stored);
  }

  delete(storage: string, namespace: string | undefined, name: string, what: string): KubeObject {
    const bucket = this.bucket(storage);
    const old = bucket.get(key(namespace, name));
    if (!old) throw new StoreError('NotFound', `${what} "${name}" not found`);
    bucket.delete(key(namespace, name));
    const gone = clone(old);
    gone.metadata.resourceVersion = String(++this.revision);
    this.emit({ type: 'DELETED', storage, object: gone, resourceVersion: this.revision });
    return clone(gone);
  }

  /**
   * Events after `since` (a resourceVersion a list or get returned), then every new one, until
   * the returned function is called. Throws Gone when `since` is older than the history kept.
   */
  watch(since: number | undefined, onEvent: (event: StoreEvent) => void): () => void {
    if (since !== undefined && since < this.revision) {
      const oldest = this.history[0]?.resourceVersion ?? this.revision + 1;
      if (since + 1 < oldest) throw new StoreError('Gone', `too old resource version: ${since} (${oldest - 1})`);
      for (const event of this.history) if (event.resourceVersion > since) onEvent(event);
    }
    this.watchers.add(onEvent);
    return () => this.watchers.delete(onEvent);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.shift();
    for (const watcher of [...this.watchers]) watcher(event);
  }

  /** Every object and the revision, as plain JSON: saved with the lab run. */
  snapshot(): Snapshot {
    const objects = [...this.objects.entries()].flatMap(([storage, bucket]) => [...bucket.values()].map((object) => ({ storage, object: clone(object) })));
    return { resourceVersion: this.revision, objects };
  }

  /** Back to a snapshot: objects replaced, history cleared (watches start again from a list). */
  restore(snapshot: Snapshot): void {
    this.objects.clear();
    this.history.length = 0;
    for (const { storage, object } of snapshot.objects) this.bucket(storage).set(key(object.metadata.namespace, object.metadata.name ?? ''), clone(object));
    this.revision = snapshot.resourceVersion;
  }
}
