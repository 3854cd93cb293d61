// The "Follow a packet" panel's pure half: a walk (harness/walk) in; the places on the
// topology picture each hop lights up, a hop's layers (the capture panel's decoders), and
// the downloads (JSON, and a pcapng with one interface per wire hop) out.
import type { PacketRecord } from '../net/capture.js';
import { writePcapng } from '../net/pcapng.js';
import { frameLayers, toRow, type LayerView } from './capture-model.js';
import type { Walk, WalkHop } from '../harness/walk.js';

export { walkJson } from '../harness/walk.js';

export type { Walk, WalkHop };

export const PROBES = ['icmp', 'tcp', 'dns'] as const;

/**
 * What a hop lights up on the topology picture (Topology.svelte's box and edge ids): its node,
 * and its pod for a hop inside one; for a wire hop, the link's line to its switch (a node's
 * link is named after the node; the router's are router-<segment>) and the device at each end.
 */
export function hopPlaces(hop: WalkHop, nodes: readonly string[]): string[] {
  if (hop.kind !== 'wire') return hop.netns ? [`node:${hop.node}`, `pod:${hop.node}:${hop.netns}`] : [`node:${hop.node}`];
  const link = hop.frame?.link ?? hop.node;
  if (nodes.includes(link)) return [`node:${link}`, `link-to:${link}`];
  const segment = /^router-(.+)$/.exec(link)?.[1];
  return segment ? ['router', `router:${segment}`, `segment:${segment}`] : [];
}

/** Whether a picture's edge belongs to a place: a node's line to its switch is `segment:<segment>:<node>`. */
export function edgeLit(edgeId: string, places: ReadonlySet<string>): boolean {
  if (places.has(edgeId)) return true;
  const node = /^segment:[^:]+:(.+)$/.exec(edgeId)?.[1];
  return node !== undefined && places.has(`link-to:${node}`);
}

/** The path: every place the walk crossed, in the order first crossed. */
export function pathPlaces(walk: Walk, nodes: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const hop of walk.hops) for (const place of hopPlaces(hop, nodes)) seen.add(place);
  return [...seen];
}

/** The wire hops, numbered in the walk: interface "hop 5 request node1" in the pcapng. */
export function hopFrames(walk: Walk): PacketRecord[] {
  return walk.hops.flatMap((hop, index): PacketRecord[] => {
    if (!hop.frame) return [];
    const { link, from, to, timestampMicros, bytes } = hop.frame;
    return [{ interfaceName: hopInterface(hop, index), timestampMicros, bytes, originalLength: bytes.length, comment: `${hop.direction}: ${link}, ${from} -> ${to}` }];
  });
}

export const hopInterface = (hop: WalkHop, index: number) => `hop ${index + 1} ${hop.direction} ${hop.frame?.link ?? hop.node}`;

/** The wire hops' frames as a pcapng: one interface per hop, each named after it. */
export function walkPcapng(walk: Walk): Uint8Array {
  const frames = hopFrames(walk);
  return writePcapng(frames, {
    interfaceNames: frames.map((frame) => frame.interfaceName),
    application: 'podwire walk',
    comment: `podwire walk: ${walk.probe} from ${walk.from.netns ? `${walk.from.node}/${walk.from.netns}` : walk.from.node} to ${walk.target}; ${walk.summary}`,
  });
}

/** A wire hop's frame, layer by layer (outer and inner apart for a tunnel), as the capture panel shows one. */
export function hopLayers(hop: WalkHop): { outer: LayerView[]; inner?: LayerView[]; tunnel?: string } | undefined {
  if (!hop.frame) return undefined;
  const { link, from, to, timestampMicros, bytes } = hop.frame;
  return frameLayers(toRow({ seq: 0, link, from, to, timestampMicros, bytes, interfaceName: link, originalLength: bytes.length }, 0));
}

/** A hop's headers in one line: "10.244.1.2:40000 → 10.96.0.20:80 TCP". */
export function hopHeaders(hop: WalkHop): string | undefined {
  const packet = hop.packet;
  if (!packet) return undefined;
  const end = (address: string, port?: number) => (port === undefined ? address : `${address}:${port}`);
  return `${end(packet.src, packet.sport)} → ${end(packet.dst, packet.dport)} ${packet.protocol.toUpperCase()}`;
}

/** A file name for a download: podwire-walk-<lab>-<time>.<extension>. */
export const walkFileName = (labId: string, extension: string) => `podwire-walk-${labId}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.${extension}`;
