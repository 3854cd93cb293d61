// A check kind is a plugin: one file under src/checks/ holds its fields (a valibot
// schema), its evaluation and the line that describes it in the docs. The registry
// builds the lab format's `Check` type and its parsing from the kinds.
import type * as v from 'valibot';
import type { CheckContext } from './context.js';

/** What every check has, whatever its kind. */
export type CheckCommon = {
  /** What the check looks for, in the learner's words; shown in reports. */
  name: string;
  /** The node the check runs on or looks at. */
  node: string;
  /** Shown when this check fails, before the step's own hints; {node}, {address}, {podCidr}... are the node's values. */
  hint?: string;
  /** Where the check is written, for messages: "labs/x/lab.md:42". */
  at: string;
};

/** A check as the code sees it before knowing its kind. */
export type AnyCheck = CheckCommon & { kind: string };

/** The verdict of one evaluation: what was expected, and what was found instead. */
export interface Outcome { passed: boolean; expected: string; found: string }

export interface CheckKindDefinition<K extends string = string, E extends v.ObjectEntries = v.ObjectEntries, F extends object = object> {
  kind: K;
  /** One line for the docs: what the check looks at, and its fields. */
  description: string;
  /** Its fields in the lab file, beside name, node and hint; the kind's own key is one of them. */
  entries: E;
  /** The check's fields once read, from what the lab file says. */
  fields(input: v.InferOutput<v.ObjectSchema<E, undefined>>): F;
  /** Other nodes the check names, with the path to where it names them, for "unknown node" messages. */
  nodes?(check: CheckCommon & { kind: K } & F): { path: string[]; node: string }[];
  /**
   * The facts sections it reads, as "name:netns" (see FACTS_SECTIONS in observe/facts.ts;
   * "ip:" is the node's own), so a round of checks gathers only those. Left out: all of them.
   */
  factsRead?(check: CheckCommon & { kind: K } & F): string[];
  /** Look at the node (or the wire) and judge. Errors from the node propagate: runCheck reports them. */
  evaluate(check: CheckCommon & { kind: K } & F, context: CheckContext): Promise<Outcome>;
}

/** Any kind, for the registry, which only passes checks to the kind that read them. */
export type AnyCheckKind = CheckKindDefinition<string, v.ObjectEntries, any>;

/** The check type a kind reads. */
export type CheckOf<D> = D extends CheckKindDefinition<infer K, infer _E, infer F> ? CheckCommon & { kind: K } & F : never;

export function defineCheckKind<const K extends string, const E extends v.ObjectEntries, F extends object>(definition: CheckKindDefinition<K, E, F>): CheckKindDefinition<K, E, F> {
  return definition;
}

export { inNetns, shellQuote } from '../observe/shell.js';
export const where = (netns?: string) => (netns ? `in netns ${netns}` : 'in the node namespace');

/** An object type whose fields that may be undefined become optional ones. */
type Compact<T> =
  & { [K in keyof T as undefined extends T[K] ? never : K]: T[K] }
  & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> };

/** The same object without its undefined fields, so a check carries only what its lab file says. */
export function compact<T extends object>(value: T): Compact<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Compact<T>;
}
