// The cluster DNS records (src/kube/dns/records.ts) for Services and EndpointSlices made by the
// real controllers over the API (addressOnlyRuntime: pod IPs, nothing runs). The expected
// names are those of Kubernetes' DNS specification (kubernetes/dns docs/specification.md,
// sections 2.3 ClusterIP and 2.4 headless) and of the API docs' "DNS for Services and Pods".
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeApi } from '../../../src/kube/api.js';
import { NODE, POD, SERVICE, SLICE, type Any, type Plain } from '../../../src/kube/controllers/common.js';
import { addressOnlyRuntime } from '../../../src/kube/controllers/kubelet.js';
import { ControllerManager } from '../../../src/kube/controllers/manager.js';
import { dnsRecords } from '../../../src/kube/dns/records.js';

let api: KubeApi;
let manager: ControllerManager;
beforeEach(() => {
  api = new KubeApi();
  manager = new ControllerManager(api, { runtime: addressOnlyRuntime });
  manager.start();
  api.create(NODE, undefined, { metadata: { name: 'node1' }, spec: { podCIDR: '10.244.1.0/24' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
});
afterEach(() => manager.stop());

const pod = (name: string, extra: Plain = {}) => api.create(POD, 'default', {
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }], ...extra },
});
const records = () => dnsRecords(api.list(SERVICE, undefined).items as Any[], api.list(SLICE, undefined).items as Any[]);

describe('cluster DNS records', () => {
  it('a ClusterIP Service: an A record of its ClusterIP and an SRV record per named port (spec 2.3.1, 2.3.3)', async () => {
    api.create(SERVICE, 'default', { metadata: { name: 'web' }, spec: { clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { port: 9000, protocol: 'UDP', name: 'no-srv' }] } });
    pod('web-1');
    await manager.settle();
    const { hosts, srv } = records();
    expect(hosts).toContain('10.96.0.20 web.default.svc.cluster.local\n');
    expect(hosts).toContain('10.96.0.1 kubernetes.default.svc.cluster.local\n');
    expect(hosts).not.toMatch(/10\.244\./); // a ClusterIP Service's name is never its pods'
    expect(srv).toContain('srv-host=_http._tcp.web.default.svc.cluster.local,web.default.svc.cluster.local,80,0,100\n');
    expect(srv).toContain('srv-host=_no-srv._udp.web.default.svc.cluster.local,web.default.svc.cluster.local,9000,0,100\n');
    // An unnamed port (a Service of one port may leave it unnamed) has no SRV record.
    expect(dnsRecords([{ metadata: { namespace: 'default', name: 'one' }, spec: { clusterIP: '10.96.0.30', ports: [{ port: 80 }] } }], []).srv).toBe('');
  });

  it('a headless Service: an A record per ready endpoint, one per endpoint name, and SRV records to each at the target port (spec 2.4.1, 2.4.3)', async () => {
    api.create(SERVICE, 'default', { metadata: { name: 'db' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    pod('web-1');
    pod('web-2', { hostname: 'first', subdomain: 'db' });
    await manager.settle();
    const ips = (api.list(POD, 'default').items as Any[]).map((p) => p.status.podIP as string).sort();
    expect(ips).toHaveLength(2);
    const { records: all } = records();
    const a = all.filter((r) => r.type === 'A' && r.name === 'db.default.svc.cluster.local').map((r) => r.value).sort();
    expect(a).toEqual(ips);
    const web1 = (api.store.get(POD.storage, 'default', 'web-1') as Any).status.podIP as string;
    const web2 = (api.store.get(POD.storage, 'default', 'web-2') as Any).status.podIP as string;
    expect(all).toContainEqual({ type: 'A', name: `${web1.replace(/\./g, '-')}.db.default.svc.cluster.local`, value: web1 });
    expect(all).toContainEqual({ type: 'A', name: 'first.db.default.svc.cluster.local', value: web2 });
    expect(all.filter((r) => r.type === 'SRV')).toEqual(expect.arrayContaining([
      { type: 'SRV', name: '_http._tcp.db.default.svc.cluster.local', value: 'first.db.default.svc.cluster.local', port: 8080 },
      { type: 'SRV', name: '_http._tcp.db.default.svc.cluster.local', value: `${web1.replace(/\./g, '-')}.db.default.svc.cluster.local`, port: 8080 },
    ]));
  });

  it('a not-ready endpoint has no record, unless publishNotReadyAddresses; no endpoints, no records; ExternalName none here', () => {
    const slice = (ready: boolean) => ({ metadata: { namespace: 'default', name: 'db-x', labels: { 'kubernetes.io/service-name': 'db' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.9'], conditions: { ready } }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] });
    const headless = (publish = false) => ({ metadata: { namespace: 'default', name: 'db' }, spec: { clusterIP: 'None', publishNotReadyAddresses: publish, ports: [{ name: 'http', port: 80 }] } });
    expect(dnsRecords([headless()], [slice(false)]).records).toEqual([]);
    expect(dnsRecords([headless(true)], [slice(false)]).hosts).toContain('10.244.1.9 db.default.svc.cluster.local\n');
    expect(dnsRecords([headless()], [slice(true)]).hosts).toContain('10.244.1.9 10-244-1-9.db.default.svc.cluster.local\n');
    expect(dnsRecords([{ metadata: { namespace: 'default', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } }], []).records).toEqual([]);
  });
});
