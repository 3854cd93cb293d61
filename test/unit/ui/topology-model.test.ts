// The topology view's model on facts captured from real nodes (test/fixtures/facts/*.txt):
// what describeNode finds inside a node, and what layoutTopology draws for a cluster.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FACTS_SCRIPT, parseFacts } from '../../../src/observe/facts.js';
import { splitSections } from '../../../src/observe/parse/sections.js';
import { describeNode, detailsFor, formatRoute, layoutTopology, TOPOLOGY_SECTIONS, type Box, type TopologyInput } from '../../../src/ui/topology-model.js';

const fixtureText = (name: string) => readFileSync(new URL(`../../fixtures/facts/${name}.txt`, import.meta.url), 'utf8');
const fixture = (name: string) => parseFacts(name, fixtureText(name));
const node1 = fixture('node1');
const node2 = fixture('node2');
const node3 = fixture('node3');

const topology: TopologyInput = {
  segments: [{ name: 'lan', subnet: '10.0.0.0/24', gateway: '10.0.0.1' }],
  nodes: [
    { name: 'node1', segment: 'lan', address: '10.0.0.11/24' },
    { name: 'node2', segment: 'lan', address: '10.0.0.12/24' },
    { name: 'node3', segment: 'lan', address: '10.0.0.13/24' },
  ],
};

const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const inside = (inner: Box, outer: Box) => inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h;

describe('describeNode', () => {
  it('finds node1: cni0 with two veths, each to its pod, and flannel.1 (VNI 1, local 10.0.0.11)', () => {
    const view = describeNode(node1);
    expect(view.bridges.map((b) => [b.name, b.addresses, b.ports])).toEqual([['cni0', ['10.244.1.1/24'], ['vethbe56d15a', 'veth9764e262']]]);
    expect(view.columns).toEqual([
      { bridge: 'cni0', hostLink: 'vethbe56d15a', pod: 'pod1' },
      { bridge: 'cni0', hostLink: 'veth9764e262', pod: 'pod2' },
    ]);
    const flannel = view.devices.find((d) => d.name === 'flannel.1')!;
    expect(flannel).toMatchObject({ type: 'vxlan', addresses: ['10.244.1.0/32'] });
    expect(flannel.details).toEqual(['VNI 1 · port 8472', 'local 10.0.0.11', 'mtu 1450']);
    expect(flannel.lower).toBe('eth0');
    expect(view.devices[0]).toMatchObject({ name: 'eth0', addresses: ['10.0.0.11/24'] });
    expect(view.devices.map((d) => d.name)).toEqual(['eth0', 'eth0.100', 'flannel.1', 'kube-ipvs0']);
    expect(view.pods.map((p) => [p.name, p.links.map((l) => `${l.name} ${l.addresses.join(',')} peer ${l.peer?.netns === '' ? 'node' : l.peer?.netns}:${l.peer?.ifname}`), p.defaultRoute])).toEqual([
      ['pod1', ['eth0 10.244.1.2/24 peer node:vethbe56d15a'], 'default via 10.244.1.1 dev eth0'],
      ['pod2', ['eth0 10.244.1.3/24 peer node:veth9764e262'], 'default via 10.244.1.1 dev eth0'],
    ]);
  });

  it('hides lo and the idle default devices, but shows them when asked', () => {
    const view = describeNode(node3);
    expect(view.devices.map((d) => d.name)).toEqual(['eth0']);
    expect(view.hidden).toBeGreaterThanOrEqual(5);
    expect(describeNode(node3, { showAll: true }).devices.map((d) => d.name)).toEqual(expect.arrayContaining(['lo', 'tunl0', 'dummy0', 'ifb0']));
  });

  it('finds what a learner left on node2: a veth pair in the node, a veth between two pods, an ipip tunnel, a pod without a default route', () => {
    const view = describeNode(node2);
    const names = view.devices.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['vA', 'vB', 'tun0']));
    expect(view.devices.find((d) => d.name === 'tun0')!.details).toEqual(['10.0.0.12 → 10.0.0.11']);
    expect(view.devices.find((d) => d.name === 'vA')!.peer).toEqual({ netns: '', ifname: 'vB' });
    expect(view.columns.filter((c) => !c.hostLink).map((c) => c.pod)).toEqual(['blue', 'red']);
    expect(view.pods.find((p) => p.name === 'blue')!.links[0]).toMatchObject({ name: 'b0', addresses: ['192.168.50.2/30'], peer: { netns: 'red', ifname: 'r0' } });
    expect(view.pods.find((p) => p.name === 'pod2')!.defaultRoute).toBeUndefined();
  });
});

describe('layoutTopology', () => {
  const model = layoutTopology(topology, { node1: { facts: node1 }, node2: { facts: node2 }, node3: { facts: node3 } });
  const box = (id: string) => model.boxes.find((b) => b.id === id)!;
  const edge = (from: string, to: string) => model.edges.find((e) => (e.from === from && e.to === to) || (e.from === to && e.to === from));

  it('draws the router, the switch and every node on it, wired to its eth0', () => {
    expect(box('router').lines).toEqual(['10.0.0.1 on lan']);
    expect(box('segment:lan').lines).toEqual(['10.0.0.0/24']);
    expect(edge('router', 'segment:lan')).toBeDefined();
    for (const name of ['node1', 'node2', 'node3']) {
      expect(box(`node:${name}`).lines[0]).toBe(`eth0 ${topology.nodes.find((n) => n.name === name)!.address}`);
      expect(edge('segment:lan', `link:${name}::eth0`)?.kind).toBe('segment');
    }
  });

  it('puts pods (with their interfaces) inside their node, under the veth and the bridge', () => {
    const pod1 = box('pod:node1:pod1');
    expect(pod1).toMatchObject({ kind: 'pod', pod: 'pod1', node: 'node1', lines: ['default via 10.244.1.1'] });
    expect(inside(pod1, box('node:node1'))).toBe(true);
    const eth0 = box('link:node1:pod1:eth0');
    expect(eth0.lines).toContain('10.244.1.2/24');
    expect(inside(eth0, pod1)).toBe(true);
    const veth = box('link:node1::vethbe56d15a');
    expect(veth.y).toBeGreaterThan(box('bridge:node1:cni0').y);
    expect(pod1.y).toBeGreaterThan(veth.y);
    expect(edge('link:node1::vethbe56d15a', 'link:node1:pod1:eth0')?.kind).toBe('veth');
    expect(edge('bridge:node1:cni0', 'link:node1::vethbe56d15a')?.kind).toBe('bridge');
    expect(box('link:node1::flannel.1').lines).toEqual(['10.244.1.0/32', 'VNI 1 · port 8472', 'local 10.0.0.11', 'mtu 1450']);
    expect(edge('link:node1::flannel.1', 'link:node1::eth0')?.kind).toBe('underlay');
  });

  it('links veths between two pods and within the node, and flags the pod with no default route', () => {
    expect(edge('link:node2:blue:b0', 'link:node2:red:r0')?.kind).toBe('veth');
    expect(edge('link:node2::vA', 'link:node2::vB')?.kind).toBe('veth');
    expect(box('link:node2::vB').tags).toContain('down');
    expect(box('pod:node2:pod2')).toMatchObject({ lines: ['no default route'], tags: ['no-default'] });
  });

  it('gives every box a unique id and no two siblings overlap', () => {
    expect(new Set(model.boxes.map((b) => b.id)).size).toBe(model.boxes.length);
    const nodes = model.boxes.filter((b) => b.kind === 'node');
    for (const [i, a] of nodes.entries()) for (const b of nodes.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
    for (const name of ['node1', 'node2', 'node3']) {
      const parts = model.boxes.filter((b) => b.node === name && b.kind !== 'node' && !b.pod);
      for (const [i, a] of parts.entries()) for (const b of parts.slice(i + 1)) expect(overlaps(a, b), `${a.id} / ${b.id}`).toBe(false);
      for (const part of parts) expect(inside(part, box(`node:${name}`)), part.id).toBe(true);
    }
    for (const b of model.boxes) expect(b.x + b.w).toBeLessThanOrEqual(model.width);
    for (const b of model.boxes) expect(b.y + b.h).toBeLessThanOrEqual(model.height);
  });

  it('draws a node that does not answer, and one not read yet, without facts', () => {
    const partial = layoutTopology(topology, { node1: { error: 'agent timed out' }, node2: { facts: node2, error: 'agent timed out' } });
    expect(partial.boxes.find((b) => b.id === 'node:node1')).toMatchObject({ tags: ['not-answering'], lines: ['eth0 10.0.0.11/24', 'not answering: agent timed out'] });
    expect(partial.boxes.find((b) => b.id === 'node:node2')!.tags).toEqual(['not-answering']);
    expect(partial.boxes.some((b) => b.id === 'pod:node2:pod1')).toBe(true);
    expect(partial.boxes.find((b) => b.id === 'node:node3')!.tags).toEqual(['loading']);
    expect(partial.edges.find((e) => e.id === 'segment:lan:node1')!.to).toBe('node:node1');
  });
});

describe('detailsFor', () => {
  it('shows a pod its addresses and routes', () => {
    const details = detailsFor(node1, 'pod1');
    expect(details.title).toBe('pod pod1 on node1');
    expect(details.sections.find((s) => s.heading === 'Addresses')!.lines).toEqual(['eth0  10.244.1.2/24']);
    expect(details.sections.find((s) => s.heading === 'Routes')!.lines).toEqual(['default via 10.244.1.1 dev eth0', '10.244.1.0/24 dev eth0 scope link src 10.244.1.2']);
  });

  it('shows a node its routes and the VXLAN FDB', () => {
    const details = detailsFor(node1, '');
    expect(details.sections.find((s) => s.heading === 'Routes')!.lines).toContain('10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
    expect(details.sections.find((s) => s.heading === 'VXLAN FDB')!.lines).toEqual(['0a:58:0a:f4:02:00 dev flannel.1 dst 10.0.0.12 self permanent']);
    expect(details.sections.find((s) => s.heading === 'Neighbours')!.lines.join('\n')).toContain('10.244.2.0 lladdr 0a:58:0a:f4:02:00 dev flannel.1 PERMANENT');
  });

  it('says so when the namespace is gone', () => {
    expect(detailsFor(node1, 'nope').sections[0]!.heading).toBe('Gone');
  });

  it('formats routes like ip route', () => {
    expect(formatRoute({ table: 'main', family: 4, destination: '10.0.0.0/8', type: 'blackhole' })).toBe('blackhole 10.0.0.0/8');
    expect(formatRoute({ table: '100', family: 4, destination: 'default', via: '10.0.0.1', dev: 'eth0', metric: 5 })).toBe('default via 10.0.0.1 dev eth0 metric 5 table 100');
  });
});

describe('TOPOLOGY_SECTIONS', () => {
  /** The sections of a full facts capture that a look also prints, as the node would print them. */
  const topologySections = (raw: string) => raw.split(/(?=@@podwire:begin:)/)
    .filter((part) => /^@@podwire:begin:(hostname|netns|ip):|^@@podwire:begin:fdb:@@/.test(part))
    .join('');
  const only = ['hostname:', 'netns:', ...TOPOLOGY_SECTIONS];

  it('makes the facts script read only what the picture needs, with few programs', () => {
    // Under the host's bash with an empty PATH only builtins run: every program it starts shows up as "not found".
    const script = `wanted=' ${only.join(' ')} '\nPATH=/nonexistent\n${FACTS_SCRIPT}`;
    const out = execFileSync('bash', ['-c', script], { encoding: 'utf8' });
    const started = splitSections(out).map((s) => s.name);
    expect(started.filter((name) => name !== 'hostname' && name !== 'netns').sort()).toEqual(['fdb', 'ip']);
  });

  it('gives the same picture and details as the full facts, and no errors for the tables it leaves out', () => {
    for (const name of ['node1', 'node2', 'node3']) {
      const full = fixture(name);
      const light = parseFacts(name, topologySections(fixtureText(name)), only);
      expect(light.errors, name).toEqual(full.errors.filter((e) => !/^(iptables|ipvs|conntrack|cni|sysctl|fdb\()/.test(e)));
      expect(describeNode(light), name).toEqual(describeNode(full));
      expect(detailsFor(light, ''), name).toEqual(detailsFor(full, ''));
      expect(layoutTopology(topology, { [name]: { facts: light } })).toEqual(layoutTopology(topology, { [name]: { facts: full } }));
    }
  });

  it('still reports what did go wrong: a failed ip, output cut short, no output at all', () => {
    const raw = topologySections(fixtureText('node1')).replace('@@podwire:end:ip::0@@', '@@podwire:end:ip::1@@');
    expect(parseFacts('node1', raw, only).errors).toContain('ip: exit 1');
    const cut = topologySections(fixtureText('node1')).split('@@podwire:begin:fdb:@@')[0]!;
    expect(parseFacts('node1', cut, only).errors).toContain('fdb: missing from the output');
    expect(parseFacts('node1', '', only).errors).toEqual(['gather: no facts sections in the output']);
  });
});
