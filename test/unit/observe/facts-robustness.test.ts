// parseFacts and gatherFacts when things go wrong: empty state, failing or
// missing tools, output cut short, garbage. Nothing throws; errors say what failed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FACTS_SCRIPT, gatherFacts, namespace, parseFacts, type Exec } from '../../../src/observe/facts.js';

const node1Raw = readFileSync(new URL('../../fixtures/facts/node1.txt', import.meta.url), 'utf8');

/** The script's framing around one command's output. */
const section = (name: string, netns: string, stdout: string, code = 0, stderr = '') =>
  `@@podwire:begin:${name}:${netns}@@\n${stdout}\n@@podwire:end:${name}:${netns}:${code}@@\n${stderr}`;

const emptyNode = [
  section('hostname', '', 'nodeX\n'),
  section('netns', '', '\n'),
  section('ip', '', '[]\n[]\n[]\n[]\n'),
  section('fdb', '', '[]\n'),
  section('sysctl', '', ''),
  section('iptables', '', ''),
  section('ipvs', '', 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n'),
  section('conntrack', '', ''),
  section('cni', '', ''),
].join('');

describe('parseFacts on empty and broken output', () => {
  it('takes empty sections as empty state, not as errors', () => {
    const facts = parseFacts('nodeX', emptyNode);
    expect(facts).toEqual({
      node: 'nodeX', hostname: 'nodeX',
      netns: [{ name: '', links: [], addresses: [], routes: [], neighbours: [], fdb: [], sysctls: {}, netnsIds: [] }],
      iptables: {}, ipvs: [], conntrack: [], cniIpam: [], sysctls: {}, errors: [],
    });
  });

  it('records a failed section with its exit code and stderr, and keeps the rest', () => {
    const raw = emptyNode.replace(section('ipvs', '', 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n'),
      section('ipvs', '', '', 127, 'bash: line 1: ipvsadm: command not found\n'));
    const facts = parseFacts('nodeX', raw);
    expect(facts.errors).toEqual(['ipvs: exit 127: bash: line 1: ipvsadm: command not found']);
    expect(facts.ipvs).toEqual([]);
    expect(facts.hostname).toBe('nodeX');
  });

  it('records a namespace that vanished between listing and reading', () => {
    const raw = emptyNode.replace(section('netns', '', '\n'), section('netns', '', 'gone\n'))
      + section('ip', 'gone', '', 255, 'Cannot open network namespace "gone": No such file or directory\n')
      + section('fdb', 'gone', '', 255, 'Cannot open network namespace "gone": No such file or directory\n')
      + section('sysctl', 'gone', '', 1, "nsenter: can't open '/run/netns/gone': No such file or directory\n");
    const facts = parseFacts('nodeX', raw);
    expect(namespace(facts, 'gone')).toMatchObject({ links: [], routes: [] });
    expect(facts.errors).toEqual([
      'ip(gone): exit 255: Cannot open network namespace "gone": No such file or directory',
      'fdb(gone): exit 255: Cannot open network namespace "gone": No such file or directory',
      "sysctl(gone): exit 1: nsenter: can't open '/run/netns/gone': No such file or directory",
    ]);
  });

  it('lets grep exit 2 for a sysctl file that does not exist when the others came', () => {
    const raw = emptyNode.replace(section('sysctl', '', ''), section('sysctl', '', '/proc/sys/net/ipv4/ip_forward:1\n', 2));
    const facts = parseFacts('nodeX', raw);
    expect(facts.errors).toEqual([]);
    expect(facts.sysctls).toEqual({ 'net.ipv4.ip_forward': '1' });
  });

  it('keeps the JSON lines that parse when one does not', () => {
    const raw = emptyNode.replace(section('ip', '', '[]\n[]\n[]\n[]\n'),
      section('ip', '', '[{"ifindex":1,"ifname":"lo","flags":["UP"],"mtu":65536,"operstate":"UNKNOWN","link_type":"loopback","addr_info":[]}]\n[{"dst":"default","gateway":"10.0.0.1","dev":"eth0"\n[]\n[]\n', 255, 'Command failed -:2\n'));
    const facts = parseFacts('nodeX', raw);
    expect(facts.netns[0]!.links.map((l) => l.name)).toEqual(['lo']);
    expect(facts.netns[0]!.routes).toEqual([]);
    expect(facts.errors).toHaveLength(2);
    expect(facts.errors[0]).toMatch(/^ip: exit 255: Command failed/);
    expect(facts.errors[1]).toMatch(/^ip: line 2 is not JSON/);
  });

  it('skips JSON of the wrong shape without an error', () => {
    const raw = emptyNode.replace(section('ip', '', '[]\n[]\n[]\n[]\n'), section('ip', '', '{"a":1}\n[1,"x",null,{"ifname":3}]\n"text"\nnull\n'));
    const facts = parseFacts('nodeX', raw);
    expect(facts.errors).toEqual([]);
    expect(facts.netns[0]).toMatchObject({ links: [], routes: [], neighbours: [], netnsIds: [] });
  });

  it('keeps what arrived from output cut short, and says what is missing', () => {
    const cut = node1Raw.slice(0, node1Raw.indexOf('@@podwire:begin:ip:pod2@@') + 200);
    const facts = parseFacts('node1', cut);
    expect(facts.hostname).toBe('node1');
    expect(namespace(facts, 'pod1')!.addresses.map((a) => a.cidr)).toContain('10.244.1.2/24');
    expect(facts.errors).toEqual(expect.arrayContaining([
      'ip(pod2): cut short (no end marker)',
      'fdb(pod2): missing from the output',
      'iptables: missing from the output',
      'cni: missing from the output',
    ]));
    expect(facts.errors.some((e) => e.startsWith('ip(pod2): line 1 is not JSON'))).toBe(true);
  });

  it('finds a begin marker that follows stderr without a newline', () => {
    const raw = emptyNode.replace(section('fdb', '', '[]\n') + section('sysctl', '', ''),
      `${section('fdb', '', '', 1, 'oops, no newline')}${section('sysctl', '', '/proc/sys/net/ipv4/ip_forward:0\n')}`);
    const facts = parseFacts('nodeX', raw);
    expect(facts.errors).toEqual(['fdb: exit 1: oops, no newline']);
    expect(facts.sysctls['net.ipv4.ip_forward']).toBe('0');
  });

  it('never throws on garbage', () => {
    const garbage = [
      '', '\n\n', 'bash: syntax error', '@@podwire:begin:@@', '@@podwire:end:ip::x@@', '@@podwire:begin:ip:@@\n{{{{\n',
      '@@podwire:begin:iptables:@@\n*nat\n-A\n-A X ! ! -j\n:\nCOMMIT\n-A Y -j Z\n', '@@podwire:begin:ipvs:@@\nTCP\n  -> x\nTCP  [::1]:x rr\n',
      '@@podwire:begin:conntrack:@@\nipv4 2\ntcp 6 x\n=== = =\n', '@@podwire:begin:cni:@@\n/var/lib/cni/networks/\n/x y z\n',
      node1Raw.replaceAll('"', ''), node1Raw.replaceAll('\n', ' '), node1Raw.split('').reverse().join(''),
      String.fromCharCode(...Array.from({ length: 2000 }, (_, i) => (i * 7919) % 65536)),
    ];
    for (const raw of garbage) {
      const facts = parseFacts('n', raw);
      expect(facts.node).toBe('n');
      expect(facts.netns[0]!.name).toBe('');
      expect(() => JSON.stringify(facts)).not.toThrow();
    }
    expect(parseFacts('n', '').errors).toEqual(['gather: no facts sections in the output']);
    expect(parseFacts('n', undefined as unknown as string).errors).toEqual(['gather: no facts sections in the output']);
  });
});

describe('gatherFacts', () => {
  it('runs the script in one exec and parses what came back', async () => {
    const calls: [string, { timeout?: number } | undefined][] = [];
    const exec: Exec = async (command, options) => {
      calls.push([command, options]);
      return { stdout: node1Raw, stderr: '', exitCode: 0, timedOut: false };
    };
    const facts = await gatherFacts('node1', exec);
    expect(calls).toEqual([[FACTS_SCRIPT, { timeout: 60 }]]);
    expect(facts.errors).toEqual([]);
    expect(facts.netns.map((ns) => ns.name)).toEqual(['', 'pod1', 'pod2']);
    await gatherFacts('node1', exec, { timeout: 5 });
    expect(calls[1]![1]).toEqual({ timeout: 5 });
  });

  it('says so when the script timed out, and keeps what came', async () => {
    const cut = node1Raw.slice(0, node1Raw.indexOf('@@podwire:begin:iptables:@@'));
    const facts = await gatherFacts('node1', async () => ({ stdout: cut, stderr: '', exitCode: 124, timedOut: true }), { timeout: 9 });
    expect(facts.errors[0]).toBe('gather: timed out after 9 s; the facts are partial');
    expect(facts.errors).toContain('iptables: missing from the output');
    expect(namespace(facts, 'pod2')!.links.length).toBeGreaterThan(0);
  });

  it('reports stray stderr and a non-zero exit', async () => {
    const facts = await gatherFacts('n', async () => ({ stdout: '', stderr: 'bash: /tmp/podwire-facts.stderr: Read-only file system\n', exitCode: 1, timedOut: false }));
    expect(facts.errors).toEqual([
      'gather: no facts sections in the output',
      'gather: the script exited with 1',
      'gather: stderr: bash: /tmp/podwire-facts.stderr: Read-only file system',
    ]);
  });

  it('lets a node that does not answer at all throw', async () => {
    await expect(gatherFacts('n', () => Promise.reject(new Error('node n did not answer within 65 s')))).rejects.toThrow(/did not answer/);
  });
});

describe('FACTS_SCRIPT', () => {
  it('is valid bash', () => {
    execFileSync('bash', ['-n'], { input: FACTS_SCRIPT });
  });

  it('keeps going, section by section, when no tool is there at all', () => {
    // Under the host's bash with an empty PATH: only builtins work, so every tool is "not found".
    const out = execFileSync('bash', ['-c', `PATH=/nonexistent\n${FACTS_SCRIPT}`], { encoding: 'utf8' });
    const facts = parseFacts('host', out);
    expect(facts.hostname).not.toBe('');
    for (const name of ['ip', 'fdb', 'sysctl', 'iptables', 'ipvs', 'conntrack']) {
      expect(facts.errors.find((e) => e.startsWith(`${name}: exit 127`)), name).toBeDefined();
    }
    expect(facts.errors.some((e) => e.includes('missing from the output'))).toBe(false);
    expect(facts.cniIpam).toEqual([]);
  });

  it('is small enough to read', () => {
    expect(FACTS_SCRIPT.split('\n').length).toBeLessThan(80);
  });
});
