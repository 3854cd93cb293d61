// Every check kind through runCheck, on facts captured from a real node
// (test/fixtures/facts/node1.txt) and on recorded command output.
import { describe, expect, it } from 'vitest';
import { factsSectionsFor, jsonPath, runCheck, type Check } from '../../../src/checks/index.js';
import { arp, be16, bytes, checksum as checksumOf, ethernet, icmpEcho, ipv4, ipv6, udp, vxlan } from '../net/frames.js';
import { buildIcmpv6, ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY } from '../../../src/net/wire/index.js';
import { parseIpv6 } from '../../../src/net/addr.js';
import type { CapturedFrame } from '../../../src/net/capture.js';
import { stepReport } from '../../../src/harness/report.js';
import { parseLab } from '../../../src/lab/parse.js';
import { AgentTimeoutError } from '../../../src/vm/agent-client.js';
import { ok, recordedContext, type RecordedNode } from './context.js';

const base = { node: 'node1', at: 'labs/x/lab.md:1' };
const run = (check: Check, recorded?: RecordedNode) => runCheck(check, recordedContext(recorded));

describe('checks on real facts', () => {
  it('finds the pod address the CNI plugin gave, and names what it found when the range is wrong', async () => {
    expect((await run({ ...base, name: 'a', kind: 'address', netns: 'pod1', dev: 'eth0', in: '10.244.1.0/24' })).passed).toBe(true);
    const wrong = await run({ ...base, name: 'pod1 in 10.244.9.0/24', kind: 'address', netns: 'pod1', in: '10.244.9.0/24' });
    expect(wrong.passed).toBe(false);
    expect(wrong.message).toMatch(/^pod1 in 10\.244\.9\.0\/24: expected an IPv4 address in 10\.244\.9\.0\/24 in netns pod1, found 10\.244\.1\.\d+\/24 on eth0/);
  });

  it('checks routes by destination and gateway', async () => {
    expect((await run({ ...base, name: 'r', kind: 'route', netns: 'pod1', destination: 'default', via: '10.244.1.1' })).passed).toBe(true);
    const wrong = await run({ ...base, name: 'r', kind: 'route', netns: 'pod1', destination: 'default', via: '10.244.1.254' });
    expect(wrong.found).toMatch(/the route is default via 10\.244\.1\.1 dev eth0/);
  });

  it('checks links: type, state, master, VNI', async () => {
    expect((await run({ ...base, name: 'l', kind: 'link', link: 'cni0', type: 'bridge', up: true })).passed).toBe(true);
    expect((await run({ ...base, name: 'l', kind: 'link', link: 'flannel.1', type: 'vxlan', vni: 1, mtu: 1450 })).passed).toBe(true);
    expect((await run({ ...base, name: 'l', kind: 'link', link: 'flannel.1', vni: 42 })).found).toBe('flannel.1 is VNI 1');
    expect((await run({ ...base, name: 'l', kind: 'link', link: 'vxlan0' })).found).toMatch(/^links: lo, eth0, .*flannel\.1/);
  });

  it('checks iptables rules, policies and absence', async () => {
    expect((await run({ ...base, name: 'i', kind: 'iptables', table: 'nat', chain: 'KUBE-SEP-4T4VKGZTL4UJZ3KS', rule: 'DNAT --to-destination 10\\.244\\.1\\.2:8080', exists: true })).passed).toBe(true);
    expect((await run({ ...base, name: 'i', kind: 'iptables', table: 'filter', chain: 'FORWARD', policy: 'ACCEPT', exists: true })).passed).toBe(true);
    const gone = await run({ ...base, name: 'i', kind: 'iptables', table: 'nat', chain: 'KUBE-SERVICES', rule: 'KUBE-SVC-', exists: false });
    expect(gone.passed).toBe(false);
    expect(gone.found).toMatch(/^found: -A KUBE-SERVICES -d 10\.96\.0\.20\/32/);
  });

  it('checks namespaces, host-local leases and sysctls (from the facts, no extra command)', async () => {
    expect((await run({ ...base, name: 'n', kind: 'netns', netns: 'pod2', exists: true })).passed).toBe(true);
    expect((await run({ ...base, name: 'n', kind: 'netns', netns: 'pod9', exists: true })).found).toBe('namespaces: pod1, pod2');
    expect((await run({ ...base, name: 'p', kind: 'ipam', network: 'cbr0', leases: 2 })).passed).toBe(true);
    expect((await run({ ...base, name: 'p', kind: 'ipam', network: 'cbr0', leases: 0 })).found).toMatch(/^2 lease\(s\): 10\.244\.1\.\d+, 10\.244\.1\.\d+$/);
    const context = recordedContext();
    const forwarding = await runCheck({ ...base, name: 's', kind: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' }, context);
    expect(forwarding.passed).toBe(true);
    expect(context.executed).toHaveLength(1);
  });

  it('checks a command: exit code, output, several patterns and a JSON path', async () => {
    const recorded = { commands: { 'cat r.json': ok('{"ips":[{"address":"10.244.1.7/24"}]}'), false: ok('', 1), 'cat resolv.conf': ok('search a\nnameserver 10.96.0.10\n') } };
    expect((await run({ ...base, name: 'c', kind: 'command', run: 'cat r.json', expect: { json: { path: '$.ips[0].address', matches: '^10\\.244\\.1\\.' } } }, recorded)).passed).toBe(true);
    const failed = await run({ ...base, name: 'c', kind: 'command', run: 'false', expect: { exitCode: 0 } }, recorded);
    expect(failed.message).toBe('c: expected `false` gives exit code 0, found exit code 1');
    expect((await run({ ...base, name: 'c', kind: 'command', run: 'cat resolv.conf', expect: { stdout: ['^nameserver 10\\.96\\.0\\.10$', '^search a$'] } }, recorded)).passed).toBe(true);
    const oneMissing = await run({ ...base, name: 'c', kind: 'command', run: 'cat resolv.conf', expect: { stdout: ['^search a$', '^options ndots:5$'] } }, recorded);
    expect(oneMissing.passed).toBe(false);
    expect(oneMissing.expected).toBe('`cat resolv.conf` gives output matching /^search a$/ and /^options ndots:5$/');
    expect(jsonPath({ a: [{ b: 2 }] }, '$.a[0].b')).toBe(2);
  });
});

describe('a node that fails', () => {
  it('is a failed check with `error` set, not a wrong answer', async () => {
    const result = await run(
      { ...base, name: 'forwarding', kind: 'command', run: 'sysctl -n net.ipv4.ip_forward', expect: { stdout: ['^1$'] } },
      { commands: { 'sysctl -n net.ipv4.ip_forward': new AgentTimeoutError('node1', 25, 'running: sysctl') } },
    );
    expect(result.passed).toBe(false);
    expect(result.error).toBe('node node1 did not answer within 25 s (running: sysctl)');
    expect(result.message).toBe('forwarding: could not be checked on node1: node node1 did not answer within 25 s (running: sysctl)');
  });

  it('leaves `error` unset when the check ran and the answer was wrong', async () => {
    const result = await run({ ...base, name: 'n', kind: 'netns', netns: 'pod9', exists: true });
    expect(result.passed).toBe(false);
    expect(result).not.toHaveProperty('error');
  });
});

describe('regular expressions from labs', () => {
  it('cannot hang the grader: ^(a+)+$ against 40 a\'s and a ! returns, through the command check', async () => {
    const output = `${'a'.repeat(48)}!`;
    const result = await run({ ...base, name: 'redos', kind: 'command', run: 'echo', expect: { stdout: ['^(a+)+$'] } }, { commands: { echo: ok(output) } });
    expect(result.passed).toBe(false);
    expect(result.found).toContain('aaaa');
  });

  it('cannot hang the grader through an iptables rule pattern either', async () => {
    const result = await run({ ...base, name: 'redos', kind: 'iptables', table: 'filter', chain: 'FORWARD', rule: '^(.+)+KUBE-NOPE$', exists: true });
    expect(result.passed).toBe(false);
  });
});

describe('failure messages that make the point', () => {
  it('shows the output lines nearest to the expected text, not the first characters', async () => {
    const links = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000',
      '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0 minmtu 0 maxmtu 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1',
      '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP mode DEFAULT group default qlen 1000',
      '    link/ether 02:50:00:00:00:01 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 addrgenmode eui64 numtxqueues 1',
      '5: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default',
      '    link/ether 0a:58:0a:f4:01:00 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 vxlan id 1 local 10.0.0.11 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300',
    ].join('\n');
    const result = await run({ ...base, name: 'port', kind: 'command', run: 'ip -d link', expect: { stdout: ['vxlan id 1 .*dstport 4789'] } }, { commands: { 'ip -d link': ok(links) } });
    expect(result.passed).toBe(false);
    expect(result.found).toContain('dstport 8472');
    expect(result.found).toMatch(/^output: 6 lines, nearest: /);
    expect(result.found).not.toContain('LOOPBACK');
  });

  it('says a command was cut off by its timeout, whatever it expected of the output', async () => {
    const cut = { stdout: '', stderr: '', exitCode: 124, timedOut: true };
    const result = await run({ ...base, name: 'ask', kind: 'command', run: 'ask', timeout: 60, expect: { stdout: ['web-1'] } }, { commands: { ask: cut } });
    expect(result.passed).toBe(false);
    expect(result.found).toMatch(/^it timed out after 60 s; output: \(nothing\)/);
  });

  it('shows the rules of the chain nearest to an iptables pattern that matched nothing', async () => {
    const result = await run({ ...base, name: 'dnat', kind: 'iptables', table: 'nat', chain: 'KUBE-SEP-4T4VKGZTL4UJZ3KS', rule: '-j DNAT --to-destination 10\\.244\\.1\\.9:8080', exists: true });
    expect(result.passed).toBe(false);
    expect(result.found).toMatch(/^2 rule\(s\) in KUBE-SEP-4T4VKGZTL4UJZ3KS, nearest: .*-j DNAT --to-destination 10\.244\.1\.2:8080/);
  });

  it('turns ping\'s usage error into what is wrong with the target, and never counts it as "blocked"', async () => {
    const usage = ok('', 2, 'ping: usage error: Destination address required\n');
    const command = "ip netns exec 'pod-a' ping -c 1 -W 1 -i 0.2 'pod-b'";
    for (const expect_ of ['success', 'failure'] as const) {
      const result = await run({ ...base, name: 'p', kind: 'ping', netns: 'pod-a', to: 'pod-b', expect: expect_ }, { commands: { [command]: usage } });
      expect(result.passed).toBe(false);
      expect(result.found).toBe("'pod-b' is empty or not an address or name the node can resolve (ping: usage error: Destination address required)");
    }
  });

  it('says there is no route when ping finds the network unreachable', async () => {
    const command = "ping -c 1 -W 1 -i 0.2 '10.244.9.2'";
    const result = await run({ ...base, name: 'p', kind: 'ping', to: '10.244.9.2', expect: 'success' }, { commands: { [command]: ok('', 2, 'ping: connect: Network is unreachable\n') } });
    expect(result.found).toBe("there is no route to '10.244.9.2' in the node namespace (ping: connect: Network is unreachable)");
  });

  it('pings once, and once more with a longer wait before calling a target unreachable', async () => {
    const context = recordedContext({
      commands: {
        "ping -c 1 -W 1 -i 0.2 '10.244.2.2'": ok('1 packets transmitted, 0 received, 100% packet loss\n', 1),
        "ping -c 1 -W 2 -i 0.2 '10.244.2.2'": ok('1 packets transmitted, 1 received, 0% packet loss\n'),
      },
    });
    const result = await runCheck({ ...base, name: 'p', kind: 'ping', to: '10.244.2.2', expect: 'success' }, context);
    expect(result.passed).toBe(true);
    expect(context.executed).toHaveLength(2);
  });
});

describe('the wire check', () => {
  const echo = (src: string, dst: string, link: string): Omit<CapturedFrame, 'seq'> => {
    const inner = ethernet({ dst: '0a:58:0a:f4:02:00', src: '0a:58:0a:f4:01:00', type: 0x0800, payload: ipv4({ src, dst, protocol: 1, payload: icmpEcho({ id: 1, seq: 1 }) }) });
    const outer = ethernet({ dst: '02:50:00:00:00:02', src: '02:50:00:00:00:01', type: 0x0800, payload: ipv4({ src: '10.0.0.11', dst: '10.0.0.12', protocol: 17, payload: udp({ srcPort: 40000, dstPort: 8472, payload: vxlan({ vni: 1, inner }) }) }) });
    return { timestampMicros: 0, interfaceName: link, link, from: 'node1', to: 'switch', bytes: outer, originalLength: outer.length };
  };
  const check: Check = { ...base, name: 'w', kind: 'wire', trigger: 'ping pod-b', protocol: 'icmp', src: '10.244.1.2', dst: '10.244.2.2', vni: 1 };

  it('sees the frames the trigger sent, and leaves every captured frame where it was', async () => {
    const context = recordedContext({
      earlier: [echo('10.244.1.9', '10.244.2.9', 'node1')],
      commands: { 'ping pod-b': ok('') },
      framesDuring: () => [echo('10.244.1.2', '10.244.2.2', 'node1')],
    });
    const result = await runCheck(check, context);
    expect(result.passed).toBe(true);
    expect(context.frames).toHaveLength(2);
  });

  it('arp: a reply for the address sent by the node named passes; the request, or the same reply from another node crossing its link, does not', async () => {
    const frame = (op: 1 | 2, senderMac: string, senderIp: string, targetIp: string, link: string, from: string): Omit<CapturedFrame, 'seq'> => {
      const bytes = ethernet({ dst: 'ff:ff:ff:ff:ff:ff', src: senderMac, type: 0x0806, payload: arp({ op, senderMac, senderIp, targetIp }) });
      return { timestampMicros: 0, interfaceName: link, link, from, to: 'switch', bytes, originalLength: bytes.length };
    };
    const announced: Check = { ...base, node: 'client', name: 'a', kind: 'wire', trigger: 'arping 10.0.0.200', protocol: 'arp', src: '10.0.0.200', on: 'node2' };
    const seen = (frames: Omit<CapturedFrame, 'seq'>[]) => runCheck(announced, recordedContext({ commands: { 'arping 10.0.0.200': ok('') }, framesDuring: () => frames }));
    const request = frame(1, '02:50:00:00:00:03', '10.0.0.13', '10.0.0.200', 'node2', 'switch');
    const fromNode1 = frame(2, '02:50:00:00:00:01', '10.0.0.200', '10.0.0.13', 'node2', 'switch');
    const wrong = await seen([request, fromNode1]);
    expect(wrong.passed).toBe(false);
    expect(wrong.expected).toBe("an ARP reply saying 10.0.0.200 is at the sender's MAC, sent by node2");
    expect(wrong.found).toContain('10.0.0.200 is at 02:50:00:00:00:01 (sender MAC 02:50:00:00:00:01, sent by switch)');
    expect((await seen([request, frame(2, '02:50:00:00:00:02', '10.0.0.200', '10.0.0.13', 'node2', 'node2:eth0')])).passed).toBe(true);
    // A gratuitous ARP (a request for its own address) counts too: MetalLB sends one of each.
    expect((await seen([frame(1, '02:50:00:00:00:02', '10.0.0.200', '10.0.0.200', 'node2', 'node2:eth0')])).passed).toBe(true);
  });

  it('does not count what crossed the wire before the trigger', async () => {
    const context = recordedContext({ earlier: [echo('10.244.1.2', '10.244.2.2', 'node1')], commands: { 'ping pod-b': ok('', 1, 'ping: sendto: Network is unreachable') } });
    const result = await runCheck(check, context);
    expect(result.passed).toBe(false);
    expect(result.found).toBe("nothing crossed the wire (the trigger exited 1: there is no route to the target in the node namespace (ping: sendto: Network is unreachable))");
  });

  it('unwrapped: the pod addresses inside VXLAN are not the pod packet on the wire as it is', async () => {
    const bare = (): Omit<CapturedFrame, 'seq'> => {
      const bytes = ethernet({ dst: '02:50:00:00:00:02', src: '02:50:00:00:00:01', type: 0x0800, payload: ipv4({ src: '10.244.1.2', dst: '10.244.2.2', protocol: 1, payload: icmpEcho({ id: 1, seq: 1 }) }) });
      return { timestampMicros: 0, interfaceName: 'node1', link: 'node1', from: 'node1', to: 'switch', bytes, originalLength: bytes.length };
    };
    const unwrapped: Check = { ...base, name: 'w', kind: 'wire', trigger: 'ping pod-b', protocol: 'icmp', src: '10.244.1.2', dst: '10.244.2.2', unwrapped: true };
    const tunnelled = await runCheck(unwrapped, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [echo('10.244.1.2', '10.244.2.2', 'node1')] }));
    expect(tunnelled.passed).toBe(false);
    expect(tunnelled.expected).toContain('in no tunnel');
    const routed = await runCheck(unwrapped, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [bare()] }));
    expect(routed.passed).toBe(true);
  });

  it('udpPort: the raw pod packet in UDP to 8285 passes; with a TUN packet-info header or an inner Ethernet frame it does not', async () => {
    const inUdp = (payload: Uint8Array): Omit<CapturedFrame, 'seq'> => {
      const bytes = ethernet({ dst: '02:50:00:00:00:02', src: '02:50:00:00:00:01', type: 0x0800, payload: ipv4({ src: '10.0.0.11', dst: '10.0.0.12', protocol: 17, payload: udp({ srcPort: 8285, dstPort: 8285, payload }) }) });
      return { timestampMicros: 0, interfaceName: 'node1', link: 'node1', from: 'node1', to: 'switch', bytes, originalLength: bytes.length };
    };
    const packet = ipv4({ src: '10.244.1.2', dst: '10.244.2.2', protocol: 1, payload: icmpEcho({ id: 1, seq: 1 }) });
    const flannel: Check = { ...base, name: 'w', kind: 'wire', trigger: 'ping pod-b', protocol: 'icmp', src: '10.244.1.2', dst: '10.244.2.2', udpPort: 8285 };
    const grade = (frame: Omit<CapturedFrame, 'seq'>, wanted: Check = flannel) => runCheck(wanted, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [frame] }));
    const raw = await grade(inUdp(packet));
    expect(raw.passed).toBe(true);
    expect(raw.expected).toContain('the raw IP packet (no inner Ethernet) inside UDP to port 8285');
    // A TUN opened without IFF_NO_PI puts flags and an EtherType (00 00 08 00) before each packet.
    const withInfo = new Uint8Array([0, 0, 8, 0, ...packet]);
    const info = await grade(inUdp(withInfo));
    expect(info.passed).toBe(false);
    expect(info.found).toContain('10.0.0.11 → 10.0.0.12 UDP 8285 → 8285, its payload starting 00 00 08 00 (an IPv4 packet starts 45)');
    const tap = ethernet({ dst: '42:11:22:33:44:55', src: '46:11:22:33:44:66', type: 0x0800, payload: packet });
    expect((await grade(inUdp(tap))).passed).toBe(false);
    // Not IP-in-IP, and not in VXLAN, though it has two IPv4 headers.
    expect((await grade(inUdp(packet), { ...base, name: 'w', kind: 'wire', trigger: 'ping pod-b', protocol: 'icmp', src: '10.244.1.2', dst: '10.244.2.2', ipip: true })).passed).toBe(false);
    expect((await grade(echo('10.244.1.2', '10.244.2.2', 'node1'))).passed).toBe(false);
  });

  it('names the addresses of what went by instead: outer and inner for a tunnel, the pair for a bare packet', async () => {
    const bare = (src: string, dst: string): Omit<CapturedFrame, 'seq'> => {
      const bytes = ethernet({ dst: '02:50:00:00:00:02', src: '02:50:00:00:00:01', type: 0x0800, payload: ipv4({ src, dst, protocol: 1, payload: icmpEcho({ id: 1, seq: 1 }) }) });
      return { timestampMicros: 0, interfaceName: 'node1', link: 'node1', from: 'node1', to: 'switch', bytes, originalLength: bytes.length };
    };
    const wrongPod = await runCheck(check, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [echo('10.244.1.2', '10.244.2.9', 'node1')] }));
    expect(wrongPod.passed).toBe(false);
    expect(wrongPod.found).toBe('only: node1: outer 10.0.0.11 → 10.0.0.12 (VXLAN VNI 1), inner 10.244.1.2 → 10.244.2.9 ICMP Echo (ping) request');
    // Neither wanted address, and not tunnelled: still says which addresses it carried.
    const stranger = await runCheck(check, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [bare('10.244.7.7', '10.244.8.8')] }));
    expect(stranger.found).toBe('1 frame(s), none of them it, e.g. node1: 10.244.7.7 → 10.244.8.8 ICMP Echo (ping) request');
    // An ICMP error names the packet it answers, which here is the wanted one, gone wrong.
    const quoted = ipv4({ src: '10.244.1.2', dst: '10.244.2.2', protocol: 1, payload: icmpEcho({ id: 1, seq: 1 }) }).subarray(0, 28);
    const unreachable = bytes([3, 1, 0, 0, 0, 0, 0, 0], quoted);
    unreachable.set(be16(checksumOf(unreachable)), 2);
    const errorFrame = ethernet({ dst: '02:50:00:00:00:01', src: '02:50:00:00:00:02', type: 0x0800, payload: ipv4({ src: '10.244.1.1', dst: '10.244.1.2', protocol: 1, payload: unreachable }) });
    const answered = await runCheck(check, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [{ timestampMicros: 0, interfaceName: 'node1', link: 'node1', from: 'node1', to: 'switch', bytes: errorFrame, originalLength: errorFrame.length }] }));
    expect(answered.found).toBe('only: node1: 10.244.1.1 → 10.244.1.2 ICMP Destination unreachable (Host unreachable) for 10.244.1.2 → 10.244.2.2');
    // An address that merely begins like the wanted one is not the wanted one.
    const lookalike = await runCheck(check, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [bare('10.244.1.20', '10.244.2.20')] }));
    expect(lookalike.found).toMatch(/^1 frame\(s\), none of them it, e\.g\. node1: 10\.244\.1\.20 → 10\.244\.2\.20 /);
  });

  it('keeps the message bounded however many frames went by', async () => {
    const many = Array.from({ length: 200 }, (_, index) => echo('10.244.1.2', `10.244.3.${index}`, 'node1'));
    const result = await runCheck(check, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => many }));
    expect(result.found.startsWith('only: node1: outer 10.0.0.11 → 10.0.0.12 (VXLAN VNI 1), inner 10.244.1.2 → 10.244.3.0 ')).toBe(true);
    expect(result.found.length).toBeLessThanOrEqual('only: '.length + 300);
  });

  it('IPv6: matches an ICMPv6 echo request by its addresses in any spelling, unwrapped, and names what went by instead', async () => {
    const echo6 = (src: string, dst: string, type = ICMPV6_ECHO_REQUEST): Omit<CapturedFrame, 'seq'> => {
      const message = buildIcmpv6({ type, identifier: 1, sequence: 1, addresses: { source: parseIpv6(src), destination: parseIpv6(dst) } }, new Uint8Array(8));
      const bytes6 = ethernet({ dst: '02:50:00:00:00:02', src: '02:50:00:00:00:01', type: 0x86dd, payload: ipv6({ src, dst, nextHeader: 58, payload: message }) });
      return { timestampMicros: 0, interfaceName: 'node2', link: 'node2', from: 'switch', to: 'node2', bytes: bytes6, originalLength: bytes6.length };
    };
    const check6: Check = { ...base, name: 'w6', kind: 'wire', trigger: 'ping pod-b', protocol: 'icmp', src: 'fd00:10:244:1:0:0:0:3', dst: 'FD00:10:244:2::2', unwrapped: true };
    const seen = await runCheck(check6, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [echo6('fd00:10:244:1::3', 'fd00:10:244:2::2')] }));
    expect(seen.passed).toBe(true);
    expect(seen.expected).toBe('a ICMPv6 echo packet from fd00:10:244:1:0:0:0:3 to FD00:10:244:2::2 on the wire, in no tunnel');
    // The reply, or the request masqueraded to the node's address, is not the request between the pods.
    const reply = await runCheck(check6, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [echo6('fd00:10:244:2::2', 'fd00:10:244:1::3', ICMPV6_ECHO_REPLY)] }));
    expect(reply.passed).toBe(false);
    expect(reply.found).toBe('only: node2: fd00:10:244:2::2 → fd00:10:244:1::3 ICMPv6 Echo (ping) reply');
    const natted = await runCheck(check6, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [echo6('fd00::11', 'fd00:10:244:2::2')] }));
    expect(natted.found).toBe('only: node2: fd00::11 → fd00:10:244:2::2 ICMPv6 Echo (ping) request');
    // An IPv4 check is not met by an IPv6 packet, nor an IPv6 check by an IPv4 one.
    const v4 = await runCheck({ ...check6, src: '10.244.1.3', dst: '10.244.2.2' }, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [echo6('fd00:10:244:1::3', 'fd00:10:244:2::2')] }));
    expect(v4.passed).toBe(false);
    const bare4 = ethernet({ dst: '02:50:00:00:00:02', src: '02:50:00:00:00:01', type: 0x0800, payload: ipv4({ src: '10.244.1.3', dst: '10.244.2.2', protocol: 1, payload: icmpEcho({ id: 1, seq: 1 }) }) });
    const v6 = await runCheck(check6, recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [{ timestampMicros: 0, interfaceName: 'node2', link: 'node2', from: 'switch', to: 'node2', bytes: bare4, originalLength: bare4.length }] }));
    expect(v6.passed).toBe(false);
    expect(v6.found).toBe('1 frame(s), none of them it, e.g. node2: 10.244.1.3 → 10.244.2.2 ICMP Echo (ping) request');
  });

  it('only counts the link it is told to watch', async () => {
    const context = recordedContext({ commands: { 'ping pod-b': ok('') }, framesDuring: () => [echo('10.244.1.2', '10.244.2.2', 'node1')] });
    const result = await runCheck({ ...check, on: 'node2' }, context);
    expect(result.passed).toBe(false);
  });
});

describe('grading a step', () => {
  it('goes on after a failing or hung check, gives partial credit and the next hint', async () => {
    const lab = parseLab('labs/x/lab.md', `---
id: x
title: X
summary: x
level: beginner
time: 5 min
topology: { nodes: [{ name: node1 }] }
steps:
  - id: s
    checks:
      - { name: hangs, node: node1, command: hang }
      - { name: pod1 exists, node: node1, netns: { name: pod1 } }
      - { name: pod7 exists, node: node1, netns: { name: pod7 }, hint: make pod7 }
    hints: [first hint, second hint]
    solution: { node1: "true" }
---
## S
text
`);
    const context = recordedContext({ commands: { hang: new AgentTimeoutError('node1', 25, 'running: hang') } });
    const results = await Promise.all(lab.steps[0]!.checks.map((check) => runCheck(check, context)));
    const report = stepReport(lab, lab.steps[0]!, results, 1);
    expect(report.checks.map((c) => c.passed)).toEqual([false, true, false]);
    expect(report.checks.map((c) => c.error !== undefined)).toEqual([true, false, false]);
    expect(report.score).toBeCloseTo(1 / 3);
    expect(report.hint).toBe('second hint');
  });
});

describe('the facts a check reads', () => {
  const passing: Check[] = [
    { ...base, name: 'a', kind: 'address', netns: 'pod1', dev: 'eth0', in: '10.244.1.0/24' },
    { ...base, name: 'r', kind: 'route', netns: 'pod1', destination: 'default', via: '10.244.1.1' },
    { ...base, name: 'l', kind: 'link', link: 'flannel.1', type: 'vxlan', vni: 1, mtu: 1450 },
    { ...base, name: 'i', kind: 'iptables', table: 'nat', chain: 'KUBE-SEP-4T4VKGZTL4UJZ3KS', rule: 'DNAT --to-destination 10\\.244\\.1\\.2:8080', exists: true },
    { ...base, name: 'n', kind: 'netns', netns: 'pod2', exists: true },
    { ...base, name: 'p', kind: 'ipam', network: 'cbr0', leases: 2 },
    { ...base, name: 's', kind: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
  ];

  it('are named by each kind, so a round of checks gathers only those sections', () => {
    expect(factsSectionsFor(passing)).toEqual(['ip:pod1', 'ip:', 'iptables:', 'cni:', 'sysctl:']);
    expect(factsSectionsFor([{ ...base, name: 'c', kind: 'command', run: 'true', expect: { exitCode: 0 } }])).toEqual([]);
    expect(factsSectionsFor([{ ...base, name: 'x', kind: 'no-such-kind' }])).toBe('all');
  });

  for (const check of passing) {
    it(`are enough for a ${check.kind} check: it passes on only the sections it names`, async () => {
      const result = await runCheck(check, recordedContext({ only: factsSectionsFor([check]) as string[] }));
      expect(result.message).toBe(`${check.name}: ok`);
    });
  }
});
