// The harness's AgentClient against the real guest agent script, run by the host's bash
// over pipes: the protocol, its escaping and its timeouts, without booting a VM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient, AgentTimeoutError, escapeForAgent, unescapeFromAgent } from '../../../src/vm/agent-client.js';

const agentScript = new URL('../../../images/rootfs/usr/local/sbin/podwire-agent', import.meta.url).pathname;

describe('escaping', () => {
  it('keeps every piece on one line, within its size, and never splits an escape', () => {
    const text = 'a b\n\\ ü\t' + ' '.repeat(10) + 'end ';
    const pieces = escapeForAgent(text, 12);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(12);
      expect(piece).not.toMatch(/[\n\t]/);
      expect(piece).not.toMatch(/^ | $/);
      expect(piece).toMatch(/^(?:\\\\|\\x[0-9a-f]{2}|[^\\])*$/);
    }
  });

  it('reads the agent escapes back', () => {
    expect(unescapeFromAgent(new TextEncoder().encode('a\\sb\\nc\\\\d'))).toBe('a b\nc\\d');
  });
});

describe('AgentClient with the real agent script', () => {
  let agent: ChildProcess;
  let client: AgentClient;
  beforeAll(async () => {
    agent = spawn('bash', [agentScript], { env: { ...process.env, PODWIRE_AGENT_SPOOL: mkdtempSync(join(tmpdir(), 'agent-')) } });
    client = new AgentClient('host', (bytes) => agent.stdin!.write(bytes));
    const ready = client.waitForReady(10);
    agent.stdout!.on('data', (chunk: Buffer) => { for (const byte of chunk) client.feed(byte); });
    await ready;
  });
  afterAll(() => { agent.kill('SIGKILL'); });

  it('returns stdout, stderr and exit codes', async () => {
    expect(await client.exec('echo "two  spaces"; echo oops >&2; exit 7')).toEqual({ stdout: 'two  spaces\n', stderr: 'oops\n', exitCode: 7, timedOut: false });
    expect(await client.exec('true')).toEqual({ stdout: '', stderr: '', exitCode: 0, timedOut: false });
  });

  it('round-trips any printable text, large requests and stdin included', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => ` ${i}\t\\x41 ü "'$x' ${'%'.repeat(i % 5)}  `).join('\n');
    expect((await client.exec('cat', { stdin: text })).stdout).toBe(text);
    const command = `printf '%s' '${'y'.repeat(50_000)}' | wc -c`;
    expect((await client.exec(command)).stdout.trim()).toBe('50000');
  });

  it('kills a command that overruns its timeout, with its children', async () => {
    const started = Date.now();
    const result = await client.exec('sleep 30 & sleep 40; echo never', { timeout: 1 });
    expect(result).toMatchObject({ exitCode: 124, timedOut: true, stdout: '' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await client.exec('echo still here')).stdout).toBe('still here\n');
  });

  it('times each command on its own: back-to-back commands that each take most of their time are not killed', async () => {
    // The watchdog looks once a second at which command runs; a clock carried over from
    // the one before would kill the second or third of these.
    for (let i = 0; i < 4; i++) {
      expect(await client.exec('sleep 0.8; echo done', { timeout: 1 })).toMatchObject({ exitCode: 0, stdout: 'done\n', timedOut: false });
    }
  }, 20_000);

  it('wakes its watchdog, asleep after 4 s with nothing to watch, for the next command', async () => {
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const started = Date.now();
    expect(await client.exec('sleep 30', { timeout: 1 })).toMatchObject({ exitCode: 124, timedOut: true });
    // Asleep and not woken, it would look only after up to 5 s.
    expect(Date.now() - started).toBeLessThan(3500);
  }, 20_000);

  it('reports a guest that does not answer at all, by name', async () => {
    agent.kill('SIGSTOP');
    const hung = client.exec('true', { timeout: 1 });
    await expect(hung).rejects.toThrow(AgentTimeoutError);
    await expect(hung).rejects.toThrow(/node host did not answer within \d+ s \(running: true\)/);
    agent.kill('SIGCONT');
    expect((await client.exec('echo back')).stdout).toBe('back\n');
  }, 20_000);
});

describe('an agent killed and started again, as init does', () => {
  const spools = mkdtempSync(join(tmpdir(), 'agent-'));
  const agents: ChildProcess[] = [];

  async function startAgent(): Promise<{ process: ChildProcess; client: AgentClient }> {
    const process = spawn('bash', [agentScript], { env: { ...globalThis.process.env, PODWIRE_AGENT_SPOOL: spools } });
    agents.push(process);
    const client = new AgentClient('host', (bytes) => process.stdin!.write(bytes));
    const ready = client.waitForReady(10);
    process.stdout!.on('data', (chunk: Buffer) => { for (const byte of chunk) client.feed(byte); });
    await ready;
    return { process, client };
  }
  const alive = (pid: number) => { try { globalThis.process.kill(pid, 0); return true; } catch { return false; } };
  afterAll(() => { for (const agent of agents) agent.kill('SIGKILL'); });

  it("leaves no watchdog behind to steal the new agent's clock or verdict", async () => {
    const first = await startAgent();
    // The first agent dies in the middle of a command whose clock its watchdog is running.
    const watchdogs = readFileSync(`/proc/${first.process.pid}/task/${first.process.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    void first.client.exec('sleep 3', { timeout: 4 }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    first.process.kill('SIGKILL');

    const second = await startAgent();
    // Every timed-out command is killed by the new agent's own watchdog (exit 124, in
    // about a second), and none is reported timed out by a stale one.
    for (let i = 0; i < 4; i++) {
      expect(await second.client.exec('sleep 10; echo never', { timeout: 1 })).toMatchObject({ exitCode: 124, timedOut: true });
      expect(await second.client.exec('sleep 1.5; echo fine', { timeout: 20 })).toMatchObject({ exitCode: 0, stdout: 'fine\n' });
    }
    // The old watchdog noticed its agent was gone and ended.
    await expect.poll(() => watchdogs.filter(alive), { timeout: 12_000, interval: 500 }).toEqual([]);
  }, 60_000);
});
