// Cross-checks our pcapng writer and decoders against Wireshark's own dissectors.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PacketRecord } from '../../../src/net/capture.js';
import { decodeFrame, findLayer, findLayers, vniList } from '../../../src/net/decode/index.js';
import { readingNotes, tsharkCommand, vxlanPortsToDecode, writePcapng, type PcapngWriteOptions } from '../../../src/net/pcapng.js';
import { arp, be16, BROADCAST, bytes, dnsAResponse, dnsQuery, ethernet, icmpEcho, ipFrame, tcp, udp, vxlan } from './frames.js';

const TSHARK_MISSING = 'tshark is not installed (apt-get install -y tshark); skipping the Wireshark cross-check';
const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasTshark) console.warn(TSHARK_MISSING);

const workDir = mkdtempSync(join(tmpdir(), 'podwire-tshark-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs tshark over frames written by writePcapng; one array of field values per packet. */
function tsharkFields(frames: PacketRecord[], fields: string[], name: string, options: { write?: PcapngWriteOptions; args?: string[] } = {}): string[][] {
  const path = join(workDir, `${name}.pcapng`);
  writeFileSync(path, writePcapng(frames, options.write));
  return tshark([...(options.args ?? []), '-r', path, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]);
}

function tshark(args: string[]): string[][] {
  const output = execFileSync('tshark', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'], // tshark warns on stderr when run as root
  });
  return output.replace(/\n$/, '').split('\n').map((line) => line.split('\t'));
}

const capture = (bytes: Uint8Array, interfaceName: string, timestampMicros: number): PacketRecord => ({
  timestampMicros,
  interfaceName,
  bytes,
  originalLength: bytes.length,
});

function vxlanPing(): Uint8Array {
  const inner = ipFrame({ srcMac: '0a:58:0a:f4:01:02', dstMac: '0a:58:0a:f4:02:03', src: '10.244.1.2', dst: '10.244.2.3', protocol: 1, payload: icmpEcho({ id: 0x42, seq: 1 }) });
  return ipFrame({
    srcMac: '52:54:00:00:00:01',
    dstMac: '52:54:00:00:00:02',
    src: '192.168.10.11',
    dst: '192.168.10.12',
    protocol: 17,
    payload: udp({ srcPort: 51000, dstPort: 4789, payload: vxlan({ vni: 42, inner }) }),
  });
}

describe('pcapng read back by tshark', () => {
  it('agrees with our decoder on a VXLAN (VNI 42) frame carrying an ICMP echo', (context) => {
    if (!hasTshark) return context.skip(TSHARK_MISSING);
    const frame = vxlanPing();
    const [row] = tsharkFields([capture(frame, 'node1-eth0', 1_700_000_000_000_001)], ['vxlan.vni', 'ip.src', 'ip.dst', 'icmp.type', 'frame.interface_name', 'frame.time_epoch'], 'vxlan');
    const decoded = decodeFrame(frame);
    const ipv4 = findLayers(decoded, 'ipv4');
    expect(row).toEqual([
      vniList(decoded).join(','),
      ipv4.map((l) => l.source).join(','),
      ipv4.map((l) => l.destination).join(','),
      String(findLayer(decoded, 'icmp')?.type),
      'node1-eth0',
      '1700000000.000001000',
    ]);
    expect(row?.slice(0, 3)).toEqual(['42', '192.168.10.11,10.244.1.2', '192.168.10.12,10.244.2.3']);
  }, 30_000);

  it('agrees on ARP, 802.1Q, TCP and DNS fields across interfaces', (context) => {
    if (!hasTshark) return context.skip(TSHARK_MISSING);
    const frames = [
      ethernet({ dst: BROADCAST, src: '52:54:00:00:00:01', type: 0x0806, vlans: [100], payload: arp({ op: 1, senderMac: '52:54:00:00:00:01', senderIp: '192.168.10.11', targetIp: '192.168.10.1' }), pad: true }),
      ipFrame({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: '10.244.1.2', dst: '10.96.0.1', protocol: 6, ttl: 61, payload: tcp({ srcPort: 45678, dstPort: 443, seq: 123456789, ack: 987654321, flags: ['SYN', 'ACK'], mss: 1410 }) }),
      ipFrame({ srcMac: '02:00:00:00:00:02', dstMac: '02:00:00:00:00:01', src: '10.96.0.10', dst: '10.244.1.2', protocol: 17, payload: udp({ srcPort: 53, dstPort: 40000, payload: dnsAResponse(0xbeef, 'kube-dns.kube-system.svc.cluster.local', ['10.96.0.10']) }) }),
      ipFrame({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: '10.244.1.2', dst: '10.96.0.10', protocol: 6, payload: tcp({ srcPort: 40001, dstPort: 53, seq: 5, ack: 6, flags: ['PSH', 'ACK'], payload: bytes(be16(dnsQuery(1, 'a.b.c').length), dnsQuery(1, 'a.b.c')) }) }),
    ];
    const rows = tsharkFields(
      frames.map((f, i) => capture(f, i % 2 === 0 ? 'sw1/p1' : 'node2-eth0', 1_700_000_000_000_000 + i)),
      ['frame.interface_name', 'vlan.id', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'ip.ttl', 'tcp.srcport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.options.mss_val', 'dns.id', 'dns.qry.name', 'dns.a'],
      'mixed',
    );
    const ours = frames.map((f, i) => {
      const d = decodeFrame(f);
      const eth = findLayer(d, 'ethernet');
      const arpLayer = findLayer(d, 'arp');
      const ip = findLayer(d, 'ipv4');
      const tcpLayer = findLayer(d, 'tcp');
      const dns = findLayer(d, 'dns');
      return [
        i % 2 === 0 ? 'sw1/p1' : 'node2-eth0',
        eth?.vlanTags.map((t) => t.id).join(',') ?? '',
        arpLayer?.senderIp ?? '',
        arpLayer?.targetIp ?? '',
        ip ? String(ip.ttl) : '',
        tcpLayer ? String(tcpLayer.sourcePort) : '',
        tcpLayer ? String(tcpLayer.sequence) : '',
        tcpLayer ? String(tcpLayer.acknowledgment) : '',
        tcpLayer?.mss !== undefined ? String(tcpLayer.mss) : '',
        dns ? `0x${dns.id.toString(16).padStart(4, '0')}` : '',
        dns?.questions.map((q) => q.name).join(',') ?? '',
        dns?.answers.filter((a) => a.type === 1).map((a) => a.data).join(',') ?? '',
      ];
    });
    expect(rows).toEqual(ours);
  }, 30_000);
});

/** A pod-to-pod ping inside flannel's VXLAN (VNI 1, UDP 8472), as node1 sends it to node2. */
function flannelPing(seq: number): Uint8Array {
  const inner = ipFrame({ srcMac: '0a:58:0a:f4:01:00', dstMac: '0a:58:0a:f4:02:00', src: '10.244.1.2', dst: '10.244.2.2', protocol: 1, payload: icmpEcho({ id: 7, seq }) });
  return ipFrame({
    srcMac: '02:50:00:00:00:11', dstMac: '02:50:00:00:00:12', src: '10.0.0.11', dst: '10.0.0.12', protocol: 17,
    payload: udp({ srcPort: 40000 + seq, dstPort: 8472, payload: vxlan({ vni: 1, inner }) }),
  });
}

/** Each frame as the two node links see it: on the sender's link, then 200 µs later on the receiver's. */
function onBothLinks(frames: Uint8Array[], start = 1_700_000_000_000_000): PacketRecord[] {
  return frames.flatMap((frame, i) => [
    { ...capture(frame, 'node1', start + i * 1_000_000), comment: 'node1:eth0 -> node1' },
    { ...capture(frame, 'node2', start + i * 1_000_000 + 200), comment: 'node2 -> node2:eth0' },
  ]);
}

describe('the downloaded pcapng in tshark', () => {
  it('decodes flannel\'s VXLAN on port 8472 with the one line the file and the page give, inner ICMP included', (context) => {
    if (!hasTshark) return context.skip(TSHARK_MISSING);
    const frames = onBothLinks([flannelPing(1), flannelPing(2)]);
    const path = join(workDir, 'flannel.pcapng');
    writeFileSync(path, writePcapng(frames));
    // Without being told, tshark sees plain UDP: that is why the line is needed at all.
    expect(tshark(['-r', path, '-T', 'fields', '-e', 'vxlan.vni', '-e', 'udp.dstport'])[0]).toEqual(['', '8472']);
    // The section comment carries the line; the Capture panel shows the same one (tsharkCommand).
    const comment = execFileSync('capinfos', [path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = tsharkCommand('FILE', vxlanPortsToDecode(frames.map((f) => decodeFrame(f.bytes))));
    expect(line).toBe('tshark -d udp.port==8472,vxlan -r FILE');
    expect(comment).toContain(line);
    const args = line.split(' ').slice(1).map((word) => (word === 'FILE' ? path : word));
    const rows = tshark([...args, '-T', 'fields', '-e', 'vxlan.vni', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'icmp.type', '-e', 'icmp.seq']);
    expect(rows).toEqual([
      ['1', '10.0.0.11,10.244.1.2', '10.0.0.12,10.244.2.2', '8', '1'],
      ['1', '10.0.0.11,10.244.1.2', '10.0.0.12,10.244.2.2', '8', '1'],
      ['1', '10.0.0.11,10.244.1.2', '10.0.0.12,10.244.2.2', '8', '2'],
      ['1', '10.0.0.11,10.244.1.2', '10.0.0.12,10.244.2.2', '8', '2'],
    ]);
  }, 30_000);

  it('says nothing about decoding when VXLAN is on 4789, which tshark decodes by itself', () => {
    const frames = [capture(vxlanPing(), 'node1', 1)];
    expect(vxlanPortsToDecode(frames.map((f) => decodeFrame(f.bytes)))).toEqual([]);
    expect(readingNotes([], { repeats: false })).toBe('');
  });

  it('marks the frames of one packet on several links with one packet id and a comment naming the first', (context) => {
    if (!hasTshark) return context.skip(TSHARK_MISSING);
    const ping = flannelPing(1);
    // Routed to another segment: new MACs, TTL one less, a new checksum, still the same packet.
    const routed = ping.slice();
    routed.set([2, 0x52, 0, 0, 0, 2, 2, 0x52, 0, 0, 0, 1], 0);
    routed[14 + 8]! -= 1;
    routed[14 + 10] = 0xab;
    // An ARP request sent again a second later on the same link is a new packet.
    const who = ethernet({ dst: BROADCAST, src: '02:50:00:00:00:11', type: 0x0806, payload: arp({ op: 1, senderMac: '02:50:00:00:00:11', senderIp: '10.0.0.11', targetIp: '10.0.0.12' }), pad: true });
    const t = 1_700_000_000_000_000;
    const frames = [
      capture(ping, 'node1', t), capture(ping, 'node2', t + 150), capture(routed, 'router-lan2', t + 300),
      capture(who, 'node1', t + 500_000), capture(who, 'node1', t + 1_400_000), capture(who, 'node2', t + 1_400_100),
    ];
    const rows = tsharkFields(frames, ['frame.number', 'frame.interface_name', 'frame.packet_id', 'frame.comment'], 'same-packet');
    expect(rows).toEqual([
      ['1', 'node1', '1', 'seen again as #2 (node2), #3 (router-lan2)'],
      ['2', 'node2', '1', 'same packet as #1 (node1)'],
      ['3', 'router-lan2', '1', 'same packet as #1 (node1)'],
      ['4', 'node1', '', ''],
      ['5', 'node1', '5', 'seen again as #6 (node2)'],
      ['6', 'node2', '5', 'same packet as #5 (node1)'],
    ]);
  }, 30_000);

  it('exports one link only: its frames, its interface, and no repeats to explain', (context) => {
    if (!hasTshark) return context.skip(TSHARK_MISSING);
    const frames = onBothLinks([flannelPing(1), flannelPing(2), flannelPing(3)]);
    const rows = tsharkFields(frames, ['frame.interface_name', 'frame.packet_id', 'frame.comment', 'icmp.seq'], 'one-link', {
      write: { link: 'node2', interfaceNames: ['node1', 'node2'] }, args: ['-d', 'udp.port==8472,vxlan'],
    });
    expect(rows).toEqual([1, 2, 3].map((seq) => ['node2', '', 'node2 -> node2:eth0', String(seq)]));
    const path = join(workDir, 'one-link.pcapng');
    const info = execFileSync('capinfos', [path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(info).toMatch(/Number of interfaces in file: 1\b/);
  }, 30_000);
});
