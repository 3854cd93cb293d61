// The agent channel parser against hostile byte streams, as root in a guest could write
// them to /dev/ttyS1: random bytes, huge lines, bad UTF-8, floods and fake replies.
// No VM: the test plays the agent's side of the wire itself.
import { describe, expect, it } from 'vitest';
import {
  AgentClient, AgentTimeoutError, MAX_REPLY_LINE, NodeFailure, isNodeFailure, nodeFailureFromData, nodeFailureToData,
} from '../../../src/vm/agent-client.js';

const encode = (text: string) => new TextEncoder().encode(text);

/** A client whose requests are recorded, so the test can answer them as the agent would (or not). */
function wire() {
  const requests: string[] = [];
  const client = new AgentClient('node1', (bytes) => requests.push(new TextDecoder().decode(bytes)));
  /** The id of the request that is waiting for its result. */
  const waitingId = async (): Promise<string> => {
    for (let i = 0; i < 1000; i++) {
      const run = [...requests].reverse().find((line) => line.startsWith('X '));
      if (run) { requests.length = 0; return run.split(' ')[1]!; }
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error('the client sent no request');
  };
  const answer = async (stdout = 'ok', exitCode = 0) => {
    const id = await waitingId();
    client.feedBytes(encode(`R ${id} ${exitCode} ${stdout} \n`));
  };
  return { client, requests, waitingId, answer };
}

/** A reproducible stream of random bytes (xorshift32). */
function randomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

async function failureOf(promise: Promise<unknown>): Promise<NodeFailure> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(NodeFailure);
  return error as NodeFailure;
}

describe('the agent channel under hostile bytes', () => {
  it('answers a well-formed exchange, and ignores junk while nothing is asked', async () => {
    const { client, answer } = wire();
    client.feedBytes(randomBytes(1 << 20, 7));
    client.feedBytes(encode('\n'));
    const result = client.exec('echo ok');
    await answer('hello\\sworld');
    expect(await result).toEqual({ stdout: 'hello world', stderr: '', exitCode: 0, timedOut: false });
  });

  it('fails the request in flight when a line that is not the agent\'s arrives, and works on after', async () => {
    const { client, answer, waitingId } = wire();
    const result = client.exec('true');
    await waitingId();
    client.feedBytes(randomBytes(4096, 3).map((b) => (b === 10 ? 0 : b)));
    client.feedBytes(encode('\n'));
    const failure = await failureOf(result);
    expect(failure.reason).toBe('malformed');
    expect(failure.node).toBe('node1');
    expect(failure.message).toMatch(/^node1's agent sent a malformed reply \(a line that is not the agent's: ".+\.\.\."; did something else write to \/dev\/ttyS1\?\)$/);
    const next = client.exec('true');
    await answer('fine');
    expect((await next).stdout).toBe('fine');
  });

  it('survives a million random bytes fed in any state, and every request settles', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { client, waitingId } = wire();
      const result = client.exec('true', { timeout: 1 });
      await waitingId();
      expect(() => client.feedBytes(randomBytes(200_000, seed))).not.toThrow();
      client.feedBytes(encode('\n'));
      const outcome = await result.then(() => 'answered', (e: unknown) => (isNodeFailure(e) ? e.reason : 'other error'));
      expect(['answered', 'malformed', 'crashed', 'timeout']).toContain(outcome);
    }
  });

  it('stops a huge line at its bound, fails the request at once, and frees the memory', async () => {
    const { client, answer, waitingId } = wire();
    const result = client.exec('true');
    const id = await waitingId();
    client.feedBytes(encode(`R ${id} 0 `));
    const chunk = new Uint8Array(1 << 20).fill(0x61);
    for (let i = 0; i < 10; i++) client.feedBytes(chunk);
    const failure = await failureOf(result);
    expect(failure.message).toBe(`node1's agent sent a malformed reply (a line longer than ${MAX_REPLY_LINE >> 20} MB)`);
    expect((client as unknown as { line: Uint8Array }).line.length).toBeLessThanOrEqual(4096);
    client.feedBytes(encode(' \n'));
    const next = client.exec('true');
    await answer('back');
    expect((await next).stdout).toBe('back');
  });

  it('takes a long but legal reply, just under the bound', async () => {
    const { client, waitingId } = wire();
    const result = client.exec('cat big');
    const id = await waitingId();
    const head = encode(`R ${id} 0 `);
    client.feedBytes(head);
    client.feedBytes(new Uint8Array(MAX_REPLY_LINE - head.length - 2).fill(0x62));
    client.feedBytes(encode(' \n'));
    expect((await result).stdout.length).toBe(MAX_REPLY_LINE - head.length - 2);
  });

  it.each([
    ['an exit code over 255', (id: string) => `R ${id} 999 out err`],
    ['a negative exit code', (id: string) => `R ${id} -1 out err`],
    ['a word for an exit code', (id: string) => `R ${id} abc out err`],
    ['no exit code', (id: string) => `R ${id}`],
    ['too few fields', (id: string) => `R ${id} 0 out`],
    ['too many fields', (id: string) => `R ${id} 0 out err more fields`],
    ['a huge exit code', (id: string) => `R ${id} ${'9'.repeat(100_000)} out err`],
    ['an acknowledgement with fields', (id: string) => `A ${id} extra`],
    ['a lower-case kind', (id: string) => `r ${id} 0 out err`],
    ['a huge id', () => `R ${'1'.repeat(1_000_000)} 0 out err`],
    ['an id with letters', () => 'R 1x 0 out err'],
    ['an empty line', () => ''],
    ['a NUL byte', () => '\0'],
  ])('rejects a fake result with %s as malformed', async (_, line) => {
    const { client, waitingId } = wire();
    const result = client.exec('true');
    const id = await waitingId();
    client.feedBytes(encode(`${line(id)}\n`));
    const failure = await failureOf(result);
    expect(failure.reason).toBe('malformed');
    expect(failure.message).toMatch(/^node1's agent sent a malformed reply \(/);
  });

  it('keeps invalid UTF-8 as replacement characters, and a BOM as sent', async () => {
    const { client, waitingId } = wire();
    const result = client.exec('true');
    const id = await waitingId();
    client.feedBytes(new Uint8Array([...encode(`R ${id} 3 `), 0xef, 0xbb, 0xbf, 0x61, 0xff, 0xfe, 0xc3, 0x20, 0xed, 0xa0, 0x80, 0x0a]));
    expect(await result).toEqual({ stdout: '\ufeffa\ufffd\ufffd\ufffd', stderr: '\ufffd\ufffd\ufffd', exitCode: 3, timedOut: false });
  });

  it('ignores a flood of stale acknowledgements, late results and READY lines while idle', async () => {
    const { client, answer } = wire();
    const flood = encode('A 999\nR 998 0 late reply\nREADY node1\n'.repeat(50_000));
    client.feedBytes(flood);
    const result = client.exec('true');
    await answer('after\\sthe\\sflood');
    expect((await result).stdout).toBe('after the flood');
  });

  it('treats a READY in the middle of a request as an agent that restarted', async () => {
    const { client, waitingId } = wire();
    const result = client.exec('true');
    await waitingId();
    client.feedBytes(encode('READY node1\n'));
    const failure = await failureOf(result);
    expect(failure.reason).toBe('crashed');
    expect(failure.message).toMatch(/^node1's agent restarted/);
  });

  it('does not let the next line overwrite a result before it is read', async () => {
    const { client, waitingId } = wire();
    const result = client.exec('true');
    const id = await waitingId();
    client.feedBytes(encode(`R ${id} 0 first second\nXXXXXXXXXXXXXXXXXXXXXXXX`));
    expect(await result).toMatchObject({ stdout: 'first', stderr: 'second' });
  });

  it('fails everything at once after fail(), and a timeout keeps its one figure', async () => {
    const { client } = wire();
    const timedOut = await failureOf(client.exec('sleep 9', { timeout: 1 }));
    expect(timedOut).toBeInstanceOf(AgentTimeoutError);
    expect(timedOut.reason).toBe('timeout');
    expect(timedOut.message).toBe('node node1 did not answer within 6 s (running: sleep 9)');
    client.fail(new NodeFailure('node1', 'crashed', 'node1 crashed (kernel panic: Kernel panic - not syncing: test)'));
    const started = Date.now();
    const crashed = await failureOf(client.exec('true'));
    expect(Date.now() - started).toBeLessThan(500);
    expect(crashed.message).toBe('node1 crashed (kernel panic: Kernel panic - not syncing: test)');
  }, 15_000);

  it('carries a failure across a worker boundary as data, kind and message intact', () => {
    const timeout = nodeFailureFromData('node1', nodeFailureToData(new AgentTimeoutError('node1', 35, 'running: true')));
    expect(timeout).toBeInstanceOf(AgentTimeoutError);
    expect(timeout.message).toBe('node node1 did not answer within 35 s (running: true)');
    const malformed = nodeFailureFromData('node1', structuredClone(nodeFailureToData(new NodeFailure('node1', 'malformed', 'x'))));
    expect(malformed).toMatchObject({ name: 'NodeFailure', node: 'node1', reason: 'malformed', message: 'x' });
    expect(isNodeFailure({ node: 'node1', reason: 'stopped' })).toBe(true);
    expect(isNodeFailure(new Error('node node1 did not answer'))).toBe(false);
  });
});
