// The agent channel abused from the guest side: root in node1 writes to /dev/ttyS1
// what a learner could by accident (`cat bigfile > /dev/ttyS1`) or on purpose: random
// bytes, huge lines, bad UTF-8, floods and fake replies with absurd fields, and then
// the kernel is made to panic. The host process must carry on: each abuse ends in a
// clear NodeFailure or in a node that keeps working, node2 is never disturbed, and
// node1's reset always brings it back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeFailure } from '../../src/vm/agent-client.js';
import type { Cluster } from '../../src/vm/cluster.js';
import { startCluster } from '../../src/vm/cluster-node.js';
import type { VmNode } from '../../src/vm/node.js';

/** What became of a command: its output, or the NodeFailure's kind and message. */
async function outcome(node: VmNode, command: string, timeout = 30): Promise<{ stdout: string } | { reason: string; message: string }> {
  try {
    return { stdout: (await node.exec(command, { timeout })).stdout };
  } catch (error) {
    expect(error, `${command} threw something that is not a NodeFailure`).toBeInstanceOf(NodeFailure);
    const failure = error as NodeFailure;
    expect(failure.node).toBe('node1');
    return { reason: failure.reason, message: failure.message };
  }
}

describe('the agent channel abused from inside a guest', () => {
  let cluster: Cluster;
  let node1: VmNode;
  const exits: number[] = [];
  const onExit = (code: number) => exits.push(code);
  beforeAll(async () => {
    process.on('exit', onExit);
    cluster = await startCluster({ nodes: [{ name: 'node1' }, { name: 'node2' }] });
    node1 = cluster.node('node1');
  });
  afterAll(async () => {
    process.off('exit', onExit);
    await cluster?.down();
  });

  /** After each abuse: node2 untouched, node1 either still fine or failing clearly, and reset recovers it. */
  async function expectRecovered(): Promise<void> {
    expect((await cluster.node('node2').exec('hostname')).stdout).toBe('node2\n');
    const after = await outcome(node1, 'echo alive');
    if ('reason' in after) expect(after.message).toMatch(/^node1's agent sent a malformed reply \(.+\)$/);
    else expect(after.stdout).toBe('alive\n');
    await node1.reset();
    expect((await node1.exec('hostname; echo alive')).stdout).toBe('node1\nalive\n');
    expect(exits).toEqual([]);
  }

  it.each([
    ['random bytes', 'head -c 300000 /dev/urandom'],
    ['invalid UTF-8 lines', "for i in 1 2 3 4 5 6 7 8; do printf '\\xff\\xfe\\xc3\\x28 \\xed\\xa0\\x80 R 1 \\xc0\\xaf\\n'; done"],
    ['a 4 MB line with no newline', "head -c 4000000 /dev/zero | tr '\\0' a"],
    ['a flood of short junk lines', "yes 'not the agent' | head -n 100000"],
    ['fake results with absurd fields for every id', "for i in $(seq 1 300); do printf 'R %d 99999 a b c d e\\nR %d -1\\nA %d x y\\n' $i $i $i; done"],
    ['a fake result with a huge id', "printf 'R '; head -c 2000000 /dev/zero | tr '\\0' 7; printf ' 0 x y\\n'"],
  ])('survives %s written to the agent channel', async (_, writer) => {
    const result = await outcome(node1, `(${writer}) > /dev/ttyS1; echo written`, 60);
    // The abuse lands in the reply to the very command that wrote it: a clear error, or
    // (when the junk happened to end its own line first) the real answer.
    if ('reason' in result) {
      expect(result.reason).toBe('malformed');
      expect(result.message).toMatch(/^node1's agent sent a malformed reply \(.+\)$/);
    } else {
      expect(result.stdout).toBe('written\n');
    }
    await expectRecovered();
  });

  it('stops a 9 MB line at its bound with a clear error', async () => {
    const started = Date.now();
    const result = await outcome(node1, "(head -c 9000000 /dev/zero | tr '\\0' b; echo) > /dev/ttyS1; echo written", 60);
    expect(result).toEqual({ reason: 'malformed', message: "node1's agent sent a malformed reply (a line longer than 8 MB)" });
    console.log(`a 9 MB line was refused after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await expectRecovered();
  });

  it('takes bad UTF-8 in a real reply as replacement characters', async () => {
    const result = await node1.exec("printf 'a\\xff\\xfeb\\xc3'");
    expect(result).toMatchObject({ stdout: 'a\ufffd\ufffdb\ufffd', exitCode: 0 });
  });

  it('says node1 crashed, at once and with the panic line, when its kernel panics', async () => {
    let console1 = '';
    const stopWatching = node1.onConsole((text) => { console1 = (console1 + text).slice(-2000); });
    const started = Date.now();
    const result = await outcome(node1, 'echo c > /proc/sysrq-trigger', 60);
    stopWatching();
    expect(result, `node1's console ended with:\n${console1}`).toMatchObject({ reason: 'crashed' });
    expect((result as { message: string }).message).toMatch(/^node1 crashed \(kernel panic: Kernel panic - not syncing: .+\)$/);
    expect(Date.now() - started).toBeLessThan(20_000);
    const next = Date.now();
    expect(await outcome(node1, 'true')).toMatchObject({ reason: 'crashed' });
    expect(Date.now() - next).toBeLessThan(1000);
    expect((await cluster.node('node2').exec('hostname')).stdout).toBe('node2\n');
    await node1.reset();
    expect((await node1.exec('hostname')).stdout).toBe('node1\n');
  });
});
