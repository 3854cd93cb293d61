// The "found" half of a failure message: the lines that make the point, and tools' errors in the learner's terms.
import { describe, expect, it } from 'vitest';
import { closestLines, explainToolError, nearestOutput } from '../../../src/checks/found.js';

describe('the lines nearest to a pattern', () => {
  it('are the lines sharing most of its words, in their order', () => {
    const lines = ['default via 10.0.0.1 dev eth0', '10.244.1.0/24 dev cni0 proto kernel', '10.244.2.0/24 via 10.0.0.12 dev eth0', '10.244.3.0/24 via 10.0.0.13 dev eth0'];
    expect(closestLines(lines, '^10\\.244\\.2\\.0/24 via 10\\.0\\.0\\.12 dev flannel\\.1', 1)).toEqual(['10.244.2.0/24 via 10.0.0.12 dev eth0']);
  });

  it('fall back to the first lines and the last when no word is shared', () => {
    expect(closestLines(['a1', 'b2', 'c3', 'd4', 'e5'], '^\\d+$', 3)).toEqual(['a1', 'b2', 'e5']);
    const long = Array.from({ length: 30 }, (_, i) => `line ${String.fromCharCode(97 + (i % 26))} of the output`).join('\n');
    expect(nearestOutput(long, '^\\d+$')).toBe('30 lines, e.g. line a of the output | line b of the output | line d of the output');
    expect(nearestOutput('', 'x')).toBe('(nothing)');
  });

  it('are all of the output when it is short', () => {
    expect(nearestOutput('1 (no answer)\n2 web-2: you are 10.0.0.13\n', 'web-1: [\\s\\S]*web-2: ')).toBe('1 (no answer) | 2 web-2: you are 10.0.0.13');
  });

  it('keep the shared word in view on a long line', () => {
    const line = `${'x'.repeat(300)} dstport 8472 ${'y'.repeat(300)}`;
    const [shown] = closestLines([line], 'dstport 4789');
    expect(shown).toContain('dstport 8472');
    expect(shown!.length).toBeLessThan(170);
  });
});

describe('tool errors', () => {
  it('say what the learner did', () => {
    expect(explainToolError('ping: usage error: Destination address required', { target: '' })).toMatch(/^'' is empty or not an address or name the node can resolve/);
    expect(explainToolError('ping: bad address \'pod-b\'', { target: 'pod-b' })).toMatch(/^'pod-b' is empty or not an address/);
    expect(explainToolError('Cannot open network namespace "pod-a": No such file or directory')).toBe(`there is no network namespace 'pod-a' on this node (Cannot open network namespace "pod-a": No such file or directory)`);
    expect(explainToolError('sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory'))
      .toBe('this node has no sysctl net.bridge.bridge-nf-call-iptables (is the module that provides it loaded?)');
    expect(explainToolError('sh: ipvsadm: not found')).toBe("there is no command 'ipvsadm' on this node (sh: ipvsadm: not found)");
    expect(explainToolError('RTNETLINK answers: File exists')).toBeUndefined();
  });
});
