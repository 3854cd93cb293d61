// What the controllers share: the kinds they read and write, owner references, and a
// pod's readiness as the endpoints controllers and the ReplicaSet controller judge it.
import type { KubeApi } from '../api.js';
import { KINDS, type Kind } from '../resources.js';
import type { KubeObject } from '../store.js';

const kind = (name: string, version?: string): Kind => KINDS.find((k) => k.kind === name && (version === undefined || k.version === version))!;
export const POD = kind('Pod');
export const NODE = kind('Node');
export const SERVICE = kind('Service');
export const ENDPOINTS = kind('Endpoints');
export const SLICE = kind('EndpointSlice', 'v1');
export const DEPLOYMENT = kind('Deployment');
export const REPLICASET = kind('ReplicaSet');
export const NAMESPACE = kind('Namespace');
export const NETWORKPOLICY = kind('NetworkPolicy');
export const EVENT = kind('Event', 'v1');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Plain = Record<string, any>;
/** An API object as the controllers read it: JSON with metadata. */
export type Any = Plain & { metadata: any };

export interface OwnerReference { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }

/** The reference a controller puts on what it makes (controller: true, as upstream's NewControllerRef). */
export function controllerRef(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion ?? '', kind: owner.kind ?? '', name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return (object.metadata.ownerReferences as OwnerReference[] | undefined)?.find((r) => r.controller);
}

/** Every object of `k` in `namespace` (all namespaces when undefined). */
export const list = (api: KubeApi, k: Kind, namespace?: string): Any[] => api.list(k, namespace).items as Any[];

/** A pod counts while it is neither finished nor being deleted (upstream's IsPodActive). */
export const isActive = (pod: Any): boolean => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed' && !pod.metadata.deletionTimestamp;

/** The Ready condition (podutil.IsPodReady). */
export const isReady = (pod: Any): boolean => (pod.status?.conditions ?? []).some((c: Any) => c.type === 'Ready' && c.status === 'True');
