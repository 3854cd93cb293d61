// src/kube/OpenAPIv2.proto.json must be gnostic's OpenAPIv2.proto beside it, parsed: the server
// encodes /openapi/v2 with the descriptor, and client-go decodes it with the .proto.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { protoDescriptor } from '../../../scripts/kube-openapi-proto.js';
import { openapiMessage, openapiProtobuf } from '../../../src/kube/openapi.js';

describe('OpenAPIv2.proto.json', () => {
  it('is OpenAPIv2.proto as protobufjs parses it (npx tsx scripts/kube-openapi-proto.ts rewrites it)', () => {
    const kept = JSON.parse(readFileSync(new URL('../../../src/kube/OpenAPIv2.proto.json', import.meta.url), 'utf8'));
    expect(kept).toEqual(JSON.parse(JSON.stringify(protoDescriptor())));
  });

  it('the served /openapi/v2 protobuf is, byte for byte, what protobufjs encodes from the .proto (the server writes it without eval)', () => {
    const root = new protobuf.Root();
    root.loadSync(fileURLToPath(new URL('../../../src/kube/OpenAPIv2.proto', import.meta.url)), { keepCase: true });
    const Document = root.lookupType('openapi.v2.Document');
    const message = openapiMessage();
    expect(Document.verify(message)).toBeNull();
    const expected = Document.encode(Document.fromObject(message)).finish();
    const served = openapiProtobuf();
    expect(served.length).toBe(expected.length);
    expect(Buffer.from(served).equals(Buffer.from(expected))).toBe(true);
    // And it decodes back to the definitions served as JSON.
    const decoded = Document.toObject(Document.decode(served)) as { definitions: { additional_properties: { name: string }[] } };
    expect(decoded.definitions.additional_properties.map((d) => d.name)).toContain('io.k8s.api.core.v1.Service');
  });
});
