// Plausible mistakes fail the right check, and other correct ways pass, for the
// NetworkPolicy lab and the troubleshooting labs (fix-route, fix-mtu, fix-ipam,
// fix-forwarding, fix-shadow). labs.test.ts already checks that each lab fails untouched and
// passes with its reference solution.
import { describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, gradeWith, stepIndex, withLab } from './lab-bots.js';

describe('network-policy', () => {
  it('a deny without the conntrack rule also kills the replies to web\'s own connections, and the followed answer ends at that rule', async () => {
    const lab = findLab('network-policy');
    await withLab(lab, async (run) => {
      await attempt(run, { node1: 'iptables -I FORWARD 1 -d $(podip web) -j DROP' });
      const report = await run.checkStep(stepIndex(lab, 'default-deny'));
      expect(failedNames(report)).toEqual(['web can still open connections to frontend (the replies come back)']);
      expect(report.checks.find((c) => !c.passed)!.found).toContain('blocked');
      // The follow step: frontend's SYN is dropped as it should be; web's own connection is
      // answered by frontend, and the answer, a packet to web, comes into node1 from frontend's
      // port and dies there at the same DROP: it never arrives in web.
      const followed = await run.checkStep(stepIndex(lab, 'follow'));
      expect(failedNames(followed)).toEqual(["following a connection web opens to frontend:80, the answer comes back into web past web's deny"]);
      expect(followed.checks.find((c) => !c.passed)!.found).toMatch(/^no hop "web arrives" after hop \d+: .*node1: in on cni0 \(bridge port veth-frontend\)/);
    });
  });

  it('dropping only NEW connections to web, with no ESTABLISHED rule at all, is correct too, and so is what the follow step sees of it', async () => {
    const lab = findLab('network-policy');
    await withLab(lab, async (run) => {
      await attempt(run, { node1: 'iptables -N NP-TO-web\niptables -I FORWARD 1 -d $(podip web) -m conntrack --ctstate NEW -j NP-TO-web\niptables -A NP-TO-web -j DROP' });
      expect(failedNames(await run.checkStep(stepIndex(lab, 'default-deny')))).toEqual([]);
      expect(failedNames(await run.checkStep(stepIndex(lab, 'follow')))).toEqual([]);
    });
  });

  it('egress allowed with ACCEPT instead of RETURN skips db\'s own policy, and the check names it', async () => {
    const lab = findLab('network-policy');
    const egress = stepIndex(lab, 'egress');
    const withAccept = lab.steps[egress]!.solution.node1!.replaceAll('-j RETURN', '-j ACCEPT');
    expect(withAccept).toContain('-d 10.244.0.0/16 -j ACCEPT');
    const report = await gradeWith(lab, egress, { node1: withAccept });
    expect(failedNames(report)).toEqual(['web still cannot connect to db:80 (db\'s own policy allows only frontend)']);
    expect(report.checks.find((c) => !c.passed)!.found).toContain('connected');
  });

  it('REJECT straight in FORWARD, with the older -m state match, is correct too, and the followed SYN ends at the REJECT', async () => {
    const lab = findLab('network-policy');
    await withLab(lab, async (run) => {
      await attempt(run, {
        node1: 'iptables -A FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT\niptables -A FORWARD -d $(podip web) -p tcp -j REJECT --reject-with tcp-reset\niptables -A FORWARD -d $(podip web) -j REJECT',
      });
      expect(failedNames(await run.checkStep(stepIndex(lab, 'default-deny')))).toEqual([]);
      const followed = await run.checkStep(stepIndex(lab, 'follow'));
      expect(failedNames(followed)).toEqual([]);
      expect(followed.checks[0]!.found).toMatch(/^dropped: node1: filter FORWARD rule \d+ → REJECT/);
    });
  });

  it('an allow appended after the DROP never matches', async () => {
    const lab = findLab('network-policy');
    const report = await gradeWith(lab, stepIndex(lab, 'allow-frontend'), { node1: 'iptables -A NP-TO-web -s $(podip frontend) -p tcp --dport 80 -j ACCEPT' });
    expect(failedNames(report)).toEqual(['frontend connects to web:80']);
    expect(report.hint).toMatch(/-I/);
  });
});

describe('fix-route', () => {
  it('re-adding the /24 does not help: the stale /26 still wins, and the message names it', async () => {
    const lab = findLab('fix-route');
    const report = await gradeWith(lab, 0, { node1: 'ip route replace 10.244.2.0/24 via 10.0.0.12' });
    expect(failedNames(report)).toEqual(expect.arrayContaining(['pod-a reaches pod-b', 'no route on node1 points at 10.0.0.13, which is no node']));
    expect(failedNames(report)).not.toContain('pod-a still reaches pod-c');
    expect(report.checks.find((c) => c.name.startsWith('no route'))!.found).toContain('10.244.2.0/26 via 10.0.0.13');
  });

  it('pointing the /26 at node2 instead of deleting it is correct too', async () => {
    const lab = findLab('fix-route');
    const report = await gradeWith(lab, 0, { node1: 'ip route replace 10.244.2.0/26 via 10.0.0.12' });
    expect(failedNames(report)).toEqual([]);
  });
});

describe('fix-mtu', () => {
  it('fixing only node1\'s device leaves the big packets from node2 stuck', async () => {
    const lab = findLab('fix-mtu');
    const report = await gradeWith(lab, 0, { node1: 'ip link set flannel.1 mtu 1450' });
    expect(failedNames(report)).toEqual([
      "node2's flannel.1 leaves room for the 50-byte VXLAN wrapper (MTU at most 1450)",
      'a 4000-byte ping (fragmented inside the overlay) crosses from pod-a to pod-b',
      'pod-a downloads 300 kB from pod-b',
    ]);
    expect(report.checks.find((c) => c.name.startsWith("node2's"))!.found).toContain('1500: too big');
  });

  it('fixing only the flannel.1 devices is enough: the pods learn the path MTU from ICMP', async () => {
    const lab = findLab('fix-mtu');
    const report = await gradeWith(lab, 0, { node1: 'ip link set flannel.1 mtu 1450', node2: 'ip link set flannel.1 mtu 1450' });
    expect(failedNames(report)).toEqual([]);
  });
});

describe('fix-ipam', () => {
  it('rm -rf of the whole lease directory also forgets the live pods', async () => {
    const lab = findLab('fix-ipam');
    const report = await gradeWith(lab, 0, { node1: 'rm -rf /var/lib/cni/networks/*' });
    expect(failedNames(report)).toEqual(['web-1 and web-2 still hold their leases']);
    expect(report.checks.find((c) => !c.passed)!.found).toMatch(/web-1 \(10\.244\.1\.11\) web-2 \(10\.244\.1\.14\)/);
  });

  it('deleting exactly the leaked lease files is correct too', async () => {
    const lab = findLab('fix-ipam');
    const report = await gradeWith(lab, 0, { node1: 'cd /var/lib/cni/networks/podnet && rm 10.244.1.10 10.244.1.12 10.244.1.13' });
    expect(failedNames(report)).toEqual([]);
  });
});

describe('fix-forwarding', () => {
  it('sysctl -w alone fixes the node until its next boot', async () => {
    const lab = findLab('fix-forwarding');
    const report = await gradeWith(lab, 0, { node2: 'sysctl -w net.ipv4.ip_forward=1' });
    expect(failedNames(report)).toEqual(['node2 still forwards after a reboot (its sysctl files say so)']);
    expect(report.checks.find((c) => !c.passed)!.found).toContain('= 0');
  });

  it('the bridge sysctl cannot be set while br_netfilter is not loaded', async () => {
    const lab = findLab('fix-forwarding');
    const report = await gradeWith(lab, 1, { node1: 'sysctl -w net.bridge.bridge-nf-call-iptables=1 || true' });
    expect(failedNames(report)).toEqual(expect.arrayContaining([
      "node1's bridged traffic goes through iptables",
      'client reaches the admin Service, whose only pod is on the same node',
    ]));
    expect(report.checks.find((c) => c.kind === 'sysctl')!.found).toMatch(/no sysctl net\.bridge\.bridge-nf-call-iptables \(is the module that provides it loaded\?\)/);
  });
});

describe('fix-shadow', () => {
  it('removing only the REJECT lets frontend in, but the debug rule still opens the metrics to every pod', async () => {
    const lab = findLab('fix-shadow');
    const report = await gradeWith(lab, 0, { node1: 'iptables -D NP-TO-web 2' });
    expect(failedNames(report)).toEqual(['client cannot reach web:8080', 'frontend cannot reach web:8080']);
  });

  it('rebuilding the chain in the right order, ending in REJECT, is correct too', async () => {
    const lab = findLab('fix-shadow');
    const report = await gradeWith(lab, 0, {
      node1: [
        'iptables -F NP-TO-web',
        'iptables -A NP-TO-web -s $(podip frontend) -p tcp --dport 80 -j ACCEPT',
        'iptables -A NP-TO-web -s $(podip prom) -p tcp --dport 8080 -j ACCEPT',
        'iptables -A NP-TO-web -j REJECT',
      ].join('\n'),
    });
    expect(failedNames(report)).toEqual([]);
  });
});
