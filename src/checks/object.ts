// Checks on Kubernetes objects: what the lab's API server holds (harness/kube-cluster), as
// `kubectl get` would show it. A check picks objects (a resource, a namespace, a name or a
// label selector), gathers the values at a field path in them, keeps those that pass a value
// test, and counts them:
//
//   object:
//     resource: endpointslices                      # as kubectl takes it: plural, singular, short name or Kind
//     selector: kubernetes.io/service-name=web      # or name: web; namespace: default unless given
//     field: "endpoints[*].conditions.ready"        # dots, [N] and [*] (every item); ["a.b/c"] for keys with dots
//     equals: true                                  # or matches: REGEX
//     count: 2                                      # or ">= 2", "< 1"... how many values pass
//
// Without `count`, every value found must pass and there must be one; without `field`, the
// objects themselves are counted (`count: 0`: none exists). The path is data, read here: no
// expression language, nothing from the lab file is evaluated.
import * as v from 'valibot';
import { KINDS, type Kind } from '../kube/resources.js';
import { labelSelector } from '../kube/selectors.js';
import { fields, pattern, word } from './fields.js';
import { shorten } from './found.js';
import { compact, defineCheckKind } from './kind.js';
import { matches } from './regex.js';

/** One step of a field path: a key, an index, or every item. */
type Step = { key: string } | { index: number } | { all: true };

const STEP = /\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[(\*)\]|\["([^"]+)"\]/y;

/** `a.b[0].c[*]["x.y/z"]` as steps; undefined when it is not a path. */
export function parsePath(path: string): Step[] | undefined {
  const steps: Step[] = [];
  STEP.lastIndex = 0;
  while (STEP.lastIndex < path.length) {
    const at = STEP.lastIndex;
    const m = STEP.exec(path);
    if (!m || (at === 0 && path.startsWith('.'))) return undefined;
    if (m[1] !== undefined) {
      if (at > 0 && !path.startsWith('.', at)) return undefined;
      steps.push({ key: m[1] });
    } else if (m[2] !== undefined) steps.push({ index: Number(m[2]) });
    else if (m[3] !== undefined) steps.push({ all: true });
    else steps.push({ key: m[4]! });
  }
  return steps.length ? steps : undefined;
}

/** The values at the path, each with its concrete path ([*] becomes the index). Missing fields give none. */
export function valuesAt(value: unknown, steps: readonly Step[], prefix = ''): { path: string; value: unknown }[] {
  if (!steps.length) return value === undefined ? [] : [{ path: prefix, value }];
  const [step, ...rest] = steps as [Step, ...Step[]];
  if (value === null || typeof value !== 'object') return [];
  if ('key' in step) {
    const name = /^[A-Za-z_$][\w$-]*$/.test(step.key) ? `${prefix ? '.' : ''}${step.key}` : `["${step.key}"]`;
    return valuesAt((value as Record<string, unknown>)[step.key], rest, prefix + name);
  }
  if (!Array.isArray(value)) return [];
  if ('index' in step) return valuesAt(value[step.index], rest, `${prefix}[${step.index}]`);
  return value.flatMap((item, i) => valuesAt(item, rest, `${prefix}[${i}]`));
}

/** The kind kubectl would pick for a resource name: `pods`, `pod`, `po`, `Pod`, or `deployments.apps`. */
export function resourceKind(resource: string): Kind | undefined {
  const [name, ...group] = resource.split('.');
  const wanted = name!.toLowerCase();
  const g = group.join('.');
  const found = KINDS.filter((k) => (!group.length || k.group === g) && (k.plural === wanted || k.singular === wanted || k.shortNames.includes(wanted) || k.kind.toLowerCase() === wanted));
  // Versions of one resource share storage: the stored one stands for them.
  return found.find((k) => k.version === k.storageVersion) ?? found[0];
}

const COUNT = /^\s*(==|=|!=|>=|<=|>|<)?\s*(\d+)\s*$/;
type Count = { op: '==' | '!=' | '>=' | '<=' | '>' | '<'; n: number };
function parseCount(text: string | number): Count | undefined {
  const m = COUNT.exec(String(text));
  if (!m) return undefined;
  const op = (m[1] === '=' || !m[1] ? '==' : m[1]) as Count['op'];
  return { op, n: Number(m[2]) };
}
const holds = ({ op, n }: Count, x: number) => ({ '==': x === n, '!=': x !== n, '>=': x >= n, '<=': x <= n, '>': x > n, '<': x < n })[op];
const countText = ({ op, n }: Count) => `${{ '==': '', '!=': 'other than ', '>=': 'at least ', '<=': 'at most ', '>': 'more than ', '<': 'fewer than ' }[op]}${n}`;

const scalar = () => v.union([v.string(), v.number(), v.boolean(), v.null()], 'must be text, a number, true, false or null');

export const object = defineCheckKind({
  kind: 'object',
  description: 'Kubernetes objects of a `resource` (in `namespace`, default `default`; by `name` or label `selector`): the values at `field` (a.b[0].c, [*] for every item) that `equals` a value or `matches` a regex, `count` of them ("2", ">= 1"; default: all, and at least one)',
  entries: {
    object: fields({
      resource: v.pipe(word(), v.check((r) => resourceKind(r) !== undefined, (issue) => `unknown resource '${String(issue.input)}' (expected one of: ${[...new Set(KINDS.map((k) => k.plural))].join(', ')})`)),
      namespace: v.optional(word()),
      name: v.optional(word()),
      selector: v.optional(v.pipe(word(), v.check((s) => { try { labelSelector(s); return true; } catch { return false; } }, 'not a label selector like app=web,tier!=db'))),
      field: v.optional(v.pipe(word(), v.check((p) => parsePath(p) !== undefined, (issue) => `'${String(issue.input)}' is not a field path like status.phase or endpoints[*].conditions.ready`))),
      equals: v.optional(scalar()),
      matches: v.optional(pattern()),
      count: v.optional(v.pipe(v.union([v.string(), v.number()], 'must be a number or a comparison like ">= 2"'), v.check((c) => parseCount(c) !== undefined, 'must be a number or a comparison like ">= 2"'))),
    }),
  },
  fields: ({ object: spec }) => compact({
    resource: spec.resource, namespace: spec.namespace, objectName: spec.name, selector: spec.selector, field: spec.field,
    equals: spec.equals, matches: spec.matches, count: spec.count === undefined ? undefined : String(spec.count),
  }),
  factsRead: () => [],
  async evaluate(check, context) {
    const kind = resourceKind(check.resource)!;
    const ns = kind.namespaced ? check.namespace ?? 'default' : undefined;
    const which = `${kind.plural}${check.objectName ? `/${check.objectName}` : ''}${check.selector ? ` -l ${check.selector}` : ''}${ns ? ` in namespace ${ns}` : ''}`;
    const test = check.equals !== undefined ? ` = ${JSON.stringify(check.equals)}` : check.matches !== undefined ? ` matching /${check.matches}/` : '';
    const count = check.count === undefined ? undefined : parseCount(check.count)!;
    const what = check.field ? `${check.field}${test}` : 'object(s)';
    const expected = `${count ? `${countText(count)} ${check.field ? `value(s) of ${what}` : what}` : check.field ? `every ${what} (and at least one)` : 'the object'} in ${which}`;
    if (!context.kube) return { passed: false, expected, found: 'this lab runs no Kubernetes API: there are no objects to read' };
    const objects = context.kube.list(kind.storage, ns)
      .filter((o) => check.objectName === undefined || o.metadata.name === check.objectName)
      .filter((o) => check.selector === undefined || labelSelector(check.selector)(o.metadata.labels));
    const label = (o: { metadata: { name?: string } }) => (check.objectName ? '' : `${o.metadata.name}: `);
    const found = check.field
      ? objects.flatMap((o) => valuesAt(o, parsePath(check.field!)!).map((x) => ({ ...x, path: `${label(o)}${x.path}` })))
      : objects.map((o) => ({ path: o.metadata.name ?? '', value: o as unknown }));
    const passes = (value: unknown) => (check.equals !== undefined ? JSON.stringify(value) === JSON.stringify(check.equals)
      : check.matches !== undefined ? (value !== null && typeof value === 'object' ? false : matches(check.matches, String(value ?? ''))) : true);
    const passing = found.filter((x) => passes(x.value));
    const passed = count ? holds(count, passing.length) : found.length > 0 && passing.length === found.length;
    const shown = (x: { path: string; value: unknown }) => (check.field ? `${x.path} = ${shorten(JSON.stringify(x.value) ?? 'undefined', 80)}` : x.path);
    let text: string;
    if (!objects.length) text = `no ${kind.plural} ${check.objectName ? `named ${check.objectName} ` : ''}${check.selector ? `with labels ${check.selector} ` : ''}${ns ? `in namespace ${ns}` : ''}`.trim();
    else if (!found.length) text = `${objects.length} object(s), none with a value at ${check.field}`;
    else text = `${test ? `${passing.length} of ${found.length} pass: ` : `${found.length}: `}${shorten(found.map(shown).join(', '), 300)}`;
    return { passed, expected, found: text };
  },
});
