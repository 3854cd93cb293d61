// The check kinds, and what the lab format makes of them: the `Check` type, the schema
// of a check as a lab file writes it, and the list the docs show. A new kind is one
// file beside this one, added to BUILTIN_KINDS (or registered at run time, as a test does).
import * as v from 'valibot';
import { address } from './address.js';
import { command } from './command.js';
import { fields, word } from './fields.js';
import { iptables } from './iptables.js';
import { ipam } from './ipam.js';
import type { AnyCheck, AnyCheckKind, CheckOf } from './kind.js';
import { link } from './link.js';
import { netns } from './netns.js';
import { object } from './object.js';
import { path } from './path.js';
import { ping } from './ping.js';
import { route } from './route.js';
import { sysctl } from './sysctl.js';
import { wire } from './wire.js';

export const BUILTIN_KINDS = [command, address, route, link, netns, iptables, sysctl, ping, ipam, wire, path, object] as const;

/** A check as the lab file gave it, read and checked: one of the kinds above. */
export type Check = CheckOf<(typeof BUILTIN_KINDS)[number]>;

const kinds = new Map<string, AnyCheckKind>(BUILTIN_KINDS.map((kind) => [kind.kind, kind as AnyCheckKind]));

/** Every kind the format knows now, built-in first. */
export function checkKinds(): AnyCheckKind[] {
  return [...kinds.values()];
}

export function checkKind(name: string): AnyCheckKind | undefined {
  return kinds.get(name);
}

/** Add a kind (a lab tool's own, or a test's). Returns a function that takes it away again. */
export function registerCheckKind(kind: AnyCheckKind): () => void {
  if (kinds.has(kind.kind)) throw new Error(`a check kind '${kind.kind}' exists already`);
  if (kind.kind in COMMON) throw new Error(`'${kind.kind}' is a field of every check and cannot name a kind`);
  kinds.set(kind.kind, kind);
  return () => { kinds.delete(kind.kind); };
}

/** The fields every check has, beside its kind's own. */
const COMMON = {
  name: v.optional(v.pipe(word(), v.description('What the check looks for, in the learner\'s words.'))),
  node: v.pipe(word(), v.description('The node the check runs on or looks at.')),
  hint: v.optional(v.pipe(word(), v.description('Shown when this check fails, before the step\'s hints. {node}, {address}, {podCidr}, {podNetwork}, {podGateway}, {gateway}, {segment} and {mac} become the values of the node it failed on.'))),
};

/** A check as read from a lab file, before the parser adds where it was written. */
export type ReadCheck = Omit<AnyCheck, 'at'>;

function describedEntries(kind: AnyCheckKind): v.ObjectEntries {
  const own = kind.entries[kind.kind];
  return { ...COMMON, ...kind.entries, ...(own ? { [kind.kind]: v.pipe(own, v.description(`${kind.kind}: ${kind.description}`)) } : {}) };
}

const schemas = new WeakMap<AnyCheckKind, v.GenericSchema<unknown, ReadCheck>>();

/** One kind's check, as a lab file writes it: `{ name, node, hint, <kind>: {...} }`. */
function checkSchemaOf(kind: AnyCheckKind): v.GenericSchema<unknown, ReadCheck> {
  let schema = schemas.get(kind);
  if (!schema) schemas.set(kind, schema = buildCheckSchema(kind));
  return schema;
}

function buildCheckSchema(kind: AnyCheckKind): v.GenericSchema<unknown, ReadCheck> {
  return v.pipe(
    fields(describedEntries(kind)),
    v.transform((input): ReadCheck => {
      const { name, node, hint } = input as { name?: string; node: string; hint?: string };
      return { kind: kind.kind, name: name ?? '', node, ...(hint === undefined ? {} : { hint }), ...kind.fields(input) };
    }),
  );
}

/**
 * The facts sections a round of checks reads on one node, or 'all' when a kind does not
 * say: a round gathers only these, and each section left out is a program not run.
 */
export function factsSectionsFor(checks: readonly (Check | AnyCheck)[]): string[] | 'all' {
  const sections = new Set<string>();
  for (const check of checks) {
    const read = kinds.get(check.kind)?.factsRead;
    if (!read) return 'all';
    for (const section of read(check)) sections.add(section);
  }
  return [...sections];
}

const kindKeysOf = (input: object) => Object.keys(input).filter((key) => kinds.has(key));

/** For reading a lab: the kind is told by its key, so a mistake is reported against that kind's own fields. */
export function checkSchema(): v.GenericSchema<unknown, ReadCheck> {
  return v.lazy((input) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return fields({});
    const present = kindKeysOf(input);
    if (present.length === 1) return checkSchemaOf(kinds.get(present[0]!)!);
    const names = [...kinds.keys()].join(', ');
    if (present.length > 1) return v.custom(() => false, `a check has one kind, this one has ${present.join(' and ')}`);
    const unknown = Object.keys(input).filter((key) => !(key in COMMON));
    return v.custom(() => false, unknown.length
      ? `unknown check kind ${unknown.map((key) => `'${key}'`).join(', ')}: a check needs one of: ${names}`
      : `a check needs one of: ${names}`);
  }) as v.GenericSchema<unknown, ReadCheck>;
}

/** For editors (the JSON Schema): a check is any one of the kinds. */
export function checkUnionSchema(): v.GenericSchema<unknown, ReadCheck> {
  return v.union(checkKinds().map(checkSchemaOf));
}
