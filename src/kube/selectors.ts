// Label selectors (`app=web,tier!=db,env in (a,b),!canary`) and field selectors
// (`spec.nodeName=n1,status.phase!=Failed`), the two list filters of the API
// (k8s.io/apimachinery/pkg/labels and pkg/fields). kubectl describe lists with both.
import type { KubeObject } from './store.js';

type Requirement = (labels: Record<string, string>) => boolean;

/** One requirement, as apimachinery's labels.Requirement matches: `notin` and `doesnotexist` match an object without the key. */
function requirement(key: string, operator: 'in' | 'notin' | 'exists' | 'doesnotexist' | 'equals' | 'notequals', values: readonly string[] = []): Requirement {
  switch (operator) {
    case 'in': return (l) => l[key] !== undefined && values.includes(l[key]!);
    case 'notin': return (l) => l[key] === undefined || !values.includes(l[key]!);
    case 'exists': return (l) => l[key] !== undefined;
    case 'doesnotexist': return (l) => l[key] === undefined;
    case 'equals': return (l) => l[key] === values[0];
    case 'notequals': return (l) => l[key] !== values[0];
  }
}

export class SelectorError extends Error {}

/** Split on commas outside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(current); current = ''; } else current += ch;
  }
  if (current.trim()) out.push(current);
  return out.map((t) => t.trim()).filter(Boolean);
}

export function labelSelector(selector: string | null | undefined): (labels: Record<string, string> | undefined) => boolean {
  const requirements: Requirement[] = terms(selector ?? '').map((term) => {
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const [, key, op, list] = m as [string, string, string, string];
      const values = list.split(',').map((v) => v.trim());
      return requirement(key, op === 'in' ? 'in' : 'notin', values);
    }
    if ((m = term.match(/^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/))) {
      const [, key, op, value] = m as [string, string, string, string];
      return requirement(key, op === '!=' ? 'notequals' : 'equals', [value]);
    }
    if ((m = term.match(/^!\s*([\w./-]+)$/))) return requirement(m[1]!, 'doesnotexist');
    if ((m = term.match(/^([\w./-]+)$/))) return requirement(m[1]!, 'exists');
    throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}`);
  });
  return (labels) => requirements.every((r) => r(labels ?? {}));
}

function fieldValue(object: KubeObject, path: string): string {
  let node: unknown = object;
  for (const part of path.split('.')) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  return node === undefined || node === null ? '' : String(node);
}

export function fieldSelector(selector: string | null | undefined): (object: KubeObject) => boolean {
  const requirements = terms(selector ?? '').map((term) => {
    const m = term.match(/^([\w.]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new SelectorError(`invalid selector: '${term}'; can't understand '${term}'`);
    const [, path, op, value] = m as [string, string, string, string];
    return (o: KubeObject) => (op === '!=' ? fieldValue(o, path) !== value : fieldValue(o, path) === value);
  });
  return (object) => requirements.every((r) => r(object));
}

/** A metav1.LabelSelector: matchLabels and matchExpressions, ANDed together. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * A metav1.LabelSelector as a matcher, as apimachinery's LabelSelectorAsSelector: a null
 * selector matches nothing, an empty one ({}) everything; `In` and `NotIn` need values,
 * `Exists` and `DoesNotExist` take none; `NotIn` and `DoesNotExist` match an object
 * without the key. A malformed selector throws a SelectorError.
 */
export function selectorMatcher(selector: LabelSelector | null | undefined): (labels: Record<string, string> | undefined) => boolean {
  if (selector === null || selector === undefined) return () => false;
  const requirements: Requirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => requirement(key, 'equals', [value]));
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    switch (operator) {
      case 'In':
      case 'NotIn':
        if (!values.length) throw new SelectorError(`values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`);
        requirements.push(requirement(key, operator === 'In' ? 'in' : 'notin', values));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length) throw new SelectorError(`values: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`);
        requirements.push(requirement(key, operator === 'Exists' ? 'exists' : 'doesnotexist'));
        break;
      default:
        throw new SelectorError(`"${operator}" is not a valid label selector operator`);
    }
  }
  return (labels) => requirements.every((r) => r(labels ?? {}));
}

/**
 * A Service's or ReplicationController's selector (a plain map): matches objects carrying
 * every pair. An empty or missing map selects nothing here, as the endpoints controllers
 * treat a Service without a selector (its endpoints are the user's to write).
 */
export function setMatcher(set: Record<string, string> | null | undefined): (labels: Record<string, string> | undefined) => boolean {
  const pairs = Object.entries(set ?? {});
  if (!pairs.length) return () => false;
  return (labels) => pairs.every(([k, v]) => labels?.[k] === v);
}

/** The string form kubectl shows and `-l` takes: `app=web,tier in (a,b)`, as LabelSelectorAsSelector().String(). */
export function selectorString(selector: LabelSelector | null | undefined): string {
  if (!selector) return '';
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => ({ key: k, text: `${k}=${v}` })),
    ...(selector.matchExpressions ?? []).map((e) => ({
      key: e.key,
      text: e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${[...(e.values ?? [])].sort().join(',')})`,
    })),
  ];
  return parts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((p) => p.text).join(',');
}
