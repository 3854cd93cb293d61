// The lab format has one source: the check kinds' registry and src/lab/schema.ts. The
// committed JSON Schema and the README's list of kinds must say the same.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkKinds } from '../../../src/checks/registry.js';
import { HINT_VALUES } from '../../../src/lab/hints.js';
import { labJsonSchemaText } from '../../../src/lab/json-schema.js';

const committed = readFileSync(new URL('../../../docs/lab.schema.json', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

interface JsonSchema { properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; required?: string[]; description?: string }

describe('the lab format', () => {
  it('docs/lab.schema.json is what `npm run schema` writes now', () => {
    expect(committed, 'docs/lab.schema.json is stale: run npm run schema').toBe(labJsonSchemaText());
  });

  it('the registry, the JSON Schema and the README list the same check kinds, with the same words', () => {
    const kinds = checkKinds();
    const schema = JSON.parse(committed) as JsonSchema;
    const checkChoices = schema.properties!.steps!.items!.properties!.checks!.items!.anyOf!;
    const schemaKinds = checkChoices.map((choice) => choice.required!.find((key) => key !== 'node'));
    expect(schemaKinds).toEqual(kinds.map((k) => k.kind));
    const section = readme.slice(readme.indexOf('### Writing a lab'), readme.indexOf('### Grading headless'));
    const listed = [...section.matchAll(/^- `(\w+)`: (.+)$/gm)].map((m) => ({ kind: m[1], description: m[2] }));
    expect(listed).toEqual(kinds.map((k) => ({ kind: k.kind, description: k.description })));
  });

  it('names every value a hint may use, in the schema and in the README', () => {
    const schema = JSON.parse(committed) as JsonSchema;
    const hint = schema.properties!.steps!.items!.properties!.checks!.items!.anyOf![0]!.properties!.hint!.description!;
    for (const name of HINT_VALUES) {
      expect(hint).toContain(`{${name}}`);
      expect(readme).toContain(`\`{${name}}\``);
    }
  });
});
