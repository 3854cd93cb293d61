// The topology view's pure half: live node facts in, boxes and edges with coordinates out.
// Topology.svelte only polls the nodes and draws what layoutTopology returns, so everything
// here runs (and is tested) without a DOM.
//
//   describeNode(facts)                       what is inside one node: devices, bridges, pods
//   layoutTopology(topology, nodeStates, …)   the whole picture, placed by elkjs: router, switches, nodes, lines
//   newestOnly(use)                           draws layouts in the order they were asked for, dropping stale ones
//   detailsFor(facts, netns)                  the side panel for a pod or a node
//   TOPOLOGY_SECTIONS                          the facts sections the view reads from a node
//   readKeptLook / keepLook                    each node's last facts, kept in the page
//   readKeptPicture / keepPicture              the last complete picture, placed, drawn at once on the next visit
import * as v from 'valibot';
import type { ElkExtendedEdge, ElkLayoutArguments, ElkNode } from 'elkjs/lib/elk-api.js';
import type { LinkFact, NamespaceFacts, NodeFacts, RouteFact } from '../observe/facts-types.js';
import { words, type WordValue, type Words } from './i18n/words.js';

// ---------------------------------------------------------------------------------------------
// What the view reads from a node

/**
 * The facts sections a look reads (gatherFacts' `only`): every namespace's links, addresses,
 * routes and neighbours, and the node's bridge FDB. Not the grader's iptables, IPVS,
 * conntrack, CNI leases or sysctls: a look every few seconds starts a third of the
 * programs, and each one costs time in an emulated machine.
 */
export const TOPOLOGY_SECTIONS: readonly string[] = ['ip:*', 'fdb:'];

// ---------------------------------------------------------------------------------------------
// What is inside a node

export interface LinkView {
  name: string;
  /** The namespace the link lives in; '' for the node's own. */
  netns: string;
  type: string;
  up: boolean;
  /** operstate, e.g. UP, DOWN, LOWERLAYERDOWN. */
  state: string;
  mtu: number;
  /** IPv4 (and global IPv6) addresses as CIDRs. */
  addresses: string[];
  /** Short facts worth printing under the name: "VNI 1 · port 8472", "local 10.0.0.11", ... */
  details: string[];
  master?: string;
  /** The device this one sits on: eth0 under a VLAN or a VXLAN's underlay. */
  lower?: string;
  /** The other end of a veth, when the node told us where it is. netns '' is the node's own. */
  peer?: { netns: string; ifname: string };
}

export interface PodView {
  /** The network namespace's name (/run/netns/<name>). */
  name: string;
  links: LinkView[];
  /** "default via 10.244.1.1", or undefined when the pod has no default route. */
  defaultRoute?: string;
}

export interface BridgeView extends LinkView {
  /** Links enslaved to this bridge, in the node's order. */
  ports: string[];
}

/** A lane of the node: a bridge port (a host veth) and the pod at its other end. */
export interface Column {
  bridge?: string;
  /** The host end of a veth (in the node's namespace). */
  hostLink?: string;
  pod?: string;
}

export interface NodeView {
  node: string;
  /** eth0 first, then tunnels, dummies and the rest (not bridges, not veths to pods). */
  devices: LinkView[];
  bridges: BridgeView[];
  /** Host veths by name (those that have a column). */
  hostVeths: LinkView[];
  pods: PodView[];
  columns: Column[];
  /** Links left out because they are the image's idle defaults (tunl0, ifb0, ...) or lo. */
  hidden: number;
}

/** Devices every node has from boot (modules create them); shown only once used. */
const IDLE_DEFAULTS = /^(tunl0|ifb\d+|dummy0|sit0|ip6tnl0|gre0|gretap0|erspan0|ip_vti0|ip6_vti0|ip6gre0|bond0|teql0)$/;

function isHidden(link: LinkFact, ns: NamespaceFacts, showAll: boolean): boolean {
  if (link.type === 'loopback' || link.name === 'lo') return !showAll;
  if (showAll) return false;
  const hasAddress = ns.addresses.some((a) => a.dev === link.name && a.family === 4);
  return IDLE_DEFAULTS.test(link.name) && !link.up && !hasAddress && !link.master;
}

function addressesOf(ns: NamespaceFacts, dev: string): string[] {
  return ns.addresses
    .filter((a) => a.dev === dev && (a.family === 4 || !/^fe80:/i.test(a.address)))
    .map((a) => (a.peer ? `${a.address} peer ${a.peer}` : a.cidr));
}

function detailsOf(link: LinkFact): string[] {
  const out: string[] = [];
  if (link.vxlan) {
    const v = link.vxlan;
    out.push(`VNI ${v.vni} · port ${v.port}`);
    const ends = [v.local ? `local ${v.local}` : '', v.remote ? `remote ${v.remote}` : v.group ? `group ${v.group}` : ''].filter(Boolean);
    if (ends.length) out.push(ends.join(' '));
  }
  if (link.tunnel && (link.tunnel.local || link.tunnel.remote)) {
    out.push(`${link.tunnel.local ?? 'any'} → ${link.tunnel.remote ?? 'any'}`);
  }
  if (link.vlan) out.push(`VLAN ${link.vlan.id}${link.link ? ` on ${link.link}` : ''}`);
  // An MTU that is not Ethernet's is worth seeing (the overlay's 1450, a misconfigured pod).
  if (link.type !== 'loopback' && link.mtu && link.mtu !== 1500 && !(link.type === 'ipip' && link.mtu === 1480)) out.push(`mtu ${link.mtu}`);
  return out;
}

function linkView(link: LinkFact, ns: NamespaceFacts): LinkView {
  const view: LinkView = {
    name: link.name,
    netns: ns.name,
    type: link.type,
    up: link.up,
    state: link.state,
    mtu: link.mtu,
    addresses: addressesOf(ns, link.name),
    details: detailsOf(link),
  };
  if (link.master) view.master = link.master;
  const lower = link.vxlan?.dev ?? link.link;
  if (lower && (link.type === 'vxlan' || link.type === 'vlan' || link.type === 'macvlan' || link.type === 'ipvlan')) view.lower = lower;
  if (link.type === 'veth' && link.peer) {
    const ifname = link.peer.ifname ?? link.peer.name?.split(':').pop();
    if (ifname !== undefined && link.peer.netns !== undefined) view.peer = { netns: link.peer.netns, ifname };
  }
  return view;
}

export function formatRoute(route: RouteFact): string {
  const parts: string[] = [];
  if (route.type && route.type !== 'unicast') parts.push(route.type);
  parts.push(route.destination);
  if (route.via) parts.push(`via ${route.via}`);
  if (route.dev) parts.push(`dev ${route.dev}`);
  for (const hop of route.nexthops ?? []) {
    parts.push(['nexthop', hop.via ? `via ${hop.via}` : '', hop.dev ? `dev ${hop.dev}` : '', hop.weight ? `weight ${hop.weight}` : ''].filter(Boolean).join(' '));
  }
  if (route.protocol && !['boot', 'kernel'].includes(route.protocol)) parts.push(`proto ${route.protocol}`);
  if (route.scope && route.scope !== 'global' && route.scope !== 'universe') parts.push(`scope ${route.scope}`);
  if (route.src) parts.push(`src ${route.src}`);
  if (route.metric) parts.push(`metric ${route.metric}`);
  for (const flag of route.flags ?? []) if (flag === 'onlink' || flag === 'linkdown') parts.push(flag);
  if (route.table !== 'main') parts.push(`table ${route.table}`);
  return parts.join(' ');
}

function defaultRouteOf(ns: NamespaceFacts): string | undefined {
  const route = ns.routes.find((r) => r.family === 4 && r.table === 'main' && r.destination === 'default');
  if (!route) return undefined;
  return formatRoute(route).replace(/ table main$/, '');
}

export function describeNode(facts: NodeFacts, options: { showAll?: boolean } = {}): NodeView {
  const showAll = options.showAll ?? false;
  const root = facts.netns[0]!;
  let hidden = 0;
  const visible = (ns: NamespaceFacts) => ns.links.filter((l) => {
    const hide = isHidden(l, ns, showAll);
    if (hide) hidden++;
    return !hide;
  });

  const rootLinks = visible(root).map((l) => linkView(l, root));
  const podNames = new Set(facts.netns.slice(1).map((ns) => ns.name));
  const pods: PodView[] = facts.netns.slice(1).map((ns) => {
    const pod: PodView = { name: ns.name, links: visible(ns).map((l) => linkView(l, ns)) };
    const route = defaultRouteOf(ns);
    if (route) pod.defaultRoute = route;
    return pod;
  });

  const bridges: BridgeView[] = rootLinks
    .filter((l) => l.type === 'bridge')
    .map((b) => ({ ...b, ports: rootLinks.filter((l) => l.master === b.name).map((l) => l.name) }));
  // A host veth gets a column (drawn between its bridge and its pod) unless its peer is in the node namespace too.
  const columnVeth = (l: LinkView) => l.type === 'veth' && l.peer?.netns !== '';
  const hostVeths = rootLinks.filter(columnVeth);
  const devices = rootLinks
    .filter((l) => l.type !== 'bridge' && !columnVeth(l))
    .sort((a, b) => deviceRank(a) - deviceRank(b));

  const columns: Column[] = [];
  const placedPods = new Set<string>();
  const placedVeths = new Set<string>();
  const addColumn = (veth: LinkView, bridge?: string) => {
    const pod = veth.peer && podNames.has(veth.peer.netns) && !placedPods.has(veth.peer.netns) ? veth.peer.netns : undefined;
    if (pod) placedPods.add(pod);
    placedVeths.add(veth.name);
    columns.push({ ...(bridge ? { bridge } : {}), hostLink: veth.name, ...(pod ? { pod } : {}) });
  };
  for (const bridge of bridges) {
    for (const port of bridge.ports) {
      const veth = hostVeths.find((v) => v.name === port);
      if (veth) addColumn(veth, bridge.name);
    }
  }
  for (const veth of hostVeths) if (!placedVeths.has(veth.name)) addColumn(veth);
  for (const pod of pods) if (!placedPods.has(pod.name)) columns.push({ pod: pod.name });

  return { node: facts.node, devices, bridges, hostVeths, pods, columns, hidden };
}

function deviceRank(link: LinkView): number {
  if (link.name === 'eth0') return 0;
  if (link.type === 'device') return 1;
  const order = ['vlan', 'vxlan', 'ipip', 'gre', 'sit', 'veth', 'dummy'];
  const index = order.indexOf(link.type);
  return 2 + (index < 0 ? order.length : index);
}

// ---------------------------------------------------------------------------------------------
// The picture
//
// The boxes and lines become a graph for elkjs's layered algorithm, which places them: the
// router, the switches and the nodes at the top level, and every node a compound box holding
// its devices, bridges, host veths and pods (each pod a compound box of its interfaces). One
// direction throughout (left to right: the wire, then what hangs off it), lines routed at
// right angles.

export type BoxKind = 'router' | 'segment' | 'node' | 'pod' | 'bridge' | 'link';

export interface Box {
  /** Unique: router, segment:lan, node:node1, pod:node1:pod1, bridge:node1:cni0, link:node1:<netns>:<name>. */
  id: string;
  kind: BoxKind;
  x: number;
  y: number;
  w: number;
  h: number;
  /** First line bold, the rest small. */
  title: string;
  lines: string[];
  /** For styling: the link type (veth, vxlan, ...) of a link box, 'down' links, a node that does not answer. */
  tags: string[];
  node?: string;
  pod?: string;
}

export type EdgeKind = 'router' | 'segment' | 'bridge' | 'veth' | 'underlay';

export interface Edge {
  id: string;
  kind: EdgeKind;
  from: string;
  to: string;
  /** A polyline, in SVG coordinates. */
  points: [number, number][];
  down?: boolean;
}

export interface TopologyModel {
  width: number;
  height: number;
  boxes: Box[];
  edges: Edge[];
}

export interface TopologyNode { name: string; segment: string; address: string }
export interface TopologySegment { name: string; subnet: string; gateway: string }
export interface TopologyInput { segments: TopologySegment[]; nodes: TopologyNode[] }

/** What the view knows of one node right now. */
export interface NodeState {
  /** The latest facts (kept when a later gather fails, so the picture does not vanish). */
  facts?: NodeFacts;
  /** Set when the last gather failed: the node is not answering. */
  error?: string;
  /** Date.now() of the last successful gather. */
  at?: number;
}

/** The part of elkjs the picture uses: the browser may pass one that runs in a Web Worker. */
export interface LayoutEngine {
  layout(graph: ElkNode, args?: ElkLayoutArguments): Promise<ElkNode>;
}

export interface LayoutOptions {
  /** elkjs: in a Web Worker in the browser (Topology.svelte), its bundled build on Node. */
  engine: LayoutEngine;
  /** Show lo and the idle default devices too. */
  showAll?: boolean;
  /** A picture already placed: when the new one would show the same, it is returned as it is, and elkjs is not asked. */
  unlessSameAs?: TopologyModel;
}

const PAD = 12;
const CHIP_W = 156;
const POD_CHIP_W = CHIP_W - 12;
const LINE_H = 14;
const HEADER_H = 34;
const ALERT_H = LINE_H + 4;
const ROUTER_W = 160;
/** The pod's name above its interfaces, its default route below them. */
const POD_TOP = 24;
const POD_BOTTOM = LINE_H + 6;

const chipHeight = (lines: number) => 10 + LINE_H * (lines + 1);

/** Layered, left to right, one layout for the whole hierarchy so lines may enter nodes and pods. */
const GRAPH_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  // Keep the facts' order (eth0 first, pods as the node lists them) so a redraw looks like the last one.
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.padding': `[top=${PAD},left=${PAD},bottom=${PAD},right=${PAD}]`,
  'elk.spacing.nodeNode': '12',
  'elk.layered.spacing.nodeNodeBetweenLayers': '28',
  'elk.spacing.edgeNode': '10',
  'elk.spacing.edgeEdge': '6',
};
/** Every coordinate in the result relative to the root, as the SVG wants them. */
const ABSOLUTE = { layoutOptions: { 'elk.json.shapeCoords': 'ROOT', 'elk.json.edgeCoords': 'ROOT' } };

function linkLines(link: LinkView): string[] {
  const lines = [...link.addresses.slice(0, 2)];
  if (link.addresses.length > 2) lines[1] += ` +${link.addresses.length - 2}`;
  lines.push(...link.details);
  if (!link.up) lines.push('down');
  else if (link.state === 'LOWERLAYERDOWN' || link.state === 'DOWN') lines.push(`up, ${link.state.toLowerCase()}`);
  if (link.type === 'veth' && link.peer && link.netns === '' && link.peer.netns === '') lines.push(`peer ${link.peer.ifname}`);
  return lines;
}

function linkBox(id: string, link: LinkView, w: number, node: string, pod?: string): Box {
  const lines = linkLines(link);
  const tags = [link.type];
  if (!link.up || link.state === 'DOWN' || link.state === 'LOWERLAYERDOWN') tags.push('down');
  return { id, kind: 'link', x: 0, y: 0, w, h: chipHeight(lines.length), title: `${link.name} · ${link.type}`, lines, tags, node, ...(pod ? { pod } : {}) };
}

const linkId = (node: string, netns: string, name: string) => `link:${node}:${netns}:${name}`;

/** Rough text widths (px) for the node's header row, so a node is at least as wide as what it says. */
const headerWidth = (title: string, lines: string[]) => 24 + title.length * 9 + lines.reduce((sum, line) => sum + 12 + line.length * 7.3, 0);
const alertWidth = (line: string) => 24 + line.length * 6.7;

/** The boxes and lines of a picture before layout (boxes at 0,0), and the ELK graph that places them. */
class Scene {
  readonly boxes = new Map<string, Box>();
  readonly edges: Edge[] = [];
  /** Lines that ELK lays out from `to` to `from`. */
  readonly reversed = new Set<string>();
  readonly root: ElkNode = { id: 'root', layoutOptions: GRAPH_OPTIONS, children: [], edges: [] };
  private readonly elkNodes = new Map<string, ElkNode>([['root', this.root]]);

  /** Adds a box inside a parent (the root by default); a compound box gets its size from what it holds. */
  add(box: Box, parent = 'root', compound?: { padding: [number, number, number, number]; minWidth: number; minHeight: number }): void {
    this.boxes.set(box.id, box);
    const elk: ElkNode = compound
      ? {
        id: box.id, children: [], edges: [],
        layoutOptions: {
          'elk.padding': `[top=${compound.padding[0]},left=${compound.padding[1]},bottom=${compound.padding[2]},right=${compound.padding[3]}]`,
          'elk.nodeSize.constraints': 'MINIMUM_SIZE',
          'elk.nodeSize.minimum': `(${compound.minWidth}, ${compound.minHeight})`,
        },
      }
      : { id: box.id, width: box.w, height: box.h };
    if (compound) { elk.width = compound.minWidth; elk.height = compound.minHeight; }
    this.elkNodes.get(parent)!.children!.push(elk);
    this.elkNodes.set(box.id, elk);
  }

  has(id: string): boolean { return this.boxes.has(id); }

  /**
   * Adds a line, declared in `container` (the innermost box holding both ends). ELK lays it out
   * from `source` to `target`, which may be the other way round from the model's from/to.
   */
  connect(edge: Omit<Edge, 'points'>, container = 'root', elkDirection: 'forward' | 'reverse' = 'forward'): void {
    this.edges.push({ ...edge, points: [] });
    if (elkDirection === 'reverse') this.reversed.add(edge.id);
    const [source, target] = elkDirection === 'forward' ? [edge.from, edge.to] : [edge.to, edge.from];
    this.elkNodes.get(container)!.edges!.push({ id: edge.id, sources: [source], targets: [target] });
  }
}

/** A node's insides, in its compound box: devices, bridges, host veths and pods, and the lines between them. */
function addNodeInsides(scene: Scene, view: NodeView): void {
  const node = view.node;
  const nodeId = `node:${node}`;
  for (const link of view.devices) scene.add(linkBox(linkId(node, '', link.name), link, CHIP_W, node), nodeId);
  for (const bridge of view.bridges) {
    const lines = [...bridge.addresses.slice(0, 1), ...(!bridge.up ? ['down'] : [])];
    const tags = ['bridge', ...(!bridge.up ? ['down'] : [])];
    scene.add({ id: `bridge:${node}:${bridge.name}`, kind: 'bridge', x: 0, y: 0, w: CHIP_W, h: chipHeight(lines.length), title: `${bridge.name} · bridge`, lines, tags, node }, nodeId);
  }
  // Host veths and pods in column order: under their bridge, each veth beside its pod.
  for (const column of view.columns) {
    if (!column.hostLink) continue;
    const veth = view.hostVeths.find((v) => v.name === column.hostLink)!;
    scene.add(linkBox(linkId(node, '', veth.name), veth, CHIP_W, node), nodeId);
  }
  for (const column of view.columns) {
    if (!column.pod) continue;
    const pod = view.pods.find((p) => p.name === column.pod)!;
    const podId = `pod:${node}:${pod.name}`;
    // The footer is narrow: the gateway is what matters ("default via 10.244.1.1").
    const footer = pod.defaultRoute ? pod.defaultRoute.replace(/^(default via \S+) dev \S+/, '$1') : 'no default route';
    scene.add(
      { id: podId, kind: 'pod', x: 0, y: 0, w: 0, h: 0, title: pod.name, lines: [footer], tags: pod.defaultRoute ? [] : ['no-default'], node, pod: pod.name },
      nodeId,
      { padding: [POD_TOP, 6, POD_BOTTOM, 6], minWidth: CHIP_W, minHeight: POD_TOP + POD_BOTTOM + 8 },
    );
    for (const link of pod.links) scene.add(linkBox(linkId(node, pod.name, link.name), link, POD_CHIP_W, node, pod.name), podId);
  }

  const isDown = (id: string) => scene.boxes.get(id)!.tags.includes('down');
  // Bridge membership: from the bridge to each port (a host veth, or any other enslaved device).
  for (const bridge of view.bridges) {
    const from = `bridge:${node}:${bridge.name}`;
    for (const port of bridge.ports) {
      const to = linkId(node, '', port);
      if (scene.has(to)) scene.connect({ id: `${from}:${port}`, kind: 'bridge', from, to, down: isDown(to) }, nodeId);
    }
  }
  // Veth pairs, each pair once; from the node's end towards the pod's.
  const seen = new Set<string>();
  for (const link of [...view.devices, ...view.hostVeths, ...view.pods.flatMap((p) => p.links)]) {
    if (link.type !== 'veth' || !link.peer) continue;
    const from = linkId(node, link.netns, link.name);
    const to = linkId(node, link.peer.netns, link.peer.ifname);
    const key = [from, to].sort().join('|');
    if (seen.has(key) || !scene.has(from) || !scene.has(to)) continue;
    seen.add(key);
    // Both ends in one pod: the line stays inside it.
    const container = link.netns !== '' && link.netns === link.peer.netns ? `pod:${node}:${link.netns}` : nodeId;
    scene.connect({ id: `veth:${key}`, kind: 'veth', from, to, down: isDown(from) || isDown(to) }, container);
  }
  // Tunnels and VLANs sit on a device (eth0, usually): laid out after it, with a dashed line back.
  for (const link of view.devices) {
    if (!link.lower) continue;
    const from = linkId(node, '', link.name);
    const to = linkId(node, '', link.lower);
    if (scene.has(to)) scene.connect({ id: `underlay:${node}:${link.name}`, kind: 'underlay', from, to }, nodeId, 'reverse');
  }
}

/** The ELK graph of a picture with every box and line in it, not yet placed. */
function buildScene(topology: TopologyInput, states: Record<string, NodeState>, showAll: boolean): Scene {
  const scene = new Scene();
  scene.add({
    id: 'router', kind: 'router', x: 0, y: 0, w: ROUTER_W, h: chipHeight(topology.segments.length),
    title: 'router', lines: topology.segments.map((s) => `${s.gateway} on ${s.name}`), tags: [],
  });
  for (const segment of topology.segments) {
    const id = `segment:${segment.name}`;
    scene.add({ id, kind: 'segment', x: 0, y: 0, w: ROUTER_W - 20, h: chipHeight(1), title: `switch ${segment.name}`, lines: [segment.subnet], tags: [] });
    scene.connect({ id: `router:${segment.name}`, kind: 'router', from: 'router', to: id });
  }
  for (const spec of topology.nodes) {
    const state = states[spec.name] ?? {};
    const view = state.facts ? describeNode(state.facts, { showAll }) : undefined;
    const tags: string[] = [];
    const lines = [`eth0 ${spec.address}`];
    if (state.error) { tags.push('not-answering'); lines.push(`not answering: ${state.error.length > 110 ? `${state.error.slice(0, 110)}…` : state.error}`); }
    else if (!state.facts) { tags.push('loading'); lines.push('reading the node…'); }
    if (view?.hidden) lines.push(`${view.hidden} idle link${view.hidden === 1 ? '' : 's'} hidden`);
    // Alerts get a line each under the node's name (Topology.svelte draws them so).
    const alerts = lines.filter((l) => l.startsWith('not answering') || l.startsWith('reading the node'));
    const header = lines.filter((l) => !alerts.includes(l));
    const top = HEADER_H + alerts.length * ALERT_H;
    const minWidth = Math.ceil(Math.max(360, headerWidth(spec.name, header), ...alerts.map(alertWidth)));
    const nodeId = `node:${spec.name}`;
    scene.add(
      { id: nodeId, kind: 'node', x: 0, y: 0, w: 0, h: 0, title: spec.name, lines, tags, node: spec.name },
      'root',
      { padding: [top, PAD, PAD, PAD], minWidth, minHeight: top + (view ? PAD : 2 * LINE_H) },
    );
    if (view) addNodeInsides(scene, view);
    // The node's NIC on the switch: to eth0's chip when it is drawn, else to the node's edge.
    const eth0 = linkId(spec.name, '', 'eth0');
    const to = scene.has(eth0) ? eth0 : nodeId;
    const down = to === eth0 ? scene.boxes.get(eth0)!.tags.includes('down') : undefined;
    if (scene.has(`segment:${spec.segment}`)) {
      scene.connect({ id: `segment:${spec.segment}:${spec.name}`, kind: 'segment', from: `segment:${spec.segment}`, to, ...(down === undefined ? {} : { down }) });
    }
  }
  return scene;
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * Hands on the results of work started one after another, but only those newer than the last one
 * handed on: layouts may end out of order (one answered from the cache passes one being computed),
 * and an older picture must not be drawn over a newer one.
 */
export function newestOnly<T>(use: (value: T) => void, onError: (error: unknown) => void): (work: Promise<T>) => void {
  let started = 0;
  let used = 0;
  return (work) => {
    const seq = ++started;
    work.then((value) => {
      if (seq < used) return;
      used = seq;
      use(value);
    }, onError);
  };
}

/** Per engine, laid-out graphs by their input, so a look that changed nothing costs no layout. */
const placedBy = new WeakMap<LayoutEngine, Map<string, Promise<ElkNode>>>();
const PLACED_KEPT = 8;

function place(engine: LayoutEngine, graph: ElkNode): Promise<ElkNode> {
  let placed = placedBy.get(engine);
  if (!placed) placedBy.set(engine, placed = new Map());
  const key = JSON.stringify(graph);
  let result = placed.get(key);
  if (!result) {
    result = engine.layout(graph, ABSOLUTE);
    placed.set(key, result);
    result.catch(() => placed.delete(key));
    if (placed.size > PLACED_KEPT) placed.delete(placed.keys().next().value!);
  }
  return result;
}

/**
 * The whole picture: the router, its switches, and every node on its switch, each drawn from its
 * latest facts; placed by elkjs. A node without facts yet (or that stopped answering before it
 * ever did) is an empty box saying so.
 */
export async function layoutTopology(topology: TopologyInput, states: Record<string, NodeState>, options: LayoutOptions): Promise<TopologyModel> {
  const scene = buildScene(topology, states, options.showAll ?? false);
  if (options.unlessSameAs && contentOfPicture(options.unlessSameAs) === contentOfScene(scene)) return options.unlessSameAs;
  const laid = await place(options.engine, scene.root);

  const boxes: Box[] = [];
  eachBox(scene, laid, (box, elk) => boxes.push({ ...box, x: round(elk.x ?? 0), y: round(elk.y ?? 0), w: round(elk.width ?? box.w), h: round(elk.height ?? box.h) }));

  const routes = new Map<string, [number, number][]>();
  const collect = (elk: ElkNode) => {
    for (const edge of (elk.edges ?? []) as ElkExtendedEdge[]) {
      const points: [number, number][] = [];
      for (const section of edge.sections ?? []) {
        for (const p of [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]) {
          const last = points[points.length - 1];
          if (!last || last[0] !== round(p.x) || last[1] !== round(p.y)) points.push([round(p.x), round(p.y)]);
        }
      }
      routes.set(edge.id, points);
    }
    for (const child of elk.children ?? []) collect(child);
  };
  collect(laid);
  // A line laid out against the model's direction (underlays) is turned back, to run from `from` to `to`.
  const edges = scene.edges.map((edge) => {
    const points = routes.get(edge.id) ?? [];
    return { ...edge, points: scene.reversed.has(edge.id) ? points.reverse() : points };
  });
  return { width: round(laid.width ?? 0), height: round(laid.height ?? 0), boxes, edges };
}

/**
 * What a picture shows, without where: its boxes in the order the layout visits them and its
 * lines, all but their places. elkjs places the same graph the same way, so a scene with the
 * same content as a picture would be placed as that picture is.
 */
function contentOf(boxes: Iterable<Box>, edges: readonly Edge[]): string {
  // Field by field, in one order: a kept picture comes back from storage with its fields in the schema's order.
  return JSON.stringify([
    [...boxes].map((box) => [box.id, box.kind, box.title, box.lines, box.tags, box.node ?? null, box.pod ?? null]),
    edges.map((edge) => [edge.id, edge.kind, edge.from, edge.to, edge.down ?? null]),
  ]);
}

const contentOfPicture = (picture: TopologyModel) => contentOf(picture.boxes, picture.edges);

function contentOfScene(scene: Scene): string {
  const inLayoutOrder: Box[] = [];
  eachBox(scene, scene.root, (box) => inLayoutOrder.push(box));
  return contentOf(inLayoutOrder, scene.edges);
}

/** The scene's boxes in the order the layout visits them (depth first), each with its node of `tree` (the graph given to elkjs, or the one it placed). */
function eachBox(scene: Scene, tree: ElkNode, use: (box: Box, elk: ElkNode) => void): void {
  const box = scene.boxes.get(tree.id);
  if (box) use(box, tree);
  for (const child of tree.children ?? []) eachBox(scene, child, use);
}

// ---------------------------------------------------------------------------------------------
// The side panel

/** The panel's own words are words for the page to say (say()); what the node said (routes, links) is as it said it. */
export interface DetailSection {
  id: 'gone' | 'addresses' | 'routes' | 'neighbours' | 'links' | 'fdb' | 'errors';
  heading: Words;
  lines: WordValue[];
}

export interface Details {
  title: Words;
  sections: DetailSection[];
}

/** Addresses, routes and neighbours of one namespace ('' = the node); for the node also links, VXLAN FDB and errors. */
export function detailsFor(facts: NodeFacts, netns: string): Details {
  const ns = facts.netns.find((n) => n.name === netns);
  const title = netns === '' ? words('topology.details.node', { node: facts.node }) : words('topology.details.pod', { pod: netns, node: facts.node });
  if (!ns) return { title, sections: [{ id: 'gone', heading: words('topology.details.gone'), lines: [words('topology.details.goneLine', { node: facts.node, netns })] }] };
  const sections: DetailSection[] = [];
  sections.push({
    id: 'addresses',
    heading: words('topology.details.addresses'),
    lines: ns.addresses.filter((a) => !(a.family === 6 && /^fe80:/i.test(a.address)) && a.dev !== 'lo').map((a) => `${a.dev}  ${a.cidr}${a.peer ? ` peer ${a.peer}` : ''}`),
  });
  sections.push({
    id: 'routes',
    heading: words('topology.details.routes'),
    lines: ns.routes.filter((r) => r.table !== 'local' && (r.family === 4 || r.table === 'main' && !/^fe80:|^ff00:/i.test(r.destination)))
      .sort((a, b) => Number(a.family) - Number(b.family))
      .map(formatRoute),
  });
  const neighbours = ns.neighbours.filter((n) => n.family === 4);
  if (neighbours.length) {
    sections.push({ id: 'neighbours', heading: words('topology.details.neighbours'), lines: neighbours.map((n) => `${n.address} ${n.mac ? `lladdr ${n.mac}` : ''} dev ${n.dev} ${n.state.join(',')}`.replace(/\s+/g, ' ')) });
  }
  sections.push({
    id: 'links',
    heading: words('topology.details.links'),
    lines: ns.links.filter((l) => l.name !== 'lo').map((l) => `${l.name}  ${l.type} ${l.up ? l.state : 'down'} mtu ${l.mtu}${l.master ? ` master ${l.master}` : ''}${l.peer?.name ? ` peer ${l.peer.name}` : ''}`),
  });
  const vxlans = new Set(ns.links.filter((l) => l.type === 'vxlan').map((l) => l.name));
  const fdb = ns.fdb.filter((f) => vxlans.has(f.dev));
  if (vxlans.size) {
    sections.push({ id: 'fdb', heading: words('topology.details.fdb'), lines: fdb.length ? fdb.map((f) => `${f.mac} dev ${f.dev}${f.dst ? ` dst ${f.dst}` : ''}${f.vni !== undefined ? ` vni ${f.vni}` : ''} ${[...f.flags, f.state ?? ''].join(' ')}`.trim()) : [words('topology.details.fdbEmpty')] });
  }
  if (netns === '' && facts.errors.length) sections.push({ id: 'errors', heading: words('topology.details.errors'), lines: facts.errors });
  return { title, sections };
}

/** A kept look bigger than this is not kept: the quick first picture is not worth more of the page's storage. */
const KEPT_LOOK_MAX_CHARS = 512 * 1024;

/**
 * The nodes' last look, as `keepLook` stored it, for the nodes named. Storage is outside
 * data: anything not shaped like a look (facts with their lists, and a time) is dropped.
 */
export function readKeptLook(storage: Storage | undefined, key: string, nodes: readonly string[]): Record<string, NodeState> {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(key) ?? 'null');
    if (!parsed || typeof parsed !== 'object') return {};
    const kept: Record<string, NodeState> = {};
    for (const name of nodes) {
      const state = (parsed as Record<string, unknown>)[name] as NodeState | undefined;
      if (state && typeof state === 'object' && typeof state.at === 'number' && state.facts && typeof state.facts === 'object'
        && Array.isArray(state.facts.netns) && Array.isArray(state.facts.errors)) {
        kept[name] = { facts: state.facts, at: state.at };
      }
    }
    return kept;
  } catch {
    return {};
  }
}

/** Keep the nodes' facts and times (not their errors). A full storage only costs the quick first picture. */
export function keepLook(storage: Storage | undefined, key: string, states: Record<string, NodeState>): void {
  keepText(storage, key, JSON.stringify(Object.fromEntries(Object.entries(states).filter(([, state]) => state.facts).map(([name, state]) => [name, { facts: state.facts, at: state.at }]))));
}

/** Store what is small enough, and only when it changed (the view redraws every few seconds while shown). */
function keepText(storage: Storage | undefined, key: string, text: string): void {
  try { if (text.length <= KEPT_LOOK_MAX_CHARS && storage?.getItem(key) !== text) storage?.setItem(key, text); } catch { /* full */ }
}

// ---------------------------------------------------------------------------------------------
// The kept picture

/**
 * Storage is outside data: a kept picture is drawn only if it has the shape of one. Svelte
 * writes its strings as text, so a string can do no harm beyond a wrong label.
 */
const point = v.tuple([v.number(), v.number()]);
const keptPicture = v.object({
  /** The nodes it shows, in order: a picture of another set of nodes is not this lab's. */
  nodes: v.array(v.string()),
  model: v.object({
    width: v.number(),
    height: v.number(),
    boxes: v.array(v.object({
      id: v.string(),
      kind: v.picklist(['router', 'segment', 'node', 'pod', 'bridge', 'link']),
      x: v.number(), y: v.number(), w: v.number(), h: v.number(),
      title: v.string(),
      lines: v.array(v.string()),
      tags: v.array(v.string()),
      node: v.optional(v.string()),
      pod: v.optional(v.string()),
    })),
    edges: v.array(v.object({
      id: v.string(),
      kind: v.picklist(['router', 'segment', 'bridge', 'veth', 'underlay']),
      from: v.string(),
      to: v.string(),
      points: v.array(point),
      down: v.optional(v.boolean()),
    })),
  }),
});

/**
 * The picture last drawn from a look where every node answered, placed already: a lab opened
 * again shows it at once, with no layout to wait for (elkjs's worker takes seconds to start
 * while the nodes boot).
 */
export function readKeptPicture(storage: Storage | undefined, key: string, nodes: readonly string[]): TopologyModel | undefined {
  try {
    const parsed = v.safeParse(keptPicture, JSON.parse(storage?.getItem(key) ?? 'null'));
    if (!parsed.success || parsed.output.nodes.join('\n') !== nodes.join('\n')) return undefined;
    return parsed.output.model;
  } catch {
    return undefined;
  }
}

export function keepPicture(storage: Storage | undefined, key: string, nodes: readonly string[], model: TopologyModel): void {
  keepText(storage, key, JSON.stringify({ nodes, model }));
}
