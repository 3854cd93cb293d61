// Writes src/kube/OpenAPIv2.proto.json: gnostic's OpenAPIv2.proto (beside it, unchanged) as
// protobufjs's JSON descriptor, so that src/kube builds the /openapi/v2 protobuf without reading
// a file at run time (the page has no file system). test/unit/kube/openapi-proto.test.ts holds
// the two together. Run: npx tsx scripts/kube-openapi-proto.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export function protoDescriptor(): unknown {
  const root = new protobuf.Root();
  root.loadSync(fileURLToPath(new URL('../src/kube/OpenAPIv2.proto', import.meta.url)), { keepCase: true });
  return root.toJSON();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(new URL('../src/kube/OpenAPIv2.proto.json', import.meta.url), `${JSON.stringify(protoDescriptor())}\n`);
}
