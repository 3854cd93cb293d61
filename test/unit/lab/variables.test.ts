// Lab variables: values picked from a seed (deterministic, inside their domains, apart from
// each other and from the defaults), `{{name}}` filled in everywhere, and mistakes named
// with their file and line.
import { describe, expect, it } from 'vitest';
import { loadLabs } from '../../../src/lab/load.js';
import { LabError, parseLab } from '../../../src/lab/parse.js';
import { fillTemplate, outsideDomain, valuesOf, type Variable } from '../../../src/lab/template.js';
import { instantiateLab, labValues } from '../../../src/lab/variables.js';
import { cidrContains, parseCidr, parseIpv4 } from '../../../src/net/addr.js';

const lab = `---
id: vars
title: Variables
summary: A lab with variables
level: beginner
time: 5 min
variables:
  vni: { int: [2, 4000], default: 42 }
  nodePort: { port: [30000, 32767], default: 30080 }
  mode: { choice: [rr, wrr, sh], default: rr }
  podsA: { subnet: "10.244.{1..254}.0/24", default: 10.244.1.0/24 }
  podsB: { subnet: "10.244.{1..254}.0/24", default: 10.244.2.0/24 }
  serviceIp: { ipv4-in: 10.96.0.0/16, default: 10.96.0.100 }
  gatewayA: "{{podsA|host:1}}"
topology:
  nodes:
    - name: node1
      podCidr: "{{podsA}}"
    - name: node2
      podCidr: "{{podsB}}"
setup:
  node1: |
    ip link add cni0 type bridge
    ip addr add {{gatewayA}}/{{podsA|prefix}} dev cni0
steps:
  - id: one
    checks:
      - name: flannel.1 has VNI {{vni}}
        node: node1
        link: { name: flannel.1, vni: "{{vni}}" }
        hint: "ip link add flannel.1 type vxlan id {{vni}} ({node})"
      - name: a route to {{podsB}}
        node: node1
        route: { destination: "{{podsB}}", via: "{{podsB|host:0}}" }
      - name: the service answers
        node: node1
        command: "nc -w 1 {{serviceIp}} {{nodePort}}"
        expect: { stdout: "^{{serviceIp|re}}:{{nodePort}}$" }
    hints: ["use {{mode}}"]
    solution:
      node1: |
        ip link add flannel.1 type vxlan id {{vni}} dstport 8472
        ip route add {{podsB}} via {{podsB|host:0}} dev flannel.1 onlink
---
Pods live in {{podsA}} and {{ podsB }}; {{.Go}} and {{ range .Items }} templates stay as written.

## Step one

Make VNI {{vni}} and the Service {{serviceIp}}:{{nodePort}}.
`;

const parse = (text: string, seed?: string) => parseLab('labs/x/lab.md', text, {}, seed === undefined ? {} : { seed });

function errorOf(text: string): LabError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof LabError) return error;
    throw error;
  }
  throw new Error('the lab parsed without an error');
}

const SEEDS = Array.from({ length: 200 }, (_, i) => `class-1:student-${i}`);

describe('lab variables', () => {
  it('without a seed, every placeholder gets its default, in every text of the lab', () => {
    const parsed = parse(lab);
    expect(labValues(parsed)).toEqual({
      vni: '42', nodePort: '30080', mode: 'rr', podsA: '10.244.1.0/24', podsB: '10.244.2.0/24', serviceIp: '10.96.0.100', gatewayA: '10.244.1.1',
    });
    expect(parsed.intro).toBe('Pods live in 10.244.1.0/24 and 10.244.2.0/24; {{.Go}} and {{ range .Items }} templates stay as written.');
    expect(parsed.topology.nodes).toEqual([{ name: 'node1', podCidr: '10.244.1.0/24' }, { name: 'node2', podCidr: '10.244.2.0/24' }]);
    expect(parsed.setup.node1).toBe('ip link add cni0 type bridge\nip addr add 10.244.1.1/24 dev cni0\n');
    const step = parsed.steps[0]!;
    expect(step.text).toBe('Make VNI 42 and the Service 10.96.0.100:30080.');
    expect(step.hints).toEqual(['use rr']);
    expect(step.solution.node1).toContain('vxlan id 42 dstport');
    expect(step.solution.node1).toContain('ip route add 10.244.2.0/24 via 10.244.2.0 dev');
    expect(step.checks[0]).toMatchObject({ kind: 'link', name: 'flannel.1 has VNI 42', vni: 42, hint: 'ip link add flannel.1 type vxlan id 42 ({node})' });
    expect(step.checks[1]).toMatchObject({ kind: 'route', destination: '10.244.2.0/24', via: '10.244.2.0' });
    expect(step.checks[2]).toMatchObject({ kind: 'command', run: 'nc -w 1 10.96.0.100 30080', expect: { stdout: ['^10\\.96\\.0\\.100:30080$'] } });
  });

  it('a seed picks the same values every time, on a fresh parse too', () => {
    const parsed = parse(lab);
    for (const seed of SEEDS.slice(0, 20)) {
      expect(labValues(parsed, seed)).toEqual(labValues(parse(lab), seed));
      expect(instantiateLab(parsed, seed).values).toEqual(labValues(parsed, seed));
    }
    // Pinned: the same seed gives these values on every host and in every release, or saved work and grades would move.
    expect(labValues(parsed, 'class-1:student-0')).toMatchInlineSnapshot(`
      {
        "gatewayA": "10.244.253.1",
        "mode": "wrr",
        "nodePort": "32687",
        "podsA": "10.244.253.0/24",
        "podsB": "10.244.44.0/24",
        "serviceIp": "10.96.142.104",
        "vni": "2651",
      }
    `);
  });

  it('values stay in their domains, apart from each other, and never equal the defaults', () => {
    const parsed = parse(lab);
    const seen = new Set<string>();
    for (const seed of SEEDS) {
      const values = labValues(parsed, seed);
      for (const variable of parsed.variables) {
        expect(outsideDomain(variable.domain, values[variable.name]!), `${seed}: ${variable.name}`).toBeUndefined();
        if (variable.default !== undefined) expect(values[variable.name], `${seed}: ${variable.name}`).not.toBe(variable.default);
      }
      const a = parseCidr(values.podsA!);
      const b = parseCidr(values.podsB!);
      expect(a.address, `${seed}: the two pod subnets differ`).not.toBe(b.address);
      expect(cidrContains(parseCidr('10.96.0.0/16'), parseIpv4(values.serviceIp!))).toBe(true);
      expect(values.gatewayA).toBe(values.podsA!.replace(/\.0\/24$/, '.1'));
      seen.add(JSON.stringify(values));
    }
    // Two students get different values: 200 seeds, 200 different variants.
    expect(seen.size).toBe(SEEDS.length);
  });

  it('keeps overlapping networks and equal numbers of one kind apart, even in a domain of two', () => {
    const variables: Variable[] = [
      { name: 'wide', domain: { kind: 'subnet', pattern: '10.{0..1}.0.0/16' }, default: '10.0.0.0/16' },
      { name: 'inside', domain: { kind: 'subnet', pattern: '10.{0..1}.{0..3}.0/24' }, default: '10.1.0.0/24' },
      { name: 'a', domain: { kind: 'int', min: 1, max: 3 }, default: '1' },
      { name: 'b', domain: { kind: 'int', min: 1, max: 3 }, default: '2' },
      { name: 'portA', domain: { kind: 'port', min: 1, max: 3 }, default: '3' },
    ];
    for (const seed of SEEDS.slice(0, 50)) {
      const values = valuesOf(variables, seed);
      expect(values.wide).toBe('10.1.0.0/16');
      expect(values.inside).toMatch(/^10\.0\.[0-3]\.0\/24$/);
      expect(values.a).not.toBe(values.b);
      expect(['2', '3']).toContain(values.a);
    }
    // Defaults that collide are the author's mistake.
    expect(() => valuesOf([variables[0]!, { ...variables[1]!, default: '10.0.3.0/24' }])).toThrow(/collides with 'wide'/);
  });

  it('filters: host, subnet, prefix, re and bytes', () => {
    const values = { net: '10.16.0.0/16', ip: '10.96.0.7' };
    expect(fillTemplate('{{net|host:1}} {{net|subnet:24:3}} {{net|subnet:24:3|host:2}} {{net|prefix}} {{ip|re}}', values))
      .toBe('10.16.0.1 10.16.3.0/24 10.16.3.2 16 10\\.96\\.0\\.7');
    expect(fillTemplate('{{ip|bytes}} {{net|host:258|bytes}}', values)).toBe('10 96 0 7 10 16 1 2');
    expect(() => fillTemplate('{{net|bytes}}', values)).toThrow(/bytes needs an IPv4 address/);
    expect(() => fillTemplate('{{net|host:70000}}', values)).toThrow(/outside 10\.16\.0\.0\/16/);
    expect(() => fillTemplate('{{net|subnet:8:0}}', values)).toThrow(/does not fit/);
    expect(() => fillTemplate('{{ip|mask}}', values)).toThrow(/unknown filter 'mask'/);
    expect(() => fillTemplate('{{ip|host}}', values)).toThrow(/write host:N/);
  });

  it('a lab without variables is the same lab for every seed', () => {
    const plain = loadLabs().find((l) => l.id === 'netns-veth')!;
    expect(plain.variables).toEqual([]);
    expect(instantiateLab(plain, 'class-1:student-1')).toBe(plain);
  });

  it('translations get the values too', () => {
    const zh = '---\ntitle: 变量\nsummary: 变量\nhints:\n  one: ["用 {{vni}}"]\n---\n{{podsA}}\n\n## 第一步\n\nVNI {{vni}}\n';
    const parsed = parseLab('labs/x/lab.md', lab, { zh: { file: 'labs/x/lab.zh.md', text: zh } });
    const seeded = instantiateLab(parsed, 'class-1:student-3');
    const vni = seeded.values.vni!;
    expect(vni).not.toBe('42');
    expect(seeded.locales.zh).toMatchObject({ intro: seeded.values.podsA, steps: { one: { text: `VNI ${vni}`, hints: [`用 ${vni}`] } } });
  });

  it('every lab in labs/ instantiates with a seed, and each lab with variables changes its texts', () => {
    for (const base of loadLabs()) {
      const seeded = instantiateLab(base, 'class-1:student-1');
      if (!base.variables.length) continue;
      expect(JSON.stringify(seeded.steps.map((s) => s.solution)), `${base.id}: a seed changes the solutions`).not.toBe(JSON.stringify(base.steps.map((s) => s.solution)));
      expect(JSON.stringify(seeded.steps.map((s) => s.text)), `${base.id}: a seed changes the lesson`).not.toBe(JSON.stringify(base.steps.map((s) => s.text)));
    }
  });
});

describe('mistakes with variables name the file and line', () => {
  const replace = (from: string, to: string) => {
    expect(lab).toContain(from);
    return lab.replace(from, to);
  };

  it('an unknown variable in the front matter, in a script, and in the lesson', () => {
    expect(errorOf(replace('hints: ["use {{mode}}"]', 'hints: ["use {{mood}}"]')).message).toBe("labs/x/lab.md:39: unknown variable 'mood' in {{mood}} (the lab declares: vni, nodePort, mode, podsA, podsB, serviceIp, gatewayA)");
    expect(errorOf(replace('ip addr add {{gatewayA}}', 'ip addr add {{gateway}}')).message).toMatch(/^labs\/x\/lab\.md:24: unknown variable 'gateway'/);
    expect(errorOf(replace('onlink\n', 'onlink {{vnii}}\n')).message).toMatch(/^labs\/x\/lab\.md:43: unknown variable 'vnii'/);
    expect(errorOf(replace('Make VNI {{vni}}', 'Make VNI {{vin}}')).message).toMatch(/^labs\/x\/lab\.md:49: unknown variable 'vin'/);
  });

  it('a default outside its domain, a bad pattern, an unknown filter, a variable used before it is declared', () => {
    expect(errorOf(replace('default: 30080', 'default: 80')).message).toBe("labs/x/lab.md:9: the default '80' is not a whole number from 30000 to 32767");
    expect(errorOf(replace('"10.244.{1..254}.0/24", default: 10.244.2.0/24', '"10.244.{1..254}.{0..9}/24", default: 10.244.2.0/24')).message).toMatch(/^labs\/x\/lab\.md:12: '10\.244\.\{1\.\.254\}\.\{0\.\.9\}\/24' is not a subnet pattern.*octet 4 is not inside the \/24 prefix/);
    expect(errorOf(replace('{{podsA|prefix}}', '{{podsA|length}}')).message).toMatch(/^labs\/x\/lab\.md:24: unknown filter 'length'/);
    expect(errorOf(replace('gatewayA: "{{podsA|host:1}}"', 'gatewayA: "{{later|host:1}}"')).message).toMatch(/^labs\/x\/lab\.md:14: variable 'gatewayA': unknown variable 'later'/);
    expect(errorOf(replace('default: 10.244.2.0/24', 'default: 10.244.1.0/24')).message).toMatch(/^labs\/x\/lab\.md:12: variable 'podsB': its default 10\.244\.1\.0\/24 collides with 'podsA'/);
  });

  it('a mistyped domain, and an unquoted placeholder', () => {
    expect(errorOf(replace('vni: { int: [2, 4000], default: 42 }', 'vni: { integer: [2, 4000], default: 42 }')).message).toBe('labs/x/lab.md:8: a variable needs a domain, one of: int, port, choice, subnet, ipv4-in');
    expect(errorOf(replace('vni: { int: [2, 4000], default: 42 }', 'vni: { int: [4000, 2], default: 42 }')).message).toMatch(/^labs\/x\/lab\.md:8: .*lowest first/);
    expect(errorOf(replace('podCidr: "{{podsA}}"', 'podCidr: {{podsA}}')).message).toBe('labs/x/lab.md:18: YAML reads an unquoted {{...}} as a mapping: put a placeholder in quotes, e.g. "{{podCidr}}"');
  });
});
