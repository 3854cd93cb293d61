// src/kube/OpenAPIv2.proto.json must be gnostic's OpenAPIv2.proto beside it, parsed: the server
// encodes /openapi/v2 with the descriptor, and client-go decodes it with the .proto.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { protoDescriptor } from '../../../scripts/kube-openapi-proto.js';

describe('OpenAPIv2.proto.json', () => {
  it('is OpenAPIv2.proto as protobufjs parses it (npx tsx scripts/kube-openapi-proto.ts rewrites it)', () => {
    const kept = JSON.parse(readFileSync(new URL('../../../src/kube/OpenAPIv2.proto.json', import.meta.url), 'utf8'));
    expect(kept).toEqual(JSON.parse(JSON.stringify(protoDescriptor())));
  });
});
