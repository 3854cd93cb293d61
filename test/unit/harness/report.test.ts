// Grader reports: the JUnit XML is read back by a real XML parser, and the JSON round-trips.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { LabReport } from '../../../src/harness/report.js';
import { toJson, toJunit, toText } from '../../../src/harness/report.js';

const report: LabReport = {
  lab: 'bridge', title: 'The bridge model', solutionApplied: false, passed: 1, total: 2, score: 0.5, durationMs: 1234,
  steps: [{
    id: 'pods', title: 'Pods & <bridges>', passed: 1, total: 2, score: 0.5, hint: 'try "ip route"',
    checks: [
      { name: 'pod-a exists', kind: 'netns', node: 'node1', passed: true, message: 'pod-a exists: ok', expected: 'network namespace pod-a exists', found: 'namespaces: pod-a', at: 'labs/02-bridge/lab.md:20', durationMs: 12 },
      {
        name: "pod-a's default route", kind: 'route', node: 'node1', passed: false,
        message: "pod-a's default route: expected a route default via 10.244.1.1, found the route is default via 10.244.1.254 <dev eth0> & \u0007bell",
        expected: 'a route default via 10.244.1.1 in netns pod-a', found: 'the route is default via 10.244.1.254 dev eth0', hint: 'use the gateway', at: 'labs/02-bridge/lab.md:30', durationMs: 40,
      },
    ],
  }],
};

describe('grader reports', () => {
  it('writes JUnit XML that a real parser accepts, with one failure per failed check', () => {
    const text = toJunit([report]);
    expect(XMLValidator.validate(text)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(text);
    expect(parsed.testsuites).toMatchObject({ tests: '2', failures: '1' });
    const suite = parsed.testsuites.testsuite;
    expect(suite).toMatchObject({ name: 'bridge: Pods & <bridges>', tests: '2', failures: '1' });
    const failed = suite.testcase.find((c: { name: string }) => c.name === "pod-a's default route");
    expect(failed.classname).toBe('bridge.pods');
    expect(failed.failure.message).toContain('10.244.1.254 <dev eth0> & bell');
    expect(failed.failure['#text']).toContain('hint: use the gateway');
  });

  it('writes JSON that reads back to the same report', () => {
    expect(JSON.parse(toJson(report))).toEqual(report);
  });

  it('prints a summary a person can read', () => {
    const text = toText(report);
    expect(text).toContain('FAIL');
    expect(text).toContain('hint: try "ip route"');
    expect(text).toContain('score 50%');
  });
});
