// pcapng writer (and a small reader) so captures open in Wireshark/tshark.
// Layout: Section Header Block (with a comment on how to read the file), one Interface
// Description Block per capture interface (linktype 1 = Ethernet, if_name, if_tsresol = 6
// i.e. microseconds), then Enhanced Packet Blocks. One packet seen on several links (the
// sender's, the receiver's, the router's) gets one epb_packetid on each of its frames and a
// comment naming the first. Spec: draft-ietf-opsawg-pcapng. We always write little-endian;
// the reader accepts both orders.

import type { CapturedFrame, PacketRecord } from './capture.js';
import { decodeFrame, findLayers, type DecodedFrame } from './decode/index.js';
import { utf8Decode, utf8Encode } from './host.js';

const BLOCK_SECTION_HEADER = 0x0a0d0d0a;
const BLOCK_INTERFACE_DESCRIPTION = 0x00000001;
const BLOCK_SIMPLE_PACKET = 0x00000003;
const BLOCK_ENHANCED_PACKET = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const LINKTYPE_ETHERNET = 1;

const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_USER_APPLICATION = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const EPB_PACKETID = 5;

/** VXLAN's IANA port, the only one Wireshark decodes as VXLAN by itself. */
const VXLAN_IANA_PORT = 4789;
/** Frames of one packet on several links arrive within this time (link latency included). */
const SAME_PACKET_WINDOW_MICROS = 1_000_000;

const TSRESOL_MICROSECONDS = 6;

export interface PcapngWriteOptions {
  /** Recorded as shb_userappl. */
  application?: string;
  /** Interfaces to declare up front, in this order, even if they captured nothing. */
  interfaceNames?: readonly string[];
  snapLength?: number;
  /** Write only this link's frames (and declare only this interface). */
  link?: string;
  /** Said first in the section's comment, before how to read the file. */
  comment?: string;
  /** Give one packet seen on several links one packet id and a comment (default true). */
  markSamePacket?: boolean;
}

interface PcapOption {
  code: number;
  value: Uint8Array;
}

const padded4 = (n: number): number => (n + 3) & ~3;

function optionsLength(options: readonly PcapOption[]): number {
  if (options.length === 0) return 0;
  return options.reduce((sum, o) => sum + 4 + padded4(o.value.length), 0) + 4;
}

/** Grows a little-endian byte buffer block by block. */
class BlockWriter {
  private buffer = new Uint8Array(4096);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const next = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  block(type: number, bodyLength: number, writeBody: () => void): void {
    const total = 12 + padded4(bodyLength);
    this.reserve(total);
    const start = this.length;
    this.u32(type);
    this.u32(total);
    writeBody();
    this.length = start + total - 4;
    this.u32(total);
  }

  u16(value: number): void {
    this.view.setUint16(this.length, value, true);
    this.length += 2;
  }

  u32(value: number): void {
    this.view.setUint32(this.length, value >>> 0, true);
    this.length += 4;
  }

  bytes(value: Uint8Array): void {
    this.buffer.set(value, this.length);
    this.length += value.length;
    this.padTo4();
  }

  padTo4(): void {
    while (this.length % 4 !== 0) this.buffer[this.length++] = 0;
  }

  options(options: readonly PcapOption[]): void {
    if (options.length === 0) return;
    for (const option of options) {
      this.u16(option.code);
      this.u16(option.value.length);
      this.bytes(option.value);
    }
    this.u16(OPT_END);
    this.u16(0);
  }

  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the file in Wireshark: VXLAN on other ports, and one packet on several links

/**
 * UDP ports that carry VXLAN in these frames, other than 4789: Wireshark decodes only
 * 4789 as VXLAN unless told. flannel and the Linux default use 8472.
 */
export function vxlanPortsToDecode(frames: Iterable<DecodedFrame>): number[] {
  const ports = new Set<number>();
  for (const frame of frames) {
    const vxlanAt = frame.layers.findIndex((layer) => layer.protocol === 'vxlan');
    const udp = vxlanAt > 0 ? frame.layers[vxlanAt - 1] : undefined;
    if (udp?.protocol !== 'udp') continue;
    const port = udp.destinationPort === VXLAN_IANA_PORT || udp.sourcePort === VXLAN_IANA_PORT ? VXLAN_IANA_PORT : udp.destinationPort;
    if (port !== VXLAN_IANA_PORT) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** The tshark command that reads `file` with VXLAN decoded on `ports`, e.g. `tshark -d udp.port==8472,vxlan -r f.pcapng`. */
export function tsharkCommand(file: string, ports: readonly number[]): string {
  return ['tshark', ...ports.map((port) => `-d udp.port==${port},vxlan`), '-r', file].join(' ');
}

/** What the section comment tells a reader of the file. */
export function readingNotes(ports: readonly number[], options: { repeats: boolean; file?: string }): string {
  const file = options.file ?? 'FILE';
  const notes: string[] = [];
  if (ports.length) {
    notes.push(
      `VXLAN runs on UDP port ${ports.join(', ')} here (flannel's port, the Linux default); Wireshark decodes only port ${VXLAN_IANA_PORT} as VXLAN by itself. ` +
      `Read it with: ${tsharkCommand(file, ports)}  (in Wireshark: Analyze > Decode As..., UDP port ${ports[0]}, VXLAN).`,
    );
  }
  if (options.repeats) notes.push('A packet seen on several links (the sender\'s, the receiver\'s, the router\'s) has one frame per link; those frames share a packet id (frame.packet_id) and say which frame they repeat (frame.comment).');
  return notes.join('\n');
}

/** What stays the same while a packet crosses a switch or a router: from the IP header on, less TTL (hop limit) and header checksum; other frames whole. */
function samePacketKey(bytes: Uint8Array): string {
  let at = 12;
  while (at + 4 <= bytes.length && bytes[at] === 0x81 && bytes[at + 1] === 0x00) at += 4; // 802.1Q tags
  const etherType = at + 2 <= bytes.length ? (bytes[at]! << 8) | bytes[at + 1]! : -1;
  const ip = at + 2;
  let key = bytes;
  if (etherType === 0x0800 && bytes.length >= ip + 20) {
    key = bytes.slice(ip);
    key[8] = 0; // TTL
    key[10] = 0; // header checksum
    key[11] = 0;
  } else if (etherType === 0x86dd && bytes.length >= ip + 40) {
    key = bytes.slice(ip);
    key[7] = 0; // hop limit
  }
  let text = '';
  for (let i = 0; i < key.length; i += 4096) text += String.fromCharCode(...key.subarray(i, i + 4096));
  return text;
}

interface SamePacket {
  /** 1-based frame numbers in the file (tshark's frame.number), first seen first. */
  readonly frames: number[];
  readonly links: Set<string>;
  readonly firstSeenMicros: number;
}

/**
 * Group the frames that are one packet seen on several links: the same key, on another
 * link, soon after. A second identical frame on a link already in the group is a new
 * packet (an ARP request sent again, a retransmission).
 */
function samePackets(frames: readonly PacketRecord[]): (SamePacket | undefined)[] {
  const open = new Map<string, SamePacket>();
  return frames.map((frame, index) => {
    const key = samePacketKey(frame.bytes);
    const group = open.get(key);
    if (group && !group.links.has(frame.interfaceName) && Math.abs(frame.timestampMicros - group.firstSeenMicros) <= SAME_PACKET_WINDOW_MICROS) {
      group.frames.push(index + 1);
      group.links.add(frame.interfaceName);
      return group;
    }
    const fresh: SamePacket = { frames: [index + 1], links: new Set([frame.interfaceName]), firstSeenMicros: frame.timestampMicros };
    open.set(key, fresh);
    return fresh;
  }).map((group) => (group && group.frames.length > 1 ? group : undefined));
}

function u64(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value), true);
  return bytes;
}

export function writePcapng(frames: Iterable<PacketRecord | CapturedFrame>, options: PcapngWriteOptions = {}): Uint8Array {
  const snapLength = options.snapLength ?? 262_144;
  const interfaceIds = new Map<string, number>();
  const declared = options.link === undefined ? options.interfaceNames ?? [] : [options.link];
  for (const name of declared) if (!interfaceIds.has(name)) interfaceIds.set(name, interfaceIds.size);
  const frameList = [...frames].filter((frame) => options.link === undefined || frame.interfaceName === options.link);
  for (const frame of frameList) {
    if (!interfaceIds.has(frame.interfaceName)) interfaceIds.set(frame.interfaceName, interfaceIds.size);
  }
  const groups = options.markSamePacket === false ? [] : samePackets(frameList);
  const ports = vxlanPortsToDecode(frameList.map((frame) => decodeFrame(frame.bytes)));
  const sectionComment = [options.comment, readingNotes(ports, { repeats: groups.some(Boolean) })].filter(Boolean).join('\n');

  const out = new BlockWriter();
  const sectionOptions: PcapOption[] = [
    { code: OPT_COMMENT, value: utf8Encode(sectionComment) },
    { code: SHB_USER_APPLICATION, value: utf8Encode(options.application ?? 'podwire') },
  ];
  out.block(BLOCK_SECTION_HEADER, 16 + optionsLength(sectionOptions), () => {
    out.u32(BYTE_ORDER_MAGIC);
    out.u16(1); // major version
    out.u16(0); // minor version
    out.u32(0xffffffff); // section length unknown (-1), as streaming writers do
    out.u32(0xffffffff);
    out.options(sectionOptions);
  });

  for (const name of interfaceIds.keys()) {
    const interfaceOptions: PcapOption[] = [
      { code: IF_NAME, value: utf8Encode(name) },
      { code: IF_TSRESOL, value: Uint8Array.of(TSRESOL_MICROSECONDS) },
    ];
    out.block(BLOCK_INTERFACE_DESCRIPTION, 8 + optionsLength(interfaceOptions), () => {
      out.u16(LINKTYPE_ETHERNET);
      out.u16(0); // reserved
      out.u32(snapLength);
      out.options(interfaceOptions);
    });
  }

  frameList.forEach((frame, index) => {
    const group = groups[index];
    // A captured frame's direction becomes part of the comment Wireshark shows.
    const direction = 'from' in frame ? `${frame.from} -> ${frame.to}` : undefined;
    const comment = [frame.comment ?? direction, group && sameFrameNote(group, index + 1, frameList)].filter(Boolean).join('; ');
    const packetOptions: PcapOption[] = [
      ...(comment ? [{ code: OPT_COMMENT, value: utf8Encode(comment) }] : []),
      ...(group ? [{ code: EPB_PACKETID, value: u64(group.frames[0]!) }] : []),
    ];
    const micros = Math.max(0, Math.floor(frame.timestampMicros));
    out.block(BLOCK_ENHANCED_PACKET, 20 + padded4(frame.bytes.length) + optionsLength(packetOptions), () => {
      out.u32(interfaceIds.get(frame.interfaceName) ?? 0);
      out.u32(Math.floor(micros / 0x1_0000_0000));
      out.u32(micros % 0x1_0000_0000);
      out.u32(frame.bytes.length);
      out.u32(Math.max(frame.originalLength, frame.bytes.length));
      out.bytes(frame.bytes);
      out.options(packetOptions);
    });
  });
  return out.result();
}

/** "same packet as #3 (node1)" on a repeat; "seen again as #5 (node2)" on the first. */
function sameFrameNote(group: SamePacket, number: number, frames: readonly PacketRecord[]): string {
  const first = group.frames[0]!;
  const named = (n: number) => `#${n} (${frames[n - 1]!.interfaceName})`;
  if (number !== first) return `same packet as ${named(first)}`;
  return `seen again as ${group.frames.slice(1).map(named).join(', ')}`;
}

export interface CaptureFileInterface {
  readonly name: string;
  readonly linkType: number;
  readonly snapLength: number;
}

export interface CaptureFile {
  readonly interfaces: CaptureFileInterface[];
  readonly frames: PacketRecord[];
  readonly application?: string;
  /** The file ended inside a block; frames before that point are still returned. */
  readonly truncated: boolean;
}

interface ReaderInterface extends CaptureFileInterface {
  /** Timestamp units per second, from if_tsresol. */
  readonly unitsPerSecond: bigint;
}

/** Reads pcapng (e.g. test fixtures, or a capture saved from the UI). Throws if it is not pcapng at all. */
export function readPcapng(file: Uint8Array): CaptureFile {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 28 || view.getUint32(0, true) !== BLOCK_SECTION_HEADER) {
    throw new Error('not a pcapng file (no Section Header Block)');
  }
  let littleEndian = true;
  let interfaces: ReaderInterface[] = [];
  const allInterfaces: ReaderInterface[] = [];
  const frames: PacketRecord[] = [];
  let application: string | undefined;
  let offset = 0;
  let truncated = false;

  const u16 = (at: number): number => view.getUint16(at, littleEndian);
  const u32 = (at: number): number => view.getUint32(at, littleEndian);

  /** Option list between start and end; calls visit(code, valueStart, valueLength). */
  const readOptions = (start: number, end: number, visit: (code: number, at: number, length: number) => void): void => {
    let at = start;
    while (at + 4 <= end) {
      const code = u16(at);
      const length = u16(at + 2);
      if (code === OPT_END || at + 4 + length > end) return;
      visit(code, at + 4, length);
      at += 4 + padded4(length);
    }
  };

  while (offset + 12 <= file.length) {
    const type = view.getUint32(offset, true);
    if (type === BLOCK_SECTION_HEADER) {
      // Byte order is decided per section by the magic that follows the length.
      const magic = view.getUint32(offset + 8, true);
      if (magic === BYTE_ORDER_MAGIC) littleEndian = true;
      else if (magic === 0x4d3c2b1a) littleEndian = false;
      else throw new Error(`bad pcapng byte-order magic at offset ${offset}`);
      interfaces = [];
    }
    const blockType = u32(offset);
    const total = u32(offset + 4);
    if (total < 12 || total % 4 !== 0 || offset + total > file.length) {
      truncated = true;
      break;
    }
    const bodyStart = offset + 8;
    const bodyEnd = offset + total - 4;

    if (blockType === BLOCK_SECTION_HEADER) {
      readOptions(bodyStart + 16, bodyEnd, (code, at, length) => {
        if (code === SHB_USER_APPLICATION) application = utf8Decode(file.subarray(at, at + length));
      });
    } else if (blockType === BLOCK_INTERFACE_DESCRIPTION && bodyEnd - bodyStart >= 8) {
      let name = `if${allInterfaces.length}`;
      let unitsPerSecond = 1_000_000n;
      readOptions(bodyStart + 8, bodyEnd, (code, at, length) => {
        if (code === IF_NAME) name = utf8Decode(file.subarray(at, at + length));
        if (code === IF_TSRESOL && length >= 1) {
          const resolution = file[at]!;
          const exponent = BigInt(resolution & 0x7f);
          unitsPerSecond = resolution & 0x80 ? 2n ** exponent : 10n ** exponent;
        }
      });
      const described: ReaderInterface = { name, linkType: u16(bodyStart), snapLength: u32(bodyStart + 4), unitsPerSecond };
      interfaces.push(described);
      allInterfaces.push(described);
    } else if (blockType === BLOCK_ENHANCED_PACKET && bodyEnd - bodyStart >= 20) {
      const described = interfaces[u32(bodyStart)];
      const units = (BigInt(u32(bodyStart + 4)) << 32n) | BigInt(u32(bodyStart + 8));
      const perSecond = described?.unitsPerSecond ?? 1_000_000n;
      const capturedLength = Math.min(u32(bodyStart + 12), bodyEnd - bodyStart - 20);
      const dataStart = bodyStart + 20;
      let comment: string | undefined;
      readOptions(dataStart + padded4(capturedLength), bodyEnd, (code, at, length) => {
        if (code === OPT_COMMENT) comment = utf8Decode(file.subarray(at, at + length));
      });
      frames.push({
        timestampMicros: Number((units * 1_000_000n) / perSecond),
        interfaceName: described?.name ?? 'unknown',
        bytes: file.slice(dataStart, dataStart + capturedLength),
        originalLength: u32(bodyStart + 16),
        ...(comment === undefined ? {} : { comment }),
      });
    } else if (blockType === BLOCK_SIMPLE_PACKET && bodyEnd - bodyStart >= 4) {
      const described = interfaces[0];
      const originalLength = u32(bodyStart);
      const capturedLength = Math.min(originalLength, described?.snapLength || originalLength, bodyEnd - bodyStart - 4);
      frames.push({
        timestampMicros: 0,
        interfaceName: described?.name ?? 'unknown',
        bytes: file.slice(bodyStart + 4, bodyStart + 4 + capturedLength),
        originalLength,
      });
    }
    offset += total;
  }
  if (offset < file.length && !truncated) truncated = true;
  const publicInterfaces = allInterfaces.map(({ name, linkType, snapLength }) => ({ name, linkType, snapLength }));
  return { interfaces: publicInterfaces, frames, truncated, ...(application === undefined ? {} : { application }) };
}
