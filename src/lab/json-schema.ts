// The lab format as a JSON Schema, so an author's editor completes and checks the front
// matter (yaml-language-server reads docs/lab.schema.json). `npm run schema` writes it.
import { toJsonSchema } from '@valibot/to-json-schema';
import { checkUnionSchema } from '../checks/registry.js';
import { labSchema, variableUnionSchema } from './schema.js';

function labJsonSchema(): Record<string, unknown> {
  // Transforms (defaults, text from numbers) and RE2 checks have no JSON Schema form; the parser applies them.
  const schema = toJsonSchema(labSchema(checkUnionSchema(), variableUnionSchema()), { errorMode: 'ignore' });
  return { ...schema, title: 'podwire lab front matter', description: 'The YAML front matter of a podwire lab.md. See "Writing a lab" in the README.' };
}

export function labJsonSchemaText(): string {
  return `${JSON.stringify(labJsonSchema(), null, 2)}\n`;
}
