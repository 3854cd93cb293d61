// A Check gathers only the facts sections its checks read: the facts script, run by the
// host's bash as the guest agent runs it, prints just those (and the hostname and the list
// of namespaces), and the parser does not call the others missing.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { gatherFacts } from '../../../src/observe/facts.js';

const hostBash = async (command: string) => {
  const result = spawnSync('bash', ['-c', '( eval "$PODWIRE_COMMAND" )'], { env: { ...process.env, PODWIRE_COMMAND: command }, encoding: 'utf8' });
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.status ?? -1, timedOut: false };
};

describe('scoped facts', () => {
  it('prints only the sections asked for', async () => {
    const commands: string[] = [];
    const exec = (command: string) => { commands.push(command); return hostBash(command); };
    const facts = await gatherFacts('host', exec, { only: ['ip:'] });
    const printed = (await hostBash(commands[0]!)).stdout.match(/@@podwire:begin:[^@]*@@/g);
    expect(printed).toEqual(['@@podwire:begin:hostname:@@', '@@podwire:begin:netns:@@', '@@podwire:begin:ip:@@']);
    expect(facts.netns[0]!.links.some((l) => l.name === 'lo')).toBe(true);
    expect(facts.errors.filter((e) => /missing from the output/.test(e))).toEqual([]);
  });

  it('prints every section by default, and none but the basics for an empty list', async () => {
    const all = await gatherFacts('host', hostBash);
    const none = await gatherFacts('host', hostBash, { only: [] });
    expect(none.netns[0]!.links).toEqual([]);
    expect(all.netns[0]!.links.length).toBeGreaterThan(0);
    expect(all.hostname).toBe(none.hostname);
  });
});
