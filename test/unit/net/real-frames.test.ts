// The decoders on frames captured from real nodes (test/fixtures/frames/capture.ts made
// real-frames.pcapng): ARP, ICMP, 802.1Q, VXLAN, IP-in-IP, DNS over UDP and a TCP exchange.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFrame, findLayer, findLayers, innermostIpv4, outermostIpv4, vniList, type DecodedFrame } from '../../../src/net/decode/index.js';
import { readCaptureFile } from '../../../src/net/pcap.js';

const capture = readCaptureFile(new Uint8Array(readFileSync(new URL('../../fixtures/frames/real-frames.pcapng', import.meta.url))));
const frames: DecodedFrame[] = capture.frames.map((frame) => decodeFrame(frame.bytes));
const having = (protocol: Parameters<typeof findLayer>[1]) => frames.filter((f) => findLayer(f, protocol));

describe('decoders on frames from real nodes', () => {
  it('reads the capture and decodes every frame without a malformed layer', () => {
    expect(frames.length).toBeGreaterThan(20);
    expect(frames.filter((f) => f.malformed)).toEqual([]);
  });

  it('decodes ARP between the nodes', () => {
    const arp = having('arp').map((f) => findLayer(f, 'arp')!);
    expect(arp.some((a) => a.operationName === 'request' && a.senderIp === '10.0.0.11' && a.targetIp === '10.0.0.12')).toBe(true);
    expect(arp.some((a) => a.operation === 2 && a.senderIp === '10.0.0.12' && a.senderMac === '02:50:00:00:00:02')).toBe(true);
  });

  it('decodes a plain ICMP echo and its reply', () => {
    const echoes = frames.filter((f) => findLayers(f, 'ipv4').length === 1 && findLayer(f, 'icmp') && outermostIpv4(f)?.destination === '10.0.0.12');
    expect(echoes.map((f) => findLayer(f, 'icmp')!.type)).toContain(8);
    expect(findLayer(echoes[0]!, 'icmp')!.checksumValid).toBe(true);
  });

  it('decodes 802.1Q VLAN 100', () => {
    const tagged = frames.filter((f) => findLayer(f, 'ethernet')!.vlanTags.some((t) => t.id === 100));
    expect(tagged.some((f) => innermostIpv4(f)?.destination === '192.168.100.2')).toBe(true);
  });

  it('decodes VXLAN VNI 42 and the inner frame within', () => {
    const vxlan = frames.filter((f) => vniList(f).includes(42));
    const echo = vxlan.find((f) => innermostIpv4(f)?.destination === '10.42.0.2' && findLayers(f, 'icmp').at(-1)?.type === 8)!;
    expect(outermostIpv4(echo)).toMatchObject({ source: '10.0.0.11', destination: '10.0.0.12' });
    expect(findLayer(echo, 'udp')!.destinationPort).toBe(4789);
    expect(findLayers(echo, 'ethernet').length).toBe(2);
  });

  it('decodes IP-in-IP with the inner packet', () => {
    const ipip = frames.filter((f) => findLayers(f, 'ipv4').length === 2 && !findLayer(f, 'vxlan'));
    expect(ipip.some((f) => outermostIpv4(f)!.ipProtocol === 4 && innermostIpv4(f)!.destination === '10.43.0.2')).toBe(true);
  });

  it('decodes the DNS query and answer for a Service name', () => {
    const dns = having('dns').map((f) => findLayer(f, 'dns')!);
    const query = dns.find((d) => !d.isResponse)!;
    expect(query.questions[0]!.name).toBe('web.default.svc.cluster.local');
    const answer = dns.find((d) => d.isResponse && d.answers.length)!;
    expect(answer.answers[0]).toMatchObject({ name: 'web.default.svc.cluster.local', data: '10.96.0.20' });
  });

  it('decodes the TCP handshake and data to port 8080', () => {
    const tcp = having('tcp').map((f) => findLayer(f, 'tcp')!);
    expect(tcp.some((t) => t.destinationPort === 8080 && t.flagNames === 'SYN')).toBe(true);
    expect(tcp.some((t) => t.sourcePort === 8080 && t.flagNames === 'SYN, ACK')).toBe(true);
  });
});
