// The topology view's pure half: live node facts in, boxes and edges with coordinates out.
// Topology.svelte only polls the nodes and draws what layoutTopology returns, so everything
// here runs (and is tested) without a DOM.
//
//   describeNode(facts)                       what is inside one node: devices, bridges, pods
//   layoutTopology(topology, nodeStates)      the whole picture: router, switches, nodes, lines
//   detailsFor(facts, netns)                  the side panel for a pod or a node
//   TOPOLOGY_SECTIONS                          the facts sections the view reads from a node
import type { LinkFact, NamespaceFacts, NodeFacts, RouteFact } from '../observe/facts-types.js';

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

/** A vertical lane of the node: a bridge port (a host veth) and the pod at its other end. */
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
  // A host veth gets a column (drawn under its bridge, above its pod) unless its peer is in the node namespace too.
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

const PAD = 14;
const GAP = 10;
const CHIP_W = 156;
const COL_W = 172;
const LINE_H = 14;
const HEADER_H = 34;
const MIN_NODE_W = 3 * COL_W + 2 * PAD;
const LEFT = 200;
const ROUTER_W = 160;
const BUS_X = 120;

const chipHeight = (lines: number) => 10 + LINE_H * (lines + 1);

function linkLines(link: LinkView): string[] {
  const lines = [...link.addresses.slice(0, 2)];
  if (link.addresses.length > 2) lines[1] += ` +${link.addresses.length - 2}`;
  lines.push(...link.details);
  if (!link.up) lines.push('down');
  else if (link.state === 'LOWERLAYERDOWN' || link.state === 'DOWN') lines.push(`up, ${link.state.toLowerCase()}`);
  if (link.type === 'veth' && link.peer && link.netns === '' && link.peer.netns === '') lines.push(`peer ${link.peer.ifname}`);
  return lines;
}

function linkBox(id: string, link: LinkView, x: number, y: number, w: number, node: string, pod?: string): Box {
  const lines = linkLines(link);
  const tags = [link.type];
  if (!link.up || link.state === 'DOWN' || link.state === 'LOWERLAYERDOWN') tags.push('down');
  return { id, kind: 'link', x, y, w, h: chipHeight(lines.length), title: `${link.name} · ${link.type}`, lines, tags, node, ...(pod ? { pod } : {}) };
}

const linkId = (node: string, netns: string, name: string) => `link:${node}:${netns}:${name}`;

/** Lays one node out at (x, y) with the given width; returns its boxes, edges and height. */
function layoutNode(view: NodeView, x: number, y: number, width: number): { boxes: Box[]; edges: Edge[]; height: number } {
  const node = view.node;
  const boxes: Box[] = [];
  const edges: Edge[] = [];
  const inner = width - 2 * PAD;
  let cursor = y + HEADER_H;

  // Devices, wrapped into rows.
  const perRow = Math.max(1, Math.floor((inner + GAP) / (CHIP_W + GAP)));
  for (let start = 0; start < view.devices.length; start += perRow) {
    const row = view.devices.slice(start, start + perRow).map((link, i) =>
      linkBox(linkId(node, '', link.name), link, x + PAD + i * (CHIP_W + GAP), cursor, CHIP_W, node));
    boxes.push(...row);
    cursor += Math.max(...row.map((b) => b.h)) + GAP;
  }

  // Bridges: one bar each, over the columns of its ports (or a chip when it has none).
  const colX = (i: number) => x + PAD + i * COL_W;
  if (view.bridges.length) cursor += 6;
  const bridgeFree: Box[] = [];
  let bridgeRowH = 0;
  for (const bridge of view.bridges) {
    const cols = view.columns.map((c, i) => (c.bridge === bridge.name ? i : -1)).filter((i) => i >= 0);
    const lines = [...bridge.addresses.slice(0, 1), ...(!bridge.up ? ['down'] : [])];
    const tags = ['bridge', ...(!bridge.up ? ['down'] : [])];
    const h = chipHeight(lines.length);
    let bx: number;
    let bw: number;
    if (cols.length) {
      bx = colX(cols[0]!);
      bw = (cols[cols.length - 1]! - cols[0]! + 1) * COL_W - (COL_W - CHIP_W);
    } else {
      // A bridge without veth ports sits after the columns.
      const slot = view.columns.length + bridgeFree.length;
      bx = colX(slot);
      bw = CHIP_W;
    }
    const box: Box = { id: `bridge:${node}:${bridge.name}`, kind: 'bridge', x: bx, y: cursor, w: bw, h, title: `${bridge.name} · bridge`, lines, tags, node };
    if (!cols.length) bridgeFree.push(box);
    boxes.push(box);
    bridgeRowH = Math.max(bridgeRowH, h);
  }
  const bridgeY = cursor;
  if (view.bridges.length) cursor += bridgeRowH + 22;

  // Host veths, one per column.
  const vethRowY = cursor;
  let vethRowH = 0;
  view.columns.forEach((column, i) => {
    if (!column.hostLink) return;
    const veth = view.hostVeths.find((v) => v.name === column.hostLink)!;
    const box = linkBox(linkId(node, '', veth.name), veth, colX(i), vethRowY, CHIP_W, node);
    boxes.push(box);
    vethRowH = Math.max(vethRowH, box.h);
  });
  if (vethRowH) cursor += vethRowH + 26;

  // Pods, one per column: the namespace and its interfaces.
  const podRowY = cursor;
  let podRowH = 0;
  view.columns.forEach((column, i) => {
    if (!column.pod) return;
    const pod = view.pods.find((p) => p.name === column.pod)!;
    const px = colX(i);
    const podW = CHIP_W;
    let py = podRowY + 24;
    const chips = pod.links.map((link) => {
      const chip = linkBox(linkId(node, pod.name, link.name), link, px + 6, py, podW - 12, node, pod.name);
      py += chip.h + 6;
      return chip;
    });
    // The footer is narrow: the gateway is what matters ("default via 10.244.1.1").
    const footer = pod.defaultRoute ? pod.defaultRoute.replace(/^(default via \S+) dev \S+/, '$1') : 'no default route';
    const h = py - podRowY + LINE_H + 6;
    boxes.push({
      id: `pod:${node}:${pod.name}`, kind: 'pod', x: px, y: podRowY, w: podW, h,
      title: pod.name, lines: [footer], tags: pod.defaultRoute ? [] : ['no-default'], node, pod: pod.name,
    });
    boxes.push(...chips);
    podRowH = Math.max(podRowH, h);
  });
  if (podRowH) cursor += podRowH;

  // Lines inside the node.
  const byId = new Map(boxes.map((b) => [b.id, b]));
  const bottomOf = (b: Box): [number, number] => [b.x + b.w / 2, b.y + b.h];
  const topOf = (b: Box): [number, number] => [b.x + b.w / 2, b.y];
  // Bridge membership: from the bar down to each port (a veth in its column, or any other enslaved device).
  for (const bridge of view.bridges) {
    const bar = byId.get(`bridge:${node}:${bridge.name}`)!;
    for (const port of bridge.ports) {
      const target = byId.get(linkId(node, '', port));
      if (!target) continue;
      const [tx] = topOf(target);
      const points: [number, number][] = target.y > bar.y
        ? [[tx, bar.y + bar.h], [tx, target.y]]
        : [[bar.x + 20, bar.y], [bar.x + 20, bridgeY - 3], [tx, bridgeY - 3], [tx, target.y + target.h]];
      edges.push({ id: `bridge:${node}:${bridge.name}:${port}`, kind: 'bridge', from: bar.id, to: target.id, points, down: target.tags.includes('down') });
    }
  }
  // Veth pairs: each pair once.
  const seen = new Set<string>();
  let detour = 0;
  const allLinks: LinkView[] = [...view.devices, ...view.hostVeths, ...view.pods.flatMap((p) => p.links)];
  for (const link of allLinks) {
    if (link.type !== 'veth' || !link.peer) continue;
    const a = linkId(node, link.netns, link.name);
    const b = linkId(node, link.peer.netns, link.peer.ifname);
    const key = [a, b].sort().join('|');
    if (seen.has(key)) continue;
    seen.add(key);
    const from = byId.get(a);
    const to = byId.get(b);
    if (!from || !to) continue;
    let points: [number, number][];
    if (to.y > from.y + from.h) points = [bottomOf(from), topOf(to)];
    else if (from.y > to.y + to.h) points = [bottomOf(to), topOf(from)];
    else if (Math.abs(from.y - to.y) < 4 && from.pod === undefined) {
      // Side by side in the device row.
      const [left, right] = from.x < to.x ? [from, to] : [to, from];
      points = [[left.x + left.w, left.y + left.h / 2], [right.x, right.y + right.h / 2]];
    } else {
      // Two pods' interfaces: go round under the pod row.
      const under = podRowY + podRowH + 8 + 6 * detour++;
      points = [bottomOf(from), [from.x + from.w / 2, under], [to.x + to.w / 2, under], bottomOf(to)];
      cursor = Math.max(cursor, under);
    }
    edges.push({ id: `veth:${key}`, kind: 'veth', from: from.id, to: to.id, points, down: from.tags.includes('down') || to.tags.includes('down') });
  }
  // Tunnels and VLANs sit on a device: a dashed line to it (eth0, usually).
  for (const link of view.devices) {
    const lower = link.lower;
    if (!lower) continue;
    const from = byId.get(linkId(node, '', link.name));
    const to = byId.get(linkId(node, '', lower));
    if (from && to) edges.push({ id: `underlay:${node}:${link.name}`, kind: 'underlay', from: from.id, to: to.id, points: [[from.x, from.y + from.h / 2], [to.x + to.w, to.y + to.h / 2]] });
  }
  return { boxes, edges, height: cursor - y + PAD };
}

function nodeWidth(view: NodeView | undefined): number {
  if (!view) return MIN_NODE_W;
  const slots = view.columns.length + view.bridges.filter((b) => !view.columns.some((c) => c.bridge === b.name)).length;
  return Math.max(MIN_NODE_W, slots * COL_W + 2 * PAD - (COL_W - CHIP_W));
}

/**
 * The whole picture, top to bottom: the router; then per segment its switch, with a bus line to
 * the nodes on it, each node drawn from its latest facts.
 */
export function layoutTopology(topology: TopologyInput, states: Record<string, NodeState>, options: { showAll?: boolean } = {}): TopologyModel {
  const boxes: Box[] = [];
  const edges: Edge[] = [];
  const views = new Map<string, NodeView>();
  for (const node of topology.nodes) {
    const facts = states[node.name]?.facts;
    if (facts) views.set(node.name, describeNode(facts, options));
  }
  const width = Math.max(...topology.nodes.map((n) => nodeWidth(views.get(n.name))), MIN_NODE_W);

  const router: Box = {
    id: 'router', kind: 'router', x: PAD, y: PAD, w: ROUTER_W, h: chipHeight(topology.segments.length),
    title: 'router', lines: topology.segments.map((s) => `${s.gateway} on ${s.name}`), tags: [],
  };
  boxes.push(router);
  let cursor = router.y + router.h + 24;

  for (const segment of topology.segments) {
    const sw: Box = {
      id: `segment:${segment.name}`, kind: 'segment', x: PAD + 20, y: cursor, w: ROUTER_W - 20, h: chipHeight(1),
      title: `switch ${segment.name}`, lines: [segment.subnet], tags: [],
    };
    boxes.push(sw);
    edges.push({ id: `router:${segment.name}`, kind: 'router', from: router.id, to: sw.id, points: [[PAD + 10, router.y + router.h], [PAD + 10, sw.y + sw.h / 2], [sw.x, sw.y + sw.h / 2]] });
    cursor = sw.y + sw.h + 16;
    const busTop = sw.y + sw.h;
    let busBottom = busTop;
    for (const spec of topology.nodes.filter((n) => n.segment === segment.name)) {
      const state = states[spec.name] ?? {};
      const view = views.get(spec.name);
      const y = cursor;
      const tags: string[] = [];
      const lines = [`eth0 ${spec.address}`];
      if (state.error) { tags.push('not-answering'); lines.push(`not answering: ${state.error.length > 110 ? `${state.error.slice(0, 110)}…` : state.error}`); }
      else if (!state.facts) { tags.push('loading'); lines.push('reading the node…'); }
      if (view?.hidden) lines.push(`${view.hidden} idle link${view.hidden === 1 ? '' : 's'} hidden`);
      // A node that stopped answering gets a line for why, under its name.
      const alert = state.error && view ? LINE_H + 4 : 0;
      const laid = view ? layoutNode(view, LEFT, y + alert, width) : { boxes: [], edges: [], height: HEADER_H + 2 * LINE_H + PAD };
      const inside = { ...laid, height: laid.height + alert };
      const nodeBox: Box = { id: `node:${spec.name}`, kind: 'node', x: LEFT, y, w: width, h: inside.height, title: spec.name, lines, tags, node: spec.name };
      boxes.push(nodeBox, ...inside.boxes);
      edges.push(...inside.edges);
      // The node's NIC on the switch: to eth0's chip when it is drawn, else to the node's edge.
      const eth0 = inside.boxes.find((b) => b.id === linkId(spec.name, '', 'eth0'));
      const ty = eth0 ? eth0.y + eth0.h / 2 : y + HEADER_H / 2;
      const tx = eth0 ? eth0.x : LEFT;
      edges.push({
        id: `segment:${segment.name}:${spec.name}`, kind: 'segment', from: sw.id, to: eth0?.id ?? nodeBox.id,
        points: [[BUS_X, busTop], [BUS_X, ty], [tx, ty]], down: eth0 ? eth0.tags.includes('down') : undefined,
      });
      busBottom = Math.max(busBottom, ty);
      cursor = y + inside.height + 18;
    }
    cursor += 10;
  }
  return { width: LEFT + width + PAD, height: cursor, boxes, edges };
}

// ---------------------------------------------------------------------------------------------
// The side panel

export interface DetailSection {
  heading: string;
  lines: string[];
}

export interface Details {
  title: string;
  sections: DetailSection[];
}

/** Addresses, routes and neighbours of one namespace ('' = the node); for the node also links, VXLAN FDB and errors. */
export function detailsFor(facts: NodeFacts, netns: string): Details {
  const ns = facts.netns.find((n) => n.name === netns);
  const title = netns === '' ? `node ${facts.node}` : `pod ${netns} on ${facts.node}`;
  if (!ns) return { title, sections: [{ heading: 'Gone', lines: [`${facts.node} has no network namespace '${netns}' any more`] }] };
  const sections: DetailSection[] = [];
  sections.push({
    heading: 'Addresses',
    lines: ns.addresses.filter((a) => !(a.family === 6 && /^fe80:/i.test(a.address)) && a.dev !== 'lo').map((a) => `${a.dev}  ${a.cidr}${a.peer ? ` peer ${a.peer}` : ''}`),
  });
  sections.push({
    heading: 'Routes',
    lines: ns.routes.filter((r) => r.table !== 'local' && (r.family === 4 || r.table === 'main' && !/^fe80:|^ff00:/i.test(r.destination)))
      .sort((a, b) => Number(a.family) - Number(b.family))
      .map(formatRoute),
  });
  const neighbours = ns.neighbours.filter((n) => n.family === 4);
  if (neighbours.length) {
    sections.push({ heading: 'Neighbours', lines: neighbours.map((n) => `${n.address} ${n.mac ? `lladdr ${n.mac}` : ''} dev ${n.dev} ${n.state.join(',')}`.replace(/\s+/g, ' ')) });
  }
  sections.push({
    heading: 'Links',
    lines: ns.links.filter((l) => l.name !== 'lo').map((l) => `${l.name}  ${l.type} ${l.up ? l.state : 'down'} mtu ${l.mtu}${l.master ? ` master ${l.master}` : ''}${l.peer?.name ? ` peer ${l.peer.name}` : ''}`),
  });
  const vxlans = new Set(ns.links.filter((l) => l.type === 'vxlan').map((l) => l.name));
  const fdb = ns.fdb.filter((f) => vxlans.has(f.dev));
  if (vxlans.size) {
    sections.push({ heading: 'VXLAN FDB', lines: fdb.length ? fdb.map((f) => `${f.mac} dev ${f.dev}${f.dst ? ` dst ${f.dst}` : ''}${f.vni !== undefined ? ` vni ${f.vni}` : ''} ${[...f.flags, f.state ?? ''].join(' ')}`.trim()) : ['(empty: the device does not know where any MAC lives)'] });
  }
  if (netns === '' && facts.errors.length) sections.push({ heading: 'Could not read', lines: facts.errors });
  return { title, sections };
}
