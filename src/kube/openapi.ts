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
import protobuf from 'protobufjs';
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

/** /openapi/v2 as protobuf: built once from the JSON definitions. */
export function openapiProtobuf(): Uint8Array {
  if (encoded) return encoded;
  const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
  const Document = root.lookupType('openapi.v2.Document');
  const doc = openapi();
  const message = {
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
  const problem = Document.verify(message);
  if (problem) throw new Error(`openapi protobuf: ${problem}`);
  encoded = Document.encode(Document.fromObject(message)).finish();
  return encoded;
}

/** /openapi/v2 as JSON. */
export function openapiJson(): string {
  return JSON.stringify(openapi());
}
