// Checks test outcomes, not keystrokes: they look at the node's real state (its
// facts), run a command, or watch the wire. Any correct way to get there passes.
// A failing check says what it expected and what it found.
import { decodeFrame, findLayer, innermostIpv4, vniList } from '../net/decode/index.js';
import type { CaptureCursor, CapturedFrame } from '../net/capture.js';
import type { Check, CommandCheck, PingCheck, SysctlCheck, WireCheck } from '../lab/types.js';
import type { ExecOptions, ExecResult } from '../vm/agent-client.js';
import { ipInCidr, type NamespaceFacts, type NodeFacts } from '../observe/facts.js';

export interface CheckResult {
  name: string;
  kind: Check['kind'];
  node: string;
  passed: boolean;
  /** One line: what was expected, and what was found instead. */
  message: string;
  expected: string;
  found: string;
  hint?: string;
  at: string;
  durationMs: number;
  /** Set when the check could not be judged: the node crashed, hung or answered garbage. */
  error?: string;
}

/** What checks need of a running lab (LabRun provides it). */
export interface CheckContext {
  /** Gathered once per node per round and shared. */
  facts(node: string): Promise<NodeFacts>;
  exec(node: string, command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Where the capture stream is now. */
  captureCursor(): CaptureCursor;
  framesSince(cursor: CaptureCursor): CapturedFrame[];
}

interface Outcome { passed: boolean; expected: string; found: string }

const shorten = (text: string, max = 200) => {
  const flat = text.trim().replace(/\s*\n\s*/g, ' | ');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat || '(nothing)';
};
const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
const inNetns = (netns: string | undefined, command: string) => (netns ? `ip netns exec ${shellQuote(netns)} ${command}` : command);
const where = (netns?: string) => (netns ? `in netns ${netns}` : 'in the node namespace');

function namespaceOf(facts: NodeFacts, netns: string | undefined): NamespaceFacts | undefined {
  return facts.netns.find((ns) => ns.name === (netns ?? ''));
}

function noNamespace(facts: NodeFacts, netns: string | undefined): Outcome {
  const names = facts.netns.map((ns) => ns.name).filter(Boolean);
  return { passed: false, expected: `network namespace ${netns}`, found: names.length ? `namespaces: ${names.join(', ')}` : 'no network namespaces' };
}

/** A small JSONPath: $.a.b[0].c */
export function jsonPath(value: unknown, path: string): unknown {
  const parts = path.replace(/^\$\.?/, '').match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let current = value;
  for (const part of parts) {
    if (current === null || typeof current !== 'object') return undefined;
    const key = part.startsWith('[') ? Number(part.slice(1, -1)) : part;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

async function commandOutcome(check: CommandCheck, target: CheckContext): Promise<Outcome> {
  const result = await target.exec(check.node, check.run, { timeout: check.timeout ?? 20 });
  const wanted: string[] = [];
  const problems: string[] = [];
  const { exitCode, stdout, stderr, json } = check.expect;
  if (exitCode !== undefined) {
    wanted.push(`exit code ${exitCode}`);
    if (result.exitCode !== exitCode) problems.push(result.timedOut ? `it timed out after ${check.timeout ?? 20} s` : `exit code ${result.exitCode}`);
  }
  if (stdout !== undefined) {
    wanted.push(`output matching /${stdout}/`);
    if (!new RegExp(stdout, 'm').test(result.stdout)) problems.push(`output: ${shorten(result.stdout)}`);
  }
  if (stderr !== undefined) {
    wanted.push(`errors matching /${stderr}/`);
    if (!new RegExp(stderr, 'm').test(result.stderr)) problems.push(`errors: ${shorten(result.stderr)}`);
  }
  if (json) {
    let value: unknown;
    try { value = jsonPath(JSON.parse(result.stdout), json.path); } catch { problems.push(`output is not JSON: ${shorten(result.stdout)}`); }
    if (json.equals !== undefined) {
      wanted.push(`${json.path} = ${JSON.stringify(json.equals)}`);
      if (JSON.stringify(value) !== JSON.stringify(json.equals)) problems.push(`${json.path} = ${JSON.stringify(value) ?? 'nothing'}`);
    }
    if (json.matches !== undefined) {
      wanted.push(`${json.path} matching /${json.matches}/`);
      if (!new RegExp(json.matches).test(String(value ?? ''))) problems.push(`${json.path} = ${JSON.stringify(value) ?? 'nothing'}`);
    }
  }
  if (problems.length && result.stderr.trim() && stderr === undefined) problems.push(`errors: ${shorten(result.stderr, 120)}`);
  return { passed: problems.length === 0, expected: `\`${shorten(check.run, 80)}\` gives ${wanted.join(' and ')}`, found: problems.join('; ') || 'as expected' };
}

function matchesWire(frame: CapturedFrame, check: WireCheck): { match: boolean; summary: string } {
  const decoded = decodeFrame(frame.bytes);
  const inner = innermostIpv4(decoded);
  const summary = `${frame.link}: ${decoded.summary}`;
  if (!inner) return { match: false, summary };
  const protocolNumber = { icmp: 1, tcp: 6, udp: 17 }[check.protocol];
  if (inner.ipProtocol !== protocolNumber) return { match: false, summary };
  if (check.protocol === 'icmp' && findLayer(decoded, 'icmp')?.type !== 8 && decoded.layers.filter((l) => l.protocol === 'icmp').at(-1)?.type !== 8) return { match: false, summary };
  if (check.src && inner.source !== check.src) return { match: false, summary };
  if (check.dst && inner.destination !== check.dst) return { match: false, summary };
  if (check.vni !== undefined && !vniList(decoded).includes(check.vni)) return { match: false, summary };
  if (check.ipip && decoded.layers.filter((l) => l.protocol === 'ipv4').length < 2) return { match: false, summary };
  return { match: true, summary };
}

async function wireOutcome(check: WireCheck, target: CheckContext): Promise<Outcome> {
  // Only what the trigger (and whatever ran beside it) sent; the captures stay for everyone else.
  const cursor = target.captureCursor();
  const trigger = await target.exec(check.node, check.trigger, { timeout: 30 });
  const frames = target.framesSince(cursor).filter((frame) => !check.on || frame.link === check.on);
  const wrapped = check.vni !== undefined ? ` inside VXLAN VNI ${check.vni}` : check.ipip ? ' inside IP-in-IP' : '';
  const expected = `a ${check.protocol.toUpperCase()}${check.protocol === 'icmp' ? ' echo' : ''} packet${check.src ? ` from ${check.src}` : ''}${check.dst ? ` to ${check.dst}` : ''} on the wire${check.on ? ` of ${check.on}` : ''}${wrapped}`;
  const verdicts = frames.map((frame) => matchesWire(frame, check));
  if (verdicts.some((v) => v.match)) return { passed: true, expected, found: 'seen on the wire' };
  // Say what did go by: the nearest thing to the packet we wanted.
  const related = verdicts.map((v) => v.summary).filter((s) => (check.dst && s.includes(check.dst)) || (check.src && s.includes(check.src)));
  const found = frames.length === 0
    ? `nothing crossed the wire${check.on ? ` of ${check.on}` : ''} (the trigger exited ${trigger.exitCode}${trigger.stderr.trim() ? `: ${shorten(trigger.stderr, 100)}` : ''})`
    : related.length ? `only: ${shorten([...new Set(related)].slice(0, 3).join('; '), 300)}` : `${frames.length} frame(s), none of them it, e.g. ${shorten(verdicts[0]!.summary, 120)}`;
  return { passed: false, expected, found };
}

/** Pings with the fewest probes that prove the point: one, and one more with a longer wait if it got no reply, so "slow" is not taken for "blocked". */
async function pingOutcome(check: PingCheck, target: CheckContext): Promise<Outcome> {
  const ping = (probes: number, wait: number) => target.exec(check.node, inNetns(check.netns, `ping -c ${probes} -W ${wait} -i 0.2 ${shellQuote(check.to)}`), { timeout: probes * 0.2 + wait + 5 });
  const probes = check.count ?? 1;
  let result = await ping(probes, 1);
  if (result.exitCode !== 0) result = await ping(1, 2);
  const reached = result.exitCode === 0;
  const summary = /(\d+) packets transmitted, (\d+) received/.exec(result.stdout)?.[0] ?? shorten(result.stderr || result.stdout, 120);
  return {
    passed: reached === (check.expect === 'success'),
    expected: `ping ${where(check.netns)} to ${check.to} ${check.expect === 'success' ? 'gets replies' : 'gets no reply'}`,
    found: summary,
  };
}

/** A sysctl from the node's facts when they have it (no extra round trip); else read it, for the error a missing key gives. */
async function sysctlOutcome(check: SysctlCheck, target: CheckContext): Promise<Outcome> {
  const expected = `${check.key} = ${check.value}`;
  const known = (await target.facts(check.node)).sysctls[check.key];
  if (known !== undefined) return { passed: known === check.value, expected, found: `${check.key} = ${known}` };
  const result = await target.exec(check.node, `sysctl -n ${shellQuote(check.key)}`);
  const value = result.stdout.trim();
  return { passed: result.exitCode === 0 && value === check.value, expected, found: result.exitCode === 0 ? `${check.key} = ${value}` : shorten(result.stderr) };
}

async function outcome(check: Check, target: CheckContext): Promise<Outcome> {
  switch (check.kind) {
    case 'command':
      return commandOutcome(check, target);
    case 'wire':
      return wireOutcome(check, target);
    case 'sysctl':
      return sysctlOutcome(check, target);
    case 'ping':
      return pingOutcome(check, target);
    default:
      return factOutcome(check, await target.facts(check.node));
  }
}

function factOutcome(check: Exclude<Check, CommandCheck | WireCheck | { kind: 'sysctl' | 'ping' }>, facts: NodeFacts): Outcome {
  switch (check.kind) {
    case 'netns': {
      const exists = facts.netns.some((ns) => ns.name === check.netns);
      const names = facts.netns.map((ns) => ns.name).filter(Boolean);
      return { passed: exists === check.exists, expected: `network namespace ${check.netns} ${check.exists ? 'exists' : 'is gone'}`, found: names.length ? `namespaces: ${names.join(', ')}` : 'no network namespaces' };
    }
    case 'address': {
      const ns = namespaceOf(facts, check.netns);
      if (!ns) return noNamespace(facts, check.netns);
      const candidates = ns.addresses.filter((a) => a.family === 4 && (!check.dev || a.dev === check.dev));
      const passed = candidates.some((a) => ipInCidr(a.address, check.in));
      return {
        passed,
        expected: `an IPv4 address in ${check.in}${check.dev ? ` on ${check.dev}` : ''} ${where(check.netns)}`,
        found: candidates.length ? candidates.map((a) => `${a.cidr} on ${a.dev}`).join(', ') : `no IPv4 address${check.dev ? ` on ${check.dev}` : ''}`,
      };
    }
    case 'route': {
      const ns = namespaceOf(facts, check.netns);
      if (!ns) return noNamespace(facts, check.netns);
      const routes = ns.routes.filter((route) => route.table === 'main' || route.table === undefined || route.table === '');
      const passed = routes.some((route) => route.destination === check.destination && (!check.via || route.via === check.via) && (!check.dev || route.dev === check.dev));
      const describe = (r: { destination: string; via?: string; dev?: string }) => `${r.destination}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`;
      const sameDestination = routes.filter((route) => route.destination === check.destination);
      return {
        passed,
        expected: `a route ${describe(check)} ${where(check.netns)}`,
        found: sameDestination.length ? `the route is ${sameDestination.map(describe).join(', ')}` : `routes: ${routes.map(describe).join(', ') || 'none'}`,
      };
    }
    case 'link': {
      const ns = namespaceOf(facts, check.netns);
      if (!ns) return noNamespace(facts, check.netns);
      const link = ns.links.find((l) => l.name === check.link);
      const wanted = [check.type && `type ${check.type}`, check.up !== undefined && (check.up ? 'up' : 'down'), check.master && `attached to ${check.master}`, check.mtu && `MTU ${check.mtu}`, check.vni !== undefined && `VNI ${check.vni}`].filter(Boolean).join(', ');
      const expected = `a link ${check.link}${wanted ? ` (${wanted})` : ''} ${where(check.netns)}`;
      if (!link) return { passed: false, expected, found: `links: ${ns.links.map((l) => l.name).join(', ') || 'none'}` };
      const problems = [
        check.type && link.type !== check.type && `type ${link.type}`,
        check.up !== undefined && link.up !== check.up && (link.up ? 'up' : 'down'),
        check.master && link.master !== check.master && (link.master ? `attached to ${link.master}` : 'not attached to a bridge'),
        check.mtu && link.mtu !== check.mtu && `MTU ${link.mtu}`,
        check.vni !== undefined && link.vxlan?.vni !== check.vni && (link.vxlan ? `VNI ${link.vxlan.vni}` : 'not a VXLAN device'),
      ].filter(Boolean);
      return { passed: problems.length === 0, expected, found: problems.length ? `${check.link} is ${problems.join(', ')}` : 'as expected' };
    }
    case 'iptables': {
      const table = facts.iptables[check.table];
      const chain = table?.chains[check.chain];
      const expected = check.rule
        ? `${check.exists ? 'a' : 'no'} rule matching /${check.rule}/ in ${check.table} ${check.chain}`
        : check.policy ? `policy ${check.policy} on ${check.table} ${check.chain}` : `chain ${check.chain} in table ${check.table}`;
      if (!chain) return { passed: !check.exists, expected, found: `no chain ${check.chain} in table ${check.table}` };
      if (check.policy) return { passed: chain.policy === check.policy, expected, found: `policy ${chain.policy ?? '(none: a user chain)'}` };
      if (!check.rule) return { passed: check.exists, expected, found: `chain ${check.chain} has ${chain.rules.length} rule(s)` };
      const pattern = new RegExp(check.rule);
      const matching = chain.rules.filter((rule) => pattern.test(rule.text));
      return {
        passed: (matching.length > 0) === check.exists,
        expected,
        found: matching.length ? `found: ${shorten(matching.map((r) => r.text).join(' | '), 300)}` : chain.rules.length ? `rules: ${shorten(chain.rules.map((r) => r.text).join(' | '), 300)}` : `${check.chain} is empty`,
      };
    }
    case 'ipam': {
      const network = facts.cniIpam.find((n) => n.network === check.network);
      const count = network?.leases.length ?? 0;
      return {
        passed: count === check.leases,
        expected: `${check.leases} lease(s) in /var/lib/cni/networks/${check.network}`,
        found: network ? `${count} lease(s)${count ? `: ${network.leases.map((l) => l.ip).join(', ')}` : ''}` : `no host-local state for network ${check.network}`,
      };
    }
  }
}

/**
 * Run one check. It never throws: a hung or crashed node is a failed check that says so,
 * with `error` set, so a grader can tell "the answer is wrong" from "the node failed".
 */
export async function runCheck(check: Check, context: CheckContext): Promise<CheckResult> {
  const started = Date.now();
  let result: Outcome;
  let error: string | undefined;
  try {
    result = await outcome(check, context);
  } catch (thrown) {
    error = thrown instanceof Error ? thrown.message : String(thrown);
    result = { passed: false, expected: check.name, found: error };
  }
  return {
    name: check.name, kind: check.kind, node: check.node, passed: result.passed,
    message: result.passed ? `${check.name}: ok` : `${check.name}: expected ${result.expected}, found ${result.found}`,
    expected: result.expected, found: result.found,
    ...(check.hint ? { hint: check.hint } : {}),
    at: check.at, durationMs: Date.now() - started,
    ...(error === undefined ? {} : { error }),
  };
}
