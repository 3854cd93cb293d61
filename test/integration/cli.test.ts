// The podwire command as a course pipeline runs it: exit codes, and reports a machine can read.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';

// spawnSync blocks the test's own timer, so its own timeout is what bounds a run.
const podwireWithin = (timeout: number, ...args: string[]) => spawnSync('node', [new URL('../../bin/podwire.mjs', import.meta.url).pathname, ...args], { encoding: 'utf8', timeout });
const podwire = (...args: string[]) => podwireWithin(600_000, ...args);

// A lab whose check pattern would take a backtracking engine about 2^44 steps; RE2 takes linear time.
const REDOS_LAB_DIR = fileURLToPath(new URL('../fixtures/labs/redos', import.meta.url));

describe('podwire CLI', () => {
  it('lists the labs', () => {
    const result = podwire('labs');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/netns-veth\s+beginner\s+25 min\s+3 steps\s+Network namespaces and a veth pair/);
  });

  it('rejects an unknown lab or step with exit code 2 and says what exists', () => {
    const lab = podwire('check', 'no-such-lab');
    expect(lab.status).toBe(2);
    expect(lab.stderr).toMatch(/unknown lab 'no-such-lab' \(there are: netns-veth, bridge, cni-by-hand/);
    const step = podwire('check', 'netns-veth', '--step', '9');
    expect(step.status).toBe(2);
    expect(step.stderr).toMatch(/lab netns-veth has steps 1 to 3; there is no step 9/);
  });

  it('picks a lab\'s variant with --seed and says its values; without one, the defaults', () => {
    // An impossible step stops the run before any node starts: only the values are of interest.
    const values = (...seed: string[]) => {
      const result = podwire('check', 'vxlan', ...seed, '--step', '99');
      expect(result.status).toBe(2);
      return /for seed '[^']*': (.*)$/m.exec(result.stderr)?.[1];
    };
    const [a, b] = [values('--seed', 'class-1:ana'), values('--seed', 'class-1:bo')];
    expect(a).toMatch(/\bvni=\d+/);
    expect(b).toMatch(/\bvni=\d+/);
    expect(a).not.toBe(b);
    expect(values('--seed', 'class-1:ana')).toBe(a);
    expect(values()).toBeUndefined();
  });

  it('follows a packet with walk: the hops as JSON, and bad input refused before any node starts', () => {
    const missing = podwire('walk', 'netns-veth', '--to', '10.244.1.3');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/walk needs --from/);
    const badPort = podwire('walk', 'netns-veth', '--from', 'pod-a', '--to', '10.244.1.3:0', '--tcp');
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toMatch(/the port 0 is not between 1 and 65535/);
    // --step N: the solution of steps 1 to N only, so it needs --solution and a step the lab has.
    const stepAlone = podwire('walk', 'netns-veth', '--step', '2', '--from', 'pod-a', '--to', '10.244.1.3');
    expect(stepAlone.status).toBe(2);
    expect(stepAlone.stderr).toMatch(/--step in walk .* needs --solution/);
    const noStep = podwire('walk', 'netns-veth', '--solution', '--step', '9', '--from', 'pod-a', '--to', '10.244.1.3');
    expect(noStep.status).toBe(2);
    expect(noStep.stderr).toMatch(/lab netns-veth has steps 1 to 3; there is no step 9/);
    const result = podwire('walk', 'netns-veth', '--solution', '--from', 'pod-a', '--to', '10.244.1.3', '--json');
    expect(result.status, result.stderr).toBe(0);
    const walk = JSON.parse(result.stdout) as { outcome: string; hops: { direction: string; kind: string; netns?: string }[] };
    expect(walk.outcome).toBe('answered');
    // Straight over the veth pair: out of pod-a, into pod-b, and back; no node routes it.
    expect(walk.hops.map((hop) => `${hop.direction} ${hop.kind} ${hop.netns ?? ''}`)).toEqual([
      'request send pod-a', 'request leave-pod pod-a', 'request enter-pod pod-b', 'reply leave-pod pod-b', 'reply enter-pod pod-a',
    ]);
  });

  it('grades with the solution: exit 0, valid JSON and JUnit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwire-grade-'));
    const result = podwire('grade', 'netns-veth', '--solution', '--report', join(dir, 'out.json'), '--junit', join(dir, 'out.xml'));
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
    expect(report).toMatchObject({ lab: 'netns-veth', solutionApplied: true, score: 1, passed: 9, total: 9 });
    const xml = readFileSync(join(dir, 'out.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).testsuites).toMatchObject({ tests: '9', failures: '0' });
  });

  it('rejects --apply that names no file, an unknown node, or comes with --solution, with exit code 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwire-apply-'));
    writeFileSync(join(dir, 'cmds.sh'), 'true\n');
    expect(podwire('check', 'netns-veth', '--apply', `node1=${join(dir, 'missing.sh')}`)).toMatchObject({ status: 2, stderr: expect.stringMatching(/--apply node1=.*missing\.sh: no such file/) });
    expect(podwire('check', 'netns-veth', '--apply', `node7=${join(dir, 'cmds.sh')}`)).toMatchObject({ status: 2, stderr: expect.stringMatching(/lab netns-veth has no node 'node7' \(it has: node1\)/) });
    expect(podwire('check', 'netns-veth', '--apply', 'node1')).toMatchObject({ status: 2, stderr: expect.stringMatching(/--apply takes NODE=FILE/) });
    expect(podwire('grade', 'netns-veth', '--solution', '--apply', `node1=${join(dir, 'cmds.sh')}`).status).toBe(2);
  });

  it('grades a learner\'s own commands from a file: what they did passes, what they did not fails, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwire-apply-'));
    // Step 1 done, step 2 half done (the cable is there, the addresses are not), and a typo on the way.
    writeFileSync(join(dir, 'node1.sh'), 'ip netns add pod-a\nip netns add pod-b\nip lnik add veth-a type veth peer name veth-b\nip link add veth-a type veth peer name veth-b\n');
    const result = podwire('check', 'netns-veth', '--apply', `node1=${join(dir, 'node1.sh')}`);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/applying your commands/);
    expect(result.stdout).toMatch(/ok {3}pod-a exists/);
    expect(result.stdout).toMatch(/FAIL pod-a has an address in 10\.244\.1\.0\/24: expected an IPv4 address in 10\.244\.1\.0\/24 in netns pod-a/);
  });

  it('grades a lab folder whose check has a catastrophic regex within a normal run: the check fails and shows what it found', () => {
    // A normal one-node check boots, runs and grades in well under this.
    const result = podwireWithin(180_000, 'check', REDOS_LAB_DIR);
    expect(result.error, 'podwire check did not finish within 180 s').toBeUndefined();
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/FAIL the output is only a's: expected .*output matching \/\^\(a\+\)\+\$\/, found output: a{44}!/);
  }, 200_000);
});
