// Cross-checks our pcapng writer and decoders against Wireshark's own dissectors.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PacketRecord } from '../../../src/net/capture.js';
import { decodeFrame, findLayer, findLayers, vniList } from '../../../src/net/decode/index.js';
import { writePcapng } from '../../../src/net/pcapng.js';
import { arp, be16, BROADCAST, bytes, dnsAResponse, dnsQuery, ethernet, icmpEcho, ipFrame, tcp, udp, vxlan } from './frames.js';

const TSHARK_MISSING = 'tshark is not installed (apt-get install -y tshark); skipping the Wireshark cross-check';
const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasTshark) console.warn(TSHARK_MISSING);

const workDir = mkdtempSync(join(tmpdir(), 'podwire-tshark-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs tshark over frames written by writePcapng; one array of field values per packet. */
function tsharkFields(frames: PacketRecord[], fields: string[], name: string): string[][] {
  const path = join(workDir, `${name}.pcapng`);
  writeFileSync(path, writePcapng(frames));
  const output = execFileSync('tshark', ['-r', path, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
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
