// Classic libpcap reader: tcpdump -w inside the VMs writes this format by default, so
// fixtures captured there can be loaded without converting them first.

import type { PacketRecord } from './capture.js';
import { readPcapng, type CaptureFile } from './pcapng.js';

/** Reads classic pcap (µs or ns, either byte order). Throws if the global header is not pcap. */
export function readPcap(file: Uint8Array, interfaceName = 'pcap0'): CaptureFile {
  if (file.length < 24) throw new Error('not a pcap file (shorter than the global header)');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magicLE = view.getUint32(0, true);
  const kinds: Record<number, { littleEndian: boolean; nanoseconds: boolean }> = {
    0xa1b2c3d4: { littleEndian: true, nanoseconds: false },
    0xd4c3b2a1: { littleEndian: false, nanoseconds: false },
    0xa1b23c4d: { littleEndian: true, nanoseconds: true },
    0x4d3cb2a1: { littleEndian: false, nanoseconds: true },
  };
  const kind = kinds[magicLE];
  if (kind === undefined) throw new Error('not a pcap file (bad magic)');
  const { littleEndian, nanoseconds } = kind;
  const u32 = (at: number): number => view.getUint32(at, littleEndian);
  const snapLength = u32(16);
  const linkType = u32(20) & 0x0fffffff;
  const frames: PacketRecord[] = [];
  let offset = 24;
  let truncated = false;
  while (offset < file.length) {
    if (offset + 16 > file.length) {
      truncated = true;
      break;
    }
    const seconds = u32(offset);
    const fraction = u32(offset + 4);
    const capturedLength = u32(offset + 8);
    const originalLength = u32(offset + 12);
    const dataStart = offset + 16;
    if (dataStart + capturedLength > file.length) {
      truncated = true;
      break;
    }
    frames.push({
      timestampMicros: seconds * 1_000_000 + (nanoseconds ? Math.floor(fraction / 1000) : fraction),
      interfaceName,
      bytes: file.slice(dataStart, dataStart + capturedLength),
      originalLength,
    });
    offset = dataStart + capturedLength;
  }
  return { interfaces: [{ name: interfaceName, linkType, snapLength }], frames, truncated };
}

/** Picks the reader by magic number. */
export function readCaptureFile(file: Uint8Array): CaptureFile {
  const isPcapng = file.length >= 4 && file[0] === 0x0a && file[1] === 0x0d && file[2] === 0x0d && file[3] === 0x0a;
  return isPcapng ? readPcapng(file) : readPcap(file);
}
