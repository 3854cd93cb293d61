// The pods group (pod-sandbox, cni-chaining, cluster-dns): plausible mistakes fail
// the right check with a useful message, and another correct way passes.
import { describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, gradeWith, withLab } from './lab-bots.js';

describe('pods labs: plausible mistakes fail the right check, and other correct ways pass', () => {
  it('pod-sandbox: a new app started on the node, not in the pod, fails the pod-side checks only', async () => {
    const lab = findLab('pod-sandbox');
    const report = await gradeWith(lab, 1, {
      node1: [
        'kill "$(cat /var/lib/podctl/web/app.pid)"',
        `setsid socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'podctl answer web-v2' </dev/null >/dev/null 2>&1 &`,
      ].join('\n'),
    });
    expect(failedNames(report)).toEqual(['the new app answers web-v2 on the pod\'s IP', 'the sidecar, never restarted, reaches the new app over 127.0.0.1']);
    expect(report.checks.find((c) => c.name.startsWith('the new app'))!.found).toMatch(/answered/);
  });

  it('pod-sandbox: a namespace that was never pinned dies with its process; ip netns attach pins it too', async () => {
    const lab = findLab('pod-sandbox');
    const start = 'unshare -n sleep 2147483647 </dev/null >/dev/null 2>&1 &\nPAUSE=$!\nfor try in $(seq 50); do [ "$(stat -L -c %i /proc/$PAUSE/ns/net)" != "$(stat -L -c %i /proc/self/ns/net)" ] && break; sleep 0.1; done\nip link add marker type dummy\nip link set marker netns $PAUSE\n';
    await withLab(lab, async (run) => {
      await attempt(run, { node1: `${start}kill $PAUSE` });
      const unpinned = await run.checkStep(2);
      expect(failedNames(unpinned)).toEqual(expect.arrayContaining(['a network namespace named pinned exists']));
      expect(unpinned.checks[0]!.found).toMatch(/no network namespaces|namespaces: /);
      await attempt(run, { node1: `${start}ip netns attach pinned $PAUSE\nkill $PAUSE` });
      const attached = await run.checkStep(2);
      expect(failedNames(attached)).toEqual([]);
    });
  });

  it('cni-chaining: portmap without the portMappings capability gets no hostPort', async () => {
    const lab = findLab('cni-chaining');
    const solution = lab.steps[0]!.solution.node1!;
    const wrong = solution.replace('{ "type": "portmap", "capabilities": { "portMappings": true } }', '{ "type": "portmap" }');
    expect(wrong).not.toBe(solution);
    const report = await gradeWith(lab, 0, { node1: wrong });
    expect(failedNames(report)).toEqual([
      'the conflist in /etc/cni/net.d runs bridge first, then portmap, bandwidth and tuning, with their capabilities',
      "portmap put a DNAT for hostPort 8080 into CNI-HOSTPORT-DNAT",
      "node2 reaches pod web at node1's 10.0.0.11:8080",
    ]);
    expect(report.checks[0]!.found).toContain('bridge portmap bandwidth(bandwidth) tuning');
  });

  it('cluster-dns: a resolv.conf without the search path cannot resolve short names', async () => {
    const lab = findLab('cluster-dns');
    const report = await gradeWith(lab, 2, { node1: 'mkdir -p /etc/netns/client && echo "nameserver 10.96.0.10" >/etc/netns/client/resolv.conf' });
    expect(failedNames(report)).toEqual(lab.steps[2]!.checks.map((c) => c.name));
    expect(report.checks[0]!.found).toContain('nameserver 10.96.0.10');
  });
});
