// parseFacts on output captured from real nodes (test/fixtures/facts/capture.ts
// says how each node was set up): the values here are what the guest really had.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addressesIn, defaultRoute, findLink, namespace, parseFacts, rulesOf, type NodeFacts } from '../../../src/observe/facts.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/facts/${name}.txt`, import.meta.url), 'utf8');
const node1 = parseFacts('node1', fixture('node1'));
const node2 = parseFacts('node2', fixture('node2'));
const node3 = parseFacts('node3', fixture('node3'));

describe('node1: two CNI bridge pods, a flannel-style VXLAN, kube-proxy rules, ipvs', () => {
  it('reads every section without an error', () => {
    expect(node1.errors).toEqual([]);
    expect(node1.node).toBe('node1');
    expect(node1.hostname).toBe('node1');
    expect(node1.netns.map((ns) => ns.name)).toEqual(['', 'pod1', 'pod2']);
  });

  it('answers the grader: pod1 has an address in the pod CIDR and a default route via the bridge', () => {
    expect(addressesIn(node1, '10.244.1.0/24', { netns: 'pod1' })).toEqual([
      { dev: 'eth0', family: 4, address: '10.244.1.2', prefixLength: 24, cidr: '10.244.1.2/24', scope: 'global', netns: 'pod1' },
    ]);
    expect(defaultRoute(namespace(node1, 'pod1'))).toMatchObject({ via: '10.244.1.1', dev: 'eth0', table: 'main', family: 4 });
    expect(defaultRoute(namespace(node1, 'pod2'))?.via).toBe('10.244.1.1');
    expect(defaultRoute(namespace(node1, ''))?.via).toBe('10.0.0.1');
    expect(addressesIn(node1, '10.244.1.0/24').map((a) => `${a.netns || 'node'}:${a.dev}:${a.cidr}`))
      .toEqual(['node:cni0:10.244.1.1/24', 'node:flannel.1:10.244.1.0/32', 'pod1:eth0:10.244.1.2/24', 'pod2:eth0:10.244.1.3/24']);
  });

  it('knows the links: bridge, veths with their peers, vxlan, vlan, dummy, loopback', () => {
    expect(findLink(node1, 'lo')).toMatchObject({ type: 'loopback', index: 1, up: true, state: 'UNKNOWN' });
    expect(findLink(node1, 'eth0')).toMatchObject({ type: 'device', state: 'UP', up: true, mtu: 1500, mac: '02:50:00:00:00:00' });
    expect(findLink(node1, 'cni0')).toMatchObject({ type: 'bridge', state: 'UP', up: true, mtu: 1500 });
    const veths = namespace(node1, '')!.links.filter((l) => l.type === 'veth');
    expect(veths.map((l) => [l.master, l.peer?.name, l.slaveKind])).toEqual([['cni0', 'pod1:eth0', 'bridge'], ['cni0', 'pod2:eth0', 'bridge']]);
    expect(veths[0]!.slaveData).toMatchObject({ hairpin: true, state: 'forwarding' });
    // And from the pod's side back to the node's veth, found through the nsid ip printed.
    const podEth0 = findLink(node1, 'eth0', 'pod1')!;
    expect(podEth0).toMatchObject({ type: 'veth', up: true, state: 'UP' });
    expect(namespace(node1, '')!.neighbours.find((n) => n.address === '10.244.1.2')).toMatchObject({ dev: 'cni0', mac: podEth0.mac });
    expect(podEth0.peer).toEqual({ index: veths[0]!.index, netnsId: 0, netns: '', ifname: veths[0]!.name, name: veths[0]!.name });
    expect(findLink(node1, 'lo', 'pod1')).toMatchObject({ up: false, state: 'DOWN' }); // the bridge plugin leaves lo alone
    expect(findLink(node1, 'flannel.1')).toMatchObject({
      type: 'vxlan', mtu: 1450, mac: '0a:58:0a:f4:01:00', link: 'eth0',
      vxlan: { vni: 1, port: 8472, local: '10.0.0.11', dev: 'eth0', learning: false },
    });
    expect(findLink(node1, 'eth0.100')).toMatchObject({ type: 'vlan', link: 'eth0', vlan: { id: 100, protocol: '802.1Q' }, up: false });
    expect(findLink(node1, 'kube-ipvs0')).toMatchObject({ type: 'dummy' });
    expect(findLink(node1, 'tunl0')).toMatchObject({ type: 'ipip', up: false, tunnel: {} });
    expect(findLink(node1, 'tunl0')!.mac).toBeUndefined(); // ip prints 0.0.0.0 as its "address"
  });

  it('has the overlay routes, neighbours and fdb entries', () => {
    const root = namespace(node1, '')!;
    expect(root.routes.find((r) => r.destination === '10.244.2.0/24')).toMatchObject({ via: '10.244.2.0', dev: 'flannel.1', flags: ['onlink'], protocol: 'boot' });
    expect(root.routes.find((r) => r.destination === '10.0.0.11/32')).toMatchObject({ table: 'local', type: 'local', dev: 'eth0' });
    expect(root.neighbours.find((n) => n.dev === 'flannel.1')).toEqual({ dev: 'flannel.1', family: 4, address: '10.244.2.0', mac: '0a:58:0a:f4:02:00', state: ['PERMANENT'] });
    expect(root.fdb.filter((f) => f.dev === 'flannel.1')).toEqual([{ dev: 'flannel.1', mac: '0a:58:0a:f4:02:00', dst: '10.0.0.12', flags: ['self'], state: 'permanent' }]);
    // The bridge learned each pod's MAC on its veth (a learned entry has no state).
    const pod1Mac = findLink(node1, 'eth0', 'pod1')!.mac!;
    expect(root.fdb.find((f) => f.mac === pod1Mac)).toEqual({ dev: findLink(node1, 'eth0', 'pod1')!.peer!.ifname, mac: pod1Mac, master: 'cni0', flags: [] });
    expect(root.netnsIds).toEqual([{ nsid: 0, name: 'pod1' }, { nsid: 1, name: 'pod2' }]);
    expect(namespace(node1, 'pod1')!.netnsIds).toEqual([{ nsid: 0 }]); // the node's own namespace has no name
  });

  it('parses kube-proxy and CNI rules: comments, statistic, DNAT, MASQUERADE, negation', () => {
    expect(Object.keys(node1.iptables).sort()).toEqual(['filter', 'nat']);
    expect(node1.iptables.filter!.chains.INPUT!.policy).toBe('ACCEPT');
    expect(node1.iptables.nat!.chains['KUBE-SERVICES']!.policy).toBeUndefined();
    const [portal] = rulesOf(node1, 'nat', 'KUBE-SERVICES');
    expect(portal).toMatchObject({ destination: '10.96.0.20/32', protocol: 'tcp', dports: '80', comment: 'default/web:http cluster IP', target: 'KUBE-SVC-LOLE4ISW44XBNF3G', matches: ['comment', 'tcp'] });
    const svc = rulesOf(node1, 'nat', 'KUBE-SVC-LOLE4ISW44XBNF3G');
    expect(svc[0]).toMatchObject({ source: '10.244.0.0/16', negated: ['source'], target: 'KUBE-MARK-MASQ' });
    expect(svc[1]).toMatchObject({ matches: ['comment', 'statistic'], options: { mode: 'random', probability: '0.50000000000' }, target: 'KUBE-SEP-4T4VKGZTL4UJZ3KS' });
    expect(svc[2]!.target).toBe('KUBE-SEP-ZX7GRIZKSNUQ3LAJ');
    expect(rulesOf(node1, 'nat', 'KUBE-SEP-4T4VKGZTL4UJZ3KS')[1]).toMatchObject({ target: 'DNAT', options: { 'to-destination': '10.244.1.2:8080' } });
    expect(rulesOf(node1, 'nat', 'KUBE-POSTROUTING')).toMatchObject([
      { matches: ['mark'], negated: ['mark'], options: { mark: '0x4000/0x4000' }, target: 'RETURN' },
      { target: 'MARK', options: { 'set-xmark': '0x4000/0x0' } },
      { target: 'MASQUERADE', options: { 'random-fully': '' } },
    ]);
    expect(rulesOf(node1, 'filter', 'KUBE-FIREWALL')[0]).toMatchObject({ negated: ['source', 'ctstate'], options: { ctstate: 'RELATED,ESTABLISHED,DNAT' }, target: 'DROP' });
    expect(rulesOf(node1, 'filter', 'INPUT')[1]).toMatchObject({ inInterface: 'eth0', protocol: 'udp', matches: ['multiport'], dports: '9000:9100,9999', target: 'REJECT', options: { 'reject-with': 'icmp-port-unreachable' } });
    // The bridge plugin's ipMasq chain, with iptables-save's escaped quotes in the comment.
    const cni = rulesOf(node1, 'nat', 'POSTROUTING').find((r) => r.source === '10.244.1.2/32')!;
    expect(cni.comment).toBe(`name: "cbr0" id: "${node1.cniIpam[0]!.leases[0]!.containerId}"`);
    expect(rulesOf(node1, 'nat', cni.target!).map((r) => [r.negated, r.destination, r.target])).toEqual([[[], '10.244.1.0/24', 'ACCEPT'], [['destination'], '224.0.0.0/4', 'MASQUERADE']]);
    expect(cni.text).toMatch(/^-A POSTROUTING -s 10\.244\.1\.2\/32 -m comment --comment "name: \\"cbr0\\"/);
    expect(rulesOf(node1, 'nat', 'NO-SUCH-CHAIN')).toEqual([]);
    expect(rulesOf(node1, 'mangle', 'PREROUTING')).toEqual([]);
  });

  it('reads the ipvs table', () => {
    expect(node1.ipvs).toEqual([
      { protocol: 'TCP', address: '10.96.0.10', port: 80, scheduler: 'rr', reals: [
        { address: '10.244.1.2', port: 8080, forward: 'Masq', weight: 1, active: 0, inactive: 0 },
        { address: '10.244.2.2', port: 8080, forward: 'Masq', weight: 2, active: 1, inactive: 0 },
      ] },
      { protocol: 'UDP', address: '10.96.0.10', port: 53, scheduler: 'wrr', reals: [{ address: '10.244.1.3', port: 53, forward: 'Masq', weight: 1, active: 0, inactive: 0 }] },
    ]);
  });

  it('sees Service traffic DNATed in conntrack', () => {
    const toService = node1.conntrack.filter((c) => c.original.dst === '10.96.0.20');
    expect(toService.length).toBe(5);
    for (const entry of toService) {
      expect(entry).toMatchObject({ protocol: 'tcp', family: 'ipv4', state: 'TIME_WAIT', flags: ['ASSURED'], original: { dport: 80 }, reply: { sport: 8080 } });
      expect(['10.244.1.2', '10.244.2.2']).toContain(entry.reply.src);
    }
    const ping = node1.conntrack.find((c) => c.protocol === 'icmp' && c.original.dst === '10.244.2.2')!;
    expect(ping.original).toEqual({ src: '10.244.1.2', dst: '10.244.2.2' });
    expect(ping.reply.dst).toBe('10.244.1.0'); // masqueraded to flannel.1 by the bridge plugin's ipMasq
    const vxlan = node1.conntrack.filter((c) => c.protocol === 'udp' && c.original.dport === 8472);
    expect(vxlan.length).toBeGreaterThan(0);
    expect(vxlan.every((c) => c.flags.includes('UNREPLIED') && c.state === undefined && c.mark === 0)).toBe(true);
  });

  it('reads host-local leases that match the pods', () => {
    expect(node1.cniIpam).toHaveLength(1);
    const [cbr0] = node1.cniIpam;
    expect(cbr0).toMatchObject({ network: 'cbr0', lastReserved: '10.244.1.3' });
    expect(cbr0!.leases.map((l) => [l.ip, l.ifname])).toEqual([['10.244.1.2', 'eth0'], ['10.244.1.3', 'eth0']]);
    expect(cbr0!.leases.every((l) => /^[0-9a-f]{64}$/.test(l.containerId))).toBe(true);
  });

  it('reads sysctls for the node and each pod', () => {
    expect(node1.sysctls).toBe(namespace(node1, '')!.sysctls);
    expect(node1.sysctls).toMatchObject({
      'net.ipv4.ip_forward': '1',
      'net.bridge.bridge-nf-call-iptables': '1',
      'net.ipv4.conf.all.rp_filter': '0',
      'net.ipv4.conf.flannel/1.rp_filter': '0',
      'net.ipv4.conf.eth0/100.proxy_arp': '0',
      'net.netfilter.nf_conntrack_max': '4096',
      'net.ipv4.vs.conntrack': '0',
    });
    expect(namespace(node1, 'pod1')!.sysctls).toMatchObject({ 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0' });
    expect(namespace(node1, 'pod1')!.sysctls['net.bridge.bridge-nf-call-iptables']).toBeUndefined();
  });

  it('is plain data that survives JSON', () => {
    expect(JSON.parse(JSON.stringify(node1))).toEqual(node1);
  });
});

describe('node2: what a learner might leave behind', () => {
  it('reads every section without an error, namespaces in /run/netns order', () => {
    expect(node2.errors).toEqual([]);
    expect(node2.netns.map((ns) => ns.name)).toEqual(['', 'blue', 'pod1', 'pod2', 'red']);
  });

  it('shows a pod that lost its default route, and a node that never had one', () => {
    expect(addressesIn(node2, '10.244.2.0/24', { netns: 'pod2' }).map((a) => a.cidr)).toEqual(['10.244.2.3/24']);
    expect(defaultRoute(namespace(node2, 'pod2'))).toBeUndefined();
    expect(defaultRoute(namespace(node2, 'pod1'))?.via).toBe('10.244.2.1');
    expect(defaultRoute(namespace(node2, ''))).toBeUndefined();
    expect(addressesIn(node2, '10.244.1.0/24', { netns: 'pod1' })).toEqual([]);
  });

  it('names veth peers in the same namespace and between two named namespaces', () => {
    expect(findLink(node2, 'vA')).toMatchObject({ state: 'LOWERLAYERDOWN', up: true, peer: { index: findLink(node2, 'vB')!.index, netns: '', name: 'vB' } });
    expect(findLink(node2, 'vB')).toMatchObject({ state: 'DOWN', up: false, peer: { name: 'vA' } });
    expect(findLink(node2, 'r0', 'red')!.peer).toEqual({ index: 3, netnsId: 0, netns: 'blue', ifname: 'b0', name: 'blue:b0' });
    expect(findLink(node2, 'b0', 'blue')!.peer!.name).toBe('red:r0');
    expect(addressesIn(node2, '192.168.50.0/30').map((a) => `${a.netns}:${a.cidr}`)).toEqual(['blue:192.168.50.2/30', 'red:192.168.50.1/30']);
  });

  it('reads an ipip tunnel and an empty ipvs table', () => {
    expect(findLink(node2, 'tun0')).toMatchObject({ type: 'ipip', tunnel: { local: '10.0.0.12', remote: '10.0.0.11' }, up: true });
    expect(node2.ipvs).toEqual([]);
    expect(node2.cniIpam[0]!.leases.map((l) => l.ip)).toEqual(['10.244.2.2', '10.244.2.3']);
  });
});

describe('node3: a node as it starts', () => {
  it('has only its own namespace and empty tables, and no errors', () => {
    expect(node3.errors).toEqual([]);
    expect(node3.netns.map((ns) => ns.name)).toEqual(['']);
    expect(node3.netns[0]!.links.map((l) => `${l.name}:${l.type}`)).toEqual(['lo:loopback', 'eth0:device', 'tunl0:ipip', 'dummy0:dummy', 'ifb0:ifb', 'ifb1:ifb']);
    expect(addressesIn(node3, '10.0.0.0/24')).toMatchObject([{ dev: 'eth0', cidr: '10.0.0.13/24', netns: '' }]);
    // No table has been used yet, so iptables-save prints nothing at all.
    expect(node3.iptables).toEqual({});
    expect(rulesOf(node3, 'filter', 'INPUT')).toEqual([]);
    expect(node3.ipvs).toEqual([]);
    expect(node3.cniIpam).toEqual([]);
    expect(node3.sysctls['net.ipv4.ip_forward']).toBe('1');
  });
});

describe('the fixtures', () => {
  it('are small', () => {
    for (const name of ['node1', 'node2', 'node3']) expect(fixture(name).length).toBeLessThan(64 * 1024);
  });

  it('keep their veth peers consistent both ways', () => {
    const check = (facts: NodeFacts) => {
      for (const ns of facts.netns) {
        for (const link of ns.links.filter((l) => l.type === 'veth')) {
          const peer = findLink(facts, link.peer!.ifname!, link.peer!.netns!)!;
          expect(peer.peer).toMatchObject({ ifname: link.name, netns: ns.name, index: link.index });
        }
      }
    };
    check(node1);
    check(node2);
  });
});
