// The packet walk's pure parts: reading the kernel's TRACE and LOG lines (captured from a
// real node of test/fixtures/labs/walk), the probe's shell, and how a path check compares.
import { describe, expect, it } from 'vitest';
import { firstDifference } from '../../../src/checks/path.js';
import { collectScript, dnsQueryEscapes, parseTarget, probeCommand, probeMatch, tracingScript, type Probe } from '../../../src/observe/walk/probe.js';
import { parseKernelLog, parseLogLine } from '../../../src/observe/walk/trace-log.js';
import type { Walk } from '../../../src/observe/walk/walk.js';

// From node2's dmesg during a walk: a SYN in from flannel.1, into pod web and its answer out,
// a ping dropped by a bare -j DROP (which the kernel calls "return"), and an older line.
const DMESG = `[   24.787408] cni0: port 2(veth-locked) entered forwarding state
[   37.732485] TRACE: raw:PREROUTING:policy:2 IN=flannel.1 OUT= MAC=0a:58:0a:f4:02:00:0a:58:0a:f4:01:00:08:00 SRC=10.244.1.2 DST=10.244.2.2 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=31131 DF PROTO=TCP SPT=46634 DPT=80 SEQ=4075278442 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080ACDE07E3C0000000001030305) 
[   37.733552] TRACE: filter:FORWARD:policy:2 IN=flannel.1 OUT=cni0 MAC=0a:58:0a:f4:02:00:0a:58:0a:f4:01:00:08:00 SRC=10.244.1.2 DST=10.244.2.2 LEN=60 TOS=0x00 PREC=0x00 TTL=62 ID=31131 DF PROTO=TCP SPT=46634 DPT=80 SEQ=4075278442 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 
[   37.741045] pw-walk 2 in: IN=eth0 OUT= MAC=d6:be:52:44:e1:8d:6a:0c:9b:8c:48:e0:08:00 SRC=10.244.1.2 DST=10.244.2.2 LEN=60 TOS=0x00 PREC=0x00 TTL=62 ID=31131 DF PROTO=TCP SPT=46634 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0 
[   37.742057] pw-walk 2 out: IN= OUT=eth0 SRC=10.244.2.2 DST=10.244.1.2 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=80 DPT=46634 WINDOW=65160 RES=0x00 ACK SYN URGP=0 
[   37.748412] TRACE: raw:PREROUTING:policy:2 IN=cni0 OUT= PHYSIN=veth-web MAC=6a:0c:9b:8c:48:e0:d6:be:52:44:e1:8d:08:00 SRC=10.244.2.2 DST=10.244.1.2 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=80 DPT=46634 SEQ=3085701722 ACK=4075278443 WINDOW=65160 RES=0x00 ACK SYN URGP=0 
[   49.253095] TRACE: filter:POLICY-LOCKED:return:1 IN=flannel.1 OUT=cni0 MAC=0a:58:0a:f4:02:00:0a:58:0a:f4:01:00:08:00 SRC=10.244.1.2 DST=10.244.2.3 LEN=65 TOS=0x00 PREC=0x00 TTL=62 ID=33419 DF PROTO=ICMP TYPE=8 CODE=0 ID=243 SEQ=1 
`;

describe('the kernel log of a walk', () => {
  it('reads TRACE lines: table, chain, what, rule number, interfaces and the headers at that point', () => {
    const events = parseKernelLog(DMESG);
    expect(events).toHaveLength(6);
    expect(events[0]).toMatchObject({
      time: 37.732485, source: 'trace', table: 'raw', chain: 'PREROUTING', what: 'policy', ruleNumber: 2, in: 'flannel.1', out: '',
      packet: { src: '10.244.1.2', dst: '10.244.2.2', protocol: 'TCP', sport: 46634, dport: 80, length: 60, ttl: 63, tcpFlags: ['SYN'] },
    });
    expect(events[4]).toMatchObject({ physIn: 'veth-web', packet: { tcpFlags: ['ACK', 'SYN'] } });
    expect(events[5]).toMatchObject({ chain: 'POLICY-LOCKED', what: 'return', ruleNumber: 1, packet: { protocol: 'ICMP', icmpType: 8, icmpId: 243, length: 65 } });
  });

  it("reads the walk's LOG lines in pods' namespaces, by number and direction", () => {
    const [into, out] = parseKernelLog(DMESG).filter((event) => event.source === 'log');
    expect(into).toMatchObject({ namespaceIndex: 2, direction: 'in', in: 'eth0', packet: { dport: 80 } });
    expect(out).toMatchObject({ namespaceIndex: 2, direction: 'out', out: 'eth0', packet: { sport: 80, dst: '10.244.1.2' } });
  });

  it('keeps only what was logged since the walk armed its tracing, and ignores other lines', () => {
    expect(parseKernelLog(DMESG, 40).map((event) => event.time)).toEqual([49.253095]);
    expect(parseLogLine('[   24.787408] cni0: port 2(veth-locked) entered forwarding state')).toBeUndefined();
    expect(parseLogLine('[   1.0] TRACE: raw:PREROUTING:policy:2 IN=eth0 OUT= no packet here')).toBeUndefined();
    expect(parseLogLine('TRACE: raw:PREROUTING:policy:2 SRC=1.2.3.4 DST=5.6.7.8 PROTO=UDP')).toBeUndefined();
  });
});

describe("the walk's probe", () => {
  const probe = (kind: Probe['kind'], port?: number): Probe => ({ kind, target: { address: '10.96.0.20', ...(port ? { port } : {}) }, sourcePort: 45123, query: 'web.default.svc.cluster.local' });

  it('is picked out by its size or its own source port, both ways', () => {
    expect(probeMatch(probe('icmp'))).toBe('-p icmp -m length --length 65');
    expect(probeMatch(probe('tcp', 80))).toBe('-p tcp --tcp-flags SYN SYN -m multiport --ports 45123');
    expect(probeMatch(probe('dns', 53))).toBe('-p udp -m multiport --ports 45123');
    expect(probeCommand(probe('icmp'), 'client')).toBe('ip netns exec client ping -n -c 1 -W 3 -s 37 10.96.0.20');
    expect(probeCommand(probe('tcp', 80), '')).toBe('nc -z -n -w 3 -p 45123 10.96.0.20 80');
  });

  it('asks DNS a well-formed query: id, one question, labels, type A, class IN', () => {
    const bytes = dnsQueryEscapes('web.svc', 0x1234).split('\\x').filter(Boolean).map((hex) => parseInt(hex, 16));
    expect(bytes).toEqual([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 119, 101, 98, 3, 115, 118, 99, 0, 0, 1, 0, 1]);
  });

  it('arms and disarms the same rules, numbering the namespaces from the list it kept', () => {
    const armed = tracingScript(probe('icmp'));
    const disarmed = tracingScript(probe('icmp'), true);
    expect(armed).toContain("m='-p icmp -m length --length 65 -m comment --comment podwire-walk'");
    expect(armed).toContain('-I PREROUTING 1 $m $in');
    expect(disarmed).toContain('-D PREROUTING $m $in');
    expect(armed).toContain(`raw "-j LOG --log-prefix \\"pw-walk $i in: \\""`);
    expect(armed).toContain('>/run/podwire-walk.namespaces');
    expect(disarmed).toContain('read -r ns_list </run/podwire-walk.namespaces');
    expect(disarmed).toContain('cat /run/podwire-walk.nf_log_all_netns >/proc/sys/net/netfilter/nf_log_all_netns');
    // Reading the logs leaves the tracing on: it comes off in a round of its own, once the walk has its answer.
    const collect = collectScript(probe('icmp'), 12.5);
    expect(collect).not.toContain('-D PREROUTING');
    expect(collect).toContain("podwire-walklog 12.5 -r /run/podwire-walk.routes 'TRACE: ' 'pw-walk '");
    expect(collectScript(probe('icmp'), Number.NaN)).toContain('podwire-walklog 0 ');
  });

  it('takes an address, address:port or name, and refuses anything else', () => {
    expect(parseTarget('10.96.0.20:80')).toEqual({ host: '10.96.0.20', port: 80 });
    expect(parseTarget('web.default.svc.cluster.local')).toEqual({ host: 'web.default.svc.cluster.local' });
    expect(() => parseTarget('10.96.0.20:0')).toThrow(/not between 1 and 65535/);
    expect(() => parseTarget('$(reboot)')).toThrow(/neither an IPv4 address nor a DNS name/);
    expect(() => parseTarget('a b')).toThrow(/not an address/);
  });
});

describe('a path check', () => {
  const walk = {
    hops: [
      { text: 'client sends a TCP SYN from port 45000 to 10.96.0.20:80' },
      { text: 'node1: nat KUBE-SEP-X rule 2 → DNAT to 10.244.2.2:80: -A KUBE-SEP-X ...' },
      { text: 'node1: flannel.1 wraps it: VXLAN VNI 1, outer 10.0.0.11 → 10.0.0.12' },
      { text: 'web on node2: arrives on its eth0 (10.244.1.2:45000 → 10.244.2.2:80)' },
    ],
    summary: 'answered: 4 hops there, 0 back',
  } as unknown as Walk;

  it('finds the hops named, in order, by their words in any case', () => {
    expect(firstDifference(walk, ['dnat 10.244.2.2:80', 'VXLAN VNI 1', 'web arrives'])).toBeUndefined();
  });

  it('matches whole words: VNI 1 is not VNI 12, an address is not a longer one, a chain prefix ends at a dash', () => {
    expect(firstDifference(walk, ['VNI 12'])).toMatch(/^no hop "VNI 12"/);
    expect(firstDifference(walk, ['DNAT to 10.244.2.20'])).toMatch(/^no hop/);
    expect(firstDifference(walk, ['DNAT to 10.244.2'])).toMatch(/^no hop/);
    expect(firstDifference(walk, ['KUBE-SEP', 'arrives (10.244.1.2:'])).toBeUndefined();
  });

  it('names the first hop that differs, and what came there instead', () => {
    expect(firstDifference(walk, ['DNAT', 'DNAT to 10.244.2.9'])).toBe('no hop "DNAT to 10.244.2.9" after hop 2: after hop 2, the path went on with hop 3: node1: flannel.1 wraps it: VXLAN VNI 1, outer 10.0.0.11 → 10.0.0.12');
    expect(firstDifference(walk, ['web arrives', 'DNAT'])).toMatch(/^no hop "DNAT" after hop 4: the path ended after hop 4/);
  });
});
