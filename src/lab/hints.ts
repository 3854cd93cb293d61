// The hint a learner sees after a Check: the first failing check's own hint, with the
// values of the node it failed on, before the step's general hints (one more per attempt).
import type { CheckResult } from '../checks/run.js';
import { formatIpv4, parseCidr } from '../net/addr.js';
import { resolveTopology, type Topology } from '../topology/topology.js';
import type { Step } from './types.js';

/** What a hint may name, per node: {node}, {address}, {podCidr}... */
export const HINT_VALUES = ['node', 'address', 'podCidr', 'podNetwork', 'podGateway', 'gateway', 'segment', 'mac'] as const;
type HintValues = Record<(typeof HINT_VALUES)[number], string>;

/** A node's values for hints, from the lab's topology. */
export function hintValues(topology: Topology, node: string): HintValues | undefined {
  const resolved = resolveTopology(topology).nodes.find((n) => n.name === node);
  if (!resolved) return undefined;
  const pod = parseCidr(resolved.podCidr);
  return {
    node: resolved.name,
    address: resolved.address.split('/')[0]!,
    podCidr: resolved.podCidr,
    podNetwork: formatIpv4(pod.address),
    podGateway: formatIpv4((pod.address + 1) >>> 0),
    gateway: resolved.gateway,
    segment: resolved.segment,
    mac: resolved.mac,
  };
}

/** The hint with {name} replaced by the node's value; any other braces are left as written. */
export function fillHint(hint: string, values: HintValues | undefined): string {
  if (!values) return hint;
  return hint.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? values[name as keyof HintValues] : whole));
}

/**
 * The hint to show after a Check, or undefined when every check passed. `results` are the
 * step's check results in the step's order; `attempt` (0, 1, ...) walks on through the hints;
 * `stepHints` are the step's general hints in the learner's language (a translation's).
 */
export function hintFor(step: Step, results: readonly CheckResult[], topology: Topology, attempt = 0, stepHints: readonly string[] = step.hints): string | undefined {
  const index = results.findIndex((result) => !result.passed);
  if (index < 0) return undefined;
  const failed = results[index]!;
  const check = step.checks.find((c) => c.at === failed.at && c.name === failed.name) ?? step.checks[index];
  const own = check?.hint ?? failed.hint;
  const hints = [...(own ? [own] : []), ...stepHints];
  if (!hints.length) return undefined;
  return fillHint(hints[Math.min(Math.max(0, attempt), hints.length - 1)]!, hintValues(topology, failed.node));
}
