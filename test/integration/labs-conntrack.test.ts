// fix-conntrack: plausible mistakes fail the right check, and other correct ways pass, all on
// one cluster (reset once). The solution bots (labs-solutions-*) check that the lab fails
// untouched and passes with its reference solution.
import { describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, withLab } from './lab-bots.js';

// The sidecar's dnsmasq started again in the same pod: same address, same port 5300, so the same flow.
const restartSidecar = [
  'kube-proxy-mini sync',
  'kill $(cat /var/lib/podctl/client/app.pid); sleep 0.5',
  'ip netns exec client setsid dnsmasq -k --user=root --no-resolv --no-hosts --server=10.96.0.10 --query-port=5300 --cache-size=0 --listen-address=127.0.0.1 --bind-interfaces </dev/null >/dev/null 2>&1 &',
  'sleep 1',
].join('\n');

const headroom = 'the conntrack table has room to spare (entries under 3/4 of nf_conntrack_max)';

describe('fix-conntrack', () => {
  it('too small a raise, a restarted sidecar and a flush fail; a raise to 1024 and deleting every UDP flow to the Service pass', async () => {
    const lab = findLab('fix-conntrack');
    await withLab(lab, async (run) => {
      await attempt(run, { node1: 'sysctl -w net.netfilter.nf_conntrack_max=160' });
      const small = await run.checkStep(0);
      expect(failedNames(small), 'the crawler alone holds 150 of 160').toContain(headroom);
      expect(small.checks.find((c) => c.name === headroom)!.found).toMatch(/nf_conntrack_max 160/);

      await attempt(run, { node1: 'sysctl -w net.netfilter.nf_conntrack_max=1024' });
      expect(failedNames(await run.checkStep(0)), 'a max of 1024 leaves room for the crawler').toEqual([]);

      await attempt(run, { node1: restartSidecar });
      const restarted = await run.checkStep(1);
      expect(failedNames(restarted)).toEqual([
        "client's app resolves web through its sidecar (which asks 10.96.0.10 from port 5300)",
        'no UDP conntrack entry for 10.96.0.10 points at an address that is no longer a kube-dns endpoint',
      ]);
      expect(restarted.checks[1]!.found).toMatch(/stale: udp .* sport=5300 dport=53 src=10\.244\.1\.3 /);

      await attempt(run, { node1: 'conntrack -D -p udp --orig-dst 10.96.0.10' });
      expect(failedNames(await run.checkStep(1))).toEqual([]);

      // The small table again (no reset needed: the crawler refills it). A learner flushes, then
      // clicks Check a few seconds later: the crawler has filled the table again.
      await attempt(run, { node1: 'sysctl -w net.netfilter.nf_conntrack_max=128\nconntrack -F\nsleep 4' });
      const flushed = await run.checkStep(0);
      expect(failedNames(flushed)).toContain(headroom);
      expect(flushed.checks.find((c) => c.name === headroom)!.found).toMatch(/nf_conntrack_max 128/);
    });
  }, 300_000);
});
