import { describe, expect, it } from 'vitest';
import {
  decodeArp,
  decodeDns,
  decodeEthernet,
  decodeFrame,
  decodeFrameHex,
  decodeIpv4,
  decodeTcp,
  decodeUdp,
  decodeVxlan,
  findLayer,
  innermostIpv4,
  layerFields,
  matchesFilter,
  outermostIpv4,
  vniList,
  type DecodedFrame,
} from '../../../src/net/decode/index.js';
import {
  arp,
  be16,
  BROADCAST,
  bytes,
  dnsAResponse,
  dnsName,
  dnsQuery,
  ethernet,
  icmpEcho,
  ipFrame,
  ipv4,
  ipv6,
  randomBytes,
  seededRandom,
  tcp,
  toHex,
  udp,
  vxlan,
} from './frames.js';

const NODE1 = { mac: '52:54:00:00:00:01', ip: '192.168.10.11' };
const NODE2 = { mac: '52:54:00:00:00:02', ip: '192.168.10.12' };
const POD1 = { mac: '0a:58:0a:f4:01:02', ip: '10.244.1.2' };
const POD2 = { mac: '0a:58:0a:f4:02:03', ip: '10.244.2.3' };

function podPing(): Uint8Array {
  return ipFrame({ srcMac: POD1.mac, dstMac: POD2.mac, src: POD1.ip, dst: POD2.ip, protocol: 1, ttl: 63, payload: icmpEcho({ id: 0x1f, seq: 3 }) });
}

function vxlanFrame(vni = 42, port = 4789): Uint8Array {
  return ipFrame({
    srcMac: NODE1.mac,
    dstMac: NODE2.mac,
    src: NODE1.ip,
    dst: NODE2.ip,
    protocol: 17,
    payload: udp({ srcPort: 40000, dstPort: port, payload: vxlan({ vni, inner: podPing() }) }),
  });
}

function dnsFrame(message: Uint8Array, response = false): Uint8Array {
  const ports = response ? { srcPort: 53, dstPort: 33333 } : { srcPort: 33333, dstPort: 53 };
  return ipFrame({ srcMac: POD1.mac, dstMac: POD2.mac, src: POD1.ip, dst: '10.96.0.10', protocol: 17, payload: udp({ ...ports, payload: message }) });
}

const protocols = (frame: DecodedFrame): string[] => frame.layers.map((l) => l.protocol);

describe('ethernet', () => {
  it('decodes addresses and EtherType', () => {
    const layer = decodeEthernet(ethernet({ dst: BROADCAST, src: NODE1.mac, type: 0x0806, payload: new Uint8Array(28) }));
    expect(layer).toMatchObject({ protocol: 'ethernet', destination: BROADCAST, source: NODE1.mac, etherType: 0x0806, etherTypeName: 'ARP', isBroadcast: true, headerLength: 14, payloadOffset: 14, vlanTags: [] });
    expect(layer.summary).toBe(`${NODE1.mac} → Broadcast, ARP`);
  });

  it('decodes 802.1Q and stacked tags', () => {
    const frame = ethernet({ dst: NODE2.mac, src: NODE1.mac, type: 0x0800, vlans: [100, 7], payload: new Uint8Array(20) });
    frame.set(be16(0xa064), 14); // PCP 5 on the outer tag, VID 100
    const layer = decodeEthernet(frame);
    expect(layer).toMatchObject({
      etherType: 0x0800,
      headerLength: 22,
      vlanTags: [
        { tpid: 0x8100, priority: 5, dropEligible: false, id: 100 },
        { tpid: 0x8100, priority: 0, id: 7 },
      ],
    });
    expect(layer.summary).toContain('VLAN 100, VLAN 7');
  });

  it('reports truncation instead of throwing', () => {
    expect(decodeEthernet(new Uint8Array(13))).toMatchObject({ protocol: 'malformed', expected: 'ethernet', truncated: true });
    const cutTag = ethernet({ dst: NODE2.mac, src: NODE1.mac, type: 0x0800, vlans: [5] }).slice(0, 16);
    expect(decodeEthernet(cutTag)).toMatchObject({ protocol: 'malformed', truncated: true });
  });
});

describe('arp', () => {
  it('summarises requests and replies like Wireshark', () => {
    const request = decodeArp(arp({ op: 1, senderMac: NODE1.mac, senderIp: NODE1.ip, targetIp: NODE2.ip }));
    expect(request).toMatchObject({ operation: 1, operationName: 'request', senderIp: NODE1.ip, targetIp: NODE2.ip, summary: `Who has ${NODE2.ip}? Tell ${NODE1.ip}` });
    const reply = decodeArp(arp({ op: 2, senderMac: NODE2.mac, senderIp: NODE2.ip, targetMac: NODE1.mac, targetIp: NODE1.ip }));
    expect(reply.summary).toBe(`${NODE2.ip} is at ${NODE2.mac}`);
    const announce = decodeArp(arp({ op: 1, senderMac: NODE1.mac, senderIp: NODE1.ip, targetIp: NODE1.ip }));
    expect(announce).toMatchObject({ gratuitous: true });
  });

  it('handles truncated and foreign ARP', () => {
    const packet = arp({ op: 1, senderMac: NODE1.mac, senderIp: NODE1.ip, targetIp: NODE2.ip });
    expect(decodeArp(packet.slice(0, 20))).toMatchObject({ protocol: 'malformed', expected: 'arp', truncated: true });
    packet[4] = 8;
    expect(decodeArp(packet)).toMatchObject({ protocol: 'malformed', error: expect.stringContaining('unsupported') });
  });
});

describe('ipv4', () => {
  it('decodes header fields and verifies the checksum', () => {
    const packet = ipv4({ src: NODE1.ip, dst: NODE2.ip, protocol: 6, ttl: 17, id: 0xbeef, dontFragment: true, payload: new Uint8Array(12) });
    expect(decodeIpv4(packet)).toMatchObject({
      protocol: 'ipv4',
      source: NODE1.ip,
      destination: NODE2.ip,
      ttl: 17,
      identification: 0xbeef,
      dontFragment: true,
      ipProtocol: 6,
      ipProtocolName: 'TCP',
      totalLength: 32,
      checksumValid: true,
      payloadOffset: 20,
      payloadEnd: 32,
    });
    packet[8] = 16;
    expect(decodeIpv4(packet)).toMatchObject({ checksumValid: false });
  });

  it('excludes Ethernet padding from the payload', () => {
    const frame = ethernet({ dst: NODE2.mac, src: NODE1.mac, type: 0x0800, payload: ipv4({ src: NODE1.ip, dst: NODE2.ip, protocol: 17, payload: udp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(2) }) }), pad: true });
    expect(frame.length).toBe(60);
    const decoded = decodeFrame(frame);
    expect(findLayer(decoded, 'ipv4')).toMatchObject({ payloadEnd: 14 + 30 });
    expect(protocols(decoded)).toEqual(['ethernet', 'ipv4', 'udp', 'data']);
    expect(findLayer(decoded, 'data')).toMatchObject({ length: 2 });
  });

  it('marks short captures truncated and rejects impossible headers', () => {
    const packet = ipv4({ src: NODE1.ip, dst: NODE2.ip, protocol: 17, payload: new Uint8Array(100) });
    expect(decodeIpv4(packet.slice(0, 50))).toMatchObject({ protocol: 'ipv4', truncated: true, payloadEnd: 50 });
    expect(decodeIpv4(packet.slice(0, 19))).toMatchObject({ protocol: 'malformed', truncated: true });
    const v6 = packet.slice();
    v6[0] = 0x65;
    expect(decodeIpv4(v6)).toMatchObject({ protocol: 'malformed', error: 'version 6, expected 4' });
    const shortIhl = packet.slice();
    shortIhl[0] = 0x44;
    expect(decodeIpv4(shortIhl)).toMatchObject({ protocol: 'malformed' });
  });

  it('decodes IP-in-IP recursively', () => {
    const inner = ipv4({ src: POD1.ip, dst: POD2.ip, protocol: 1, payload: icmpEcho({ id: 1, seq: 1 }) });
    const frame = ipFrame({ srcMac: NODE1.mac, dstMac: NODE2.mac, src: NODE1.ip, dst: NODE2.ip, protocol: 4, payload: inner });
    const decoded = decodeFrame(frame);
    expect(protocols(decoded)).toEqual(['ethernet', 'ipv4', 'ipv4', 'icmp']);
    expect(outermostIpv4(decoded)?.source).toBe(NODE1.ip);
    expect(innermostIpv4(decoded)?.source).toBe(POD1.ip);
    expect(matchesFilter(decoded, { protocol: 'ipip' })).toBe(true);
  });
});

describe('flannel udp', () => {
  const inUdp = (payload: Uint8Array, dstPort = 8285) => ipFrame({ srcMac: NODE1.mac, dstMac: NODE2.mac, src: NODE1.ip, dst: NODE2.ip, protocol: 17, payload: udp({ srcPort: 8285, dstPort, payload }) });
  const packet = ipv4({ src: POD1.ip, dst: POD2.ip, protocol: 1, payload: icmpEcho({ id: 1, seq: 1 }) });

  it('decodes the raw IP packet inside UDP to 8285', () => {
    const decoded = decodeFrame(inUdp(packet));
    expect(protocols(decoded)).toEqual(['ethernet', 'ipv4', 'udp', 'ipv4', 'icmp']);
    expect(outermostIpv4(decoded)?.source).toBe(NODE1.ip);
    expect(innermostIpv4(decoded)?.source).toBe(POD1.ip);
    expect(matchesFilter(decoded, { protocol: 'ipip' })).toBe(false);
  });

  it('leaves anything that does not start like IPv4 as data, and other ports alone', () => {
    expect(protocols(decodeFrame(inUdp(new Uint8Array([0, 0, 8, 0, ...packet]))))).toEqual(['ethernet', 'ipv4', 'udp', 'data']);
    expect(protocols(decodeFrame(inUdp(packet, 9000)))).toEqual(['ethernet', 'ipv4', 'udp', 'data']);
  });
});

describe('icmp', () => {
  it('decodes echo requests with id, sequence and checksum', () => {
    const decoded = decodeFrame(podPing());
    expect(findLayer(decoded, 'icmp')).toMatchObject({ type: 8, code: 0, identifier: 0x1f, sequence: 3, checksumValid: true, dataLength: 8 });
    expect(decoded.summary).toBe('Echo (ping) request id=0x001f, seq=3');
  });

  it('decodes time exceeded with the quoted packet', () => {
    const offending = ipv4({ src: POD1.ip, dst: '8.8.8.8', protocol: 17, ttl: 1, payload: udp({ srcPort: 33434, dstPort: 33435, payload: new Uint8Array(4) }) });
    const message = bytes([11, 0, 0, 0, 0, 0, 0, 0], offending.slice(0, 28));
    const frame = ipFrame({ srcMac: NODE1.mac, dstMac: POD1.mac, src: '10.0.0.1', dst: POD1.ip, protocol: 1, payload: message });
    const icmp = findLayer(decodeFrame(frame), 'icmp');
    expect(icmp).toMatchObject({ type: 11, typeName: 'Time-to-live exceeded', codeName: 'Time to live exceeded in transit', quoted: { source: POD1.ip, destination: '8.8.8.8', ipProtocol: 17, sourcePort: 33434, destinationPort: 33435 } });
    expect(icmp?.checksumValid).toBe(false); // we left the checksum zero
  });

  it('reports a truncated ICMP header', () => {
    const frame = ipFrame({ srcMac: POD1.mac, dstMac: POD2.mac, src: POD1.ip, dst: POD2.ip, protocol: 1, payload: new Uint8Array([8, 0, 0]) });
    expect(decodeFrame(frame).layers.at(-1)).toMatchObject({ protocol: 'malformed', expected: 'icmp' });
  });
});

describe('ipv6 and icmpv6', () => {
  const linkLocal = (nextHeader: number, payload: Uint8Array): Uint8Array =>
    ipv6({ src: 'fe80::5054:ff:fe00:1', dst: 'ff02::1:ff00:2', nextHeader, hopLimit: 255, payload });

  it('decodes a Neighbor Solicitation', () => {
    const solicitation = bytes([135, 0, 0, 0, 0, 0, 0, 0], [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0, 0xff, 0xfe, 0, 0, 2]);
    const frame = ethernet({ dst: '33:33:ff:00:00:02', src: NODE1.mac, type: 0x86dd, payload: linkLocal(58, solicitation) });
    const decoded = decodeFrame(frame);
    expect(protocols(decoded)).toEqual(['ethernet', 'ipv6', 'icmpv6']);
    expect(findLayer(decoded, 'ipv6')).toMatchObject({ source: 'fe80::5054:ff:fe00:1', destination: 'ff02::1:ff00:2', hopLimit: 255, upperProtocol: 58 });
    expect(decoded.summary).toBe('Neighbor Solicitation for fe80::5054:ff:fe00:2');
  });

  it('skips a hop-by-hop header to reach the upper protocol (MLD reports)', () => {
    const hopByHop = [58, 0, 5, 2, 0, 0, 1, 0]; // router alert
    const report = [143, 0, 0, 0, 0, 0, 0, 0];
    const frame = ethernet({ dst: '33:33:00:00:00:16', src: NODE1.mac, type: 0x86dd, payload: linkLocal(0, bytes(hopByHop, report)) });
    const decoded = decodeFrame(frame);
    expect(findLayer(decoded, 'ipv6')).toMatchObject({ nextHeader: 0, upperProtocol: 58, headerLength: 48 });
    expect(findLayer(decoded, 'icmpv6')?.typeName).toBe('Multicast Listener Report Message v2');
  });
});

describe('udp and tcp', () => {
  it('decodes UDP ports and length', () => {
    expect(decodeUdp(udp({ srcPort: 5000, dstPort: 6000, payload: new Uint8Array(10) }))).toMatchObject({ sourcePort: 5000, destinationPort: 6000, length: 18, payloadOffset: 8, payloadEnd: 18, summary: '5000 → 6000 Len=10' });
    const bad = udp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(4) });
    bad.set(be16(4), 4);
    expect(decodeUdp(bad)).toMatchObject({ protocol: 'malformed', error: 'length 4 < 8' });
    expect(decodeUdp(new Uint8Array(7))).toMatchObject({ protocol: 'malformed', truncated: true });
  });

  it('decodes TCP flags, sequence numbers and MSS', () => {
    const syn = decodeTcp(tcp({ srcPort: 43210, dstPort: 443, seq: 0xfffffff0, flags: ['SYN'], mss: 1460 }));
    expect(syn).toMatchObject({ sourcePort: 43210, destinationPort: 443, sequence: 0xfffffff0, flagNames: 'SYN', mss: 1460, headerLength: 24, payloadLength: 0 });
    expect(syn.summary).toBe('43210 → 443 [SYN] Seq=4294967280 Win=64240 Len=0 MSS=1460');
    const synAck = decodeTcp(tcp({ srcPort: 443, dstPort: 43210, seq: 1, ack: 0xfffffff1, flags: ['SYN', 'ACK'] }));
    expect(synAck).toMatchObject({ flags: { syn: true, ack: true, fin: false, rst: false }, flagNames: 'SYN, ACK', acknowledgment: 0xfffffff1 });
    const withData = decodeTcp(tcp({ srcPort: 1, dstPort: 2, seq: 9, flags: ['PSH', 'ACK'], payload: new Uint8Array(5) }));
    expect(withData).toMatchObject({ payloadLength: 5, flagNames: 'PSH, ACK' });
    expect(decodeTcp(new Uint8Array(19))).toMatchObject({ protocol: 'malformed', truncated: true });
    const lyingOffset = tcp({ srcPort: 1, dstPort: 2, seq: 1, flags: [] });
    lyingOffset[12] = 0xf0; // claims 60 bytes of header
    expect(decodeTcp(lyingOffset)).toMatchObject({ protocol: 'malformed', truncated: true });
  });
});

describe('dns', () => {
  it('decodes a query', () => {
    const decoded = decodeFrame(dnsFrame(dnsQuery(0x1a2b, 'kubernetes.default.svc.cluster.local')));
    expect(protocols(decoded)).toEqual(['ethernet', 'ipv4', 'udp', 'dns']);
    expect(findLayer(decoded, 'dns')).toMatchObject({ id: 0x1a2b, isResponse: false, recursionDesired: true, questions: [{ name: 'kubernetes.default.svc.cluster.local', type: 1, typeName: 'A', class: 1 }] });
    expect(decoded.summary).toBe('Standard query 0x1a2b A kubernetes.default.svc.cluster.local');
  });

  it('decodes a response with compression pointers', () => {
    const decoded = decodeFrame(dnsFrame(dnsAResponse(7, 'web.demo.svc.cluster.local', ['10.96.12.34', '10.96.12.35']), true));
    const dns = findLayer(decoded, 'dns');
    expect(dns).toMatchObject({ isResponse: true, rcode: 0, answerCount: 2 });
    expect(dns?.answers).toEqual([
      { name: 'web.demo.svc.cluster.local', type: 1, typeName: 'A', class: 1, ttl: 30, data: '10.96.12.34' },
      { name: 'web.demo.svc.cluster.local', type: 1, typeName: 'A', class: 1, ttl: 30, data: '10.96.12.35' },
    ]);
    expect(decoded.summary).toBe('Standard query response 0x0007 A web.demo.svc.cluster.local A 10.96.12.34 A 10.96.12.35');
  });

  it('decodes CNAME, AAAA, SRV and NXDOMAIN', () => {
    const header = bytes(be16(9), be16(0x8183), be16(1), be16(3), be16(0), be16(0));
    const question = bytes(dnsName('a.example'), be16(1), be16(1));
    const cname = bytes([0xc0, 12], be16(5), be16(1), [0, 0, 0, 5], be16(4), [1, 0x62, 0xc0, 14]); // b.example
    const aaaa = bytes([0xc0, 12], be16(28), be16(1), [0, 0, 0, 5], be16(16), [0xfd, 0, ...new Array<number>(13).fill(0), 1]);
    const srv = bytes([0xc0, 12], be16(33), be16(1), [0, 0, 0, 5], be16(8), be16(0), be16(5), be16(8080), [0xc0, 12]);
    const dns = decodeDns(bytes(header, question, cname, aaaa, srv));
    expect(dns).toMatchObject({ rcode: 3, rcodeName: 'No such name' });
    if (dns.protocol !== 'dns') throw new Error('expected dns');
    expect(dns.answers.map((a) => a.data)).toEqual(['b.example', 'fd00::1', '0 5 8080 a.example']);
    expect(dns.summary).toContain('No such name');
  });

  it('survives compression loops, forward pointers and overlong names', () => {
    const header = bytes(be16(1), be16(0x0100), be16(1), be16(0), be16(0), be16(0));
    const selfPointer = decodeDns(bytes(header, [0xc0, 12], be16(1), be16(1)));
    expect(selfPointer).toMatchObject({ protocol: 'dns', error: expect.stringContaining('loop'), questions: [] });
    const pingPong = decodeDns(bytes(header, [1, 0x61, 0xc0, 12], be16(1), be16(1)));
    expect(pingPong).toMatchObject({ error: expect.stringContaining('loop') });
    const forward = decodeDns(bytes(header, [0xc0, 20, 0, 0, 0, 0, 0, 0, 1, 0x61, 0], be16(1), be16(1)));
    expect(forward).toMatchObject({ error: expect.stringContaining('loop') });
    const longName = bytes(...Array.from({ length: 5 }, () => [63, ...new Array<number>(63).fill(0x61)]), [0]);
    expect(decodeDns(bytes(header, longName, be16(1), be16(1)))).toMatchObject({ error: expect.stringContaining('255') });
  });

  it('handles truncated messages and DNS over TCP', () => {
    const query = dnsQuery(0x55, 'example.com');
    expect(decodeDns(query.slice(0, 11))).toMatchObject({ protocol: 'malformed', truncated: true });
    expect(decodeDns(query.slice(0, 20))).toMatchObject({ protocol: 'dns', error: expect.stringContaining('question 1') });
    const overTcp = ipFrame({ srcMac: POD1.mac, dstMac: POD2.mac, src: POD1.ip, dst: POD2.ip, protocol: 6, payload: tcp({ srcPort: 40000, dstPort: 53, seq: 1, flags: ['PSH', 'ACK'], payload: bytes(be16(query.length), query) }) });
    const decoded = decodeFrame(overTcp);
    expect(protocols(decoded)).toEqual(['ethernet', 'ipv4', 'tcp', 'dns']);
    expect(findLayer(decoded, 'dns')).toMatchObject({ overTcp: true, questions: [{ name: 'example.com' }] });
  });
});

describe('vxlan', () => {
  it('decodes flags, VNI and the inner frame on 4789 and 8472', () => {
    for (const port of [4789, 8472]) {
      const decoded = decodeFrame(vxlanFrame(42, port));
      expect(protocols(decoded)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp']);
      expect(vniList(decoded)).toEqual([42]);
      expect(findLayer(decoded, 'vxlan')).toMatchObject({ flags: 0x08, vniValid: true, vni: 42 });
      expect(innermostIpv4(decoded)).toMatchObject({ source: POD1.ip, destination: POD2.ip, ttl: 63 });
      expect(outermostIpv4(decoded)).toMatchObject({ source: NODE1.ip, destination: NODE2.ip });
      expect(decoded.summary).toBe('Echo (ping) request id=0x001f, seq=3');
      expect(decoded.protocols).toBe('ethernet:ipv4:udp:vxlan:ethernet:ipv4:icmp');
    }
  });

  it('decodes the header alone and flags a missing I bit', () => {
    expect(decodeVxlan(vxlan({ vni: 0xabcdef, inner: new Uint8Array() }))).toMatchObject({ vni: 0xabcdef, vniValid: true, payloadOffset: 8 });
    expect(decodeVxlan(bytes([0, 0, 0, 0, 0, 0, 1, 0]))).toMatchObject({ vniValid: false, vni: 1 });
    expect(decodeVxlan(new Uint8Array(7))).toMatchObject({ protocol: 'malformed', truncated: true });
  });

  it('stops cleanly when the inner frame is cut short', () => {
    const frame = vxlanFrame();
    const decoded = decodeFrame(frame.slice(0, 14 + 20 + 8 + 8 + 10));
    expect(decoded.malformed).toBe(true);
    expect(decoded.layers.at(-1)).toMatchObject({ protocol: 'malformed', expected: 'ethernet' });
    expect(findLayer(decoded, 'udp')?.truncated).toBe(true);
    expect(decoded.summary).toContain('[Malformed ethernet');
  });
});

describe('decodeFrameHex', () => {
  it('accepts Wireshark hex streams, spaced dumps and colon-separated bytes', () => {
    const frame = vxlanFrame(7);
    const hex = toHex(frame);
    const spaced = hex.replace(/(..)/g, '$1 ').replace(/((?:.. ){16})/g, '$1\n');
    const colons = hex.replace(/(..)(?!$)/g, '$1:');
    for (const text of [hex, spaced, colons, hex.toUpperCase()]) expect(vniList(decodeFrameHex(text))).toEqual([7]);
    expect(() => decodeFrameHex('abc')).toThrow(/even-length/);
  });
});

describe('matchesFilter', () => {
  const tunnelled = decodeFrame(vxlanFrame(42));
  const plainDns = decodeFrame(dnsFrame(dnsQuery(1, 'a.b')));
  const arpFrame = decodeFrame(ethernet({ dst: BROADCAST, src: NODE1.mac, type: 0x0806, payload: arp({ op: 1, senderMac: NODE1.mac, senderIp: NODE1.ip, targetIp: NODE2.ip }) }));

  it('matches hosts in any layer, MACs and CIDRs', () => {
    expect(matchesFilter(tunnelled, { host: POD2.ip })).toBe(true);
    expect(matchesFilter(tunnelled, { host: NODE1.ip })).toBe(true);
    expect(matchesFilter(tunnelled, { host: '10.244.9.9' })).toBe(false);
    expect(matchesFilter(tunnelled, { host: POD1.mac.toUpperCase() })).toBe(true);
    expect(matchesFilter(tunnelled, { host: '10.244.2.0/24' })).toBe(true);
    expect(matchesFilter(plainDns, { host: '10.244.2.0/24' })).toBe(false);
    expect(matchesFilter(arpFrame, { host: NODE2.ip })).toBe(true);
  });

  it('matches IPv6 hosts in any spelling and IPv6 CIDRs', () => {
    const echo6 = decodeFrame(ethernet({ dst: NODE2.mac, src: NODE1.mac, type: 0x86dd, payload: ipv6({ src: 'fd00:10:244:1::3', dst: 'fd00:10:244:2::2', nextHeader: 58, payload: new Uint8Array([128, 0, 0, 0, 0, 1, 0, 1]) }) }));
    expect(matchesFilter(echo6, { host: 'fd00:10:244:2::2' })).toBe(true);
    expect(matchesFilter(echo6, { host: 'FD00:10:244:2:0:0:0:2' })).toBe(true);
    expect(matchesFilter(echo6, { host: 'fd00:10:244:2::3' })).toBe(false);
    expect(matchesFilter(echo6, { host: 'fd00:10:244:1::/64' })).toBe(true);
    expect(matchesFilter(echo6, { host: 'fd00:10:244:3::/64' })).toBe(false);
    expect(matchesFilter(echo6, { host: '10.244.1.0/24' })).toBe(false);
    expect(matchesFilter(echo6, { protocol: 'icmpv6' })).toBe(true);
    expect(matchesFilter(echo6, { protocol: 'ping' })).toBe(true);
  });

  it('matches protocols, aliases and VNIs, all criteria combined', () => {
    expect(matchesFilter(tunnelled, { protocol: 'vxlan' })).toBe(true);
    expect(matchesFilter(tunnelled, { protocol: 'ICMP' })).toBe(true);
    expect(matchesFilter(tunnelled, { protocol: 'ip' })).toBe(true);
    expect(matchesFilter(tunnelled, { protocol: 'ping' })).toBe(true);
    expect(matchesFilter(plainDns, { protocol: 'dns' })).toBe(true);
    expect(matchesFilter(plainDns, { protocol: 'tcp' })).toBe(false);
    expect(matchesFilter(tunnelled, { vni: 42 })).toBe(true);
    expect(matchesFilter(tunnelled, { vni: 43 })).toBe(false);
    expect(matchesFilter(tunnelled, { vni: 42, host: POD1.ip, protocol: 'icmp' })).toBe(true);
    expect(matchesFilter(tunnelled, { vni: 42, host: POD1.ip, protocol: 'tcp' })).toBe(false);
    expect(matchesFilter(arpFrame, {})).toBe(true);
  });
});

describe('robustness', () => {
  const samples = [
    vxlanFrame(),
    dnsFrame(dnsAResponse(3, 'x.y.z', ['1.2.3.4'])),
    podPing(),
    ethernet({ dst: BROADCAST, src: NODE1.mac, type: 0x0806, vlans: [3], payload: arp({ op: 1, senderMac: NODE1.mac, senderIp: NODE1.ip, targetIp: NODE2.ip }) }),
    ipFrame({ srcMac: POD1.mac, dstMac: POD2.mac, src: POD1.ip, dst: POD2.ip, protocol: 6, payload: tcp({ srcPort: 1, dstPort: 53, seq: 1, flags: ['ACK'], mss: 1400, payload: bytes(be16(40), dnsQuery(1, 'q.r')) }) }),
  ];

  function decodeSafely(frame: Uint8Array): DecodedFrame {
    const decoded = decodeFrame(frame);
    expect(decoded.layers.length).toBeLessThanOrEqual(24);
    for (const layer of decoded.layers) {
      expect(typeof layer.summary).toBe('string');
      layerFields(layer);
    }
    return decoded;
  }

  it('never throws on random bytes', () => {
    const random = seededRandom(42);
    for (let i = 0; i < 20_000; i++) decodeSafely(randomBytes(random, Math.floor(random() * 200)));
  });

  it('never throws on every truncation of valid frames', () => {
    for (const sample of samples) for (let n = 0; n <= sample.length; n++) decodeSafely(sample.slice(0, n));
  });

  it('never throws on bit-flipped valid frames', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 20_000; i++) {
      const frame = samples[i % samples.length]!.slice();
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) frame[Math.floor(random() * frame.length)]! ^= 1 << Math.floor(random() * 8);
      decodeSafely(frame);
    }
  });

  it('bounds recursion on VXLAN nested in VXLAN', () => {
    let frame = podPing();
    for (let depth = 0; depth < 12; depth++) {
      frame = ipFrame({ srcMac: NODE1.mac, dstMac: NODE2.mac, src: NODE1.ip, dst: NODE2.ip, protocol: 17, payload: udp({ srcPort: 1, dstPort: 4789, payload: vxlan({ vni: depth, inner: frame }) }) });
    }
    const decoded = decodeSafely(frame);
    expect(decoded.layers).toHaveLength(24);
  });
});
