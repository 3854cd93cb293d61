// Facts-based kinds look inside one network namespace; when it is missing, they say which exist.
import type { NamespaceFacts, NodeFacts } from '../observe/facts-types.js';
import type { Outcome } from './kind.js';

export function namespaceOf(facts: NodeFacts, netns: string | undefined): NamespaceFacts | undefined {
  return facts.netns.find((ns) => ns.name === (netns ?? ''));
}

export function namespaceNames(facts: NodeFacts): string {
  const names = facts.netns.map((ns) => ns.name).filter(Boolean);
  return names.length ? `namespaces: ${names.join(', ')}` : 'no network namespaces';
}

export function noNamespace(facts: NodeFacts, netns: string | undefined): Outcome {
  return { passed: false, expected: `network namespace ${netns}`, found: namespaceNames(facts) };
}
