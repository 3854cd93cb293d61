// Calico's BGP with BIRD (labs/22-calico-bgp): plausible mistakes fail the right check, and other
// correct ways pass. One cluster for the whole file; each test resets it to the start of the step
// it needs. The solution bots (labs-solutions-*) already check that the lab fails untouched and
// passes with its reference solution.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, stepIndex } from './lab-bots.js';

const lab = findLab('calico-bgp');
const MESH = stepIndex(lab, 'mesh');
const REFLECTOR = stepIndex(lab, 'reflector');
const CROSS = stepIndex(lab, 'cross-subnet');

const address = { node1: '10.0.1.11', node2: '10.0.1.12', node3: '10.0.2.13' } as const;
type Node = keyof typeof address;
const others = (node: Node) => (Object.keys(address) as Node[]).filter((n) => n !== node);

/** /etc/bird/bgp.conf as a learner might write it, then `bird` started (or reloaded). */
function bgpConf(text: string, start = 'bird'): string {
  return `cat >/etc/bird/bgp.conf <<'EOF'\n${text}\nEOF\n${start}`;
}

/** The mesh of the reference solution, with a part changed: the local AS, the BGP export, the kernel protocol. */
function mesh(node: Node, options: { localAs?: number; bgpExport?: string; kernel?: string } = {}): string {
  const kernel = options.kernel ?? 'protocol kernel { ipv4 { import none; export where source = RTS_BGP; }; }';
  const sessions = others(node).map((peer) => `protocol bgp ${peer} from calico { neighbor ${address[peer]} as 64512; }`);
  return bgpConf([
    kernel,
    `template bgp calico { local ${address[node]} as ${options.localAs ?? 64512}; ipv4 { import all; ${options.bgpExport ?? 'export where proto = "blocks";'} }; }`,
    ...sessions,
  ].join('\n'));
}

const everyNode = (script: (node: Node) => string) => Object.fromEntries((Object.keys(address) as Node[]).map((n) => [n, script(n)]));

describe('calico-bgp', () => {
  let run: LabRun;
  beforeAll(async () => { run = await openLab(lab); }, 120_000);
  afterAll(async () => { await run?.close(); });

  it('node3 in another AS (an eBGP session its peers do not expect) is never Established; the same AS fixes it', async () => {
    await attempt(run, everyNode((n) => mesh(n, n === 'node3' ? { localAs: 64513 } : {})));
    const report = await run.checkStep(MESH);
    expect(failedNames(report)).toEqual([
      'node1 and node3 are BGP peers, Established, both in AS 64512',
      'node2 and node3 are BGP peers, Established, both in AS 64512',
      "node3 learned node1's block by BGP, next hop node1",
    ]);
    const found = report.checks.find((c) => c.name.startsWith('node1 and node3'))!.found;
    expect(found).toMatch(/BGP state: +\w+/);
    expect(found).not.toMatch(/BGP state: +Established/);
    // BIRD waits a minute after a failed session before it tries again (error wait time 60,300):
    // after the fix, the peers restart theirs, as the lesson says.
    await attempt(run, {
      node3: mesh('node3', {}).replace(/\nbird$/, '\nbirdc configure'),
      node1: 'birdc restart node3',
      node2: 'birdc restart node3',
    });
    expect(failedNames(await run.checkStep(MESH))).toEqual([]);
  }, 240_000);

  it('sessions with no export filter announce nothing (BIRD 2 exports nothing to a BGP peer by default)', async () => {
    await run.resetToStep(MESH);
    await attempt(run, everyNode((n) => mesh(n, { bgpExport: '' })));
    expect(failedNames(await run.checkStep(MESH))).toEqual([
      "node1's kernel routes node2's block via node2, a route BIRD put there",
      "node2's kernel routes node1's block via node1, a route BIRD put there",
      "node3 learned node1's block by BGP, next hop node1",
      'pod-a reaches pod-b',
      'pod-b reaches pod-a',
    ]);
  }, 240_000);

  it('with no kernel protocol, BIRD learns the blocks but the kernel never sees them', async () => {
    await run.resetToStep(MESH);
    await attempt(run, everyNode((n) => mesh(n, { kernel: '' })));
    expect(failedNames(await run.checkStep(MESH))).toEqual([
      "node1's kernel routes node2's block via node2, a route BIRD put there",
      "node2's kernel routes node1's block via node1, a route BIRD put there",
      'pod-a reaches pod-b',
      'pod-b reaches pod-a',
    ]);
  }, 240_000);

  it('a mesh written another way passes: no template, other names, Calico\'s pool filter, the kernel taking everything', async () => {
    await run.resetToStep(MESH);
    await attempt(run, everyNode((n) => bgpConf([
      'protocol kernel k4 { ipv4 { export all; }; }',
      ...others(n).map((peer) => `protocol bgp Mesh_${address[peer].replaceAll('.', '_')} {\n  local as 64512;\n  neighbor ${address[peer]} as 64512;\n  multihop;\n  ipv4 { export where net ~ [ 10.244.0.0/16+ ]; };\n}`),
    ].join('\n'))));
    expect(failedNames(await run.checkStep(MESH))).toEqual([]);
  }, 240_000);

  it('a reflector without `rr client` passes nothing on (iBGP does not re-advertise); with it, it does', async () => {
    await run.resetToStep(REFLECTOR);
    const reflector = (clientOption: string) => bgpConf([
      'protocol kernel { ipv4 { import none; export where source = RTS_BGP; }; }',
      'template bgp calico { local 10.0.2.13 as 64512; ipv4 { import all; export where proto = "blocks" || source = RTS_BGP; }; }',
      `protocol bgp node1 from calico { neighbor 10.0.1.11 as 64512; ${clientOption} }`,
      `protocol bgp node2 from calico { neighbor 10.0.1.12 as 64512; ${clientOption} }`,
    ].join('\n'), 'birdc configure');
    await attempt(run, {
      node1: "sed -i '/protocol bgp node2/d' /etc/bird/bgp.conf\nbirdc configure",
      node2: "sed -i '/protocol bgp node1/d' /etc/bird/bgp.conf\nbirdc configure",
      node3: reflector(''),
    });
    expect(failedNames(await run.checkStep(REFLECTOR))).toEqual([
      "node1 learned node2's block reflected by node3, with node2 still the next hop",
      "node2 learned node1's block reflected by node3, with node1 still the next hop",
      "node1's kernel routes node2's block straight to node2, not through the reflector",
      'pod-a reaches pod-b',
      'pod-b reaches pod-a',
    ]);
    await attempt(run, { node3: reflector('rr client;') });
    expect(failedNames(await run.checkStep(REFLECTOR))).toEqual([]);
  }, 300_000);

  it('a reflector with `next hop self` makes itself the next hop, which node1 cannot reach; node1 and node2 lose each other\'s pods', async () => {
    await run.resetToStep(CROSS);
    await attempt(run, { node3: "sed -i 's/export where proto = \"blocks\" || source = RTS_BGP;/& next hop self;/' /etc/bird/bgp.conf\nbirdc configure" });
    const report = await run.checkStep(REFLECTOR);
    expect(failedNames(report)).toEqual(expect.arrayContaining([
      "node1 learned node2's block reflected by node3, with node2 still the next hop",
      "node1's kernel routes node2's block straight to node2, not through the reflector",
    ]));
    expect(report.checks.find((c) => c.name.startsWith("node1 learned node2's"))!.found).toContain('BGP.next_hop: 10.0.2.13');
  }, 240_000);

  it('IP-in-IP to every peer (ipipMode: Always) reaches every pod but is not CrossSubnet', async () => {
    await run.resetToStep(CROSS);
    const always = 'filter always_ipip { if source != RTS_BGP then reject; ifname = "tunl0"; onlink = true; gw = bgp_next_hop; accept; }';
    await attempt(run, everyNode((n) => `ip link set tunl0 up\nsed -i 's/export where source = RTS_BGP;/export filter always_ipip;/' /etc/bird/bgp.conf\nsed -i '1i ${always}' /etc/bird/bgp.conf\nbirdc configure`));
    const report = await run.checkStep(CROSS);
    expect(failedNames(report)).toEqual(["pod-a's ping to pod-b, in the same subnet, crosses unwrapped"]);
  }, 240_000);

  it('a tunnel on node1 and node2 only: node3 answers by the router, which drops pod addresses', async () => {
    await run.resetToStep(CROSS);
    const solution = lab.steps[CROSS]!.solution;
    await attempt(run, { node1: solution.node1!, node2: solution.node2! });
    const report = await run.checkStep(CROSS);
    expect(failedNames(report)).toEqual(expect.arrayContaining(['pod-a reaches pod-c', 'pod-c reaches pod-b']));
  }, 240_000);

  it('CrossSubnet another way passes: static routes that resolve the other subnet\'s next hops through tunl0', async () => {
    await run.resetToStep(CROSS);
    const viaTunnel = (node: Node) => others(node)
      .filter((peer) => address[peer].split('.')[2] !== address[node].split('.')[2])
      .map((peer) => `route ${address[peer]}/32 via ${address[peer]}%tunl0 onlink;`).join(' ');
    await attempt(run, everyNode((n) => `ip link set tunl0 up\ncat >>/etc/bird/bgp.conf <<'EOF'\nprotocol static tunnels { ipv4; ${viaTunnel(n)} }\nEOF\nbirdc configure`));
    // Checked again until it passes, as a learner would press Check a moment later: the
    // reconfiguration on three nodes settles in its own time, and in a CI run (2026-12-05)
    // the one ping of the wire check, sent while it did, was not seen on the wire.
    await expect.poll(async () => failedNames(await run.checkStep(CROSS)), { timeout: 90_000, interval: 2_000 }).toEqual([]);
  }, 240_000);
});
