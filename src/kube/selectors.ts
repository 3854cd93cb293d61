// Label selectors (`app=web,tier!=db,env in (a,b),!canary`) and field selectors
// (`spec.nodeName=n1,status.phase!=Failed`), the two list filters of the API
// (k8s.io/apimachinery/pkg/labels and pkg/fields). kubectl describe lists with both.
import type { KubeObject } from './store.js';

type Requirement = (labels: Record<string, string>) => boolean;

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
      return op === 'in' ? (l) => l[key] !== undefined && values.includes(l[key]!) : (l) => l[key] === undefined || !values.includes(l[key]!);
    }
    if ((m = term.match(/^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/))) {
      const [, key, op, value] = m as [string, string, string, string];
      return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    if ((m = term.match(/^!\s*([\w./-]+)$/))) { const key = m[1]!; return (l) => l[key] === undefined; }
    if ((m = term.match(/^([\w./-]+)$/))) { const key = m[1]!; return (l) => l[key] !== undefined; }
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
