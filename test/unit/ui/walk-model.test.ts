// The "Follow a packet" panel's pure half: what a hop lights on the topology picture, the
// path, a wire hop's layers, and the pcapng with one interface per hop read back.
import { describe, expect, it } from 'vitest';
import { readPcapng } from '../../../src/net/pcapng.js';
import { edgeLit, hopHeaders, hopLayers, hopPlaces, pathPlaces, walkPcapng, type Walk, type WalkHop } from '../../../src/ui/walk-model.js';
import { icmpEcho, ipFrame, udp, vxlan } from '../net/frames.js';

const inner = ipFrame({ srcMac: '0a:58:0a:f4:01:00', dstMac: '0a:58:0a:f4:02:00', src: '10.244.1.2', dst: '10.244.2.2', protocol: 1, payload: icmpEcho({ id: 7, seq: 1 }) });
const outer = ipFrame({ srcMac: '02:50:00:00:00:01', dstMac: '02:50:00:00:00:02', src: '10.0.0.11', dst: '10.0.0.12', protocol: 17, payload: udp({ srcPort: 40000, dstPort: 8472, payload: vxlan({ vni: 1, inner }) }) });
const packet = { src: '10.244.1.2', dst: '10.244.2.2', protocol: 'icmp' };
const hops: WalkHop[] = [
  { direction: 'request', node: 'node1', netns: 'pod-a', kind: 'send', text: 'pod-a sends a ping' },
  { direction: 'request', node: 'node1', kind: 'encap', text: 'flannel.1 wraps it', packet },
  {
    direction: 'request', node: 'node1', kind: 'wire', text: 'on the wire', packet: { ...packet, outer: { src: '10.0.0.11', dst: '10.0.0.12', tunnel: 'VXLAN VNI 1' } },
    frame: { link: 'node1', from: 'node1:eth0', to: 'node1', timestampMicros: 1_000_000, bytes: outer },
  },
  { direction: 'request', node: 'router-lan', kind: 'wire', text: 'through the router', packet, frame: { link: 'router-lan', from: 'lan', to: 'router-lan', timestampMicros: 1_000_100, bytes: inner } },
  { direction: 'request', node: 'node2', netns: 'pod-b', kind: 'enter-pod', text: 'pod-b gets it', packet },
];
const walk: Walk = { from: { node: 'node1', netns: 'pod-a' }, to: '10.244.2.2', target: '10.244.2.2', probe: 'icmp', hops, outcome: 'lost', summary: 'lost after: pod-b gets it', probeOutput: '', durationMs: 1, phasesMs: { arm: 0, probe: 0, collect: 0, assemble: 1 } };
const nodes = ['node1', 'node2'];

describe('the walk panel', () => {
  it('lights a pod hop on its pod and node, and a wire hop on its link to the switch and its node (or the router)', () => {
    expect(hopPlaces(hops[0]!, nodes)).toEqual(['node:node1', 'pod:node1:pod-a']);
    expect(hopPlaces(hops[2]!, nodes)).toEqual(['node:node1', 'link-to:node1']);
    expect(hopPlaces(hops[3]!, nodes)).toEqual(['router', 'router:lan', 'segment:lan']);
    const lit = new Set(hopPlaces(hops[2]!, nodes));
    expect(edgeLit('segment:lan:node1', lit)).toBe(true);
    expect(edgeLit('segment:lan:node2', lit)).toBe(false);
    expect(edgeLit('veth:node1:pod-a', lit)).toBe(false);
  });

  it('draws the path as every place crossed, in the order first crossed', () => {
    expect(pathPlaces(walk, nodes)).toEqual(['node:node1', 'pod:node1:pod-a', 'link-to:node1', 'router', 'router:lan', 'segment:lan', 'node:node2', 'pod:node2:pod-b']);
  });

  it("decodes a wire hop's frame into outer and inner layers, and says its headers", () => {
    const layers = hopLayers(hops[2]!)!;
    expect(layers.tunnel).toBe('VXLAN VNI 1');
    expect(layers.outer.map((layer) => layer.protocol)).toEqual(['Ethernet', 'IPv4', 'UDP', 'VXLAN']);
    expect(layers.inner!.map((layer) => layer.protocol)).toEqual(['Ethernet', 'IPv4', 'ICMP']);
    expect(hopLayers(hops[0]!)).toBeUndefined();
    expect(hopHeaders(hops[2]!)).toBe('10.244.1.2 → 10.244.2.2 ICMP');
  });

  it('writes the wire hops to a pcapng, one interface per hop named after it', () => {
    const file = readPcapng(walkPcapng(walk));
    expect(file.interfaces.map((face) => face.name)).toEqual(['hop 3 request node1', 'hop 4 request router-lan']);
    expect(file.frames.map((frame) => [frame.interfaceName, frame.bytes.length, frame.timestampMicros])).toEqual([
      ['hop 3 request node1', outer.length, 1_000_000],
      ['hop 4 request router-lan', inner.length, 1_000_100],
    ]);
  });
});
