// The three patch types kube-apiserver takes on PATCH (Content-Type):
//   application/merge-patch+json          RFC 7386 JSON merge patch
//   application/json-patch+json           RFC 6902 JSON patch
//   application/strategic-merge-patch+json  Kubernetes' strategic merge patch, which kubectl
//                                         `apply`, `label` and `annotate` send
// The strategic merge patch follows k8s.io/apimachinery/pkg/util/strategicpatch (patch.go,
// mergeMap/mergeSlice) and the design in community/contributors/devel/sig-api-machinery/
// strategic-merge-patch.md: a list whose schema says `x-kubernetes-patch-strategy: merge`
// merges element by `x-kubernetes-patch-merge-key` (containers by name, ports by containerPort
// or port); other lists are replaced; `null` deletes a field; and the directives `$patch`
// (replace, merge, delete), `$retainKeys`, `$deleteFromPrimitiveList/<field>` and
// `$setElementOrder/<field>` do what upstream's do. The strategies come from the schema
// (openapi.ts), as upstream's NewPatchMetaFromOpenAPI reads them.
import { resolve, type Schema } from './openapi.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export class PatchError extends Error {}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const clone = <T>(value: T): T => structuredClone(value);

/** RFC 7386: objects merge key by key, null deletes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] ?? null, value);
  }
  return result;
}

/** RFC 6902 with its JSON pointers (RFC 6901): add, remove, replace, move, copy, test. */
export function jsonPatch(target: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch is a list of operations');
  let doc = clone(target);
  const parse = (pointer: unknown): string[] => {
    if (typeof pointer !== 'string' || (pointer !== '' && !pointer.startsWith('/'))) throw new PatchError(`bad JSON pointer ${JSON.stringify(pointer)}`);
    return pointer === '' ? [] : pointer.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  };
  const parentOf = (path: string[]): [Json, string] => {
    let node: Json = doc;
    for (const part of path.slice(0, -1)) {
      const next: Json | undefined = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
      if (next === undefined) throw new PatchError(`path /${path.join('/')} does not exist`);
      node = next;
    }
    return [node, path[path.length - 1]!];
  };
  const read = (path: string[]): Json => {
    if (!path.length) return doc;
    const [parent, last] = parentOf(path);
    const value = Array.isArray(parent) ? parent[Number(last)] : isObject(parent) ? parent[last] : undefined;
    if (value === undefined) throw new PatchError(`path /${path.join('/')} does not exist`);
    return value;
  };
  const remove = (path: string[]): void => {
    const [parent, last] = parentOf(path);
    if (Array.isArray(parent)) { if (!(Number(last) < parent.length)) throw new PatchError(`no element ${last}`); parent.splice(Number(last), 1); }
    else if (isObject(parent) && last in parent) delete parent[last];
    else throw new PatchError(`path /${path.join('/')} does not exist`);
  };
  const add = (path: string[], value: Json): void => {
    if (!path.length) { doc = value; return; }
    const [parent, last] = parentOf(path);
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index > parent.length) throw new PatchError(`bad index ${last}`);
      parent.splice(index, 0, value);
    } else if (isObject(parent)) parent[last] = value;
    else throw new PatchError(`path /${path.join('/')} has no parent object`);
  };
  for (const op of operations as Record<string, unknown>[]) {
    const path = parse(op.path);
    switch (op.op) {
      case 'add': add(path, clone(op.value as Json)); break;
      case 'remove': remove(path); break;
      case 'replace': read(path); remove(path); add(path, clone(op.value as Json)); break;
      case 'move': { const from = parse(op.from); const value = read(from); remove(from); add(path, value); break; }
      case 'copy': add(path, clone(read(parse(op.from)))); break;
      case 'test': if (JSON.stringify(read(path)) !== JSON.stringify(op.value)) throw new PatchError(`test of /${path.join('/')} failed`); break;
      default: throw new PatchError(`unknown JSON patch operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}

// --- Strategic merge patch ---------------------------------------------------------------------

interface FieldMeta {
  readonly schema: Schema | undefined;
  readonly strategies: readonly string[];
  readonly mergeKey: string | undefined;
}

/** The schema, patch strategies and merge key of `field` inside `schema` (NewPatchMetaFromOpenAPI). */
function fieldMeta(schema: Schema | undefined, field: string): FieldMeta {
  const object = resolve(schema);
  const property = object?.properties?.[field] ?? (typeof object?.additionalProperties === 'object' ? object.additionalProperties : undefined);
  const strategy = property?.['x-kubernetes-patch-strategy'];
  return { schema: property, strategies: strategy ? strategy.split(',') : [], mergeKey: property?.['x-kubernetes-patch-merge-key'] };
}

const itemSchema = (schema: Schema | undefined): Schema | undefined => resolve(schema)?.items;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM = '$deleteFromPrimitiveList/';
const ELEMENT_ORDER = '$setElementOrder/';

/** Apply a strategic merge patch to `original`, with `schema` the object's OpenAPI definition. */
export function strategicMergePatch(original: JsonObject, patch: JsonObject, schema: Schema | undefined): JsonObject {
  return mergeMap(clone(original), clone(patch), schema);
}

function mergeMap(original: JsonObject, patch: JsonObject, schema: Schema | undefined): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive !== undefined) {
    delete patch[DIRECTIVE];
    if (directive === 'replace') return stripDirectives(patch) as JsonObject;
    if (directive === 'delete') return {};
    if (directive !== 'merge') throw new PatchError(`Unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
  }
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    delete patch[RETAIN_KEYS];
    if (!Array.isArray(retain)) throw new PatchError('$retainKeys must be a list of field names');
    for (const key of Object.keys(original)) if (!retain.includes(key) && !(key in patch)) delete original[key];
  }
  // Deletions from primitive lists, then the patch's own fields, then element order, which
  // places server-only elements by where they stood before the patch.
  const orders: [string, Json[], Json[]][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM)) {
      const field = key.slice(DELETE_FROM.length);
      const drop = Array.isArray(value) ? value : [];
      const current = original[field];
      if (Array.isArray(current)) {
        const kept = current.filter((item) => !drop.some((d) => JSON.stringify(d) === JSON.stringify(item)));
        if (kept.length) original[field] = kept; else delete original[field];
      }
    } else if (key.startsWith(ELEMENT_ORDER)) {
      const field = key.slice(ELEMENT_ORDER.length);
      const before = original[field];
      if (Array.isArray(value)) orders.push([field, value, Array.isArray(before) ? [...before] : []]);
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM) || key.startsWith(ELEMENT_ORDER)) continue;
    if (value === null) { delete original[key]; continue; }
    const meta = fieldMeta(schema, key);
    const current = original[key];
    if (isObject(value)) {
      if (meta.strategies.includes('replace')) original[key] = stripDirectives(value);
      else original[key] = mergeMap(isObject(current) ? current : {}, value, meta.schema);
      continue;
    }
    if (Array.isArray(value)) {
      original[key] = meta.strategies.includes('merge')
        ? mergeList(Array.isArray(current) ? current : [], value, meta.mergeKey, itemSchema(meta.schema))
        : stripDirectives(value);
      continue;
    }
    original[key] = value;
  }
  for (const [field, order, before] of orders) {
    const list = original[field];
    if (Array.isArray(list)) original[field] = applyOrder(list, order, before, fieldMeta(schema, field).mergeKey);
  }
  return original;
}

const keyOf = (item: Json, mergeKey: string | undefined): string | undefined =>
  mergeKey === undefined ? JSON.stringify(item) : isObject(item) && item[mergeKey] !== undefined ? JSON.stringify(item[mergeKey]) : undefined;

function mergeList(original: Json[], patch: Json[], mergeKey: string | undefined, items: Schema | undefined): Json[] {
  if (patch.some((item) => isObject(item) && item[DIRECTIVE] === 'replace')) {
    return stripDirectives(patch.filter((item) => !(isObject(item) && item[DIRECTIVE] === 'replace'))) as Json[];
  }
  const scalars = patch.every((item) => !isObject(item));
  if (scalars) {
    // A merging list of scalars is a set: the original's order, then what the patch adds.
    const result = [...original];
    for (const item of patch) if (!result.some((r) => JSON.stringify(r) === JSON.stringify(item))) result.push(item);
    return result;
  }
  if (mergeKey === undefined) throw new PatchError('a merging list of maps needs a patch merge key');
  let result = [...original];
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`a list merged by ${mergeKey} holds maps only`);
    const itemKey = keyOf(item, mergeKey);
    if (itemKey === undefined) throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
    if (item[DIRECTIVE] === 'delete') {
      result = result.filter((r) => keyOf(r, mergeKey) !== itemKey);
      continue;
    }
    const index = result.findIndex((r) => keyOf(r, mergeKey) === itemKey);
    if (index >= 0) result[index] = mergeMap(isObject(result[index]) ? result[index] as JsonObject : {}, item, items);
    else result.push(mergeMap({}, item, items));
  }
  return result;
}

/**
 * `$setElementOrder`: the patch's elements in the order given, the server-only elements kept
 * where they were relative to them (upstream's normalizeElementOrder and mergeSortedSlice).
 */
function applyOrder(list: Json[], order: Json[], before: Json[], mergeKey: string | undefined): Json[] {
  const orderKeys = order.map((item) => keyOf(item, mergeKey));
  const serverKeys = before.map((item) => keyOf(item, mergeKey));
  const inOrder = list.filter((item) => orderKeys.includes(keyOf(item, mergeKey)))
    .sort((a, b) => orderKeys.indexOf(keyOf(a, mergeKey)) - orderKeys.indexOf(keyOf(b, mergeKey)));
  const serverOnly = list.filter((item) => !orderKeys.includes(keyOf(item, mergeKey)));
  const result: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < inOrder.length || j < serverOnly.length) {
    if (i >= inOrder.length) result.push(serverOnly[j++]!);
    else if (j >= serverOnly.length) result.push(inOrder[i++]!);
    else {
      const li = serverKeys.indexOf(keyOf(inOrder[i]!, mergeKey));
      const ri = serverKeys.indexOf(keyOf(serverOnly[j]!, mergeKey));
      if (li >= 0 && ri >= 0 && ri < li) result.push(serverOnly[j++]!);
      else result.push(inOrder[i++]!);
    }
  }
  return result;
}

/** A patch's value as data: directives removed (a new element or a replaced map keeps none). */
function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.filter((item) => !(isObject(item) && item[DIRECTIVE] === 'delete')).map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, sub] of Object.entries(value)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(DELETE_FROM) || key.startsWith(ELEMENT_ORDER) || sub === null) continue;
    out[key] = stripDirectives(sub);
  }
  return out;
}

export type { Json, JsonObject };
