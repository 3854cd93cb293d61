// The broken BGP cluster (labs/28-fix-bgp): plausible fixes that are wrong fail the right check,
// and other correct ones pass. One cluster for the whole file, reset to the start of the step
// each test needs. The solution bots (labs-solutions-*) check the untouched lab and the reference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, stepIndex } from './lab-bots.js';

const lab = findLab('fix-bgp');
const PEER_AS = stepIndex(lab, 'peer-as');
const IMPORT_FILTER = stepIndex(lab, 'import-filter');
const wrongAs = lab.values.wrongAs;

describe('fix-bgp', () => {
  let run: LabRun;
  beforeAll(async () => { run = await openLab(lab); }, 120_000);
  afterAll(async () => { await run?.close(); });

  it("node1 and node2 made to expect node3's wrong AS: eBGP sessions come up and the pings pass, but the cluster is no longer one AS", async () => {
    const expectWrongAs = `sed -i 's/neighbor 10.0.0.13 as 64512;/neighbor 10.0.0.13 as ${wrongAs};/' /etc/bird/bgp.conf && birdc configure`;
    // node3 turned them away after the errors: its restarts let the new sessions in now.
    await attempt(run, { node1: expectWrongAs, node2: expectWrongAs, node3: 'sleep 1; birdc restart node1; birdc restart node2' });
    const report = await run.checkStep(PEER_AS);
    expect(failedNames(report)).toEqual([
      'node1 and node3 are BGP peers, Established, both in AS 64512',
      'node2 and node3 are BGP peers, Established, both in AS 64512',
      "node3 says it is in AS 64512, the cluster's AS, in every session",
    ]);
    const found = report.checks.find((c) => c.name.startsWith('node1 and node3'))!.found;
    expect(found).toMatch(/BGP state: +Established/);
  }, 240_000);

  it('routes added by hand on node2 make the pings pass, but not the checks that want the routes BIRD wrote', async () => {
    await run.resetToStep(IMPORT_FILTER);
    await attempt(run, { node2: 'ip route add 10.244.25.0/26 via 10.0.0.11\nip route add 10.244.60.64/26 via 10.0.0.13' });
    expect(failedNames(await run.checkStep(IMPORT_FILTER))).toEqual([
      "node2's kernel routes node1's block via node1, a route BIRD put there",
      "node2's kernel routes node3's block via node3, a route BIRD put there",
    ]);
  }, 240_000);

  it('a prefix pattern without a length range matches only the /16 itself, so the blocks are still filtered', async () => {
    await run.resetToStep(IMPORT_FILTER);
    await attempt(run, { node2: "sed -i 's|10.244.0.0/16{24,24}|10.244.0.0/16|' /etc/bird/bgp.conf && birdc configure" });
    const report = await run.checkStep(IMPORT_FILTER);
    expect(failedNames(report)).toEqual(report.checks.map((c) => c.name));
  }, 240_000);

  it("`import all`, as Calico's own mesh does, passes", async () => {
    await run.resetToStep(IMPORT_FILTER);
    await attempt(run, { node2: "sed -i 's|import where [^;]*;|import all;|' /etc/bird/bgp.conf && grep -q 'import all;' /etc/bird/bgp.conf && birdc configure" });
    expect(failedNames(await run.checkStep(IMPORT_FILTER))).toEqual([]);
  }, 240_000);
});
