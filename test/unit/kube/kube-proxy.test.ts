// kube-proxy's iptables mode (src/kube/proxy/iptables.ts) against upstream's own unit tests.
//
// Source of every upstream case below: kubernetes/kubernetes, pkg/proxy/iptables/proxier_test.go,
// in the version that has KUBE-PROXY-FIREWALL, the nfacct counters (localhost_nps_accepted_pkts,
// ct_state_invalid_dropped_pkts) and the ten-decimal probabilities: upstream master of the
// v1.31 to v1.34 era (the copy read was 255,041 bytes; the code index that served it did not
// name its commit). The Service and EndpointSlice objects are those the Go tests build with
// makeTestService and makeTestEndpointSlice, written here as the API's JSON; the options are
// NewFakeProxier's: node "test-node" at 192.168.0.2, pod CIDR 10.0.0.0/8 (LocalDetector by
// CIDR), mark 0x4000, localhost NodePorts on, both nfacct counters present.
//
// - TestOverallIPTablesRules spells out the whole iptables-save output; it is kept verbatim in
//   upstream/TestOverallIPTablesRules.txt and compared chain for chain (the same set of
//   chains, each with the same rules in the same order), as upstream's own
//   assertIPTablesRulesEqual does. The chain names are computed, not copied: they match.
// - The traffic-policy tests (TestExternalTrafficPolicyLocal, TestExternalTrafficPolicyCluster,
//   TestInternalTrafficPolicy) and TestNoEndpointsReject, TestClusterIPGeneral,
//   TestLoadBalancer and TestNodePorts assert outcomes with upstream's packet tracer
//   (runPacketFlowTests) rather than text; their cases run here through the same tracing
//   rules (iptables-trace.ts) over the rules this kube-proxy writes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { endpointChainName, portProtoHash, proxyRules, type ProxyOptions } from '../../../src/kube/proxy/iptables.js';
import { normalForm, tracePacket } from './iptables-trace.js';

type Obj = Record<string, any>;

const FAKE: ProxyOptions = { nodeName: 'test-node', nodeIP: '192.168.0.2', clusterCIDR: '10.0.0.0/8', masqueradeMark: '0x4000', localhostNodePorts: true, nfacct: true };
/** testNodeIPs of proxier_test.go (IPv4 ones): the node's addresses, including the "external IP" 192.168.99.11. */
const NODE_IPS = ['192.168.0.2', '192.168.1.2', '192.168.99.11'];
const EXTERNAL_CLIENT = '203.0.113.2';
const EXTERNAL_CLIENT_BLOCKED = '203.0.113.130';

const svc = (ns: string, name: string, spec: Obj, status: Obj = {}): Obj => ({ metadata: { namespace: ns, name }, spec: { type: 'ClusterIP', ...spec }, status });
const slice = (ns: string, name: string, endpoints: Obj[], ports: Obj[]): Obj => ({
  metadata: { namespace: ns, name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4', endpoints, ports,
});
const p80 = [{ name: 'p80', port: 80, protocol: 'TCP' }];

describe('chain names', () => {
  it('are portProtoHash and servicePortEndpointChainName, as upstream computes them', () => {
    // From TestOverallIPTablesRules: ns1/svc1:p80 is KUBE-SVC-XPGD46QRK7WJZT7O, its endpoint KUBE-SEP-SXIVWICOYRO3J4NJ.
    expect(portProtoHash('ns1/svc1:p80', 'tcp')).toBe('XPGD46QRK7WJZT7O');
    expect(endpointChainName('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
  });
});

describe('TestOverallIPTablesRules (proxier_test.go)', () => {
  const services = [
    svc('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] }),
    svc('ns2', 'svc2', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '172.30.0.42', ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }], externalIPs: ['192.168.99.22'], healthCheckNodePort: 30000 }, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } }),
    svc('ns3', 'svc3', { type: 'NodePort', clusterIP: '172.30.0.43', ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3003 }] }),
    svc('ns4', 'svc4', { type: 'NodePort', clusterIP: '172.30.0.44', externalIPs: ['192.168.99.33'], ports: [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 80 }] }),
    svc('ns5', 'svc5', {
      type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', clusterIP: '172.30.0.45', ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3002 }], healthCheckNodePort: 30000,
      loadBalancerSourceRanges: [' 203.0.113.0/25'], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    }, { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } }),
    svc('ns6', 'svc6', { clusterIP: '172.30.0.46', ports: [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 80 }] }),
  ];
  const slices = [
    slice('ns1', 'svc1', [{ addresses: ['10.180.0.1'] }], p80),
    slice('ns2', 'svc2', [{ addresses: ['10.180.0.2'] }], p80),
    slice('ns3', 'svc3', [{ addresses: ['10.180.0.3'] }], p80),
    slice('ns4', 'svc4', [{ addresses: ['10.180.0.4'] }, { addresses: ['10.180.0.5'], nodeName: 'test-node' }], p80),
    slice('ns5', 'svc5', [{ addresses: ['10.180.0.3'] }], p80),
  ];

  it('writes the same chains with the same rules as upstream expects', () => {
    const expected = readFileSync(new URL('./upstream/TestOverallIPTablesRules.txt', import.meta.url), 'utf8');
    const ours = proxyRules(services, slices, FAKE).text;
    expect(normalForm(ours)).toEqual(normalForm(expected));
  });

  it('without localhost NodePorts or nfacct, as on the lab nodes: no KUBE-FIREWALL, no nfacct, localhost kept out', () => {
    const ours = proxyRules(services, slices, { ...FAKE, localhostNodePorts: false, nfacct: false }).text;
    expect(ours).not.toMatch(/nfacct|KUBE-FIREWALL/);
    expect(ours).toContain('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS');
    expect(ours).toContain('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP');
  });

  it('deletes stale service chains it is told of, and only kube-proxy\'s', () => {
    const ours = proxyRules(services, slices, { ...FAKE, existingNatChains: ['KUBE-SEP-GONEGONEGONEGONE', 'KUBE-SVC-XPGD46QRK7WJZT7O', 'MY-CHAIN'] }).text;
    expect(ours).toContain(':KUBE-SEP-GONEGONEGONEGONE - [0:0]\n');
    expect(ours).toContain('\n-X KUBE-SEP-GONEGONEGONEGONE\n');
    expect(ours).not.toContain('-X KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(ours).not.toContain('MY-CHAIN');
  });
});

interface Flow { name: string; sourceIP: string; destIP: string; destPort: number; protocol?: string; output: string; masq?: boolean }

function runFlows(text: string, flows: Flow[]) {
  for (const f of flows) {
    const got = tracePacket(text, f, NODE_IPS);
    expect(got.output, f.name).toBe(f.output);
    if (f.output.includes(':') && f.masq !== undefined) expect(got.masq, `${f.name} (masquerade)`).toBe(f.masq);
  }
}

describe('TestExternalTrafficPolicyLocal and TestExternalTrafficPolicyCluster (proxier_test.go)', () => {
  const service = (policy: 'Local' | 'Cluster') => svc('ns1', 'svc1', {
    type: 'LoadBalancer', externalTrafficPolicy: policy, clusterIP: '172.30.0.41', externalIPs: ['192.168.99.11'],
    ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001, targetPort: 80 }], ...(policy === 'Local' ? { healthCheckNodePort: 30000 } : {}),
  }, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } });
  const slices = [slice('ns1', 'svc1', [{ addresses: ['10.180.0.1'] }, { addresses: ['10.180.2.1'], nodeName: 'test-node' }], p80)];
  const both = '10.180.0.1:80, 10.180.2.1:80';

  it('Local: pods reach both endpoints unmasqueraded; outside clients only the local one, unmasqueraded', () => {
    runFlows(proxyRules([service('Local')], slices, FAKE).text, [
      { name: 'pod to cluster IP hits both endpoints, unmasqueraded', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: both, masq: false },
      { name: 'pod to external IP hits both endpoints, unmasqueraded', sourceIP: '10.0.0.2', destIP: '192.168.99.11', destPort: 80, output: both, masq: false },
      { name: 'external to external IP hits only local endpoint, unmasqueraded', sourceIP: EXTERNAL_CLIENT, destIP: '192.168.99.11', destPort: 80, output: '10.180.2.1:80', masq: false },
      { name: 'pod to LB IP hits only both endpoints, unmasqueraded', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: both, masq: false },
      { name: 'external to LB IP hits only local endpoint, unmasqueraded', sourceIP: EXTERNAL_CLIENT, destIP: '1.2.3.4', destPort: 80, output: '10.180.2.1:80', masq: false },
      { name: 'pod to NodePort hits both endpoints, unmasqueraded', sourceIP: '10.0.0.2', destIP: '192.168.0.2', destPort: 3001, output: both, masq: false },
      { name: 'external to NodePort hits only local endpoint, unmasqueraded', sourceIP: EXTERNAL_CLIENT, destIP: '192.168.0.2', destPort: 3001, output: '10.180.2.1:80', masq: false },
    ]);
  });

  it('Cluster: everything external reaches both endpoints, masqueraded', () => {
    runFlows(proxyRules([service('Cluster')], slices, FAKE).text, [
      { name: 'pod to cluster IP hits both endpoints, unmasqueraded', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: both, masq: false },
      { name: 'pod to external IP hits both endpoints, masqueraded', sourceIP: '10.0.0.2', destIP: '192.168.99.11', destPort: 80, output: both, masq: true },
      { name: 'external to external IP hits both endpoints, masqueraded', sourceIP: EXTERNAL_CLIENT, destIP: '192.168.99.11', destPort: 80, output: both, masq: true },
      { name: 'pod to LB IP hits both endpoints, masqueraded', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: both, masq: true },
      { name: 'external to LB IP hits both endpoints, masqueraded', sourceIP: EXTERNAL_CLIENT, destIP: '1.2.3.4', destPort: 80, output: both, masq: true },
      { name: 'pod to NodePort hits both endpoints, masqueraded', sourceIP: '10.0.0.2', destIP: '192.168.0.2', destPort: 3001, output: both, masq: true },
      { name: 'external to NodePort hits both endpoints, masqueraded', sourceIP: EXTERNAL_CLIENT, destIP: '192.168.0.2', destPort: 3001, output: both, masq: true },
    ]);
  });
});

describe('TestInternalTrafficPolicy (proxier_test.go)', () => {
  const cases: { name: string; policy: 'Cluster' | 'Local'; endpoints: [string, string][]; output: string }[] = [
    { name: 'internalTrafficPolicy is cluster', policy: 'Cluster', endpoints: [['10.0.1.1', 'test-node'], ['10.0.1.2', 'node1'], ['10.0.1.3', 'node2']], output: '10.0.1.1:80, 10.0.1.2:80, 10.0.1.3:80' },
    { name: 'internalTrafficPolicy is local and there is one local endpoint', policy: 'Local', endpoints: [['10.0.1.1', 'test-node'], ['10.0.1.2', 'node1'], ['10.0.1.3', 'node2']], output: '10.0.1.1:80' },
    { name: 'internalTrafficPolicy is local and there are multiple local endpoints', policy: 'Local', endpoints: [['10.0.1.1', 'test-node'], ['10.0.1.2', 'test-node'], ['10.0.1.3', 'node2']], output: '10.0.1.1:80, 10.0.1.2:80' },
    { name: 'internalTrafficPolicy is local and there are no local endpoints', policy: 'Local', endpoints: [['10.0.1.1', 'node0'], ['10.0.1.2', 'node1'], ['10.0.1.3', 'node2']], output: 'DROP' },
  ];
  it.each(cases)('$name', ({ policy, endpoints, output }) => {
    const service = svc('ns1', 'svc1', { clusterIP: '172.30.1.1', selector: { foo: 'bar' }, internalTrafficPolicy: policy, ports: [{ name: '', port: 80, protocol: 'TCP' }] });
    const eps = slice('ns1', 'svc1', endpoints.map(([ip, nodeName]) => ({ addresses: [ip], conditions: { ready: true }, nodeName })), [{ name: '', port: 80, protocol: 'TCP' }]);
    runFlows(proxyRules([service], [eps], FAKE).text, [{ name: 'pod to ClusterIP', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output, masq: false }]);
    runFlows(proxyRules([service], [], FAKE).text, [{ name: 'endpoints deleted', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: 'REJECT' }]);
  });
});

describe('TestNoEndpointsReject (proxier_test.go)', () => {
  it('a Service with no endpoints rejects on its ClusterIP, external IP, NodePort and LoadBalancer IP', () => {
    const service = svc('ns1', 'svc1', { type: 'LoadBalancer', clusterIP: '172.30.0.41', externalIPs: ['192.168.99.11'], ports: [{ name: 'p80', protocol: 'TCP', port: 80, nodePort: 3001 }] }, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } });
    runFlows(proxyRules([service], [], FAKE).text, [
      { name: 'pod to cluster IP with no endpoints', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: 'REJECT' },
      { name: 'external to external IP with no endpoints', sourceIP: EXTERNAL_CLIENT, destIP: '192.168.99.11', destPort: 80, output: 'REJECT' },
      { name: 'pod to NodePort with no endpoints', sourceIP: '10.0.0.2', destIP: '192.168.0.2', destPort: 3001, output: 'REJECT' },
      { name: 'external to NodePort with no endpoints', sourceIP: EXTERNAL_CLIENT, destIP: '192.168.0.2', destPort: 3001, output: 'REJECT' },
      { name: 'pod to LoadBalancer IP with no endpoints', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: 'REJECT' },
      { name: 'external to LoadBalancer IP with no endpoints', sourceIP: EXTERNAL_CLIENT, destIP: '1.2.3.4', destPort: 80, output: 'REJECT' },
    ]);
  });
});

describe('TestClusterIPGeneral (proxier_test.go)', () => {
  it('ClusterIPs, target ports, and TCP, UDP and SCTP on one port', () => {
    const services = [
      svc('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
      svc('ns2', 'svc2', { clusterIP: '172.30.0.42', ports: [
        { name: 'http', port: 80, protocol: 'TCP' }, { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
        { name: 'dns-udp', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 5353 }, { name: 'dns-sctp', port: 53, protocol: 'SCTP' },
      ] }),
    ];
    const slices = [
      slice('ns1', 'svc1', [{ addresses: ['10.180.0.1'], nodeName: 'test-node' }], [{ name: 'http', port: 80, protocol: 'TCP' }]),
      slice('ns2', 'svc2', [{ addresses: ['10.180.0.1'], nodeName: 'test-node' }, { addresses: ['10.180.2.1'], nodeName: 'node2' }], [
        { name: 'http', port: 80, protocol: 'TCP' }, { name: 'https', port: 8443, protocol: 'TCP' }, { name: 'dns-udp', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 5353, protocol: 'TCP' }, { name: 'dns-sctp', port: 53, protocol: 'SCTP' },
      ]),
    ];
    runFlows(proxyRules(services, slices, FAKE).text, [
      { name: 'simple clusterIP', sourceIP: '10.180.0.2', destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80', masq: false },
      { name: 'hairpin to cluster IP', sourceIP: '10.180.0.1', destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80', masq: true },
      { name: 'clusterIP with multiple endpoints', sourceIP: '10.180.0.2', destIP: '172.30.0.42', destPort: 80, output: '10.180.0.1:80, 10.180.2.1:80', masq: false },
      { name: 'clusterIP with TargetPort', sourceIP: '10.180.0.2', destIP: '172.30.0.42', destPort: 443, output: '10.180.0.1:8443, 10.180.2.1:8443', masq: false },
      { name: 'clusterIP with TCP, UDP, and SCTP on same port (TCP)', sourceIP: '10.180.0.2', protocol: 'TCP', destIP: '172.30.0.42', destPort: 53, output: '10.180.0.1:5353, 10.180.2.1:5353', masq: false },
      { name: 'clusterIP with TCP, UDP, and SCTP on same port (UDP)', sourceIP: '10.180.0.2', protocol: 'UDP', destIP: '172.30.0.42', destPort: 53, output: '10.180.0.1:53, 10.180.2.1:53', masq: false },
      { name: 'clusterIP with TCP, UDP, and SCTP on same port (SCTP)', sourceIP: '10.180.0.2', protocol: 'SCTP', destIP: '172.30.0.42', destPort: 53, output: '10.180.0.1:53, 10.180.2.1:53', masq: false },
      { name: 'TCP-only port does not match UDP traffic', sourceIP: '10.180.0.2', protocol: 'UDP', destIP: '172.30.0.42', destPort: 80, output: '' },
      { name: "svc1 does not accept svc2's ports", sourceIP: '10.180.0.2', destIP: '172.30.0.41', destPort: 443, output: '' },
    ]);
  });
});

describe('TestLoadBalancer (proxier_test.go)', () => {
  it('loadBalancerSourceRanges: allowed and blocked clients, NodePorts bypass them, the node and the LB IP itself allowed', () => {
    const service = svc('ns1', 'svc1', { type: 'LoadBalancer', clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }], loadBalancerSourceRanges: ['192.168.0.0/24', ' 203.0.113.0/25'] },
      { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { ip: '5.6.7.8' }] } });
    const ep = '10.180.0.1:80';
    runFlows(proxyRules([service], [slice('ns1', 'svc1', [{ addresses: ['10.180.0.1'] }], p80)], FAKE).text, [
      { name: 'pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: ep, masq: false },
      { name: 'external to nodePort', sourceIP: EXTERNAL_CLIENT, destIP: '192.168.0.2', destPort: 3001, output: ep, masq: true },
      { name: 'nodePort bypasses LoadBalancerSourceRanges', sourceIP: EXTERNAL_CLIENT_BLOCKED, destIP: '192.168.0.2', destPort: 3001, output: ep, masq: true },
      { name: 'accepted external to LB1', sourceIP: EXTERNAL_CLIENT, destIP: '1.2.3.4', destPort: 80, output: ep, masq: true },
      { name: 'accepted external to LB2', sourceIP: EXTERNAL_CLIENT, destIP: '5.6.7.8', destPort: 80, output: ep, masq: true },
      { name: 'blocked external to LB1', sourceIP: EXTERNAL_CLIENT_BLOCKED, destIP: '1.2.3.4', destPort: 80, output: 'DROP' },
      { name: 'blocked external to LB2', sourceIP: EXTERNAL_CLIENT_BLOCKED, destIP: '5.6.7.8', destPort: 80, output: 'DROP' },
      { name: 'pod to LB1 (blocked by LoadBalancerSourceRanges)', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: 'DROP' },
      { name: 'pod to LB2 (blocked by LoadBalancerSourceRanges)', sourceIP: '10.0.0.2', destIP: '5.6.7.8', destPort: 80, output: 'DROP' },
      { name: 'node to LB1 (allowed by LoadBalancerSourceRanges)', sourceIP: '192.168.0.2', destIP: '1.2.3.4', destPort: 80, output: ep, masq: true },
      { name: 'node to LB2 (allowed by LoadBalancerSourceRanges)', sourceIP: '192.168.0.2', destIP: '5.6.7.8', destPort: 80, output: ep, masq: true },
      { name: 'same node to LB1, SNATted to LB1 (implicitly allowed)', sourceIP: '1.2.3.4', destIP: '1.2.3.4', destPort: 80, output: ep, masq: true },
      { name: 'same node to LB2, SNATted to LB2 (implicitly allowed)', sourceIP: '5.6.7.8', destIP: '5.6.7.8', destPort: 80, output: ep, masq: true },
    ]);
  });
});

describe('TestNodePorts (proxier_test.go, the IPv4 cases without --nodeport-addresses)', () => {
  const service = svc('ns1', 'svc1', { type: 'NodePort', clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }] });
  const eps = [slice('ns1', 'svc1', [{ addresses: ['10.180.0.1'] }, { addresses: ['10.180.2.1'], nodeName: 'test-node' }], p80)];
  const both = '10.180.0.1:80, 10.180.2.1:80';
  it.each([true, false])('localhost NodePorts %s', (localhostNodePorts) => {
    const text = proxyRules([service], eps, { ...FAKE, localhostNodePorts }).text;
    runFlows(text, [
      { name: 'pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: both, masq: false },
      { name: 'external to nodePort', sourceIP: EXTERNAL_CLIENT, destIP: '192.168.0.2', destPort: 3001, output: both, masq: true },
      { name: 'node to nodePort', sourceIP: '192.168.0.2', destIP: '192.168.0.2', destPort: 3001, output: both, masq: true },
      { name: 'external to nodePort on secondary IP', sourceIP: EXTERNAL_CLIENT, destIP: '192.168.1.2', destPort: 3001, output: both, masq: true },
      localhostNodePorts
        ? { name: 'localhost to nodePort gets masqueraded', sourceIP: '127.0.0.1', destIP: '127.0.0.1', destPort: 3001, output: both, masq: true }
        : { name: 'localhost to nodePort is ignored', sourceIP: '127.0.0.1', destIP: '127.0.0.1', destPort: 3001, output: '' },
    ]);
    expect(text.includes('-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP')).toBe(localhostNodePorts);
  });
});

describe('readiness and terminating endpoints (pkg/proxy/topology.go)', () => {
  it('uses ready endpoints; falls back to serving-and-terminating ones only when none is ready', () => {
    const service = svc('ns1', 'svc1', { clusterIP: '172.30.1.1', ports: [{ name: '', port: 80, protocol: 'TCP' }] });
    const port = [{ name: '', port: 80, protocol: 'TCP' }];
    const mixed = slice('ns1', 'svc1', [
      { addresses: ['10.0.1.1'], conditions: { ready: true } },
      { addresses: ['10.0.1.2'], conditions: { ready: false, serving: true, terminating: true } },
      { addresses: ['10.0.1.3'], conditions: { ready: false, serving: false, terminating: false } },
    ], port);
    runFlows(proxyRules([service], [mixed], FAKE).text, [{ name: 'only the ready one', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: '10.0.1.1:80', masq: false }]);
    const terminating = slice('ns1', 'svc1', [{ addresses: ['10.0.1.2'], conditions: { ready: false, serving: true, terminating: true } }, { addresses: ['10.0.1.3'], conditions: { ready: false } }], port);
    runFlows(proxyRules([service], [terminating], FAKE).text, [{ name: 'the terminating one', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: '10.0.1.2:80', masq: false }]);
    const none = slice('ns1', 'svc1', [{ addresses: ['10.0.1.3'], conditions: { ready: false } }], port);
    runFlows(proxyRules([service], [none], FAKE).text, [{ name: 'nothing ready: REJECT', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: 'REJECT' }]);
  });

  it('skips headless and ExternalName Services', () => {
    const text = proxyRules([svc('ns1', 'h', { clusterIP: 'None', ports: [{ port: 80 }] }), svc('ns1', 'e', { type: 'ExternalName', externalName: 'example.org' })], [], FAKE).text;
    expect(text).not.toMatch(/KUBE-SVC-|REJECT/);
  });
});
