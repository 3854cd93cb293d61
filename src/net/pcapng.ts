// pcapng writer (and a small reader) so captures open in Wireshark/tshark.
// Layout: Section Header Block, one Interface Description Block per capture interface
// (linktype 1 = Ethernet, if_name, if_tsresol = 6 i.e. microseconds), then Enhanced Packet Blocks.
// Spec: draft-ietf-opsawg-pcapng. We always write little-endian; the reader accepts both orders.

import type { CapturedFrame, PacketRecord } from './capture.js';
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

const TSRESOL_MICROSECONDS = 6;

export interface PcapngWriteOptions {
  /** Recorded as shb_userappl. */
  application?: string;
  /** Interfaces to declare up front, in this order, even if they captured nothing. */
  interfaceNames?: readonly string[];
  snapLength?: number;
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

export function writePcapng(frames: Iterable<PacketRecord | CapturedFrame>, options: PcapngWriteOptions = {}): Uint8Array {
  const snapLength = options.snapLength ?? 262_144;
  const interfaceIds = new Map<string, number>();
  for (const name of options.interfaceNames ?? []) if (!interfaceIds.has(name)) interfaceIds.set(name, interfaceIds.size);
  const frameList = [...frames];
  for (const frame of frameList) {
    if (!interfaceIds.has(frame.interfaceName)) interfaceIds.set(frame.interfaceName, interfaceIds.size);
  }

  const out = new BlockWriter();
  const sectionOptions: PcapOption[] = [
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

  for (const frame of frameList) {
    // A captured frame's direction becomes the comment Wireshark shows.
    const comment = frame.comment ?? ('from' in frame ? `${frame.from} -> ${frame.to}` : undefined);
    const packetOptions: PcapOption[] = comment === undefined ? [] : [{ code: OPT_COMMENT, value: utf8Encode(comment) }];
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
  }
  return out.result();
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
