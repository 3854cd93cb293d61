// The capture panel's model on frames captured from real nodes (test/fixtures/frames/real-frames.pcapng):
// ARP, ICMP, 802.1Q, VXLAN VNI 42, IP-in-IP, DNS and TCP, all on node1's link.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaptureRing, framesSince } from '../../../src/net/capture.js';
import { readPcapng } from '../../../src/net/pcapng.js';
import { english } from '../../../src/ui/i18n/words.js';
import {
  CaptureCollector, filterProblem, filterRows, followPacket, formatTime, frameLayers, hexDump, toRow, type CaptureRow,
} from '../../../src/ui/capture-model.js';

const file = readPcapng(new Uint8Array(readFileSync(new URL('../../fixtures/frames/real-frames.pcapng', import.meta.url))));
const frames = file.frames;
const rows = frames.map((frame, i) => toRow(frame, i));
const vxlanEcho = rows.find((r) => r.vni === 42 && r.summary.startsWith('Echo (ping) request'))!;

describe('rows', () => {
  it('turns every frame into a row with link, endpoints, protocol and summary', () => {
    expect(rows.length).toBe(frames.length);
    expect(rows.every((r) => r.link === 'node1' && r.src && r.dst && r.protocol && r.summary)).toBe(true);
    const arp = rows.find((r) => r.protocol === 'ARP' && !r.outer)!;
    expect(arp).toMatchObject({ src: '10.0.0.11', dst: '10.0.0.12', summary: 'Who has 10.0.0.12? Tell 10.0.0.11', direction: 'node1:eth0 -> node1' });
    const dns = rows.find((r) => r.protocol === 'DNS')!;
    expect(dns.summary).toMatch(/A web\.default\.svc\.cluster\.local/);
    expect(rows.find((r) => r.protocol === 'TCP')!.summary).toMatch(/→ 8080 \[SYN\]/);
  });

  it('shows the inner packet of a VXLAN frame, with the outer one and the VNI beside it', () => {
    expect(vxlanEcho).toMatchObject({
      src: '10.42.0.1', dst: '10.42.0.2', protocol: 'ICMP', vni: 42,
      outer: { src: '10.0.0.11', dst: '10.0.0.12', tunnel: 'VXLAN VNI 42' },
    });
    expect(vxlanEcho.summary).toMatch(/^Echo \(ping\) request id=0x[0-9a-f]{4}, seq=1$/);
    const ipip = rows.find((r) => r.outer?.tunnel === 'IP-in-IP')!;
    expect(ipip).toMatchObject({ src: '10.43.0.1', dst: '10.43.0.2', protocol: 'ICMP', outer: { src: '10.0.0.11', dst: '10.0.0.12' } });
  });
});

describe('filters', () => {
  const count = (filter: Parameters<typeof filterRows>[1]) => filterRows(rows, filter).length;

  it('filters by protocol', () => {
    expect(filterRows(rows, { protocol: 'dns' }).map((r) => r.protocol)).toEqual(['DNS', 'DNS']);
    expect(filterRows(rows, { protocol: 'arp' }).every((r) => r.protocol === 'ARP')).toBe(true);
    expect(count({ protocol: 'vxlan' })).toBe(rows.filter((r) => r.vni !== undefined).length);
    expect(count({ protocol: 'tcp' })).toBe(9);
    // UDP matches the outer UDP of VXLAN and the DNS queries too.
    expect(count({ protocol: 'udp' })).toBe(count({ protocol: 'vxlan' }) + 2);
    expect(count({ protocol: '' })).toBe(rows.length);
  });

  it('matches a host on the inner or the outer packet', () => {
    const inner = filterRows(rows, { host: '10.42.0.2' });
    expect(inner.length).toBeGreaterThan(0);
    expect(inner.every((r) => r.vni === 42)).toBe(true);
    const outer = filterRows(rows, { host: '10.0.0.12' });
    expect(outer).toContain(vxlanEcho);
    expect(outer.some((r) => r.protocol === 'DNS')).toBe(true);
    expect(count({ host: '10.42.0.0/24', protocol: 'icmp' })).toBe(4);
  });

  it('filters by VNI and by link, and says when a VNI is not a number', () => {
    expect(count({ vni: '42' })).toBe(count({ protocol: 'vxlan' }));
    expect(count({ vni: '1' })).toBe(0);
    expect(count({ vni: 'x' })).toBe(0);
    expect(english(filterProblem({ vni: 'x' })!)).toBe("VNI 'x' is not a number");
    expect(filterProblem({ vni: ' 42 ' })).toBeUndefined();
    expect(count({ link: 'node1' })).toBe(rows.length);
    expect(count({ link: 'node2' })).toBe(0);
    expect(count({ link: 'all', protocol: 'icmp', vni: '42' })).toBe(4);
  });
});

describe('the detail pane', () => {
  it('splits a VXLAN frame into the outer stack and the inner stack', () => {
    const layers = frameLayers(vxlanEcho);
    expect(layers.tunnel).toBe('VXLAN VNI 42');
    expect(layers.outer.map((l) => l.protocol)).toEqual(['Ethernet', 'IPv4', 'UDP', 'VXLAN']);
    expect(layers.inner!.map((l) => l.protocol)).toEqual(['Ethernet', 'IPv4', 'ICMP']);
    expect(layers.outer[2]!.fields).toContainEqual(['destination port', '4789']);
    expect(layers.inner![1]!.fields).toContainEqual(['source', '10.42.0.1']);
    expect(layers.outer[3]!.fields).toContainEqual(['VNI', '42']);
  });

  it('gives a plain frame one stack', () => {
    const plain = frameLayers(rows.find((r) => r.protocol === 'DNS')!);
    expect(plain.inner).toBeUndefined();
    expect(plain.outer.map((l) => l.protocol)).toEqual(['Ethernet', 'IPv4', 'UDP', 'DNS']);
  });

  it('dumps the bytes as hex and ASCII, 16 a line', () => {
    const dump = hexDump(vxlanEcho.frame.bytes);
    expect(dump.length).toBe(Math.ceil(vxlanEcho.frame.bytes.length / 16));
    expect(dump[0]!.offset).toBe('0000');
    expect(dump[0]!.bytes.slice(0, 6).map((b) => b.hex).join(':')).toBe('02:50:00:00:00:02');
    expect(dump[1]!.bytes[0]!.index).toBe(16);
    expect(dump.at(-1)!.bytes.at(-1)!.index).toBe(vxlanEcho.frame.bytes.length - 1);
  });

  it('formats times relative to the first frame', () => {
    expect(formatTime(1_500_000 + 12_345_678, 1_500_000)).toBe('12.346');
  });
});

describe('CaptureCollector', () => {
  // Real rings, as a cluster has them: one per link, each numbering its own frames.
  const linkRings = () => {
    let clock = 0;
    const rings = new Map([['node1', new CaptureRing({ nowMicros: () => ++clock })], ['node2', new CaptureRing({ nowMicros: () => ++clock })]]);
    const put = (link: string, n: number, from = 0) => {
      for (const f of frames.slice(from, from + n)) rings.get(link)!.record(link, f.bytes, `${link}:eth0`, link);
    };
    return { rings, put, source: { framesSince: (cursor: Record<string, number>) => framesSince(rings, cursor) } };
  };

  it('asks only for frames after its cursor, merges the links in time order, and keeps the newest', () => {
    const { rings, put, source } = linkRings();
    put('node1', 10);
    put('node2', 10);
    const asked: Record<string, number>[] = [];
    const spy = { framesSince: (cursor: Record<string, number>) => { asked.push({ ...cursor }); return source.framesSince(cursor); } };
    const collector = new CaptureCollector(15);
    expect(collector.poll(spy)).toBe(true);
    expect(collector.rows.length).toBe(15);
    expect(collector.rows.map((r) => r.time)).toEqual([...collector.rows.map((r) => r.time)].sort((x, y) => x - y));
    expect(collector.poll(spy)).toBe(false);
    expect(asked.at(-1)).toEqual({ node1: 10, node2: 10 });
    put('node1', 1, 10);
    expect(collector.poll(spy)).toBe(true);
    expect(collector.rows.at(-1)!.frame).toBe(rings.get('node1')!.since(10)[0]);
    expect(collector.rows.at(-1)).toMatchObject({ link: 'node1', from: 'node1:eth0', to: 'node1', direction: 'node1:eth0 -> node1' });
    expect(new Set(collector.rows.map((r) => r.seq)).size).toBe(15);
  });

  it('forgets what it had on clear and does not read it again', () => {
    const { put, source } = linkRings();
    put('node1', 5);
    const collector = new CaptureCollector();
    collector.poll(source);
    collector.clear(source.framesSince({}).at(-1)!.timestampMicros);
    expect(collector.rows).toEqual([]);
    expect(collector.poll(source)).toBe(false);
  });

  it('loses nothing when two collectors read the same rings', () => {
    const { put, source } = linkRings();
    const panel = new CaptureCollector();
    const other = new CaptureCollector();
    put('node1', 4);
    panel.poll(source);
    other.poll(source);
    put('node2', 3);
    other.poll(source);
    panel.poll(source);
    expect(panel.rows.length).toBe(7);
    expect(other.rows.length).toBe(7);
  });
});

describe('follow this packet', () => {
  // The same frames as if seen again further along, on the router's link and on node2's.
  const later = (row: CaptureRow, link: string, delay: number, seq: number) => toRow({ ...row.frame, interfaceName: link, timestampMicros: row.time + delay }, seq);
  const all = [...rows, later(vxlanEcho, 'router-lan', 200, 1000), later(vxlanEcho, 'node2', 400, 1001)];

  it('finds the VXLAN-wrapped echo on every link, in time order, and describes each hop', () => {
    const hops = followPacket(all, vxlanEcho);
    expect(hops.map((h) => h.row.link)).toEqual(['node1', 'router-lan', 'node2']);
    expect(hops[0]!.description).toBe('VXLAN VNI 42 outer 10.0.0.11 → 10.0.0.12, inner 10.42.0.1 → 10.42.0.2 ICMP');
  });

  it('orders hops that share a timestamp: before the router first, then from the sender towards the receiver', () => {
    const same = (row: CaptureRow, link: string, direction: string, ttlDrop: number, seq: number) => {
      const bytes = row.frame.bytes.slice();
      bytes[22] = bytes[22]! - ttlDrop; // the outer IPv4 TTL (the checksum does not matter here)
      const [from, to] = direction.split(' -> ') as [string, string];
      return toRow({ ...row.frame, bytes, interfaceName: link, seq, link, from, to }, seq);
    };
    const hops = followPacket([
      same(vxlanEcho, 'node2', 'node2 -> node2:eth0', 1, 3000),
      same(vxlanEcho, 'router-west', 'router-west -> router-west', 1, 3001),
      same(vxlanEcho, 'router-east', 'router-east -> router-east', 0, 3002),
      same(vxlanEcho, 'node1', 'node1:eth0 -> node1', 0, 3003),
    ], vxlanEcho);
    expect(hops.map((h) => h.row.link)).toEqual(['node1', 'router-east', 'router-west', 'node2']);
  });

  it('does not confuse the request with its reply or with the next ping', () => {
    const hops = followPacket(all, vxlanEcho);
    expect(hops.every((h) => h.row.summary === vxlanEcho.summary)).toBe(true);
  });

  it('matches an ICMP echo by id and seq even when the addresses changed (NAT)', () => {
    const echo = rows.find((r) => r.protocol === 'ICMP' && !r.outer && r.summary.includes('request'))!;
    const bytes = echo.frame.bytes.slice();
    bytes.set([10, 0, 0, 99], 26); // another source address, as after SNAT
    const natted = toRow({ ...echo.frame, bytes, interfaceName: 'router-lan', timestampMicros: echo.time + 50 }, 2000);
    expect(followPacket([...rows, natted], echo).map((h) => h.row.link)).toEqual(['node1', 'router-lan']);
  });
});
