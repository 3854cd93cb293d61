// The capture panel's pure half: captured frames in, table rows, filters, layer panes, a hex
// dump and "follow this packet" out. Capture.svelte polls the lab's captures by cursor
// (only the frames new since the last poll) and renders what these return.
import type { CaptureCursor, CapturedFrame, PacketRecord } from '../net/capture.js';
import { decodeFrame, findLayers, layerFields, matchesFilter, type DecodedFrame, type DecodedLayer, type FrameFilter } from '../net/decode/index.js';
import { words, type Words } from './i18n/words.js';

/** Frames kept in the panel (all links together); older ones drop off the top. */
export const MAX_ROWS = 2000;

export const PROTOCOLS = ['arp', 'icmp', 'tcp', 'udp', 'dns', 'vxlan'] as const;

export interface Endpoints {
  src: string;
  dst: string;
  /** Upper-case name of the innermost meaningful layer: ICMP, TCP, DNS, ARP, ... */
  protocol: string;
  summary: string;
}

export interface CaptureRow extends Endpoints {
  /** Increasing, unique per panel: the row's key. */
  seq: number;
  frame: PacketRecord;
  decoded: DecodedFrame;
  time: number;
  link: string;
  /** The device that sent it into the link and the one it went to, when known. */
  from?: string;
  to?: string;
  /** The same, to show: "node1:eth0 -> node1". */
  direction?: string;
  /** For a tunnelled frame: the outer packet, and the tunnel. */
  outer?: { src: string; dst: string; tunnel: string };
  vni?: number;
}

const PROTOCOL_LABELS: Partial<Record<string, string>> = { ipv4: 'IPv4', ipv6: 'IPv6', icmpv6: 'ICMPv6', ethernet: 'Ethernet' };
const label = (protocol: string) => PROTOCOL_LABELS[protocol] ?? protocol.toUpperCase();

/** Source, destination, protocol and summary of a stack of layers (outermost first). */
export function endpointsOf(layers: readonly DecodedLayer[]): Endpoints {
  let src = '';
  let dst = '';
  for (const layer of layers) {
    if (layer.protocol === 'ethernet' || layer.protocol === 'ipv4' || layer.protocol === 'ipv6') { src = layer.source; dst = layer.destination; }
    if (layer.protocol === 'arp') { src = layer.senderIp; dst = layer.targetIp; }
  }
  const meaningful = layers.filter((l) => l.protocol !== 'data' && l.protocol !== 'malformed');
  const last = meaningful[meaningful.length - 1];
  const broken = layers.find((l) => l.protocol === 'malformed');
  let summary = last?.summary ?? layers[0]?.summary ?? 'empty';
  if (broken) summary += ` [${broken.summary}]`;
  return { src, dst, protocol: last ? label(last.protocol) : 'DATA', summary };
}

/** Where a frame splits into outer and inner stacks: just after its first VXLAN header (or IP-in-IP). */
export function splitTunnel(decoded: DecodedFrame): { outer: readonly DecodedLayer[]; inner: readonly DecodedLayer[]; tunnel: string } | undefined {
  const layers = decoded.layers;
  const vxlan = layers.findIndex((l) => l.protocol === 'vxlan');
  if (vxlan >= 0) {
    const layer = layers[vxlan]!;
    return { outer: layers.slice(0, vxlan + 1), inner: layers.slice(vxlan + 1), tunnel: layer.protocol === 'vxlan' ? `VXLAN VNI ${layer.vni}` : 'VXLAN' };
  }
  const ipip = layers.findIndex((l, i) => l.protocol === 'ipv4' && l.ipProtocol === 4 && layers[i + 1]?.protocol === 'ipv4');
  if (ipip >= 0) return { outer: layers.slice(0, ipip + 1), inner: layers.slice(ipip + 1), tunnel: 'IP-in-IP' };
  return undefined;
}

/** Where a frame went: a captured frame says so as data; a frame read from a file may say it in its comment. */
function directionOf(frame: PacketRecord | CapturedFrame): { from: string; to: string } | undefined {
  if ('from' in frame) return { from: frame.from, to: frame.to };
  const [from, to, ...rest] = frame.comment?.split(' -> ') ?? [];
  return from && to && !rest.length ? { from, to } : undefined;
}

export function toRow(frame: PacketRecord | CapturedFrame, seq: number): CaptureRow {
  const decoded = decodeFrame(frame.bytes);
  const link = 'link' in frame ? frame.link : frame.interfaceName;
  const row: CaptureRow = { seq, frame, decoded, time: frame.timestampMicros, link, ...endpointsOf(decoded.layers) };
  const direction = directionOf(frame);
  if (direction) Object.assign(row, direction, { direction: `${direction.from} -> ${direction.to}` });
  const split = splitTunnel(decoded);
  if (split && split.inner.length) {
    const outer = endpointsOf(split.outer);
    row.outer = { src: outer.src, dst: outer.dst, tunnel: split.tunnel };
  }
  const vni = findLayers(decoded, 'vxlan')[0]?.vni;
  if (vni !== undefined) row.vni = vni;
  return row;
}

export interface RowFilter {
  /** 'all' or one link's name. */
  link?: string;
  /** An IP (matches inner or outer), a MAC or a CIDR. */
  host?: string;
  /** '' for any, else one of PROTOCOLS (or any name matchesFilter knows). */
  protocol?: string;
  /** Text as typed; '' for any. */
  vni?: string;
}

/** Whether the filter's text fields make sense, e.g. a VNI that is not a number: words for the page to say. */
export function filterProblem(filter: RowFilter): Words | undefined {
  const vni = filter.vni?.trim() ?? '';
  if (vni !== '' && !/^\d+$/.test(vni)) return words('capture.vniNotNumber', { vni });
  return undefined;
}

export function rowMatches(row: CaptureRow, filter: RowFilter): boolean {
  if (filter.link && filter.link !== 'all' && row.link !== filter.link) return false;
  const frameFilter: FrameFilter = {};
  if (filter.host?.trim()) frameFilter.host = filter.host.trim();
  if (filter.protocol?.trim()) frameFilter.protocol = filter.protocol.trim();
  const vni = filter.vni?.trim() ?? '';
  if (vni !== '') {
    if (!/^\d+$/.test(vni)) return false;
    frameFilter.vni = Number(vni);
  }
  return matchesFilter(row.decoded, frameFilter);
}

export function filterRows(rows: readonly CaptureRow[], filter: RowFilter): CaptureRow[] {
  return rows.filter((row) => rowMatches(row, filter));
}

/**
 * Wire order. Frames that cross several links in one go can share a timestamp (the browser's
 * clock is coarse), so ties go to the one with the higher outer TTL (before a router), then to
 * the one on its way from a device into the wire (from node1:eth0 to node1) before one on
 * its way out of it (from node1 to node1:eth0).
 */
export function compareRows(a: CaptureRow, b: CaptureRow): number {
  return a.time - b.time || outerTtl(b) - outerTtl(a) || directionRank(a) - directionRank(b) || a.seq - b.seq;
}

function outerTtl(row: CaptureRow): number {
  return findLayers(row.decoded, 'ipv4')[0]?.ttl ?? 0;
}

function directionRank(row: CaptureRow): number {
  if (row.from === undefined || row.to === undefined || row.from === row.to) return 1;
  return row.from === row.link ? 2 : 0;
}

/** Seconds since `base`, with milliseconds: 12.345 */
export function formatTime(micros: number, base: number): string {
  return ((micros - base) / 1e6).toFixed(3);
}

/** What the panel reads captures from: the lab run (or a cluster), by cursor. */
export interface CaptureSource {
  framesSince(cursor: CaptureCursor): CapturedFrame[];
}

/**
 * Reads captures incrementally: each poll asks only for the frames after its cursor, turns them
 * into rows merged across links in wire order, and keeps the newest MAX_ROWS.
 */
export class CaptureCollector {
  rows: CaptureRow[] = [];
  private seq = 0;
  private cursor: CaptureCursor = {};
  /** Frames at or before this time are ignored (set by clear). */
  private since = -Infinity;

  constructor(readonly maxRows = MAX_ROWS) {}

  /** Adds what was captured since the last poll; true when there is something new. */
  poll(source: CaptureSource): boolean {
    const captured = source.framesSince(this.cursor);
    for (const frame of captured) this.cursor[frame.link] = Math.max(this.cursor[frame.link] ?? 0, frame.seq);
    const fresh = captured.filter((f) => f.timestampMicros > this.since);
    if (!fresh.length) return false;
    const rows = fresh.slice(-this.maxRows).map((frame) => toRow(frame, this.seq++)).sort(compareRows);
    const merged = this.rows.length && rows[0]!.time <= this.rows[this.rows.length - 1]!.time
      ? [...this.rows, ...rows].sort(compareRows)
      : [...this.rows, ...rows];
    this.rows = merged.slice(-this.maxRows);
    return true;
  }

  /** Forget the rows; frames captured until now will not come back. */
  clear(now: number): void {
    this.rows = [];
    this.since = now;
  }
}

// ---------------------------------------------------------------------------------------------
// The detail pane

export interface LayerView {
  protocol: string;
  summary: string;
  offset: number;
  headerLength: number;
  fields: [string, string][];
}

const FIELD_NAMES: Record<string, string> = { ipProtocol: 'protocol', ipProtocolName: 'protocol name', vniValid: 'VNI valid', vni: 'VNI' };
const fieldName = (key: string) => FIELD_NAMES[key] ?? key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

function fieldValue(key: string, value: string): string {
  if (/^(checksum|flags)$/.test(key) && /^\d+$/.test(value)) return `0x${Number(value).toString(16).padStart(4, '0')}`;
  if (key === 'etherType' && /^\d+$/.test(value)) return `0x${Number(value).toString(16).padStart(4, '0')}`;
  return value;
}

export function layerView(layer: DecodedLayer): LayerView {
  const fields = layerFields(layer)
    .filter(([key]) => key !== 'flags' || layer.protocol !== 'tcp')
    .map(([key, value]): [string, string] => [fieldName(key), fieldValue(key, value)]);
  return { protocol: label(layer.protocol), summary: layer.summary, offset: layer.offset, headerLength: layer.headerLength, fields };
}

/** The selected frame's layers, split into outer and inner stacks when tunnelled. */
export function frameLayers(row: CaptureRow): { outer: LayerView[]; inner?: LayerView[]; tunnel?: string } {
  const split = splitTunnel(row.decoded);
  if (split && split.inner.length) return { outer: split.outer.map(layerView), inner: split.inner.map(layerView), tunnel: split.tunnel };
  return { outer: row.decoded.layers.map(layerView) };
}

export interface HexLine {
  offset: string;
  /** 16 bytes (fewer on the last line), each with its absolute index. */
  bytes: { index: number; hex: string; ascii: string }[];
}

export function hexDump(bytes: Uint8Array, limit = 4096): HexLine[] {
  const lines: HexLine[] = [];
  const end = Math.min(bytes.length, limit);
  for (let at = 0; at < end; at += 16) {
    const line: HexLine = { offset: at.toString(16).padStart(4, '0'), bytes: [] };
    for (let i = at; i < Math.min(at + 16, end); i++) {
      const b = bytes[i]!;
      line.bytes.push({ index: i, hex: b.toString(16).padStart(2, '0'), ascii: b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.' });
    }
    lines.push(line);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Follow this packet

/** Ways to recognise one packet on another link: its innermost IPv4 header, and its ICMP echo id/seq. */
export function packetKeys(row: CaptureRow): string[] {
  const keys: string[] = [];
  const ips = findLayers(row.decoded, 'ipv4');
  const ip = ips[ips.length - 1];
  if (ip) {
    const tcp = findLayers(row.decoded, 'tcp').at(-1);
    const udp = findLayers(row.decoded, 'udp').at(-1);
    const extra = tcp && ip.identification === 0 ? `:tcp:${tcp.sourcePort}>${tcp.destinationPort}:${tcp.sequence}:${tcp.acknowledgment}` : '';
    if (ip.identification !== 0 || extra) keys.push(`ip:${ip.source}>${ip.destination}#${ip.identification}:${ip.ipProtocol}${extra}`);
    else if (udp) keys.push(`ip:${ip.source}>${ip.destination}#0:udp:${udp.sourcePort}>${udp.destinationPort}:${udp.length}`);
  }
  const icmp = findLayers(row.decoded, 'icmp').at(-1);
  if (icmp && icmp.identifier !== undefined) keys.push(`icmp:${icmp.type}:${icmp.identifier}:${icmp.sequence}`);
  return keys;
}

export interface Hop {
  row: CaptureRow;
  /** e.g. "VXLAN VNI 1 outer 10.0.0.11 → 10.0.0.12, inner 10.244.1.2 → 10.244.2.2 ICMP" */
  description: string;
}

export function describeHop(row: CaptureRow): string {
  const inner = `${row.src} → ${row.dst} ${row.protocol}`;
  return row.outer ? `${row.outer.tunnel} outer ${row.outer.src} → ${row.outer.dst}, inner ${inner}` : inner;
}

/** The same packet on every link, in time order (the selected row included). */
export function followPacket(rows: readonly CaptureRow[], selected: CaptureRow, windowMicros = 5_000_000): Hop[] {
  const wanted = new Set(packetKeys(selected));
  if (!wanted.size) return [];
  return rows
    .filter((row) => Math.abs(row.time - selected.time) <= windowMicros && (row === selected || packetKeys(row).some((k) => wanted.has(k))))
    .sort(compareRows)
    .map((row) => ({ row, description: describeHop(row) }));
}
