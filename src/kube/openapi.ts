// The OpenAPI v2 schema of the served kinds, from upstream Kubernetes v1.21.2 (cut by
// scripts/kube-openapi.ts, not typed by hand). It is served at /openapi/v2 in the two forms
// clients ask for: JSON, and the protobuf that kubectl 1.20 requests (client-go's
// OpenAPISchema asks for `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and
// decodes a gnostic openapi_v2.Document). kubectl validates `create`/`apply` input with it
// and reads the patch strategies from it; the server reads the same strategies (patch.ts).
// OpenAPIv2.proto beside this file is gnostic's, unchanged (github:google/gnostic,
// openapiv2/OpenAPIv2.proto at e0e09f7, Apache-2.0), which client-go decodes the document with;
// OpenAPIv2.proto.json is it as protobufjs's descriptor (scripts/kube-openapi-proto.ts), so that
// nothing here reads a file: the same module runs in the page, where src/kube (with these
// 300 KB of schemas) is a chunk of its own, loaded when a lab with the control plane starts.
// The message is written by encodeMessage below, from the descriptor, not by protobufjs: its
// encoders are generated with Function(), which the page's Content Security Policy forbids (no
// eval). test/unit/kube/openapi-proto.test.ts holds the bytes to protobufjs's, byte for byte.
import descriptor from './OpenAPIv2.proto.json';
import cutSchemas from './openapi-v1.21.2.json';
import { KINDS } from './resources.js';

export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  allOf?: Schema[];
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  [extension: string]: unknown;
}

interface Operation { 'x-kubernetes-group-version-kind': { group: string; version: string; kind: string }; parameters: { name: string; in: string; type: string; uniqueItems: boolean }[] }

interface Swagger {
  swagger: string;
  info: { title: string; version: string };
  paths: Record<string, { patch: Operation }>;
  definitions: Record<string, Schema>;
}

let swagger: Swagger | undefined;

/**
 * One PATCH operation per served kind, with its GVK and the `dryRun` query parameter: all that
 * kubectl reads of the paths. Its DryRunVerifier (`kubectl diff`, `apply --dry-run=server`)
 * looks for exactly these (k8s.io/kubectl/pkg/util/openapi SupportsDryRun).
 */
function paths(): Swagger['paths'] {
  return Object.fromEntries(KINDS.map((k) => {
    const prefix = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
    const path = `${prefix}${k.namespaced ? '/namespaces/{namespace}' : ''}/${k.plural}/{name}`;
    return [path, { patch: { 'x-kubernetes-group-version-kind': { group: k.group, version: k.version, kind: k.kind }, parameters: [{ name: 'dryRun', in: 'query', type: 'string', uniqueItems: true }] } }];
  }));
}

export function openapi(): Swagger {
  if (!swagger) {
    const cut = cutSchemas as unknown as Omit<Swagger, 'paths'>;
    swagger = { swagger: cut.swagger, info: cut.info, paths: paths(), definitions: cut.definitions };
  }
  return swagger;
}

export function definition(name: string): Schema | undefined {
  return openapi().definitions[name];
}

/** A schema with its $ref followed (the definitions refer to each other by `#/definitions/NAME`). */
export function resolve(schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let hops = 0; current?.$ref && hops < 10; hops++) current = definition(current.$ref.replace('#/definitions/', ''));
  return current;
}

// --- The protobuf form -------------------------------------------------------------------------

type Message = Record<string, unknown>;
const yamlOf = (value: unknown) => ({ yaml: JSON.stringify(value) }); // JSON is YAML: kube-openapi parses it with yaml.v2

/** One schema in gnostic's openapi_v2.Schema shape (field names as in OpenAPIv2.proto). */
function toGnostic(schema: Schema): Message {
  const out: Message = {};
  const extensions: Message[] = [];
  for (const [name, value] of Object.entries(schema)) {
    switch (name) {
      case '$ref': out._ref = value; break;
      case 'type': out.type = { value: [value] }; break;
      case 'format': case 'title': case 'description': case 'pattern': case 'discriminator': out[name] = value; break;
      case 'required': out.required = value; break;
      case 'default': out.default = yamlOf(value); break;
      case 'example': out.example = yamlOf(value); break;
      case 'enum': out.enum = (value as unknown[]).map(yamlOf); break;
      case 'items': out.items = { schema: (Array.isArray(value) ? value as Schema[] : [value as Schema]).map(toGnostic) }; break;
      case 'allOf': out.all_of = (value as Schema[]).map(toGnostic); break;
      case 'properties': out.properties = { additional_properties: Object.entries(value as Record<string, Schema>).map(([key, sub]) => ({ name: key, value: toGnostic(sub) })) }; break;
      case 'additionalProperties': out.additional_properties = typeof value === 'boolean' ? { boolean: value } : { schema: toGnostic(value as Schema) }; break;
      case 'readOnly': out.read_only = value; break;
      case 'uniqueItems': out.unique_items = value; break;
      case 'minimum': case 'maximum': out[name] = value; break;
      case 'minLength': out.min_length = value; break;
      case 'maxLength': out.max_length = value; break;
      case 'minItems': out.min_items = value; break;
      case 'maxItems': out.max_items = value; break;
      default: if (name.startsWith('x-')) extensions.push({ name, value: yamlOf(value) });
    }
  }
  if (extensions.length) out.vendor_extension = extensions;
  return out;
}

let encoded: Uint8Array | undefined;

/** The message /openapi/v2 encodes, in gnostic's openapi_v2.Document shape (field names as in OpenAPIv2.proto). */
export function openapiMessage(): Message {
  const doc = openapi();
  return {
    swagger: doc.swagger,
    info: { title: doc.info.title, version: doc.info.version },
    paths: {
      path: Object.entries(doc.paths).map(([name, item]) => ({
        name,
        value: {
          patch: {
            parameters: item.patch.parameters.map((p) => ({ parameter: { non_body_parameter: { query_parameter_sub_schema: { name: p.name, in: p.in, type: p.type, unique_items: p.uniqueItems } } } })),
            vendor_extension: [{ name: 'x-kubernetes-group-version-kind', value: yamlOf(item.patch['x-kubernetes-group-version-kind']) }],
          },
        },
      })),
    },
    definitions: { additional_properties: Object.entries(doc.definitions).map(([name, schema]) => ({ name, value: toGnostic(schema) })) },
  };
}

/** /openapi/v2 as protobuf: built once from the JSON definitions. */
export function openapiProtobuf(): Uint8Array {
  encoded ??= encodeMessage('Document', openapiMessage());
  return encoded;
}

/** /openapi/v2 as JSON. */
export function openapiJson(): string {
  return JSON.stringify(openapi());
}

// --- A protobuf writer from the descriptor (proto3; the types OpenAPIv2.proto uses) -----------

interface FieldDescriptor { type: string; id: number; rule?: string }
const messages = (descriptor as unknown as { nested: { openapi: { nested: { v2: { nested: Record<string, { fields?: Record<string, FieldDescriptor> }> } } } } }).nested.openapi.nested.v2.nested;

class Bytes {
  private buf = new Uint8Array(1 << 16);
  length = 0;
  private room(n: number) {
    if (this.length + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }
  byte(b: number) { this.room(1); this.buf[this.length++] = b; }
  varint(value: number | bigint) {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) { this.byte(Number(v & 0x7fn) | 0x80); v >>= 7n; }
    this.byte(Number(v));
  }
  raw(bytes: Uint8Array) { this.room(bytes.length); this.buf.set(bytes, this.length); this.length += bytes.length; }
  double(value: number) { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, value, true); this.raw(b); }
  done(): Uint8Array { return this.buf.slice(0, this.length); }
}

const encoder = new TextEncoder();
const WIRE: Record<string, number> = { bool: 0, int64: 0, int32: 0, uint64: 0, uint32: 0, double: 1, string: 2, bytes: 2 };

function writeValue(out: Bytes, type: string, value: unknown): void {
  switch (type) {
    case 'bool': out.varint(value ? 1 : 0); return;
    case 'int64': case 'int32': case 'uint64': case 'uint32': out.varint(Math.trunc(Number(value))); return;
    case 'double': out.double(Number(value)); return;
    case 'string': { const b = encoder.encode(String(value)); out.varint(b.length); out.raw(b); return; }
    case 'bytes': { const b = value as Uint8Array; out.varint(b.length); out.raw(b); return; }
    default: { const b = encodeMessage(type, value as Message); out.varint(b.length); out.raw(b); }
  }
}

/** One message, its present fields in field-number order (as protobufjs writes them); repeated numbers packed (proto3). */
export function encodeMessage(type: string, message: Message): Uint8Array {
  const fields = messages[type]?.fields;
  if (!fields) throw new Error(`openapi protobuf: no message ${type}`);
  const out = new Bytes();
  for (const [name, field] of Object.entries(fields).sort((a, b) => a[1].id - b[1].id)) {
    const value = message[name];
    if (value === undefined || value === null) continue;
    const wire = WIRE[field.type] ?? 2;
    if (field.rule === 'repeated') {
      const items = value as unknown[];
      if (!items.length) continue;
      if (wire === 0 || wire === 1) {
        const packed = new Bytes();
        for (const item of items) writeValue(packed, field.type, item);
        out.varint((field.id << 3) | 2);
        out.varint(packed.length);
        out.raw(packed.done());
      } else {
        for (const item of items) { out.varint((field.id << 3) | wire); writeValue(out, field.type, item); }
      }
      continue;
    }
    out.varint((field.id << 3) | wire);
    writeValue(out, field.type, value);
  }
  return out.done();
}
