// Writes docs/lab.schema.json, the lab format as a JSON Schema for authors' editors.
// A unit test (test/unit/lab/schema.test.ts) fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { labJsonSchemaText } from '../src/lab/json-schema.js';

const target = new URL('../docs/lab.schema.json', import.meta.url);
writeFileSync(target, labJsonSchemaText());
process.stdout.write(`wrote ${target.pathname}\n`);
