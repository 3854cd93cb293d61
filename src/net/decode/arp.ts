// ARP for Ethernet/IPv4 (the only kind a Kubernetes lab sees); other sizes are reported, not guessed at.

import { formatMac } from '../addr.js';
import { hex, ipv4Text, malformed, truncatedHeader, u16, u8 } from './read.js';
import type { LayerBase, MalformedLayer } from './types.js';

export interface ArpLayer extends LayerBase {
  readonly protocol: 'arp';
  readonly hardwareType: number;
  readonly protocolType: number;
  readonly operation: number;
  readonly operationName: string;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
  /** Sender announcing its own address (sender IP = target IP). */
  readonly gratuitous: boolean;
}

const ARP_LENGTH = 28;

export function decodeArp(bytes: Uint8Array, offset = 0, end = bytes.length): ArpLayer | MalformedLayer {
  if (end - offset < 8) return truncatedHeader('arp', offset, end, ARP_LENGTH);
  const hardwareType = u16(bytes, offset);
  const protocolType = u16(bytes, offset + 2);
  const hardwareSize = u8(bytes, offset + 4);
  const protocolSize = u8(bytes, offset + 5);
  if (hardwareSize !== 6 || protocolSize !== 4 || protocolType !== 0x0800) {
    return malformed(
      'arp',
      offset,
      end,
      `unsupported ARP (hardware ${hardwareType}/${hardwareSize} bytes, protocol ${hex(protocolType, 4)}/${protocolSize} bytes)`,
      false,
    );
  }
  if (end - offset < ARP_LENGTH) return truncatedHeader('arp', offset, end, ARP_LENGTH);
  const operation = u16(bytes, offset + 6);
  const senderMac = formatMac(bytes, offset + 8);
  const senderIp = ipv4Text(bytes, offset + 14);
  const targetMac = formatMac(bytes, offset + 18);
  const targetIp = ipv4Text(bytes, offset + 24);
  const gratuitous = senderIp === targetIp;
  const operationName = operation === 1 ? 'request' : operation === 2 ? 'reply' : `operation ${operation}`;
  let summary: string;
  if (gratuitous) summary = `Gratuitous ARP for ${senderIp} (${operationName})`;
  else if (operation === 1) summary = `Who has ${targetIp}? Tell ${senderIp}`;
  else if (operation === 2) summary = `${senderIp} is at ${senderMac}`;
  else summary = `ARP ${operationName}`;
  return {
    protocol: 'arp',
    offset,
    headerLength: ARP_LENGTH,
    hardwareType,
    protocolType,
    operation,
    operationName,
    senderMac,
    senderIp,
    targetMac,
    targetIp,
    gratuitous,
    summary,
  };
}
