// ARP for Ethernet/IPv4 (the only kind a Kubernetes lab sees); other sizes are reported, not guessed at.

import { formatIpv4, formatMac } from '../addr.js';
import { ARP_PACKET_LENGTH, ARP_REPLY, ARP_REQUEST, isWireError, readArp } from '../wire/index.js';
import { malformedFrom } from './read.js';
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

export function decodeArp(bytes: Uint8Array, offset = 0, end = bytes.length): ArpLayer | MalformedLayer {
  const packet = readArp(bytes, offset, end);
  if (isWireError(packet)) return malformedFrom('arp', offset, end, packet);
  const { hardwareType, protocolType, operation } = packet;
  const senderMac = formatMac(packet.senderMac);
  const senderIp = formatIpv4(packet.senderIp);
  const targetMac = formatMac(packet.targetMac);
  const targetIp = formatIpv4(packet.targetIp);
  const gratuitous = senderIp === targetIp;
  const operationName = operation === ARP_REQUEST ? 'request' : operation === ARP_REPLY ? 'reply' : `operation ${operation}`;
  let summary: string;
  if (gratuitous) summary = `Gratuitous ARP for ${senderIp} (${operationName})`;
  else if (operation === ARP_REQUEST) summary = `Who has ${targetIp}? Tell ${senderIp}`;
  else if (operation === ARP_REPLY) summary = `${senderIp} is at ${senderMac}`;
  else summary = `ARP ${operationName}`;
  return {
    protocol: 'arp',
    offset,
    headerLength: ARP_PACKET_LENGTH,
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
