// Checks against facts captured from a real node (test/fixtures/facts/node1.txt):
// a context whose facts come from that capture, and whose exec answers other commands as told.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonPath, runCheck, type CheckContext } from '../../../src/harness/checks.js';
import { stepReport } from '../../../src/harness/report.js';
import { FACTS_SCRIPT, gatherFacts } from '../../../src/observe/facts.js';
import { parseLab } from '../../../src/lab/parse.js';
import type { Check } from '../../../src/lab/types.js';
import { AgentTimeoutError, type ExecResult } from '../../../src/vm/agent-client.js';

const node1 = readFileSync(new URL('../../fixtures/facts/node1.txt', import.meta.url), 'utf8');
const ok = (stdout: string, exitCode = 0): ExecResult => ({ stdout, stderr: '', exitCode, timedOut: false });

function target(commands: Record<string, ExecResult | Error> = {}): CheckContext & { execs: string[] } {
  const execs: string[] = [];
  const exec = async (_node: string, command: string) => {
    execs.push(command);
    if (command === FACTS_SCRIPT) return ok(node1);
    const answer = commands[command];
    if (answer instanceof Error) throw answer;
    if (!answer) throw new Error(`unexpected command: ${command}`);
    return answer;
  };
  let facts: ReturnType<typeof gatherFacts> | undefined;
  return {
    execs,
    exec,
    facts: (node) => (facts ??= gatherFacts(node, (command) => exec(node, command))),
    captureCursor: () => ({}),
    framesSince: () => [],
  };
}

const base = { node: 'node1', at: 'labs/x/lab.md:1' };
async function run(check: Check, t = target()) {
  return runCheck(check, t);
}

describe('checks on real facts', () => {
  it('finds the pod address the CNI plugin gave, and names what it found when the range is wrong', async () => {
    expect((await run({ ...base, name: 'a', kind: 'address', netns: 'pod1', dev: 'eth0', in: '10.244.1.0/24' })).passed).toBe(true);
    const wrong = await run({ ...base, name: 'pod1 in 10.244.9.0/24', kind: 'address', netns: 'pod1', in: '10.244.9.0/24' });
    expect(wrong.passed).toBe(false);
    expect(wrong.message).toMatch(/^pod1 in 10\.244\.9\.0\/24: expected an IPv4 address in 10\.244\.9\.0\/24 in netns pod1, found 10\.244\.1\.\d+\/24 on eth0/);
  });

  it('checks routes by destination and gateway', async () => {
    expect((await run({ ...base, name: 'r', kind: 'route', netns: 'pod1', destination: 'default', via: '10.244.1.1' })).passed).toBe(true);
    const wrong = await run({ ...base, name: 'r', kind: 'route', netns: 'pod1', destination: 'default', via: '10.244.1.254' });
    expect(wrong.found).toMatch(/the route is default via 10\.244\.1\.1 dev eth0/);
  });

  it('checks links: type, state, master, VNI', async () => {
    expect((await run({ ...base, name: 'l', kind: 'link', link: 'cni0', type: 'bridge', up: true })).passed).toBe(true);
    expect((await run({ ...base, name: 'l', kind: 'link', link: 'flannel.1', type: 'vxlan', vni: 1, mtu: 1450 })).passed).toBe(true);
    const wrongVni = await run({ ...base, name: 'l', kind: 'link', link: 'flannel.1', vni: 42 });
    expect(wrongVni.found).toBe('flannel.1 is VNI 1');
    const missing = await run({ ...base, name: 'l', kind: 'link', link: 'vxlan0' });
    expect(missing.found).toMatch(/^links: lo, eth0, .*flannel\.1/);
  });

  it('checks iptables rules, policies and absence', async () => {
    expect((await run({ ...base, name: 'i', kind: 'iptables', table: 'nat', chain: 'KUBE-SEP-4T4VKGZTL4UJZ3KS', rule: 'DNAT --to-destination 10\\.244\\.1\\.2:8080', exists: true })).passed).toBe(true);
    expect((await run({ ...base, name: 'i', kind: 'iptables', table: 'filter', chain: 'FORWARD', policy: 'ACCEPT', exists: true })).passed).toBe(true);
    const gone = await run({ ...base, name: 'i', kind: 'iptables', table: 'nat', chain: 'KUBE-SERVICES', rule: 'KUBE-SVC-', exists: false });
    expect(gone.passed).toBe(false);
    expect(gone.found).toMatch(/^found: -A KUBE-SERVICES -d 10\.96\.0\.20\/32/);
  });

  it('checks namespaces and host-local leases', async () => {
    expect((await run({ ...base, name: 'n', kind: 'netns', netns: 'pod2', exists: true })).passed).toBe(true);
    expect((await run({ ...base, name: 'n', kind: 'netns', netns: 'pod9', exists: true })).found).toBe('namespaces: pod1, pod2');
    expect((await run({ ...base, name: 'p', kind: 'ipam', network: 'cbr0', leases: 2 })).passed).toBe(true);
    expect((await run({ ...base, name: 'p', kind: 'ipam', network: 'cbr0', leases: 0 })).found).toMatch(/^2 lease\(s\): 10\.244\.1\.\d+, 10\.244\.1\.\d+$/);
  });

  it('checks a command: exit code, output and a JSON path', async () => {
    const t = target({ 'cat r.json': ok('{"ips":[{"address":"10.244.1.7/24"}]}'), false: ok('', 1) });
    expect((await run({ ...base, name: 'c', kind: 'command', run: 'cat r.json', expect: { json: { path: '$.ips[0].address', matches: '^10\\.244\\.1\\.' } } }, t)).passed).toBe(true);
    const failed = await run({ ...base, name: 'c', kind: 'command', run: 'false', expect: { exitCode: 0 } }, t);
    expect(failed.message).toBe('c: expected `false` gives exit code 0, found exit code 1');
    expect(jsonPath({ a: [{ b: 2 }] }, '$.a[0].b')).toBe(2);
  });

  it('reads a sysctl from the facts, with no exec of its own', async () => {
    const t = target();
    const result = await run({ ...base, name: 'forwarding on', kind: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' }, t);
    expect(result.passed).toBe(true);
    expect(t.execs).toEqual([FACTS_SCRIPT]);
  });

  it('turns a node that does not answer into a failed check with the reason, and marks it as an error', async () => {
    const t = target({ 'cat /x': new AgentTimeoutError('node1', 25, 'running: cat /x') });
    const result = await run({ ...base, name: 'x is there', kind: 'command', run: 'cat /x', expect: { exitCode: 0 } }, t);
    expect(result.passed).toBe(false);
    expect(result.message).toBe('x is there: expected x is there, found node node1 did not answer within 25 s (running: cat /x)');
    expect(result.error).toBe('node node1 did not answer within 25 s (running: cat /x)');
    const wrong = await run({ ...base, name: 'n', kind: 'netns', netns: 'pod9', exists: true }, t);
    expect(wrong.error).toBeUndefined();
  });
});

describe('grading a step', () => {
  it('goes on after a failing or hung check, gives partial credit and the next hint', async () => {
    const lab = parseLab('labs/x/lab.md', `---
id: x
title: X
summary: x
level: beginner
time: 5 min
topology: { nodes: [{ name: node1 }] }
steps:
  - id: s
    checks:
      - { name: hangs, node: node1, command: hang }
      - { name: pod1 exists, node: node1, netns: { name: pod1 } }
      - { name: pod7 exists, node: node1, netns: { name: pod7 }, hint: make pod7 }
    hints: [first hint, second hint]
    solution: { node1: "true" }
---
## S
text
`);
    const context = target({ hang: new AgentTimeoutError('node1', 25, 'running: hang') });
    const report = stepReport(lab.steps[0]!, await Promise.all(lab.steps[0]!.checks.map((check) => runCheck(check, context))), 1);
    expect(report.checks.map((c) => c.passed)).toEqual([false, true, false]);
    expect(report.score).toBeCloseTo(1 / 3);
    expect(report.hint).toBe('second hint');
  });
});
