// gatherFacts against a real node: build a little state by hand (a namespace,
// a veth into it, an address, a route, an iptables rule) and check the facts
// see exactly that. Also says how long a gather takes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressesIn, defaultRoute, findLink, gatherFacts, namespace, rulesOf, type Exec } from '../../src/observe/facts.js';
import type { Cluster } from '../../src/vm/cluster.js';
import { startCluster } from '../../src/vm/cluster-node.js';

describe('gatherFacts on a real node', () => {
  let cluster: Cluster;
  let exec: Exec;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: [{ name: 'node1' }] });
    exec = (command, options) => cluster.node('node1').exec(command, options);
  });
  afterAll(() => cluster?.down());

  it('reads a fresh node without errors', async () => {
    const started = performance.now();
    const facts = await gatherFacts('node1', exec);
    const ms = Math.round(performance.now() - started);
    console.log(`gatherFacts on a fresh node: ${ms} ms`);
    expect(facts.errors).toEqual([]);
    expect(facts.hostname).toBe('node1');
    expect(facts.netns.map((ns) => ns.name)).toEqual(['']);
    expect(addressesIn(facts, '10.0.0.0/24')).toMatchObject([{ dev: 'eth0', cidr: '10.0.0.11/24' }]);
  });

  it('sees a namespace, a veth into it, its address and route, and an iptables rule', async () => {
    const setup = [
      'ip netns add web',
      'ip link add hostside type veth peer name eth0 netns web',
      'ip addr add 10.244.1.1/24 dev hostside',
      'ip link set hostside up',
      'ip -n web addr add 10.244.1.5/24 dev eth0',
      'ip -n web link set eth0 up',
      'ip -n web link set lo up',
      'ip -n web route add default via 10.244.1.1',
      'iptables -t nat -A POSTROUTING -s 10.244.1.0/24 ! -o hostside -m comment --comment "web: masquerade" -j MASQUERADE',
      'ip netns exec web ping -c 1 -W 2 10.244.1.1 >/dev/null',
    ].join(' && ');
    expect((await exec(setup, { timeout: 30 })).exitCode).toBe(0);

    const timings: number[] = [];
    let facts = await gatherFacts('node1', exec);
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      facts = await gatherFacts('node1', exec);
      timings.push(Math.round(performance.now() - started));
    }
    console.log(`gatherFacts with one namespace: ${timings.join(', ')} ms`);
    expect(facts.errors).toEqual([]);
    expect(facts.netns.map((ns) => ns.name)).toEqual(['', 'web']);

    expect(addressesIn(facts, '10.244.1.0/24', { netns: 'web' })).toMatchObject([{ dev: 'eth0', cidr: '10.244.1.5/24', family: 4 }]);
    expect(defaultRoute(namespace(facts, 'web'))).toMatchObject({ via: '10.244.1.1', dev: 'eth0' });
    expect(findLink(facts, 'hostside')).toMatchObject({ type: 'veth', up: true, state: 'UP', peer: { netns: 'web', ifname: 'eth0', name: 'web:eth0' } });
    expect(findLink(facts, 'eth0', 'web')!.peer).toMatchObject({ netns: '', name: 'hostside' });
    expect(namespace(facts, '')!.neighbours.find((n) => n.address === '10.244.1.5')).toMatchObject({ dev: 'hostside', mac: findLink(facts, 'eth0', 'web')!.mac });

    const [masquerade] = rulesOf(facts, 'nat', 'POSTROUTING');
    expect(masquerade).toMatchObject({ source: '10.244.1.0/24', outInterface: 'hostside', negated: ['out-interface'], comment: 'web: masquerade', target: 'MASQUERADE' });
    expect(facts.iptables.nat!.chains.POSTROUTING!.policy).toBe('ACCEPT');
    expect(facts.conntrack.some((c) => c.protocol === 'icmp' && c.original.src === '10.244.1.5')).toBe(true);
    expect(timings.every((ms) => ms < 30_000)).toBe(true);
  });
});
