// The building blocks of the lab format's schema, each with the words an author
// reads when a value is wrong. The lab parser adds the file, line and field name.
import * as v from 'valibot';
import { parseCidr } from '../net/addr.js';
import { patternProblem } from './regex.js';

/** A mapping with exactly these keys: any other key is reported by name, with the keys it could have been. */
export function fields<const E extends v.ObjectEntries>(entries: E) {
  const known = Object.keys(entries).join(', ');
  return v.strictObject(entries, (issue) => issue.expected === 'never'
    ? `unknown field '${String(issue.input)}' (expected one of: ${known})`
    : 'must be a mapping of names to values');
}

/** Text; a bare YAML number (`value: 1`) is read as its text too. */
export const text = () => v.pipe(v.union([v.string(), v.number()], 'must be text'), v.transform(String));

/** Text that says something: not empty. */
export const word = () => v.pipe(v.string('must be text'), v.check((value) => value.trim() !== '', 'must not be empty'));

export const number = () => v.number('must be a number');
export const count = (min = 0, max = 1_000_000) =>
  v.pipe(v.number('must be a number'), v.integer('must be a whole number'), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`));
export const boolean = () => v.boolean('must be true or false');
export const oneOf = <const T extends string>(options: readonly T[]) => v.picklist(options, `must be one of: ${options.join(', ')}`);

// The pattern is for editors (it goes into the JSON Schema); net/addr has the last word.
const CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;
const isCidr = (text: string) => { try { parseCidr(text); return true; } catch { return false; } };
/** An IPv4 CIDR like 10.244.1.0/24. */
export const cidr = () => v.pipe(
  v.string('must be an IPv4 CIDR like 10.244.1.0/24'),
  v.regex(CIDR, (issue) => `'${String(issue.input)}' is not an IPv4 CIDR like 10.244.1.0/24`),
  v.check(isCidr, (issue) => `'${String(issue.input)}' is not an IPv4 CIDR like 10.244.1.0/24`),
);

/** A regular expression that RE2 can run (no lookaround, no backreferences). */
export const pattern = () => v.pipe(
  v.string('must be a regular expression, as text'),
  v.check((value) => patternProblem(value) === undefined, (issue) => `not a valid regular expression for RE2: ${patternProblem(String(issue.input))}`),
  v.description('A regular expression in RE2 syntax (no lookaround or backreferences).'),
);

/** One pattern, or a list of patterns that must all match. */
export const patterns = () => v.pipe(
  v.union([pattern(), v.pipe(v.array(pattern(), 'must be a list of patterns'), v.minLength(1, 'must list at least one pattern'))], 'must be a regular expression or a list of them'),
  v.transform((value): string[] => (Array.isArray(value) ? value : [value])),
);
