// The topology view's model on facts captured from real nodes (test/fixtures/facts/*.txt):
// what describeNode finds inside a node, and what layoutTopology (elkjs) draws for a cluster.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ELK from 'elkjs/lib/elk.bundled.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { FACTS_SCRIPT, parseFacts } from '../../../src/observe/facts.js';
import { splitSections } from '../../../src/observe/parse/sections.js';
import {
  describeNode, detailsFor, formatRoute, keepLook, keepPicture, layoutTopology, newestOnly, readKeptLook, readKeptPicture, TOPOLOGY_SECTIONS,
  type Box, type NodeState, type TopologyInput, type TopologyModel,
} from '../../../src/ui/topology-model.js';
import { english, type Words } from '../../../src/ui/i18n/words.js';

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

/** elkjs on this thread, as the browser runs it in its worker. */
const engine = new ELK({ algorithms: ['layered'] });
const everyNode = (): Record<string, NodeState> => ({ node1: { facts: node1 }, node2: { facts: node2 }, node3: { facts: node3 } });

const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const inside = (inner: Box, outer: Box) => inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h;

/** A Storage over a Map, as the page's localStorage behaves (including a quota). */
const storage = (quota = Infinity): Storage => {
  const items = new Map<string, string>();
  return {
    get length() { return items.size; },
    key: (i) => [...items.keys()][i] ?? null,
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => { if (v.length > quota) throw new DOMException('full', 'QuotaExceededError'); items.set(k, String(v)); },
    removeItem: (k) => { items.delete(k); },
    clear: () => items.clear(),
  };
};

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
  let model: TopologyModel;
  beforeAll(async () => {
    // How long the picture takes, for the record (not asserted): elkjs's first layout includes its start.
    let started = performance.now();
    model = await layoutTopology(topology, everyNode(), { engine });
    const first = performance.now() - started;
    started = performance.now();
    await layoutTopology(topology, everyNode(), { engine, showAll: true });
    console.log(`topology layout, 3 fixture nodes: first ${first.toFixed(0)} ms, next (other input) ${(performance.now() - started).toFixed(0)} ms`);
  });
  const box = (id: string) => model.boxes.find((b) => b.id === id)!;
  const edge = (from: string, to: string) => model.edges.find((e) => (e.from === from && e.to === to) || (e.from === to && e.to === from));
  /** The box a box is drawn in: a pod's interface in its pod, a pod or device in its node; undefined at the top. */
  const parentOf = (b: Box): string | undefined =>
    b.kind === 'node' || !b.node ? undefined : b.kind !== 'pod' && b.pod ? `pod:${b.node}:${b.pod}` : `node:${b.node}`;

  it('draws the router, the switch and every node on it, wired to its eth0', () => {
    expect(box('router').lines).toEqual(['10.0.0.1 on lan']);
    expect(box('segment:lan').lines).toEqual(['10.0.0.0/24']);
    expect(edge('router', 'segment:lan')).toBeDefined();
    for (const name of ['node1', 'node2', 'node3']) {
      expect(box(`node:${name}`).lines[0]).toBe(`eth0 ${topology.nodes.find((n) => n.name === name)!.address}`);
      expect(edge('segment:lan', `link:${name}::eth0`)?.kind).toBe('segment');
    }
  });

  it('puts pods (with their interfaces) inside their node, after the bridge and the veth', () => {
    const pod1 = box('pod:node1:pod1');
    expect(pod1).toMatchObject({ kind: 'pod', pod: 'pod1', node: 'node1', lines: ['default via 10.244.1.1'] });
    expect(inside(pod1, box('node:node1'))).toBe(true);
    const eth0 = box('link:node1:pod1:eth0');
    expect(eth0.lines).toContain('10.244.1.2/24');
    expect(inside(eth0, pod1)).toBe(true);
    // Left to right: the bridge, its port, the pod at the port's other end.
    const veth = box('link:node1::vethbe56d15a');
    expect(veth.x).toBeGreaterThanOrEqual(box('bridge:node1:cni0').x + box('bridge:node1:cni0').w);
    expect(pod1.x).toBeGreaterThanOrEqual(veth.x + veth.w);
    expect(edge('link:node1::vethbe56d15a', 'link:node1:pod1:eth0')?.kind).toBe('veth');
    expect(edge('bridge:node1:cni0', 'link:node1::vethbe56d15a')?.kind).toBe('bridge');
    expect(box('link:node1::flannel.1').lines).toEqual(['10.244.1.0/32', 'VNI 1 · port 8472', 'local 10.0.0.11', 'mtu 1450']);
    expect(edge('link:node1::flannel.1', 'link:node1::eth0')?.kind).toBe('underlay');
    for (const pod of model.boxes.filter((b) => b.kind === 'pod')) expect(inside(pod, box(`node:${pod.node}`)), pod.id).toBe(true);
  });

  it('links veths between two pods and within the node, and flags the pod with no default route', () => {
    expect(edge('link:node2:blue:b0', 'link:node2:red:r0')?.kind).toBe('veth');
    expect(edge('link:node2::vA', 'link:node2::vB')?.kind).toBe('veth');
    expect(box('link:node2::vB').tags).toContain('down');
    expect(box('pod:node2:pod2')).toMatchObject({ lines: ['no default route'], tags: ['no-default'] });
  });

  it('gives every box a unique id, every box room of its own inside its parent, and the picture room for all', () => {
    expect(new Set(model.boxes.map((b) => b.id)).size).toBe(model.boxes.length);
    expect(model.boxes.length).toBe(33);
    for (const b of model.boxes) {
      const parent = parentOf(b);
      if (parent) expect(inside(b, box(parent)), `${b.id} in ${parent}`).toBe(true);
      for (const sibling of model.boxes.filter((o) => o !== b && parentOf(o) === parent)) {
        expect(overlaps(b, sibling), `${b.id} / ${sibling.id}`).toBe(false);
      }
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.y).toBeGreaterThanOrEqual(0);
      expect(b.x + b.w).toBeLessThanOrEqual(model.width);
      expect(b.y + b.h).toBeLessThanOrEqual(model.height);
    }
  });

  it('routes every line at right angles from the border of its first box to the border of its last', () => {
    const onBorder = (b: Box, [x, y]: [number, number]) =>
      (Math.abs(x - b.x) < 1 || Math.abs(x - b.x - b.w) < 1) && y >= b.y - 1 && y <= b.y + b.h + 1 ||
      (Math.abs(y - b.y) < 1 || Math.abs(y - b.y - b.h) < 1) && x >= b.x - 1 && x <= b.x + b.w + 1;
    expect(model.edges.length).toBe(17);
    for (const e of model.edges) {
      expect(e.points.length, e.id).toBeGreaterThanOrEqual(2);
      expect(onBorder(box(e.from), e.points[0]!), `${e.id} starts on ${e.from}`).toBe(true);
      expect(onBorder(box(e.to), e.points.at(-1)!), `${e.id} ends on ${e.to}`).toBe(true);
      for (const [i, [x, y]] of e.points.slice(1).entries()) {
        const [px, py] = e.points[i]!;
        expect(Math.abs(x - px) < 0.5 || Math.abs(y - py) < 0.5, `${e.id} segment ${i}`).toBe(true);
      }
    }
  });

  it('draws the same picture every time, from a fresh elkjs too', async () => {
    const fresh = new ELK({ algorithms: ['layered'] });
    expect(await layoutTopology(topology, everyNode(), { engine: fresh })).toEqual(model);
    expect(await layoutTopology(topology, everyNode(), { engine })).toEqual(model);
  });

  it('asks elkjs nothing when the picture would show what one already placed shows, a kept one too', async () => {
    let asked = 0;
    const counting = { layout: (graph: Parameters<typeof engine.layout>[0], args?: Parameters<typeof engine.layout>[1]) => { asked++; return engine.layout(graph, args); } };
    expect(await layoutTopology(topology, everyNode(), { engine: counting, unlessSameAs: model })).toBe(model);
    const store = storage();
    keepPicture(store, 'p', ['node1', 'node2'], model);
    const kept = readKeptPicture(store, 'p', ['node1', 'node2'])!;
    expect(await layoutTopology(topology, everyNode(), { engine: counting, unlessSameAs: kept })).toBe(kept);
    expect(asked).toBe(0);
    // What the picture shows changed (node1 stopped answering): placed anew.
    const changed = await layoutTopology(topology, { ...everyNode(), node1: { error: 'agent timed out' } }, { engine: counting, unlessSameAs: model });
    expect(asked).toBe(1);
    expect(changed).not.toBe(model);
    expect(changed.boxes.find((b) => b.id === 'node:node1')!.tags).toEqual(['not-answering']);
    // Showing the idle devices too is another picture.
    await layoutTopology(topology, everyNode(), { engine: counting, unlessSameAs: model, showAll: true });
    expect(asked).toBe(2);
  });

  it('draws a node that does not answer, and one not read yet, without facts', async () => {
    const partial = await layoutTopology(topology, { node1: { error: 'agent timed out' }, node2: { facts: node2, error: 'agent timed out' } }, { engine });
    expect(partial.boxes.find((b) => b.id === 'node:node1')).toMatchObject({ tags: ['not-answering'], lines: ['eth0 10.0.0.11/24', 'not answering: agent timed out'] });
    expect(partial.boxes.find((b) => b.id === 'node:node2')!.tags).toEqual(['not-answering']);
    expect(partial.boxes.some((b) => b.id === 'pod:node2:pod1')).toBe(true);
    expect(partial.boxes.find((b) => b.id === 'node:node3')!.tags).toEqual(['loading']);
    expect(partial.edges.find((e) => e.id === 'segment:lan:node1')!.to).toBe('node:node1');
    // The alert line under node2's name stays clear of what is inside it.
    const node2Box = partial.boxes.find((b) => b.id === 'node:node2')!;
    for (const b of partial.boxes.filter((b) => b.node === 'node2' && b.kind !== 'node')) expect(b.y, b.id).toBeGreaterThanOrEqual(node2Box.y + 34 + 18);
  });

  it('lays out two segments, each switch wired to the router and to its own nodes', async () => {
    const twoSegments: TopologyInput = {
      segments: [{ name: 'east', subnet: '10.0.1.0/24', gateway: '10.0.1.1' }, { name: 'west', subnet: '10.0.2.0/24', gateway: '10.0.2.1' }],
      nodes: [{ name: 'node1', segment: 'east', address: '10.0.1.11/24' }, { name: 'node3', segment: 'west', address: '10.0.2.13/24' }],
    };
    const picture = await layoutTopology(twoSegments, { node1: { facts: node1 }, node3: { facts: node3 } }, { engine });
    expect(picture.boxes.find((b) => b.id === 'router')!.lines).toEqual(['10.0.1.1 on east', '10.0.2.1 on west']);
    expect(picture.edges.filter((e) => e.kind === 'router').map((e) => e.to)).toEqual(['segment:east', 'segment:west']);
    expect(picture.edges.filter((e) => e.kind === 'segment').map((e) => [e.from, e.to])).toEqual([['segment:east', 'link:node1::eth0'], ['segment:west', 'link:node3::eth0']]);
    const tops = picture.boxes.filter((b) => !b.node);
    for (const [i, a] of tops.entries()) for (const b of tops.slice(i + 1)) expect(overlaps(a, b), `${a.id} / ${b.id}`).toBe(false);
  });
});

describe('newestOnly', () => {
  it('draws a layout that ends late only if nothing newer was drawn', async () => {
    const drawn: string[] = [];
    const draw = newestOnly<string>((picture) => drawn.push(picture), (error) => drawn.push(`error ${String(error)}`));
    let endFirst!: (value: string) => void;
    let endThird!: (value: string) => void;
    draw(new Promise((resolve) => { endFirst = resolve; }));
    draw(Promise.resolve('second'));
    draw(new Promise((resolve) => { endThird = resolve; }));
    await new Promise((resolve) => setTimeout(resolve, 0));
    endFirst('first');
    await new Promise((resolve) => setTimeout(resolve, 0));
    endThird('third');
    draw(Promise.reject(new Error('worker gone')));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(drawn).toEqual(['second', 'third', 'error Error: worker gone']);
  });
});

describe('detailsFor', () => {
  it('shows a pod its addresses and routes', () => {
    const details = detailsFor(node1, 'pod1');
    expect(english(details.title)).toBe('pod pod1 on node1');
    expect(details.sections.map((s) => english(s.heading))).toEqual(['Addresses', 'Routes', 'Neighbours', 'Links']);
    expect(details.sections.find((s) => s.id === 'addresses')!.lines).toEqual(['eth0  10.244.1.2/24']);
    expect(details.sections.find((s) => s.id === 'routes')!.lines).toEqual(['default via 10.244.1.1 dev eth0', '10.244.1.0/24 dev eth0 scope link src 10.244.1.2']);
  });

  it('shows a node its routes and the VXLAN FDB', () => {
    const details = detailsFor(node1, '');
    expect(details.sections.find((s) => s.id === 'routes')!.lines).toContain('10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
    expect(details.sections.find((s) => s.id === 'fdb')!.lines).toEqual(['0a:58:0a:f4:02:00 dev flannel.1 dst 10.0.0.12 self permanent']);
    expect(details.sections.find((s) => s.id === 'neighbours')!.lines.join('\n')).toContain('10.244.2.0 lladdr 0a:58:0a:f4:02:00 dev flannel.1 PERMANENT');
  });

  it('says so when the namespace is gone', () => {
    const gone = detailsFor(node1, 'nope').sections;
    expect(gone.map((s) => s.id)).toEqual(['gone']);
    expect(english(gone[0]!.lines[0] as Words)).toBe("node1 has no network namespace 'nope' any more");
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
    // Which programs, not how often: the host may have network namespaces of its own, each read too.
    const started = new Set(splitSections(out).map((s) => s.name));
    expect([...started].filter((name) => name !== 'hostname' && name !== 'netns').sort()).toEqual(['fdb', 'ip']);
  });

  it('gives the same picture and details as the full facts, and no errors for the tables it leaves out', async () => {
    for (const name of ['node1', 'node2', 'node3']) {
      const full = fixture(name);
      const light = parseFacts(name, topologySections(fixtureText(name)), only);
      expect(light.errors, name).toEqual(full.errors.filter((e) => !/^(iptables|ipvs|conntrack|cni|sysctl|fdb\()/.test(e)));
      expect(describeNode(light), name).toEqual(describeNode(full));
      expect(detailsFor(light, ''), name).toEqual(detailsFor(full, ''));
      expect(await layoutTopology(topology, { [name]: { facts: light } }, { engine })).toEqual(await layoutTopology(topology, { [name]: { facts: full } }, { engine }));
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

describe('the kept look (a lab opened again draws its last picture at once)', () => {

  it('gives back the facts and times it kept, for the nodes asked, without errors', () => {
    const store = storage();
    keepLook(store, 'k', { node1: { facts: node1, at: 5 }, node2: { error: 'not answering' }, node3: { facts: node3, at: 7, error: 'late' } });
    const kept = readKeptLook(store, 'k', ['node1', 'node2', 'node3']);
    expect(Object.keys(kept)).toEqual(['node1', 'node3']);
    expect(kept.node1!.at).toBe(5);
    expect(kept.node3).not.toHaveProperty('error');
    expect(kept.node1!.facts!.netns.map((ns) => ns.name)).toEqual(node1.netns.map((ns) => ns.name));
    expect(readKeptLook(store, 'k', ['node1'])).toHaveProperty('node1');
    expect(readKeptLook(store, 'k', ['node9'])).toEqual({});
  });

  it('drops what is not a look, and never throws on what storage holds', () => {
    const store = storage();
    for (const text of ['{', '"text"', '[1,2]', 'null', JSON.stringify({ node1: { at: 'soon', facts: node1 } }), JSON.stringify({ node1: { at: 1, facts: { netns: 'x', errors: [] } } }), JSON.stringify({ node1: { at: 1 } })]) {
      store.setItem('k', text);
      expect(readKeptLook(store, 'k', ['node1']), text).toEqual({});
    }
    expect(readKeptLook(undefined, 'k', ['node1'])).toEqual({});
  });

  it('gives back a kept picture, placed, for the same nodes only', async () => {
    const store = storage();
    const picture = await layoutTopology(topology, everyNode(), { engine });
    keepPicture(store, 'p', ['node1', 'node2'], picture);
    expect(readKeptPicture(store, 'p', ['node1', 'node2'])).toEqual(picture);
    expect(readKeptPicture(store, 'p', ['node2', 'node1'])).toBeUndefined();
    expect(readKeptPicture(store, 'p', ['node1'])).toBeUndefined();
    expect(readKeptPicture(store, 'other', ['node1', 'node2'])).toBeUndefined();
  });

  it('draws no kept picture that is not shaped like one', async () => {
    const store = storage();
    const picture = await layoutTopology(topology, everyNode(), { engine });
    const broken = [
      '{', 'null', '[]',
      JSON.stringify({ nodes: ['node1', 'node2'], model: { ...picture, width: '100' } }),
      JSON.stringify({ nodes: ['node1', 'node2'], model: { ...picture, boxes: [{ ...picture.boxes[0], kind: 'script' }] } }),
      JSON.stringify({ nodes: ['node1', 'node2'], model: { ...picture, edges: [{ ...picture.edges[0], points: [[1, 'x']] }] } }),
      JSON.stringify({ nodes: 'node1', model: picture }),
    ];
    for (const text of broken) {
      store.setItem('p', text);
      expect(readKeptPicture(store, 'p', ['node1', 'node2']), text.slice(0, 80)).toBeUndefined();
    }
    expect(readKeptPicture(undefined, 'p', ['node1', 'node2'])).toBeUndefined();
  });

  it('keeps nothing too big, and a full storage costs only the picture', () => {
    const store = storage(1000);
    expect(() => keepLook(store, 'k', { node1: { facts: node1, at: 1 } })).not.toThrow();
    expect(store.getItem('k')).toBeNull();
  });
});
