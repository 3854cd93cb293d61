// The guest tools learners read and use: podctl (a tiny kubelet calling a CNI
// conflist) and kube-proxy-mini (kube-proxy's iptables mode).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/vm/cluster.js';
import { startCluster } from '../../src/vm/cluster-node.js';

const conflist = JSON.stringify({
  cniVersion: '1.0.0',
  name: 'podnet',
  plugins: [
    { type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
});

describe('guest tools', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: [{ name: 'node1' }] });
    const setup = await cluster.node('node1').exec(`mkdir -p /etc/cni/net.d && cat >/etc/cni/net.d/10-podnet.conflist`, { stdin: conflist });
    expect(setup.exitCode).toBe(0);
  });
  afterAll(() => cluster?.down());

  it('podctl runs pods through the CNI conflist, lists them, serves their name, and removes them', async () => {
    const node = cluster.node('node1');
    const run = await node.exec('podctl run web-1 --label app=web && podctl run web-2 --label app=web', { timeout: 60 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^web-1 10\.244\.1\.\d+\/24\nweb-2 10\.244\.1\.\d+\/24\n$/);
    const list = await node.exec('podctl ls');
    expect(list.stdout).toMatch(/web-1\s+10\.244\.1\.\d+\/24\s+app=web/);
    const ip = /web-2 (10\.244\.1\.\d+)/.exec(run.stdout)![1];
    // podctl run returns once the pod's server listens: the first try is answered.
    const answer = await node.exec(`podctl exec web-1 socat -T 3 - TCP:${ip}:80 </dev/null`, { timeout: 60 });
    expect(answer.stdout).toMatch(/^HTTP\/1.0 200 OK\r\n[\s\S]*\r\n\r\nweb-2\n$/);
    const removed = await node.exec('podctl rm web-2 && ls /var/lib/cni/networks/podnet/ && ip netns list', { timeout: 60 });
    expect(removed.stdout).not.toContain(ip);
    expect(removed.stdout).not.toMatch(/^web-2/m);
  });

  it('podctl serve starts a server in a namespace made by hand and returns once it listens', async () => {
    const node = cluster.node('node1');
    const served = await node.exec(`ip netns add hand && ip -n hand link set lo up && podctl serve hand 80 && podctl serve hand 9000 'echo nine' && ip netns exec hand socat -T 3 - TCP:127.0.0.1:80 </dev/null && ip netns exec hand socat -T 3 - TCP:127.0.0.1:9000 </dev/null`, { timeout: 60 });
    expect(served.exitCode, served.stderr).toBe(0);
    expect(served.stdout).toMatch(/\r\n\r\nhand\nnine\n$/);
    // -6: on IPv6, and IPv4 clients are taken too.
    const six = await node.exec(`ip -n hand addr add ::1/128 dev lo 2>/dev/null; podctl serve -6 hand 8080 'echo six' && ip netns exec hand socat -T 3 - 'TCP6:[::1]:8080' </dev/null && ip netns exec hand socat -T 3 - TCP:127.0.0.1:8080 </dev/null`, { timeout: 60 });
    expect(six.exitCode, six.stderr).toBe(0);
    expect(six.stdout).toBe('six\nsix\n');
    // A port already held by another server: this one's socat exits, and serve says why.
    const taken = await node.exec(`podctl serve hand 80 'echo second'`, { timeout: 60 });
    expect(taken.exitCode).toBe(1);
    expect(taken.stderr).toContain('podctl: the server for port 80 in hand has exited (is the port taken?)');
    const missing = await node.exec('podctl serve nowhere 80');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe('podctl: no network namespace nowhere\n');
  });

  it('kube-proxy-mini programs the real chains and a ClusterIP reaches the pods', async () => {
    const node = cluster.node('node1');
    const pods = await node.exec('podctl run api-1 && podctl run api-2', { timeout: 60 });
    const [ip1, ip2] = [...pods.stdout.matchAll(/(10\.244\.1\.\d+)\/24/g)].map((m) => m[1]);
    await node.exec(`mkdir -p /etc/kubernetes && echo "default/api 10.96.0.20:80/tcp 30080 ${ip1}:80 ${ip2}:80" >/etc/kubernetes/services`);
    const sync = await node.exec('kube-proxy-mini sync && iptables -t nat -S', { timeout: 30 });
    expect(sync.exitCode, sync.stderr).toBe(0);
    for (const chain of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING']) expect(sync.stdout).toContain(`-N ${chain}`);
    expect(sync.stdout).toMatch(/-A KUBE-SVC-[A-Z2-7]{16} .*--probability 0\.50000000000 -j KUBE-SEP-/);
    expect(sync.stdout).toMatch(new RegExp(`-A KUBE-SEP-[A-Z2-7]{16} -p tcp .*-j DNAT --to-destination ${ip2!.replaceAll('.', '\\.')}:80`));
    const ready = `for try in $(seq 30); do socat -T 2 - TCP:${ip1}:80 </dev/null | grep -q api && socat -T 2 - TCP:${ip2}:80 </dev/null | grep -q api && break; sleep 0.5; done`;
    await node.exec(ready, { timeout: 60 });
    const answers = await node.exec('for i in 1 2 3 4 5 6 7 8; do socat -T 2 - TCP:10.96.0.20:80 </dev/null; done', { timeout: 60 });
    expect(answers.stdout).toMatch(/api-[12]/);
    // Syncing again replaces the rules rather than adding to them.
    const again = await node.exec('kube-proxy-mini sync && iptables -t nat -S KUBE-SERVICES | grep -c 10.96.0.20');
    expect(again.stdout.trim()).toBe('1');
  });
});
