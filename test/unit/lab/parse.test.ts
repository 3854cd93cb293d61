// Lab files: every lab in labs/ parses, and each kind of mistake names the file and line.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { labsDir, loadLabs } from '../../../src/lab/load.js';
import { LabError, parseLab } from '../../../src/lab/parse.js';
import { DEFAULT_NODE_MEMORY_MB, nodeMemoryOf } from '../../../src/topology/topology.js';

const good = `---
id: tiny
title: Tiny
summary: A lab
level: beginner
time: 5 min
topology:
  nodes:
    - name: node1
steps:
  - id: one
    checks:
      - name: pod exists
        node: node1
        netns: { name: pod }
    hints: [make it]
    solution:
      node1: ip netns add pod
---
Intro.

## The only step

Text.
`;

function errorOf(text: string): LabError {
  try {
    parseLab('labs/x/lab.md', text);
  } catch (error) {
    if (error instanceof LabError) return error;
    throw error;
  }
  throw new Error('the lab parsed without an error');
}

describe('a lab with the Kubernetes control plane', () => {
  const withManifests = (manifests: string) => good.replace('steps:\n', `kubernetes:\n  manifests: |\n${manifests.split('\n').map((line) => `    ${line}`).join('\n')}\nsteps:\n`);

  it('reads its manifests as objects, one per YAML document', () => {
    const lab = parseLab('labs/x/lab.md', withManifests('apiVersion: v1\nkind: Service\nmetadata: { name: web }\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }'));
    expect(lab.kubernetes?.manifests.map((m) => `${m.apiVersion} ${m.kind} ${m.metadata.name}`)).toEqual(['v1 Service web', 'apps/v1 Deployment web']);
  });

  it('names the file and line of a manifest that is not an object, and of a kind the API server does not serve', () => {
    const line = good.split('\n').indexOf('steps:') + 2;
    expect(() => parseLab('labs/x/lab.md', withManifests('- a list'))).toThrow(new RegExp(`^labs/x/lab\\.md:${line}: .*document 1 must be an object with apiVersion, kind and metadata\\.name`));
    expect(() => parseLab('labs/x/lab.md', withManifests('apiVersion: v1\nkind: Service\nmetadata: { name: web }\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: web }'))).toThrow(/document 2: no kind Ingress in networking\.k8s\.io\/v1 is served here \(it serves: Namespace \(v1\), .*Service \(v1\)/);
  });

  it('reads the nodes that join the cluster (all when not named), and refuses a node the topology does not have', () => {
    const withNodes = (nodes: string) => good.replace('steps:\n', `kubernetes:\n  nodes: ${nodes}\nsteps:\n`);
    expect(parseLab('labs/x/lab.md', withManifests('apiVersion: v1\nkind: Service\nmetadata: { name: web }')).kubernetes?.nodes).toBeUndefined();
    expect(parseLab('labs/x/lab.md', withNodes('[node1]')).kubernetes).toEqual({ manifests: [], nodes: ['node1'] });
    const line = good.split('\n').indexOf('steps:') + 2;
    expect(() => parseLab('labs/x/lab.md', withNodes('[node1, client]'))).toThrow(new RegExp(`^labs/x/lab\\.md:${line}: .*unknown node 'client' \\(the topology has: node1\\)`));
    expect(() => parseLab('labs/x/lab.md', withNodes('[node1, node1]'))).toThrow(/node 'node1' is named twice/);
  });

  it('reads the step its control plane starts at as that step\'s index, and names an unknown step with the file and line', () => {
    const twoSteps = good.replace('---\nIntro.', `  - id: two\n    checks:\n      - name: pod exists\n        node: node1\n        netns: { name: pod }\n---\nIntro.`).replace('Text.\n', 'Text.\n\n## The second step\n\nMore.\n');
    const from = (step: string) => twoSteps.replace('steps:\n', `kubernetes:\n  fromStep: ${step}\nsteps:\n`);
    expect(parseLab('labs/x/lab.md', from('two')).kubernetes).toEqual({ manifests: [], fromStep: 1 });
    const line = good.split('\n').indexOf('steps:') + 2;
    expect(() => parseLab('labs/x/lab.md', from('three'))).toThrow(new RegExp(`^labs/x/lab\\.md:${line}: .*unknown step 'three' \\(the lab has: one, two\\)`));
  });
});

describe('lab files', () => {
  it('parses every lab in labs/', () => {
    const labs = loadLabs();
    // One lab per numbered folder, so a new lab needs no edit here.
    expect(labs).toHaveLength(readdirSync(labsDir).filter((name) => /^\d+-/.test(name)).length);
    expect(labs.length).toBeGreaterThanOrEqual(19);
    expect(labs.map((l) => l.id)).toEqual(expect.arrayContaining(['netns-veth', 'bridge', 'cni-by-hand']));
    for (const lab of labs) {
      expect(lab.steps.length).toBeGreaterThan(0);
      for (const [index, step] of lab.steps.entries()) {
        expect(step.text.length, `${lab.id}/${step.id} has text`).toBeGreaterThan(40);
        // Only a step that follows packets through what the steps before it built (a
        // "follow the packet" step of path checks) may do without a solution of its own.
        const followsOnly = index > 0 && step.checks.every((check) => check.kind === 'path');
        expect(Object.keys(step.solution).length > 0 || followsOnly, `${lab.id}/${step.id} has a solution, or only follows packets after a step that has one`).toBe(true);
      }
    }
  });

  it('reads a well-formed lab', () => {
    const lab = parseLab('labs/x/lab.md', good);
    expect(lab).toMatchObject({ id: 'tiny', minutes: 5, intro: 'Intro.', topology: { nodes: [{ name: 'node1' }] } });
    expect(lab.steps[0]).toMatchObject({ id: 'one', title: 'The only step', text: 'Text.', hints: ['make it'], solution: { node1: 'ip netns add pod' } });
    expect(lab.steps[0]!.checks[0]).toMatchObject({ kind: 'netns', netns: 'pod', exists: true, at: 'labs/x/lab.md:13' });
  });

  it('reads the properties of the nodes\' cables, and refuses unknown ones', () => {
    const withLinks = good.replace('    - name: node1\n', '    - name: node1\n  links: { mtu: 1400, dropFragments: true }\n');
    expect(parseLab('labs/x/lab.md', withLinks).topology.links).toEqual({ mtu: 1400, dropFragments: true });
    expect(errorOf(good.replace('    - name: node1\n', '    - name: node1\n  links: { jumbo: true }\n')).message).toMatch(/unknown field 'jumbo'/);
  });

  it('reads the memory a lab asks for its nodes, and names the line of a size there is no snapshot of', () => {
    expect(parseLab('labs/x/lab.md', good).topology.memoryMb).toBeUndefined();
    expect(nodeMemoryOf(parseLab('labs/x/lab.md', good).topology)).toBe(DEFAULT_NODE_MEMORY_MB);
    const asking = (mb: number) => good.replace('    - name: node1\n', `    - name: node1\n  memoryMb: ${mb}\n`);
    expect(nodeMemoryOf(parseLab('labs/x/lab.md', asking(256)).topology)).toBe(256);
    const error = errorOf(asking(200));
    expect(error.message).toMatch(/^labs\/x\/lab\.md:10: .*memoryMb.*must be one of: 128, 256/);
  });

  const cases: [string, string, number, RegExp][] = [
    ['no front matter', 'hello\n', 1, /starts with '---'/],
    ['front matter never closed', '---\nid: x\n', 1, /not closed/],
    ['YAML syntax error, on the line of the bracket never closed', good.replace('title: Tiny', 'title: [Tiny'), 3, /YAML/],
    ['YAML: a flow mapping never closed', good.replace('netns: { name: pod }', 'netns: { name: pod'), 15, /YAML: Flow map/],
    ['YAML: a quote never closed', good.replace('title: Tiny', 'title: "Tiny'), 3, /YAML: Missing closing "quote/],
    ['YAML: a tab as indentation', good.replace('        node: node1', '\tnode: node1'), 14, /YAML: Tabs are not allowed/],
    ['YAML: a key given twice', good.replace('time: 5 min', 'time: 5 min\nlevel: beginner'), 7, /YAML: Map keys must be unique/],
    ['unknown field', good.replace('level: beginner', 'level: beginner\ncolour: red'), 6, /unknown field 'colour'/],
    ['missing title', good.replace('title: Tiny\n', ''), 2, /missing 'title'/],
    ['bad level', good.replace('level: beginner', 'level: expert'), 5, /'level' must be one of: beginner, intermediate, advanced \(not "expert"\)/],
    ['unknown node in a check', good.replace('        node: node1', '        node: node7'), 14, /unknown node 'node7' \(the topology has: node1\)/],
    ['unknown node in a solution', good.replace('      node1: ip netns', '      nodeX: ip netns'), 18, /unknown node 'nodeX'/],
    ['two kinds in one check', good.replace('        netns: { name: pod }', '        netns: { name: pod }\n        ping: { to: 1.2.3.4 }'), 13, /one kind, this one has netns and ping/],
    ['no kind at all', good.replace('        netns: { name: pod }', '        nets: { name: pod }'), 13, /needs one of: command/],
    ['bad CIDR', good.replace('        netns: { name: pod }', '        address: { in: 10.0.0.0 }'), 15, /not an IPv4 CIDR/],
    ['bad regular expression', good.replace('        netns: { name: pod }', '        command: "true"\n        expect: { stdout: "(" }'), 16, /not a valid regular expression/],
    ['steps and sections disagree', good.replace('## The only step', '## One\n\n## Two'), 11, /1 step\(s\) but the lesson has 2 '## ' section/],
    ['duplicate step id', good.replace('steps:\n', 'steps:\n  - id: one\n    checks: [{ node: node1, netns: { name: a } }]\n').replace('## The only step', '## A\n\n## B'), 13, /step id 'one' is used twice/],
    // What a set of malformed lab files showed (issue 12): nothing is silently dropped or moved.
    ['a misspelled hint on a ping check', good.replace('        netns: { name: pod }', '        ping: { to: 10.0.0.12 }\n        hnit: ping it'), 16, /unknown field 'hnit' \(expected one of: name, node, hint, ping\)/],
    ['a stray timeout inside a ping check', good.replace('        netns: { name: pod }', '        ping:\n          to: 10.0.0.12\n          timeout: 5'), 17, /unknown field 'timeout' \(expected one of: netns, to, expect, count\)/],
    ['a stray timeout beside a ping check', good.replace('        netns: { name: pod }', '        ping: { to: 10.0.0.12 }\n        timeout: 5'), 16, /unknown field 'timeout'/],
    ['an unknown field in a link check', good.replace('        netns: { name: pod }', '        link: { name: eth0, state: up }'), 15, /unknown field 'state' \(expected one of: netns, name, type, up, master, mtu, vni\)/],
    ['a value of the wrong kind', good.replace('        netns: { name: pod }', '        link: { name: eth0, mtu: big }'), 15, /'mtu' must be a number/],
    ['an unknown check kind, named', good.replace('        netns: { name: pod }', '        netnamespace: { name: pod }'), 13, /unknown check kind 'netnamespace': a check needs one of: command, address/],
    ['a YAML alias', good.replace('        netns: { name: pod }', '        netns: &pod { name: pod }\n      - node: node1\n        netns: *pod'), 17, /YAML aliases \(\*pod\) are not allowed/],
    ['a pattern RE2 cannot run', good.replace('        netns: { name: pod }', '        command: cat /etc/resolv.conf\n        expect:\n          stdout: "(?=.*search)"'), 17, /not a valid regular expression for RE2: invalid or unsupported Perl syntax/],
    ['a pattern RE2 cannot run, in an iptables rule', good.replace('        netns: { name: pod }', '        iptables: { chain: FORWARD, rule: "(a)\\\\1" }'), 15, /not a valid regular expression for RE2/],
    ['one of several patterns RE2 cannot run', good.replace('        netns: { name: pod }', '        command: cat /etc/resolv.conf\n        expect:\n          stdout:\n            - "^search"\n            - "(?!x)"'), 19, /not a valid regular expression for RE2/],
    ['a wire check watching a node that does not exist', good.replace('        netns: { name: pod }', '        wire: { trigger: ping -c1 10.0.0.12, on: node9 }'), 15, /unknown node 'node9' \(the topology has: node1\)/],
    ['too many nodes', good.replace('    - name: node1\n', Array.from({ length: 9 }, (_, i) => `    - name: node${i + 1}\n`).join('')), 9, /a lab has at most 8 nodes/],
    ['a node defined twice', good.replace('    - name: node1\n', '    - name: node1\n    - name: node1\n'), 10, /node 'node1' is defined twice/],
    ['an empty command', good.replace('        netns: { name: pod }', '        command: ""'), 15, /'command' must not be empty/],
  ];
  for (const [what, text, line, message] of cases) {
    it(`names the line of: ${what}`, () => {
      const error = errorOf(text);
      expect(error.message).toMatch(message);
      expect(error.message.startsWith(`labs/x/lab.md:${line}: `), error.message).toBe(true);
    });
  }

  it('refuses a lab file over 256 KiB, on line 1, before reading it', () => {
    const huge = good.replace('Text.', 'x'.repeat(300 * 1024));
    expect(errorOf(huge).message).toBe('labs/x/lab.md:1: the file is 301 KiB; a lab file may be at most 256 KiB');
  });

  it('reads lists of patterns, a yaml-language-server comment, and 8 nodes', () => {
    const lab = parseLab('labs/x/lab.md', good
      .replace('---\nid: tiny', '---\n# yaml-language-server: $schema=../../docs/lab.schema.json\nid: tiny')
      .replace('    - name: node1\n', Array.from({ length: 8 }, (_, i) => `    - name: node${i + 1}\n`).join(''))
      .replace('        netns: { name: pod }', '        command: cat /etc/resolv.conf\n        expect: { stdout: ["^search", "^nameserver"] }'));
    expect(lab.topology.nodes).toHaveLength(8);
    expect(lab.steps[0]!.checks[0]).toMatchObject({ kind: 'command', run: 'cat /etc/resolv.conf', expect: { stdout: ['^search', '^nameserver'] } });
  });

  it('gives a check its defaults and no fields it did not write', () => {
    const lab = parseLab('labs/x/lab.md', good.replace('        netns: { name: pod }', '        ping: { to: 10.0.0.12 }'));
    expect(lab.steps[0]!.checks[0]).toEqual({ kind: 'ping', name: 'pod exists', node: 'node1', to: '10.0.0.12', expect: 'success', at: 'labs/x/lab.md:13' });
  });

  it('reads translations and insists they have every step', () => {
    const zh = '---\ntitle: 小\nsummary: 一个实验\nhints:\n  one: [试试]\n---\n介绍\n\n## 唯一的一步\n\n正文\n';
    const lab = parseLab('labs/x/lab.md', good, { zh: { file: 'labs/x/lab.zh.md', text: zh } });
    expect(lab.locales.zh).toMatchObject({ title: '小', intro: '介绍', steps: { one: { title: '唯一的一步', text: '正文', hints: ['试试'] } } });
    expect(() => parseLab('labs/x/lab.md', good, { zh: { file: 'labs/x/lab.zh.md', text: '---\ntitle: a\nsummary: b\n---\n' } })).toThrow(/labs\/x\/lab\.zh\.md:\d+: the translation has 0 step section/);
    expect(() => parseLab('labs/x/lab.md', good, { zh: { file: 'labs/x/lab.zh.md', text: zh.replace('  one: [试试]', '  two: [试试]') } })).toThrow(/^labs\/x\/lab\.zh\.md:5: unknown step 'two' \(the lab has: one\)$/);
    expect(() => parseLab('labs/x/lab.md', good, { zh: { file: 'labs/x/lab.zh.md', text: zh.replace('summary: 一个实验\n', 'summary: 一个实验\nlevel: beginner\n') } })).toThrow(/^labs\/x\/lab\.zh\.md:4: unknown field 'level' \(expected one of: title, summary, hints\)$/);
  });
});
