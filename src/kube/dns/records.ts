// The cluster DNS's records as a pure function: Services and EndpointSlices in, the records
// of Kubernetes' DNS specification out (https://github.com/kubernetes/dns/blob/master/docs/specification.md,
// what CoreDNS's kubernetes plugin serves), written as the files dnsmasq reads, the server
// lab 13 (cluster-dns) runs in the coredns pod:
//
//   2.3.1/2.3.2  A    <svc>.<ns>.svc.<zone>            the ClusterIP
//   2.4.1        A    <svc>.<ns>.svc.<zone>            headless: each ready endpoint's address
//                A    <host>.<svc>.<ns>.svc.<zone>     headless: each ready endpoint, by its
//                                                      hostname, else its address with dashes
//                                                      (CoreDNS's endpointHostname)
//   2.3.3/2.4.3  SRV  _<port>._<proto>.<svc>.<ns>.svc.<zone>  each named port: to the Service's
//                                                      name (ClusterIP), or to each ready
//                                                      endpoint's name (headless)
//
// The hosts file (dnsmasq --addn-hosts: "IP NAME", one per line; dnsmasq answers the PTR
// queries from it too) and the SRV lines (dnsmasq's srv-host=NAME,TARGET,PORT,PRIORITY,WEIGHT,
// in a --conf-file). publishNotReadyAddresses counts not-ready endpoints too, as upstream.
// Not written: ExternalName CNAMEs (dnsmasq's cname= needs the target among its own names),
// pod A records (<a-b-c-d>.<ns>.pod), IPv6.

type Obj = Record<string, any>;

export interface DnsRecord {
  readonly type: 'A' | 'SRV';
  readonly name: string;
  /** A: the address; SRV: the target name. */
  readonly value: string;
  /** SRV only. */
  readonly port?: number;
}

export interface DnsFiles {
  readonly records: readonly DnsRecord[];
  /** For --addn-hosts. */
  readonly hosts: string;
  /** srv-host= lines, for --conf-file. */
  readonly srv: string;
}

const isIPv4 = (s: unknown): s is string => typeof s === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(s);

export function dnsRecords(services: readonly Obj[], slices: readonly Obj[], zone = 'cluster.local'): DnsFiles {
  const records: DnsRecord[] = [];
  for (const svc of services) {
    const spec = svc.spec ?? {};
    if (spec.type === 'ExternalName') continue;
    const ns = svc.metadata?.namespace ?? 'default';
    const name = `${svc.metadata?.name}.${ns}.svc.${zone}`;
    const ports: Obj[] = spec.ports ?? [];
    const srvName = (p: Obj) => `_${p.name}._${String(p.protocol ?? 'TCP').toLowerCase()}.${name}`;
    if (spec.clusterIP && spec.clusterIP !== 'None') {
      if (!isIPv4(spec.clusterIP)) continue;
      records.push({ type: 'A', name, value: spec.clusterIP });
      for (const p of ports) if (p.name) records.push({ type: 'SRV', name: srvName(p), value: name, port: p.port });
      continue;
    }
    // Headless: the endpoints themselves.
    const mine = slices.filter((s) => s.metadata?.namespace === ns && s.metadata?.labels?.['kubernetes.io/service-name'] === svc.metadata?.name && (s.addressType ?? 'IPv4') === 'IPv4');
    const seen = new Set<string>();
    for (const slice of mine) {
      for (const e of (slice.endpoints ?? []) as Obj[]) {
        const ip = e.addresses?.[0];
        if (!isIPv4(ip) || seen.has(ip)) continue;
        if (!(e.conditions?.ready ?? true) && !spec.publishNotReadyAddresses) continue;
        seen.add(ip);
        const host = `${e.hostname ?? ip.replace(/\./g, '-')}.${name}`;
        records.push({ type: 'A', name, value: ip }, { type: 'A', name: host, value: ip });
        for (const sp of (slice.ports ?? []) as Obj[]) {
          const p = ports.find((x) => (x.name ?? '') === (sp.name ?? '') && String(x.protocol ?? 'TCP') === String(sp.protocol ?? 'TCP'));
          if (p?.name && sp.port) records.push({ type: 'SRV', name: srvName(p), value: host, port: sp.port });
        }
      }
    }
  }
  const order = (r: DnsRecord) => `${r.type} ${r.name} ${r.value} ${r.port ?? ''}`;
  records.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  const hosts = records.filter((r) => r.type === 'A').map((r) => `${r.value} ${r.name}\n`).join('');
  const srv = records.filter((r) => r.type === 'SRV').map((r) => `srv-host=${r.name},${r.value},${r.port},0,100\n`).join('');
  return { records, hosts, srv };
}
