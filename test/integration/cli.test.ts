// The podwire command as a course pipeline runs it: exit codes, and reports a machine can read.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';

const podwire = (...args: string[]) => spawnSync('node', [new URL('../../bin/podwire.mjs', import.meta.url).pathname, ...args], { encoding: 'utf8', timeout: 600_000 });

describe('podwire CLI', () => {
  it('lists the labs', () => {
    const result = podwire('labs');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/netns-veth\s+beginner\s+15 min\s+2 steps\s+Network namespaces and a veth pair/);
  });

  it('rejects an unknown lab or step with exit code 2 and says what exists', () => {
    const lab = podwire('check', 'no-such-lab');
    expect(lab.status).toBe(2);
    expect(lab.stderr).toMatch(/unknown lab 'no-such-lab' \(there are: netns-veth, bridge, cni-by-hand/);
    const step = podwire('check', 'netns-veth', '--step', '9');
    expect(step.status).toBe(2);
    expect(step.stderr).toMatch(/lab netns-veth has steps 1 to 2; there is no step 9/);
  });

  it('grades with the solution: exit 0, valid JSON and JUnit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwire-grade-'));
    const result = podwire('grade', 'netns-veth', '--solution', '--report', join(dir, 'out.json'), '--junit', join(dir, 'out.xml'));
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
    expect(report).toMatchObject({ lab: 'netns-veth', solutionApplied: true, score: 1, passed: 5, total: 5 });
    const xml = readFileSync(join(dir, 'out.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).testsuites).toMatchObject({ tests: '5', failures: '0' });
  });

  it('checks one step of the untouched lab: exit 1 and the failures', () => {
    const result = podwire('check', 'netns-veth', '--step', '1');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/FAIL pod-a exists: expected network namespace pod-a exists, found no network namespaces/);
  });
});
