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
    expect(nearestOutput('a1\nb2\nc3\nd4\ne5\n', '^\\d+$')).toBe('5 lines, e.g. a1 | b2 | e5');
    expect(nearestOutput('', 'x')).toBe('(nothing)');
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
    expect(explainToolError('Cannot open network namespace "pod-a": No such file or directory')).toBe("there is no network namespace 'pod-a' on this node");
    expect(explainToolError('sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory'))
      .toBe('this node has no sysctl net.bridge.bridge-nf-call-iptables (is the module that provides it loaded?)');
    expect(explainToolError('sh: ipvsadm: not found')).toBe("there is no command 'ipvsadm' on this node");
    expect(explainToolError('RTNETLINK answers: File exists')).toBeUndefined();
  });
});
