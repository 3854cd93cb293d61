// net/wire, one protocol at a time: build then read gives back what was built, and the named
// offsets are right on frames captured from real nodes (test/fixtures/frames/real-frames.pcapng),
// which each builder reproduces byte for byte, checksums included.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6, parseMac } from '../../../src/net/addr.js';
import { decodeFrame, type DecodedLayer, type ProtocolName } from '../../../src/net/decode/index.js';
import { readCaptureFile } from '../../../src/net/pcap.js';
import {
  ARP_OPERATION,
  ARP_PACKET_LENGTH,
  ARP_REPLY,
  ARP_REQUEST,
  ARP_SENDER_IP,
  ARP_SENDER_MAC,
  ARP_TARGET_IP,
  BROADCAST_MAC,
  buildArp,
  buildDnsHeader,
  buildDnsQuestion,
  buildDnsRecord,
  buildEthernet,
  buildIcmp,
  buildIcmpv6,
  buildIpip,
  buildIpv4,
  buildIpv6,
  buildTcp,
  buildUdp,
  buildVxlan,
  DNS_FLAGS,
  DNS_HEADER_LENGTH,
  DNS_ID,
  DNS_QUESTION_COUNT,
  DNS_TYPE_A,
  dnsNamePointer,
  encodeDnsName,
  ETH_ETHERTYPE,
  ETH_HEADER_LENGTH,
  ETH_MIN_FRAME_LENGTH,
  ETH_SOURCE,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  fillIpv4Checksum,
  ICMP_CHECKSUM,
  ICMP_DEST_UNREACHABLE,
  ICMP_ECHO_REQUEST,
  ICMP_FRAGMENTATION_NEEDED,
  ICMP_IDENTIFIER,
  ICMP_SEQUENCE,
  ICMP_TYPE,
  ICMPV6_CHECKSUM,
  ICMPV6_NEIGHBOR_SOLICITATION,
  ICMPV6_TYPE,
  icmpv6Checksum,
  IP_PROTOCOL_ICMP,
  IP_PROTOCOL_IPIP,
  IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
  IPV4_CHECKSUM,
  IPV4_DESTINATION,
  IPV4_PROTOCOL,
  IPV4_SOURCE,
  IPV4_TOTAL_LENGTH,
  IPV4_TTL,
  IPV6_DESTINATION,
  IPV6_HOP_LIMIT,
  IPV6_SOURCE,
  isWireError,
  readArp,
  readDnsHeader,
  readEthernet,
  readIcmp,
  readIcmpv6,
  readIpip,
  readIpv4,
  readIpv4Address,
  readIpv6,
  readIpv6Address,
  readTcp,
  readUdp,
  readVxlan,
  TCP_ACK,
  TCP_DATA_OFFSET,
  TCP_DESTINATION_PORT,
  TCP_FLAGS,
  TCP_SYN,
  tcpChecksum,
  u16,
  u32,
  u8,
  UDP_CHECKSUM,
  UDP_DESTINATION_PORT,
  UDP_LENGTH,
  udpChecksum,
  VXLAN_FLAG_VNI_VALID,
  VXLAN_HEADER_LENGTH,
  VXLAN_VNI,
  writeIpv6Address,
  type WireError,
} from '../../../src/net/wire/index.js';

const capture = readCaptureFile(new Uint8Array(readFileSync(new URL('../../fixtures/frames/real-frames.pcapng', import.meta.url))));
const realFrames = capture.frames.map((frame) => ({ bytes: frame.bytes, decoded: decodeFrame(frame.bytes) }));

/** The first real frame whose layers are exactly `protocols` and that `accept` likes. */
function realFrame(protocols: string, accept: (layers: readonly DecodedLayer[]) => boolean = () => true) {
  const found = realFrames.find((f) => f.decoded.protocols === protocols && accept(f.decoded.layers));
  if (!found) throw new Error(`no real frame ${protocols}`);
  return found;
}

/** Where the n-th layer of a kind starts, by the decoder's account. */
function layerAt(layers: readonly DecodedLayer[], protocol: ProtocolName, nth = 0): number {
  const layer = layers.filter((l) => l.protocol === protocol)[nth];
  if (!layer) throw new Error(`no ${protocol} layer`);
  return layer.offset;
}

function ok<T extends object>(result: T | WireError): T {
  if (isWireError(result)) throw new Error(`wire error: ${result.error}`);
  return result;
}

const NODE1 = { mac: parseMac('02:50:00:00:00:01'), ip: parseIpv4('10.0.0.11') };
const NODE2 = { mac: parseMac('02:50:00:00:00:02'), ip: parseIpv4('10.0.0.12') };

describe('bytes', () => {
  it('reads past the end as zero and round-trips IPv6 addresses', () => {
    const bytes = Uint8Array.of(0x12, 0x34);
    expect([u8(bytes, 5), u16(bytes, 1), u32(bytes, 0)]).toEqual([0, 0x3400, 0x12340000]);
    const address = parseIpv6('2001:db8::ff00:42:8329');
    const buffer = new Uint8Array(20);
    writeIpv6Address(buffer, 2, address);
    expect(readIpv6Address(buffer, 2)).toBe(address);
    expect(formatIpv6(readIpv6Address(buffer, 2))).toBe('2001:db8::ff00:42:8329');
  });
});

describe('ethernet', () => {
  it('round-trips addresses, EtherType and stacked tags with their priority bits', () => {
    const spec = {
      destination: NODE2.mac,
      source: NODE1.mac,
      etherType: ETHERTYPE_IPV4,
      vlanTags: [{ id: 100, priority: 5, tpid: ETHERTYPE_QINQ }, { id: 7, dropEligible: true }],
    };
    const frame = buildEthernet(spec, Uint8Array.of(1, 2, 3));
    const header = ok(readEthernet(frame));
    expect(header).toMatchObject({ etherType: ETHERTYPE_IPV4, headerLength: 22 });
    expect(formatMac(header.destination)).toBe('02:50:00:00:00:02');
    expect(header.vlanTags).toEqual([
      { tpid: ETHERTYPE_QINQ, priority: 5, dropEligible: false, id: 100 },
      { tpid: ETHERTYPE_VLAN, priority: 0, dropEligible: true, id: 7 },
    ]);
    expect(Array.from(frame.subarray(header.headerLength))).toEqual([1, 2, 3]);
  });

  it('pads to the 60-byte minimum only when asked', () => {
    expect(buildEthernet({ destination: BROADCAST_MAC, source: NODE1.mac, etherType: ETHERTYPE_ARP }, new Uint8Array(28), true)).toHaveLength(ETH_MIN_FRAME_LENGTH);
    expect(buildEthernet({ destination: BROADCAST_MAC, source: NODE1.mac, etherType: ETHERTYPE_ARP }, new Uint8Array(28))).toHaveLength(42);
  });

  it('refuses a cut header or tag', () => {
    expect(readEthernet(new Uint8Array(13))).toEqual({ error: 'truncated header (13 of 14 bytes)', truncated: true });
    const tagged = buildEthernet({ destination: NODE2.mac, source: NODE1.mac, etherType: ETHERTYPE_IPV4, vlanTags: [{ id: 5 }] }, new Uint8Array());
    expect(readEthernet(tagged.subarray(0, 16))).toMatchObject({ truncated: true });
  });

  it('reads a real 802.1Q frame at the named offsets and rebuilds its header', () => {
    const { bytes } = realFrame('ethernet:arp', (layers) => layers[0]!.protocol === 'ethernet' && layers[0].vlanTags.length > 0);
    const header = ok(readEthernet(bytes));
    expect(header.vlanTags.map((t) => t.id)).toEqual([100]);
    expect(u16(bytes, ETH_ETHERTYPE)).toBe(ETHERTYPE_VLAN);
    expect(formatMac(bytes, ETH_SOURCE)).toBe(formatMac(header.source));
    const rebuilt = buildEthernet(header, bytes.subarray(header.headerLength));
    expect(rebuilt).toEqual(bytes);
  });
});

describe('arp', () => {
  it('round-trips a request and a reply', () => {
    const request = buildArp({ operation: ARP_REQUEST, senderMac: NODE1.mac, senderIp: NODE1.ip, targetIp: NODE2.ip });
    expect(request).toHaveLength(ARP_PACKET_LENGTH);
    expect(ok(readArp(request))).toMatchObject({ hardwareType: 1, protocolType: ETHERTYPE_IPV4, operation: ARP_REQUEST, senderIp: NODE1.ip, targetIp: NODE2.ip });
    expect(Array.from(ok(readArp(request)).targetMac)).toEqual([0, 0, 0, 0, 0, 0]);
    const reply = ok(readArp(buildArp({ operation: ARP_REPLY, senderMac: NODE2.mac, senderIp: NODE2.ip, targetMac: NODE1.mac, targetIp: NODE1.ip })));
    expect(formatMac(reply.senderMac)).toBe('02:50:00:00:00:02');
    expect(formatMac(reply.targetMac)).toBe('02:50:00:00:00:01');
  });

  it('refuses other hardware and protocol sizes, and cut packets', () => {
    const packet = buildArp({ operation: ARP_REQUEST, senderMac: NODE1.mac, senderIp: NODE1.ip, targetIp: NODE2.ip });
    expect(readArp(packet.subarray(0, 20))).toMatchObject({ truncated: true });
    packet[4] = 8;
    expect(readArp(packet)).toMatchObject({ truncated: false, error: expect.stringContaining('unsupported ARP') });
  });

  it('reads real ARP at the named offsets and rebuilds it byte for byte', () => {
    const { bytes } = realFrame('ethernet:arp', (layers) => layers[1]!.protocol === 'arp' && layers[1].targetIp === '10.0.0.12');
    expect(u16(bytes, ETH_HEADER_LENGTH + ARP_OPERATION)).toBe(ARP_REQUEST);
    expect(formatIpv4(readIpv4Address(bytes, ETH_HEADER_LENGTH + ARP_SENDER_IP))).toBe('10.0.0.11');
    expect(formatIpv4(readIpv4Address(bytes, ETH_HEADER_LENGTH + ARP_TARGET_IP))).toBe('10.0.0.12');
    expect(formatMac(bytes, ETH_HEADER_LENGTH + ARP_SENDER_MAC)).toBe('02:50:00:00:00:01');
    const packet = ok(readArp(bytes, ETH_HEADER_LENGTH));
    expect(buildArp(packet)).toEqual(bytes.subarray(ETH_HEADER_LENGTH, ETH_HEADER_LENGTH + ARP_PACKET_LENGTH));
  });
});

describe('ipv4', () => {
  it('round-trips every field, fragments included, with a valid checksum', () => {
    const spec = {
      source: NODE1.ip,
      destination: NODE2.ip,
      protocol: IP_PROTOCOL_UDP,
      ttl: 17,
      identification: 0xbeef,
      moreFragments: true,
      fragmentOffset: 1480,
      dscp: 46,
      ecn: 1,
    };
    const packet = buildIpv4(spec, new Uint8Array(12));
    const header = ok(readIpv4(packet));
    expect(header).toMatchObject({ ...spec, version: 4, headerLength: 20, totalLength: 32, dontFragment: false });
    const copy = packet.slice();
    fillIpv4Checksum(copy, 0, 20);
    expect(u16(copy, IPV4_CHECKSUM)).toBe(header.checksum);
  });

  it('keeps options and a given checksum', () => {
    const packet = buildIpv4({ source: 1, destination: 2, protocol: 6, options: Uint8Array.of(1, 1, 1, 0), checksum: 0xdead }, new Uint8Array());
    expect(ok(readIpv4(packet))).toMatchObject({ headerLength: 24, checksum: 0xdead, totalLength: 24 });
  });

  it('says what is wrong with a bad header', () => {
    const packet = buildIpv4({ source: 1, destination: 2, protocol: 17 }, new Uint8Array(8));
    expect(readIpv4(packet.subarray(0, 19))).toMatchObject({ truncated: true });
    expect(readIpv4(Uint8Array.of(0x65, ...packet.subarray(1)))).toEqual({ error: 'version 6, expected 4', truncated: false });
    expect(readIpv4(Uint8Array.of(0x44, ...packet.subarray(1)))).toEqual({ error: 'header length 16 < 20', truncated: false });
    const short = packet.slice();
    short[IPV4_TOTAL_LENGTH + 1] = 10;
    expect(readIpv4(short)).toEqual({ error: 'total length 10 < header length 20', truncated: false });
  });

  it('reads a real echo request at the named offsets and rebuilds its header, checksum included', () => {
    const { bytes } = realFrame('ethernet:ipv4:icmp');
    const ip = ETH_HEADER_LENGTH;
    expect(u8(bytes, ip + IPV4_PROTOCOL)).toBe(IP_PROTOCOL_ICMP);
    expect(u8(bytes, ip + IPV4_TTL)).toBe(64);
    expect(formatIpv4(readIpv4Address(bytes, ip + IPV4_SOURCE))).toBe('10.0.0.11');
    expect(formatIpv4(readIpv4Address(bytes, ip + IPV4_DESTINATION))).toBe('10.0.0.12');
    const header = ok(readIpv4(bytes, ip));
    const { checksum: _captured, ...fields } = header;
    const rebuilt = buildIpv4(fields, bytes.subarray(ip + header.headerLength, ip + header.totalLength));
    expect(rebuilt).toEqual(bytes.subarray(ip, ip + header.totalLength));
  });
});

describe('ip-in-ip', () => {
  it('round-trips the outer and inner packets', () => {
    const inner = buildIpv4({ source: parseIpv4('10.244.1.2'), destination: parseIpv4('10.244.2.3'), protocol: IP_PROTOCOL_ICMP }, new Uint8Array(8));
    const packet = ok(readIpip(buildIpip({ source: NODE1.ip, destination: NODE2.ip }, inner)));
    expect(packet.outer).toMatchObject({ protocol: IP_PROTOCOL_IPIP, source: NODE1.ip, totalLength: 48 });
    expect(packet.inner).toMatchObject({ source: parseIpv4('10.244.1.2'), destination: parseIpv4('10.244.2.3') });
    expect(packet.innerOffset).toBe(20);
    expect(readIpip(inner)).toMatchObject({ truncated: false, error: expect.stringContaining('expected 4') });
  });

  it('reads and rebuilds a real IP-in-IP packet', () => {
    const { bytes } = realFrame('ethernet:ipv4:ipv4:icmp');
    const packet = ok(readIpip(bytes, ETH_HEADER_LENGTH));
    expect(formatIpv4(packet.inner.destination)).toBe('10.43.0.2');
    const { checksum: _captured, protocol: _ipip, ...outer } = packet.outer;
    const rebuilt = buildIpip(outer, bytes.subarray(packet.innerOffset, ETH_HEADER_LENGTH + packet.outer.totalLength));
    expect(rebuilt).toEqual(bytes.subarray(ETH_HEADER_LENGTH, ETH_HEADER_LENGTH + packet.outer.totalLength));
  });
});

describe('icmp', () => {
  it('round-trips an echo and a frag-needed', () => {
    const echo = buildIcmp({ type: ICMP_ECHO_REQUEST, identifier: 0x1f, sequence: 3 }, new Uint8Array(8).fill(0x61));
    expect(ok(readIcmp(echo))).toMatchObject({ type: ICMP_ECHO_REQUEST, code: 0, identifier: 0x1f, sequence: 3 });
    expect(buildIcmp({ type: ICMP_ECHO_REQUEST, identifier: 0x1f, sequence: 3 }, new Uint8Array(8).fill(0x61))).toEqual(echo);
    const fragNeeded = buildIcmp({ type: ICMP_DEST_UNREACHABLE, code: ICMP_FRAGMENTATION_NEEDED, nextHopMtu: 1400 }, new Uint8Array(28));
    expect(ok(readIcmp(fragNeeded))).toMatchObject({ type: 3, code: 4, identifier: 0, nextHopMtu: 1400 });
    expect(readIcmp(new Uint8Array(7))).toMatchObject({ truncated: true });
  });

  it('reads a real echo at the named offsets and rebuilds it, checksum included', () => {
    const { bytes, decoded } = realFrame('ethernet:ipv4:icmp');
    const at = layerAt(decoded.layers, 'icmp');
    const end = decoded.layers[1]!.protocol === 'ipv4' ? decoded.layers[1].payloadEnd : bytes.length;
    expect(u8(bytes, at + ICMP_TYPE)).toBe(ICMP_ECHO_REQUEST);
    expect(u16(bytes, at + ICMP_IDENTIFIER)).toBe(0x88);
    expect(u16(bytes, at + ICMP_SEQUENCE)).toBe(1);
    const header = ok(readIcmp(bytes, at, end));
    const rebuilt = buildIcmp({ type: header.type, code: header.code, identifier: header.identifier, sequence: header.sequence }, bytes.subarray(at + 8, end));
    expect(u16(rebuilt, ICMP_CHECKSUM)).toBe(header.checksum);
    expect(rebuilt).toEqual(bytes.subarray(at, end));
  });
});

describe('udp', () => {
  it('round-trips ports and length, and refuses a length under 8', () => {
    const datagram = buildUdp({ sourcePort: 5000, destinationPort: 6000 }, new Uint8Array(10));
    expect(ok(readUdp(datagram))).toEqual({ sourcePort: 5000, destinationPort: 6000, length: 18, checksum: 0 });
    datagram[UDP_LENGTH + 1] = 4;
    expect(readUdp(datagram)).toEqual({ error: 'length 4 < 8', truncated: false });
  });

  it('computes the checksum a real Linux sender put on a DNS query, and rebuilds the datagram', () => {
    const { bytes, decoded } = realFrame('ethernet:ipv4:udp:dns');
    const ip = ok(readIpv4(bytes, ETH_HEADER_LENGTH));
    const at = layerAt(decoded.layers, 'udp');
    const end = ETH_HEADER_LENGTH + ip.totalLength;
    expect(u16(bytes, at + UDP_DESTINATION_PORT)).toBe(53);
    const header = ok(readUdp(bytes, at, end));
    expect(u16(bytes, at + UDP_CHECKSUM)).toBe(header.checksum);
    expect(udpChecksum(bytes.slice(at, end).fill(0, UDP_CHECKSUM, UDP_CHECKSUM + 2), 0, end - at, ip.source, ip.destination)).toBe(header.checksum);
    const rebuilt = buildUdp({ sourcePort: header.sourcePort, destinationPort: header.destinationPort, checksum: header.checksum }, bytes.subarray(at + 8, end));
    expect(rebuilt).toEqual(bytes.subarray(at, end));
  });
});

describe('tcp', () => {
  it('round-trips flags, numbers and the handshake options', () => {
    const segment = buildTcp({ sourcePort: 43210, destinationPort: 443, sequence: 0xfffffff0, acknowledgment: 7, flags: TCP_SYN | TCP_ACK, mss: 1460, windowScale: 7 }, Uint8Array.of(9));
    expect(ok(readTcp(segment))).toMatchObject({ sourcePort: 43210, destinationPort: 443, sequence: 0xfffffff0, acknowledgment: 7, flags: TCP_SYN | TCP_ACK, headerLength: 28, window: 64240, mss: 1460, windowScale: 7 });
    const lying = segment.slice();
    lying[TCP_DATA_OFFSET] = 0xf0;
    expect(readTcp(lying)).toMatchObject({ truncated: true });
    lying[TCP_DATA_OFFSET] = 0x40;
    expect(readTcp(lying)).toEqual({ error: 'header length 16 < 20', truncated: false });
  });

  it('reads a real SYN at the named offsets, matches its checksum and rebuilds it', () => {
    const { bytes, decoded } = realFrame('ethernet:ipv4:tcp', (layers) => layers[2]!.protocol === 'tcp' && layers[2].flagNames === 'SYN');
    const ip = ok(readIpv4(bytes, ETH_HEADER_LENGTH));
    const at = layerAt(decoded.layers, 'tcp');
    const end = ETH_HEADER_LENGTH + ip.totalLength;
    expect(u16(bytes, at + TCP_DESTINATION_PORT)).toBe(8080);
    expect(u8(bytes, at + TCP_FLAGS)).toBe(TCP_SYN);
    const header = ok(readTcp(bytes, at, end));
    expect(header).toMatchObject({ mss: 1460, windowScale: 5, window: 64240 });
    const rebuilt = buildTcp({ ...header, rawOptions: bytes.subarray(at + 20, at + header.headerLength) }, bytes.subarray(at + header.headerLength, end));
    expect(tcpChecksum(rebuilt, 0, rebuilt.length, ip.source, ip.destination)).toBe(0);
    expect(rebuilt).toEqual(bytes.subarray(at, end));
  });
});

describe('vxlan', () => {
  it('round-trips the VNI and the I flag', () => {
    const packet = buildVxlan({ vni: 0xabcdef }, Uint8Array.of(1, 2));
    expect(ok(readVxlan(packet))).toEqual({ flags: VXLAN_FLAG_VNI_VALID, vniValid: true, vni: 0xabcdef });
    expect(ok(readVxlan(buildVxlan({ vni: 1, flags: 0 }, new Uint8Array())))).toMatchObject({ vniValid: false, vni: 1 });
    expect(readVxlan(new Uint8Array(7))).toMatchObject({ truncated: true });
  });

  it('reads real VXLAN at the named offsets and rebuilds it around the inner frame', () => {
    const { bytes, decoded } = realFrame('ethernet:ipv4:udp:vxlan:ethernet:ipv4:icmp');
    const at = layerAt(decoded.layers, 'vxlan');
    expect(u32(bytes, at + VXLAN_VNI) >>> 8).toBe(42);
    const header = ok(readVxlan(bytes, at));
    expect(buildVxlan(header, bytes.subarray(at + VXLAN_HEADER_LENGTH))).toEqual(bytes.subarray(at));
  });
});

describe('ipv6 and icmpv6', () => {
  it('round-trips the fixed header', () => {
    const source = parseIpv6('fe80::5054:ff:fe00:1');
    const destination = parseIpv6('ff02::1:ff00:2');
    const packet = buildIpv6({ source, destination, nextHeader: 58, hopLimit: 255, trafficClass: 3, flowLabel: 0xabcde }, new Uint8Array(8));
    expect(ok(readIpv6(packet))).toEqual({ trafficClass: 3, flowLabel: 0xabcde, payloadLength: 8, nextHeader: 58, upperProtocol: 58, headerLength: 40, hopLimit: 255, source, destination });
    expect(readIpv6(packet.subarray(0, 39))).toMatchObject({ truncated: true });
  });

  it('reads a real MLD report behind hop-by-hop options and rebuilds its header', () => {
    const { bytes, decoded } = realFrame('ethernet:ipv4:udp:vxlan:ethernet:ipv6:icmpv6', (layers) => layers.some((l) => l.protocol === 'icmpv6' && l.type === 143));
    const at = layerAt(decoded.layers, 'ipv6');
    expect(u8(bytes, at + IPV6_HOP_LIMIT)).toBe(1);
    expect(formatIpv6(readIpv6Address(bytes, at + IPV6_DESTINATION))).toBe('ff02::16');
    const header = ok(readIpv6(bytes, at));
    expect(header).toMatchObject({ nextHeader: 0, upperProtocol: 58, headerLength: 48 });
    expect(readIpv6Address(bytes, at + IPV6_SOURCE)).toBe(header.source);
    expect(buildIpv6({ ...header, hopLimit: header.hopLimit }, bytes.subarray(at + 40))).toEqual(bytes.subarray(at));
    const icmp = at + header.headerLength;
    const icmpv6 = ok(readIcmpv6(bytes, icmp));
    expect(icmpv6.type).toBe(143);
    expect(u8(bytes, icmp + ICMPV6_TYPE)).toBe(143);
    const addresses = { source: header.source, destination: header.destination };
    const rebuilt = buildIcmpv6({ type: icmpv6.type, code: icmpv6.code, identifier: icmpv6.identifier, sequence: icmpv6.sequence, addresses }, bytes.subarray(icmp + 8));
    expect(u16(rebuilt, ICMPV6_CHECKSUM)).toBe(icmpv6.checksum);
    expect(rebuilt).toEqual(bytes.subarray(icmp));
  });

  it('round-trips a Neighbor Solicitation with a checksum that verifies', () => {
    const source = parseIpv6('fe80::5054:ff:fe00:1');
    const destination = parseIpv6('ff02::1:ff00:2');
    const targetAddress = parseIpv6('fe80::5054:ff:fe00:2');
    const message = buildIcmpv6({ type: ICMPV6_NEIGHBOR_SOLICITATION, targetAddress, addresses: { source, destination } }, Uint8Array.of(1, 1, 0x52, 0x54, 0, 0, 0, 1));
    expect(ok(readIcmpv6(message))).toMatchObject({ type: ICMPV6_NEIGHBOR_SOLICITATION, targetAddress });
    expect(icmpv6Checksum(message, 0, message.length, source, destination)).toBe(0);
  });
});

describe('dns', () => {
  it('round-trips the header and encodes names', () => {
    const header = buildDnsHeader({ id: 0x1a2b, flags: 0x0100, questionCount: 1 });
    expect(ok(readDnsHeader(header))).toEqual({ id: 0x1a2b, flags: 0x0100, questionCount: 1, answerCount: 0, authorityCount: 0, additionalCount: 0 });
    expect(Array.from(encodeDnsName('a.bc'))).toEqual([1, 0x61, 2, 0x62, 0x63, 0]);
    expect(Array.from(encodeDnsName('.'))).toEqual([0]);
    expect(Array.from(dnsNamePointer(DNS_HEADER_LENGTH))).toEqual([0xc0, 0x0c]);
    expect(readDnsHeader(new Uint8Array(11))).toMatchObject({ truncated: true });
  });

  it('rebuilds a real query and the answer record of its response', () => {
    const query = realFrame('ethernet:ipv4:udp:dns', (layers) => layers[3]!.protocol === 'dns' && !layers[3].isResponse);
    const at = layerAt(query.decoded.layers, 'dns');
    expect(u16(query.bytes, at + DNS_ID)).toBe(0x52f0);
    expect(u16(query.bytes, at + DNS_QUESTION_COUNT)).toBe(1);
    const header = ok(readDnsHeader(query.bytes, at));
    const rebuilt = new Uint8Array([...buildDnsHeader(header), ...buildDnsQuestion(encodeDnsName('web.default.svc.cluster.local'), DNS_TYPE_A)]);
    expect(rebuilt).toEqual(query.bytes.subarray(at));

    const response = realFrame('ethernet:ipv4:udp:dns', (layers) => layers[3]!.protocol === 'dns' && layers[3].isResponse);
    const answerAt = response.bytes.length - (2 + 10 + 4);
    expect(u16(response.bytes, layerAt(response.decoded.layers, 'dns') + DNS_FLAGS) & 0x8000).toBe(0x8000);
    const answer = buildDnsRecord({ name: dnsNamePointer(DNS_HEADER_LENGTH), type: DNS_TYPE_A, ttl: u32(response.bytes, answerAt + 6), data: Uint8Array.from([10, 96, 0, 20]) });
    expect(answer).toEqual(response.bytes.subarray(answerAt));
  });
});
