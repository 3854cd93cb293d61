// Follow one packet: send one probe and tell, hop by hop, the path the real kernels and the
// wire gave it, and its answer's path. Nothing here models the kernel. Every hop comes from:
// - iptables' TRACE target in each node (every rule met, with the headers at that point);
// - a LOG rule in each pod's namespace (the packet leaving or entering the pod);
// - the TypeScript wire's capture (links, tunnels' outer headers);
// - `ip route get` (the route that matched) and `conntrack -L` (the entry made).
// The tracing is armed on every node, the probe sent, the logs read and the tracing removed,
// whatever happens in between.

import type { CaptureCursor, CapturedFrame } from '../../net/capture.js';
import { decodeFrame, findLayer, findLayers, innermostIpv4, vniList, type DecodedFrame } from '../../net/decode/index.js';
import type { ExecOptions, ExecResult } from '../../vm/agent-client.js';
import type { ConntrackEntry, IptablesRule, IptablesTables, IpvsService } from '../facts-types.js';
import { parseIptablesSave } from '../parse/iptables.js';
import { parseConntrack, parseIpvsadm } from '../parse/netfilter.js';
import { collectScript, isIpv4, parseTarget, PING_IP_LENGTH, probeCommand, RULE_COMMENT, tracingScript, WalkError, type Probe, type ProbeKind } from './probe.js';
import { inNetns, shellQuote } from '../shell.js';
import { parseKernelLog, type LoggedEvent, type LoggedPacket } from './trace-log.js';

export { parseTarget, WalkError, type ProbeKind };

/** What a walk needs of a running lab: its nodes, a shell in each, and the wire's capture. */
export interface WalkContext {
  nodeNames: readonly string[];
  exec(node: string, command: string, options?: ExecOptions): Promise<ExecResult>;
  captureCursor(): CaptureCursor;
  framesSince(cursor: CaptureCursor): CapturedFrame[];
  /** Walks that share a lane go one at a time (a lab run's checks and its page share one); by default, the context is its own. */
  readonly lane?: object;
}

export interface WalkRequest {
  /** A node, "node/netns", or a pod's namespace name found on some node. */
  from: string;
  /** An IPv4 address, address:port, or a DNS name (resolved in the source first). */
  to: string;
  probe: ProbeKind;
  /** The name a DNS probe asks for. */
  query?: string;
}

export type HopKind = 'send' | 'leave-pod' | 'enter-pod' | 'in' | 'route' | 'rule' | 'nat' | 'out' | 'encap' | 'wire' | 'decap' | 'conntrack' | 'drop';

/** The packet's headers at a hop: they change at DNAT, SNAT and encapsulation. */
export interface HopPacket {
  src: string;
  dst: string;
  protocol: string;
  sport?: number;
  dport?: number;
  /** For a hop on the wire, a tunnel's outer addresses. */
  outer?: { src: string; dst: string; tunnel: string };
}

export interface WalkHop {
  direction: 'request' | 'reply';
  /** The node the hop is in, or the wire's link name for a hop on the wire. */
  node: string;
  /** The pod's namespace, for hops inside one. */
  netns?: string;
  kind: HopKind;
  /** The interface the hop is about: the one a packet came in on, was routed out of, or left by. */
  interface?: string;
  /** One line for people: what happened here. */
  text: string;
  packet?: HopPacket;
  /** The iptables rule met, as iptables-save prints it. */
  rule?: { table: string; chain: string; number: number; text: string; target?: string };
  /** A hop on the wire: the captured frame. */
  frame?: { link: string; from: string; to: string; timestampMicros: number; bytes: Uint8Array };
}

export interface Walk {
  from: { node: string; netns: string };
  to: string;
  /** The address (and port) the probe was sent to. */
  target: string;
  probe: ProbeKind;
  hops: WalkHop[];
  /** answered: the reply came back; dropped: a hop says where it was dropped; lost: it was last seen at the last hop. */
  outcome: 'answered' | 'dropped' | 'lost';
  /** One line: the outcome and where. */
  summary: string;
  /** What the probe command printed (ping's or nc's own words). */
  probeOutput: string;
  durationMs: number;
  /** Where the time went: arming the tracing (and finding the source), the probe, reading the logs (with the routes), and building the hops. The tracing comes off after. */
  phasesMs: { arm: number; probe: number; collect: number; assemble: number };
}

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Walks on one lab run go one at a time: their tracing rules would see each other's probes.
 * This holds, per run, the last walk's end: its tracing taken off again.
 */
const walking = new WeakMap<object, Promise<unknown>>();

/**
 * Follow one probe. The walk answers as soon as its hops are built; the tracing comes off
 * the nodes just after, in a round of its own. The next walk waits for that, and so should
 * anything that reads or saves the nodes (`walkSettled`).
 */
export async function walkPacket(context: WalkContext, request: WalkRequest): Promise<Walk> {
  const lane = context.lane ?? context;
  const before = walking.get(lane) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(() => walkAlone(context, request));
  walking.set(lane, mine.then((done) => done.disarmed, () => undefined));
  return (await mine).walk;
}

/** Resolves once no walk is under way on this run and the nodes hold none of a walk's tracing. */
export function walkSettled(context: WalkContext | undefined): Promise<void> {
  return ((context && walking.get(context.lane ?? context)) ?? Promise.resolve()).then(() => undefined, () => undefined);
}

async function walkAlone(context: WalkContext, request: WalkRequest): Promise<{ walk: Walk; disarmed: Promise<void> }> {
  const started = Date.now();
  const named = sourceByName(context, request.from);
  const { host, port } = parseTarget(request.to);
  const probe: Probe = {
    kind: request.probe,
    target: port === undefined ? { address: host } : { address: host, port },
    sourcePort: 40_000 + Math.floor(Math.random() * 20_000),
    query: request.query ?? 'kubernetes.default.svc.cluster.local',
  };
  if (probe.kind === 'dns' && !isDnsNameish(probe.query)) throw new WalkError(`the DNS query '${probe.query}' is not a name`);
  const nodes = [...context.nodeNames];
  const armed = new Map<string, { since: number; namespaces: string[] }>();
  // Whatever happens, the nodes keep none of the walk's rules: every node is disarmed, once
  // its logs are read or on the way out of a walk that failed.
  let disarmed: Promise<void> | undefined;
  const disarm = () => (disarmed ??= Promise.all(nodes.map((node) => context.exec(node, tracingScript(probe, true), { timeout: 30 }).catch(() => undefined))).then(() => undefined));
  const phases = { arm: 0, probe: 0, collect: 0, assemble: 0 };
  let mark = Date.now();
  const lap = (phase: keyof typeof phases) => { const now = Date.now(); phases[phase] = now - mark; mark = now; };
  try {
    // The probe is told apart by its size or its source port, not by its addresses, so the
    // tracing goes on before the source pod is looked for: arming lists every node's
    // namespaces anyway, and one round is saved.
    await Promise.all(nodes.map(async (node) => {
      const result = await context.exec(node, tracingScript(probe), { timeout: 30 });
      const [uptime, names] = result.stdout.split('\n');
      armed.set(node, { since: Number(uptime) || 0, namespaces: (names ?? '').replace(/^namespaces:\s*/, '').split(/\s+/).filter(Boolean) });
    }));
    const from = named ?? findSource(context, request.from, armed);
    const address = isIpv4(host) ? host : await resolveName(context, from, host);
    probe.target = port === undefined ? { address } : { address, port };
    lap('arm');
    const cursor = context.captureCursor();
    const probeResult = await context.exec(from.node, probeCommand(probe, from.netns), { timeout: 20 });
    const frames = context.framesSince(cursor);
    lap('probe');
    const collected = new Map(await Promise.all(nodes.map(async (node) => {
      const result = await context.exec(node, collectScript(probe, armed.get(node)?.since ?? 0), { timeout: 30 });
      return [node, result.stdout] as const;
    })));
    lap('collect');
    // The logs are read: the tracing can come off while the hops are built.
    void disarm();
    const walk = await assemble(context, from, request, probe, { address, port }, probeResult, frames, collected, armed, started);
    lap('assemble');
    return { walk: { ...walk, phasesMs: phases, durationMs: Date.now() - started }, disarmed: disarm() };
  } catch (error) {
    await disarm();
    throw error;
  }
}

async function assemble(
  context: WalkContext, from: { node: string; netns: string }, request: WalkRequest, probe: Probe, { address, port }: { address: string; port: number | undefined },
  probeResult: ExecResult, frames: CapturedFrame[], collected: Map<string, string>, armed: Map<string, { since: number; namespaces: string[] }>, started: number,
): Promise<Omit<Walk, 'phasesMs'>> {
  const views = new Map([...collected].map(([node, text]) => [node, readNode(node, text, armed.get(node)!, probe)]));
  const probeOutput = `${probeResult.stdout}${probeResult.stderr}`.trim();
  await lookUpRoutes(context, views, probe);
  const hops: WalkHop[] = [];
  const request_ = followDirection('request', from.node, views, frames, probe);
  hops.push({ direction: 'request', node: from.node, ...(from.netns ? { netns: from.netns } : {}), kind: 'send', text: `${from.netns || from.node} sends ${describeProbe(probe)}` }, ...request_.hops);
  const replyStart = request_.lastNode ?? from.node;
  const reply = followDirection('reply', replyStart, views, frames, probe);
  hops.push(...reply.hops);
  const answered = reply.hops.length > 0 && !reply.hops.some((hop) => hop.kind === 'drop') && probeResult.exitCode === 0;
  const drop = hops.find((hop) => hop.kind === 'drop');
  let outcome: Walk['outcome'] = answered ? 'answered' : drop ? 'dropped' : 'lost';
  if (!answered && !drop) {
    const why = await whyLost(context, from, probe, hops, views, probeOutput);
    if (why) { hops.push(why); outcome = 'dropped'; }
  }
  const last = hops.at(-1)!;
  const summary = outcome === 'answered'
    ? `answered: ${hops.filter((h) => h.direction === 'request').length} hops there, ${reply.hops.length} back`
    : outcome === 'dropped' ? `dropped: ${hops.find((hop) => hop.kind === 'drop')!.text}` : `lost after: ${last.text}`;
  const target = `${address}${port === undefined ? '' : `:${port}`}`;
  return { from, to: request.to, target, probe: probe.kind, hops, outcome, summary, probeOutput, durationMs: Date.now() - started };
}

const isDnsNameish = (text: string) => /^[A-Za-z0-9.-]{1,253}$/.test(text);

function describeProbe(probe: Probe): string {
  const { address, port } = probe.target;
  switch (probe.kind) {
    case 'icmp': return `a ping (ICMP echo, ${PING_IP_LENGTH} bytes) to ${address}`;
    case 'tcp': return `a TCP SYN from port ${probe.sourcePort} to ${address}:${port ?? 80}`;
    case 'dns': return `a DNS query for ${probe.query} from port ${probe.sourcePort} to ${address}:${port ?? 53}`;
  }
}

/**
 * "node1" or "node1/client": the source, known from the words alone; "client" (a namespace
 * looked for on every node): undefined, found once the nodes have listed their namespaces.
 */
function sourceByName(context: WalkContext, from: string): { node: string; netns: string } | undefined {
  const [first, second, ...more] = from.split('/');
  if (more.length || !first) throw new WalkError(`the source '${from}' is not NODE, NODE/POD or POD`);
  if (second !== undefined) {
    if (!context.nodeNames.includes(first)) throw new WalkError(`there is no node '${first}' (the nodes: ${context.nodeNames.join(', ')})`);
    if (!NETNS_NAME.test(second)) throw new WalkError(`'${second}' is not a namespace name`);
    return { node: first, netns: second };
  }
  if (context.nodeNames.includes(first)) return { node: first, netns: '' };
  if (!NETNS_NAME.test(first)) throw new WalkError(`'${first}' is neither a node nor a namespace name`);
  return undefined;
}

function findSource(context: WalkContext, name: string, armed: Map<string, { namespaces: string[] }>): { node: string; netns: string } {
  const nodes = context.nodeNames.filter((node) => armed.get(node)?.namespaces.includes(name));
  if (nodes.length === 0) throw new WalkError(`no node has a pod (network namespace) '${name}'; the nodes are ${context.nodeNames.join(', ')}`);
  if (nodes.length > 1) throw new WalkError(`'${name}' is a namespace on ${nodes.join(' and ')}: say which, as ${nodes[0]}/${name}`);
  return { node: nodes[0]!, netns: name };
}

/** A name, resolved as the source would resolve it (busybox nslookup with its resolv.conf). */
async function resolveName(context: WalkContext, from: { node: string; netns: string }, name: string): Promise<string> {
  const command = inNetns(from.netns, `nslookup ${shellQuote(name)} 2>&1`);
  const result = await context.exec(from.node, command, { timeout: 15 });
  // The answer's addresses come after the server's own "Address:" line.
  const answer = result.stdout.split(/\nName:\s/).slice(1).join('\n');
  const address = /Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)/.exec(answer)?.[1];
  if (!address) throw new WalkError(`${from.netns || from.node} could not resolve ${name}: ${result.stdout.trim().split('\n').slice(-2).join(' ') || 'no answer'}`);
  return address;
}

interface NodeView {
  node: string;
  /** Where the kernel routed the packet, per direction, when no table after routing logged it. */
  routed: Partial<Record<'request' | 'reply', string>>;
  /** The route that matched, per direction (ip route get fibmatch). */
  fibmatch: Partial<Record<'request' | 'reply', string>>;
  /** What `ip route get fibmatch` said for each destination the node logged, read with the logs. */
  routes: Map<string, string>;
  /** What `ip route get DST from SRC iif IN` said for each packet logged on its way in, by "DST SRC IN". */
  routedBy: Map<string, string>;
  events: LoggedEvent[];
  namespaces: string[];
  rules: IptablesTables;
  addresses: string[];
  /** The device each of the node's addresses is on (a Service's address on kube-ipvs0, for IPVS). */
  deviceOf: Map<string, string>;
  /** IPVS virtual servers (ipvsadm -Ln), read only where the ip_vs module is loaded. */
  ipvs: IpvsService[];
  conntrack: ConntrackEntry[];
}

function readNode(node: string, text: string, armed: { since: number; namespaces: string[] }, probe: Probe): NodeView {
  const [log = '', ...sections] = text.split(/^### (\w+)\n/m);
  const section = (name: string) => sections[sections.indexOf(name) + 1] ?? '';
  const [iptables, addresses, conntrack] = [section('iptables'), section('addresses'), section('conntrack')];
  // "10.244.2.2 10.244.2.0/24 dev cni0 ...": the route each logged destination matched;
  // "routed 10.244.2.2 10.244.1.2 cni0 10.244.2.2 from ... dev flannel.1": where a packet that came in was sent.
  const routeLines = section('routes').split('\n');
  const routes = new Map(routeLines.map((line) => /^(\d+\.\d+\.\d+\.\d+) (.+)$/.exec(line)).filter((m) => m !== null).map((m) => [m[1]!, m[2]!.trim()]));
  const routedBy = new Map(routeLines.map((line) => /^routed (\S+ \S+ \S+) (.+)$/.exec(line)).filter((m) => m !== null).map((m) => [m[1]!, m[2]!.trim()]));
  const events = parseKernelLog(log, armed.since).filter((event) => isProbePacket(event.packet, probe));
  const mine = (entry: ConntrackEntry) => entry.original.sport === probe.sourcePort || entry.reply.dport === probe.sourcePort;
  return {
    node,
    routed: {},
    fibmatch: {},
    routes,
    routedBy,
    events,
    namespaces: armed.namespaces,
    rules: parseIptablesSave(iptables),
    addresses: [...addresses.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!),
    // "7: kube-ipvs0    inet 10.96.0.20/32 scope global kube-ipvs0": which device holds an address.
    deviceOf: new Map([...addresses.matchAll(/^\d+:\s+(\S+)\s+inet (\d+\.\d+\.\d+\.\d+)\//gm)].map((m) => [m[2]!, m[1]!])),
    ipvs: parseIpvsadm(section('ipvs')),
    conntrack: probe.kind === 'icmp' ? icmpEntries(parseConntrack(conntrack), events) : parseConntrack(conntrack).filter(mine),
  };
}

/** A ping's conntrack entry is known by the echo id its trace lines show. */
function icmpEntries(entries: ConntrackEntry[], events: LoggedEvent[]): ConntrackEntry[] {
  const ids = new Set(events.map((event) => event.packet.icmpId).filter((id) => id !== undefined));
  return entries.filter((entry) => [...ids].some((id) => new RegExp(`\\bid=${id}\\b`).test(entry.text)));
}

function isProbePacket(packet: LoggedPacket, probe: Probe): boolean {
  if (probe.kind === 'icmp') return packet.protocol === 'ICMP' && packet.length === PING_IP_LENGTH;
  const protocol = probe.kind === 'tcp' ? 'TCP' : 'UDP';
  return packet.protocol === protocol && (packet.sport === probe.sourcePort || packet.dport === probe.sourcePort);
}

function directionOf(packet: { protocol: string; icmpType?: number; sport?: number; dport?: number }, probe: Probe): 'request' | 'reply' {
  if (probe.kind === 'icmp') return packet.icmpType === 0 ? 'reply' : 'request';
  return packet.sport === probe.sourcePort ? 'request' : 'reply';
}

const hopPacket = (packet: LoggedPacket): HopPacket => ({
  src: packet.src, dst: packet.dst, protocol: packet.protocol,
  ...(packet.sport !== undefined ? { sport: packet.sport } : {}), ...(packet.dport !== undefined ? { dport: packet.dport } : {}),
});

const endpoint = (address: string, port?: number) => (port === undefined ? address : `${address}:${port}`);
const showPacket = (p: HopPacket) => `${endpoint(p.src, p.sport)} → ${endpoint(p.dst, p.dport)}`;

const BASE_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT']);
const DROP_TARGETS = new Set(['DROP', 'REJECT']);

function ruleAt(rules: IptablesTables, table: string, chain: string, number: number): IptablesRule | undefined {
  return rules[table]?.chains[chain]?.rules[number - 1];
}

const byRoute = (view: NodeView, direction: 'request' | 'reply') => (view.fibmatch[direction] ? `, by the route "${view.fibmatch[direction]}"` : '');

/** One node's hops in one direction, from its trace and LOG lines in time order. */
function nodeHops(view: NodeView, direction: 'request' | 'reply', probe: Probe): WalkHop[] {
  const hops: WalkHop[] = [];
  const events = view.events.filter((event) => directionOf(event.packet, probe) === direction).sort((a, b) => a.time - b.time);
  let lastOut = '';
  let arrived = false;
  /** The last traced packet, and whether a NAT hop has been shown since: a rewrite no rule explains is IPVS's. */
  let previous: LoggedPacket | undefined;
  let natSince = false;
  /** IPVS rewrites first seen in the pod: they come after the node's routing, not before it. */
  const seenOnlyInPod = new Set<WalkHop>();
  for (const event of events) {
    const packet = hopPacket(event.packet);
    const base = { direction, node: view.node, packet } as const;
    const ipvs = previous && !natSince ? ipvsRewrite(view, previous, event.packet) : undefined;
    if (ipvs) {
      const hop: WalkHop = { ...base, kind: 'nat', ...(ipvs.device ? { interface: ipvs.device } : {}), text: ipvs.text };
      hops.push(hop);
      if (event.source === 'log') seenOnlyInPod.add(hop);
    }
    if (previous && (previous.dst !== event.packet.dst || previous.src !== event.packet.src || previous.dport !== event.packet.dport || previous.sport !== event.packet.sport)) natSince = false;
    previous = event.packet;
    if (event.source === 'log') {
      const netns = view.namespaces[(event.namespaceIndex ?? 0) - 1] ?? `namespace ${event.namespaceIndex}`;
      hops.push(event.direction === 'out'
        ? { ...base, netns, kind: 'leave-pod', text: `${netns} on ${view.node}: leaves through its ${event.out || 'eth0'} (${showPacket(packet)})` }
        : { ...base, netns, kind: 'enter-pod', text: `${netns} on ${view.node}: arrives on its ${event.in || 'eth0'} (${showPacket(packet)})` });
      continue;
    }
    const { table = '', chain = '', what, ruleNumber = 0 } = event;
    if (!arrived) {
      arrived = true;
      hops.push(event.in
        ? { ...base, kind: 'in', interface: event.in, text: `${view.node}: in on ${event.in}${event.physIn ? ` (bridge port ${event.physIn})` : ''}` }
        : { ...base, kind: 'in', text: `${view.node}: sent by the node itself` });
    }
    if (event.out && event.out !== lastOut) {
      lastOut = event.out;
      hops.push({ ...base, kind: 'route', interface: event.out, text: `${view.node}: routed out of ${event.out} (${showPacket(packet)})${byRoute(view, direction)}` });
    }
    // The kernel calls a rule with no match and a built-in verdict (a bare -j DROP) "return"
    // or "policy" (net/ipv4/netfilter/ip_tables.c, get_chainname_rulenum): if the chain has
    // a rule of that number, it was that rule; past its last rule, the chain's end.
    const rule = ruleAt(view.rules, table, chain, ruleNumber);
    if (rule?.comment === RULE_COMMENT) continue;
    if (what === 'return' && !rule) continue;
    if (what === 'policy' && !rule) {
      const policy = view.rules[table]?.chains[chain]?.policy ?? 'ACCEPT';
      if (policy !== 'ACCEPT') hops.push({ ...base, kind: 'drop', text: `${view.node}: ${table} ${chain} policy ${policy}`, rule: { table, chain, number: ruleNumber, text: `-P ${chain} ${policy}`, target: policy } });
      continue;
    }
    const text = rule?.text ?? `rule ${ruleNumber}`;
    const target = rule?.target;
    const kind: HopKind = target && NAT_TARGETS.has(target) ? 'nat' : target && DROP_TARGETS.has(target) ? 'drop' : 'rule';
    if (kind === 'nat') natSince = true;
    const verdict = target === 'DNAT' ? `DNAT to ${rule?.options['to-destination'] ?? '?'}` : target === 'SNAT' ? `SNAT to ${rule?.options['to-source'] ?? '?'}` : target;
    hops.push({
      ...base, kind,
      text: `${view.node}: ${table} ${chain} rule ${ruleNumber}${verdict ? ` → ${verdict}` : ''}: ${text}`,
      rule: { table, chain, number: ruleNumber, text, ...(target ? { target } : {}) },
    });
  }
  // A node with no table after routing (only the walk's raw rules) logs nothing past
  // PREROUTING: the kernel's own route lookup for the packet says where it went.
  const routed = view.routed[direction];
  const lastTrace = events.filter((event) => event.source === 'trace').at(-1);
  if (!lastOut && routed && lastTrace) {
    const device = /\bdev (\S+)/.exec(routed)?.[1];
    let at = hops.findIndex((hop) => hop.kind === 'enter-pod' && hop.direction === direction);
    if (at > 0 && seenOnlyInPod.has(hops[at - 1]!)) at -= 1;
    const hop: WalkHop = { direction, node: view.node, packet: hopPacket(lastTrace.packet), kind: 'route', ...(device ? { interface: device } : {}), text: `${view.node}: routed out of ${device ?? '?'} (${showPacket(hopPacket(lastTrace.packet))})${byRoute(view, direction)}` };
    hops.splice(at < 0 ? hops.length : at, 0, hop);
  }
  const last = lastTrace;
  if (last && BASE_CHAINS.has(last.chain ?? '') && last.chain === 'POSTROUTING' && last.out) {
    hops.push({ direction, node: view.node, packet: hopPacket(last.packet), kind: 'out', text: `${view.node}: out of ${last.physOut ? `${last.out} (bridge port ${last.physOut})` : last.out}` });
  }
  // What conntrack made of it, once, with the request.
  if (direction === 'request') {
    for (const entry of view.conntrack.slice(0, 2)) {
      const nat = [
        ...(entry.reply.src !== entry.original.dst ? [`DNAT: the answer comes from ${entry.reply.src}`] : []),
        ...(entry.reply.dst !== entry.original.src ? [`SNAT: the answer goes to ${entry.reply.dst}`] : []),
      ];
      const natted = nat.length ? ` (${nat.join('; ')})` : '';
      hops.push({ direction, node: view.node, kind: 'conntrack', text: `${view.node}: conntrack ${entry.original.src} → ${entry.original.dst} / reply ${entry.reply.src} → ${entry.reply.dst}${natted}${entry.state ? ` ${entry.state}` : ''}` });
    }
  }
  return hops;
}

/**
 * IPVS rewrites a packet for a virtual server in the kernel's LOCAL_IN, with no iptables
 * rule: the log shows the packet to the virtual address, then the same packet to a real
 * server. When the address before is one of this node's virtual servers, say so, with the
 * device that holds it (kube-proxy puts it on kube-ipvs0) and the real server it chose.
 */
function ipvsRewrite(view: NodeView, before: LoggedPacket, after: LoggedPacket): { text: string; device?: string } | undefined {
  if (view.ipvs.length === 0) return undefined;
  const serves = (s: IpvsService, address: string, port: number | undefined, protocol: string) =>
    s.address === address && (s.port === 0 || port === undefined || s.port === port) && (s.protocol === protocol || s.protocol === 'FWM');
  const at = (address: string, port: number | undefined) => `${address}${port === undefined ? '' : `:${port}`}`;
  // On the way there: to the virtual address before, to a real server after.
  if (before.dst !== after.dst || before.dport !== after.dport) {
    const service = view.ipvs.find((s) => serves(s, before.dst, before.dport, before.protocol));
    if (!service) return undefined;
    const device = view.deviceOf.get(service.address);
    const chosen = service.reals.find((r) => r.address === after.dst)?.forward;
    return {
      text: `${view.node}: IPVS virtual server ${service.protocol} ${service.address}:${service.port} (${service.scheduler}${device ? `, the address on ${device}` : ''}) → DNAT to ${at(after.dst, after.dport)}${chosen ? ` (${chosen})` : ''}`,
      ...(device ? { device } : {}),
    };
  }
  // On the way back: from a real server before, from the virtual address after (IPVS's own connection table undoes it).
  if (before.src !== after.src || before.sport !== after.sport) {
    const service = view.ipvs.find((s) => serves(s, after.src, after.sport, after.protocol) && s.reals.some((r) => r.address === before.src));
    if (!service) return undefined;
    const device = view.deviceOf.get(service.address);
    return {
      text: `${view.node}: IPVS answers for virtual server ${service.protocol} ${service.address}:${service.port}: from ${at(before.src, before.sport)} it becomes from ${at(after.src, after.sport)}`,
      ...(device ? { device } : {}),
    };
  }
  return undefined;
}

/** The wire frames that carry the probe in one direction, decoded. */
function probeFrames(frames: CapturedFrame[], direction: 'request' | 'reply', probe: Probe): { frame: CapturedFrame; decoded: DecodedFrame }[] {
  return frames.flatMap((frame) => {
    const decoded = decodeFrame(frame.bytes);
    const inner = innermostIpv4(decoded);
    if (!inner) return [];
    let packet: { protocol: string; icmpType?: number; sport?: number; dport?: number } | undefined;
    if (probe.kind === 'icmp') {
      const icmp = decoded.layers.filter((layer) => layer.protocol === 'icmp').at(-1);
      if (inner.ipProtocol === 1 && inner.totalLength === PING_IP_LENGTH && icmp?.protocol === 'icmp') packet = { protocol: 'ICMP', icmpType: icmp.type };
    } else {
      const l4 = decoded.layers.slice(decoded.layers.indexOf(inner) + 1).find((layer) => layer.protocol === (probe.kind === 'tcp' ? 'tcp' : 'udp'));
      if (l4 && (l4.protocol === 'tcp' || l4.protocol === 'udp') && (l4.sourcePort === probe.sourcePort || l4.destinationPort === probe.sourcePort)) {
        if (l4.protocol === 'tcp' && !l4.flags.syn) return [];
        packet = { protocol: l4.protocol.toUpperCase(), sport: l4.sourcePort, dport: l4.destinationPort };
      }
    }
    return packet && directionOf(packet, probe) === direction ? [{ frame, decoded }] : [];
  });
}

function wireHops(direction: 'request' | 'reply', frame: CapturedFrame, decoded: DecodedFrame): WalkHop {
  const ipv4 = findLayers(decoded, 'ipv4');
  const inner = ipv4.at(-1)!;
  const outer = ipv4.length > 1 ? ipv4[0]! : undefined;
  const vnis = vniList(decoded);
  const tunnel = vnis.length ? `VXLAN VNI ${vnis.join('/')}` : outer ? 'IP-in-IP' : '';
  // The ports are the inner packet's: a VXLAN frame's outer UDP header is the tunnel's.
  const l4 = decoded.layers[decoded.layers.indexOf(inner) + 1];
  const ports = l4 && (l4.protocol === 'tcp' || l4.protocol === 'udp') ? { sport: l4.sourcePort, dport: l4.destinationPort } : {};
  const packet: HopPacket = { src: inner.source, dst: inner.destination, protocol: inner.ipProtocolName, ...ports, ...(outer ? { outer: { src: outer.source, dst: outer.destination, tunnel } } : {}) };
  const udp = findLayer(decoded, 'udp');
  const outerText = outer ? `outer ${outer.source} → ${outer.destination}${vnis.length && udp ? ` UDP ${udp.destinationPort}` : ''} (${tunnel}), inner ` : '';
  return {
    direction, node: frame.link, kind: 'wire', packet,
    text: `on the wire (link ${frame.link}): ${outerText}${showPacket(packet)}`,
    frame: { link: frame.link, from: frame.from, to: frame.to, timestampMicros: frame.timestampMicros, bytes: frame.bytes },
  };
}

/** The nodes a direction crossed, in order, by following its frames; with its hops. */
function followDirection(direction: 'request' | 'reply', start: string, views: Map<string, NodeView>, frames: CapturedFrame[], probe: Probe): { hops: WalkHop[]; lastNode?: string } {
  const byAddress = new Map<string, string>();
  for (const view of views.values()) for (const address of view.addresses) byAddress.set(address, view.node);
  const wire = probeFrames(frames, direction, probe).sort((a, b) => a.frame.timestampMicros - b.frame.timestampMicros || a.frame.seq - b.frame.seq);
  const withEvents = [...views.values()].filter((view) => view.events.some((event) => directionOf(event.packet, probe) === direction));
  if (withEvents.length === 0 && wire.length === 0) return { hops: [] };
  // A reply starts where the request ended, unless that node logged none of it.
  let current = withEvents.some((view) => view.node === start) || wire.length === 0 ? start : (withEvents[0]?.node ?? start);
  const hops: WalkHop[] = [];
  const seen = new Set<string>();
  const visit = (node: string) => {
    if (seen.has(node)) return;
    seen.add(node);
    const view = views.get(node);
    if (view) hops.push(...nodeHops(view, direction, probe));
  };
  visit(current);
  for (const { frame, decoded } of wire) {
    const outer = findLayers(decoded, 'ipv4')[0];
    const next = views.has(frame.to) ? frame.to : outer ? byAddress.get(outer.destination) : undefined;
    const tunnelled = findLayers(decoded, 'ipv4').length > 1;
    const hop = wireHops(direction, frame, decoded);
    if (tunnelled && !hops.some((h) => h.kind === 'encap' && h.node === current)) {
      const device = [...hops].reverse().find((h) => h.node === current && h.kind === 'route')?.interface ?? 'its tunnel device';
      hops.push({ direction, node: current, kind: 'encap', packet: hop.packet!, text: `${current}: ${device} wraps it: ${hop.packet!.outer!.tunnel}, outer ${hop.packet!.outer!.src} → ${hop.packet!.outer!.dst}` });
    }
    hops.push(hop);
    if (next && next !== current && !seen.has(next)) {
      if (tunnelled) {
        const device = views.get(next)?.events.find((e) => directionOf(e.packet, probe) === direction && e.source === 'trace')?.in ?? 'its tunnel device';
        hops.push({ direction, node: next, kind: 'decap', packet: { ...hop.packet!, outer: undefined } as HopPacket, text: `${next}: ${device} unwraps it (${hop.packet!.outer!.tunnel})` });
      }
      current = next;
      visit(current);
    }
  }
  for (const view of withEvents) visit(view.node);
  return { hops, lastNode: current };
}

/**
 * The kernel's own answers about each node's routing decision: the route that matched
 * (`ip route get fibmatch`, read with the logs), and where a node with no table after
 * routing (whose log stops at PREROUTING) sent the packet (`ip route get ... iif`, one exec
 * on that node).
 */
async function lookUpRoutes(context: WalkContext, views: Map<string, NodeView>, probe: Probe): Promise<void> {
  const safe = (text: string) => /^[\w.@:-]+$/.test(text);
  await Promise.all([...views.values()].map(async (view) => {
    const asks: { direction: 'request' | 'reply'; what: 'routed' | 'fibmatch'; command: string }[] = [];
    for (const direction of ['request', 'reply'] as const) {
      const traced = view.events.filter((event) => event.source === 'trace' && directionOf(event.packet, probe) === direction);
      const first = traced[0];
      const last = traced.at(-1);
      if (!first || !last || !isIpv4(last.packet.dst) || !isIpv4(last.packet.src)) continue;
      const known = view.routes.get(last.packet.dst);
      if (known !== undefined && looksLikeRoute(known)) view.fibmatch[direction] = known;
      else if (known === undefined) asks.push({ direction, what: 'fibmatch', command: `ip route get fibmatch ${last.packet.dst}` });
      if (first.in && safe(first.in) && !traced.some((event) => event.out)) {
        const routed = view.routedBy.get(`${last.packet.dst} ${last.packet.src} ${first.in}`);
        if (routed !== undefined) { if (looksLikeRoute(routed) && /\bdev \S+/.test(routed)) view.routed[direction] = routed; }
        else asks.push({ direction, what: 'routed', command: `ip route get ${last.packet.dst} from ${last.packet.src} iif ${first.in}` });
      }
    }
    if (asks.length === 0) return;
    const script = asks.map((ask) => `${ask.command} 2>&1 | head -1; echo '### next'`).join('\n');
    const result = await context.exec(view.node, script, { timeout: 15 }).catch(() => undefined);
    const answers = (result?.stdout ?? '').split('### next\n');
    asks.forEach((ask, index) => {
      const said = answers[index]?.trim() ?? '';
      if (!looksLikeRoute(said)) return;
      if (ask.what === 'routed' && /\bdev \S+/.test(said)) view.routed[ask.direction] = said;
      if (ask.what === 'fibmatch') view.fibmatch[ask.direction] = said;
    });
  }));
}

const looksLikeRoute = (said: string) => /\bdev \S+/.test(said) || /^\S+\/\d+|^default/.test(said);

/** Nothing said it dropped the probe: ask the kernel where it went no further. */
async function whyLost(context: WalkContext, from: { node: string; netns: string }, probe: Probe, hops: WalkHop[], views: Map<string, NodeView>, probeOutput: string): Promise<WalkHop | undefined> {
  const request = hops.filter((hop) => hop.direction === 'request');
  const last = request.at(-1)!;
  // Never left the source: its own routing had nowhere to send it.
  if (last.kind === 'send' || (request.length <= 2 && /unreachable|no route/i.test(probeOutput))) {
    const result = await context.exec(from.node, inNetns(from.netns, `ip route get ${probe.target.address} 2>&1`), { timeout: 10 });
    const said = result.stdout.trim().split('\n')[0] ?? '';
    if (/unreachable|no route|prohibit|invalid/i.test(said) || result.exitCode !== 0) {
      return { direction: 'request', node: from.node, ...(from.netns ? { netns: from.netns } : {}), kind: 'drop', text: `${from.netns || from.node} on ${from.node}: no route to ${probe.target.address} (ip route get: ${said || 'no answer'})` };
    }
    return undefined;
  }
  // Came into a node and went no further: no route out, or forwarding is off.
  if (views.has(last.node) && (last.kind === 'in' || last.kind === 'rule' || last.kind === 'nat') && !request.some((hop) => hop.node === last.node && hop.kind === 'route') && last.packet) {
    const inbound = [...views.get(last.node)!.events].find((e) => directionOf(e.packet, probe) === 'request' && e.source === 'trace')?.in;
    const lookup = inbound ? `ip route get ${last.packet.dst} from ${last.packet.src} iif ${inbound}` : `ip route get ${last.packet.dst}`;
    const result = await context.exec(last.node, `${lookup} 2>&1 | head -1; sysctl -n net.ipv4.ip_forward`, { timeout: 10 });
    const [said = '', forwarding = ''] = result.stdout.trim().split('\n');
    if (/unreachable|no route|prohibit|invalid|RTNETLINK/i.test(said)) {
      return { direction: 'request', node: last.node, kind: 'drop', packet: last.packet, text: `${last.node}: no route for ${last.packet.dst} (${lookup}: ${said})` };
    }
    if (forwarding.trim() === '0') return { direction: 'request', node: last.node, kind: 'drop', packet: last.packet, text: `${last.node}: does not forward packets (net.ipv4.ip_forward = 0)` };
  }
  return undefined;
}

/** The walk as text, one hop per line, for the command line. */
export function walkText(walk: Walk): string {
  const lines = [`${walk.from.netns ? `${walk.from.node}/${walk.from.netns}` : walk.from.node} → ${walk.target} (${walk.probe})`];
  let direction: string | undefined;
  walk.hops.forEach((hop, index) => {
    if (hop.direction !== direction) { direction = hop.direction; lines.push(direction === 'request' ? 'there:' : 'back:'); }
    lines.push(`${String(index + 1).padStart(3)}. ${hop.text}`);
  });
  lines.push(walk.summary, `(${(walk.durationMs / 1000).toFixed(1)} s)`);
  return `${lines.join('\n')}\n`;
}
