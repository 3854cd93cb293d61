// Decoding a written object against its schema, as kube-apiserver v1.21 decodes JSON into its Go
// types: a value of the wrong type is a 400 ("... cannot be handled as a Service: json: cannot
// unmarshal string into Go struct field ServicePort.spec.ports.port of type int32"), and a
// field the type does not have is dropped without a word (strict decoding came in 1.25;
// kubectl's own validation is what reports unknown fields to a learner). So what is stored has
// the shapes the schema promises, and later readers (controllers, checks) can rely on them.
import { ApiError } from './api-error.js';
import { definition, resolve, type Schema } from './openapi.js';

type Json = unknown;

const GO_TYPES: Record<string, string> = { string: 'string', integer: 'int64', number: 'float64', boolean: 'bool', array: 'slice', object: 'struct' };

function jsonType(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return 'number';
  return typeof value;
}

class Mismatch extends Error {}

function goType(schema: Schema, name: string): string {
  if (schema.format === 'int32') return 'int32';
  if (schema.format === 'int64') return 'int64';
  if (schema.type === 'object' && schema.additionalProperties) return 'map[string]string';
  return GO_TYPES[schema.type ?? 'object'] === 'struct' ? name : GO_TYPES[schema.type ?? ''] ?? name;
}

function walk(value: Json, schema: Schema | undefined, path: string, owner: string): Json {
  const resolved = resolve(schema);
  if (!resolved || value === null) return value; // null is "unset" for any Go field
  const refName = schema?.$ref?.split('.').pop() ?? owner;
  const fail = (): never => {
    const got = jsonType(value);
    throw new Mismatch(`json: cannot unmarshal ${got === 'array' ? 'array' : got === 'object' ? 'object' : got} into Go struct field ${owner}.${path} of type ${goType(resolved, refName)}`);
  };
  if (resolved.format === 'int-or-string') {
    if (typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))) return value;
    return fail();
  }
  if (resolved.format === 'quantity' || resolved.format === 'date-time' || resolved.format === 'byte') {
    return typeof value === 'string' || (resolved.format === 'quantity' && typeof value === 'number') ? value : fail();
  }
  switch (resolved.type) {
    case 'string': return typeof value === 'string' ? value : fail();
    case 'boolean': return typeof value === 'boolean' ? value : fail();
    case 'integer': return typeof value === 'number' && Number.isInteger(value) ? value : fail();
    case 'number': return typeof value === 'number' ? value : fail();
    case 'array': {
      if (!Array.isArray(value)) return fail();
      return value.map((item) => walk(item, resolved.items, path, owner));
    }
    default: {
      if (typeof value !== 'object' || Array.isArray(value)) return fail();
      const object = value as Record<string, Json>;
      if (resolved.properties) {
        // A struct: known fields decoded, unknown ones dropped (non-strict decoding).
        const out: Record<string, Json> = {};
        for (const [key, sub] of Object.entries(object)) {
          const property = resolved.properties[key];
          if (property) out[key] = walk(sub, property, path ? `${path}.${key}` : key, schema?.$ref ? refName : owner);
        }
        return out;
      }
      if (typeof resolved.additionalProperties === 'object') {
        const out: Record<string, Json> = {};
        for (const [key, sub] of Object.entries(object)) out[key] = walk(sub, resolved.additionalProperties, path, owner);
        return out;
      }
      return value; // free-form (RawExtension, JSON fields)
    }
  }
}

/** `object` decoded as `kind` would be: wrong types are a 400, unknown fields are dropped. */
export function decode<T>(kindName: string, version: string, definitionName: string, object: T): T {
  const schema = definition(definitionName);
  if (!schema) return object;
  try {
    return walk(object, { $ref: `#/definitions/${definitionName}` }, '', kindName) as T;
  } catch (error) {
    if (error instanceof Mismatch) throw new ApiError(400, 'BadRequest', `${kindName} in version "${version}" cannot be handled as a ${kindName}: ${error.message}`);
    throw error;
  }
}
