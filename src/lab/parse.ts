// Reading a lab file: Markdown with YAML front matter. Everything is checked here,
// and every mistake is reported as "file:line: what is wrong", so an instructor
// can fix a lab without reading our code. A lab is data only: nothing in it runs
// on the page, and its commands run only inside the nodes.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { NodeSpec } from '../topology/topology.js';
import type { Check, CheckKind, CommandCheck, Lab, NodeCommands, Step } from './types.js';

export class LabError extends Error {
  constructor(readonly file: string, readonly line: number, readonly problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'LabError';
  }
}

const LEVELS = ['beginner', 'intermediate', 'advanced'] as const;
const CHECK_KINDS: CheckKind[] = ['command', 'address', 'route', 'link', 'netns', 'iptables', 'sysctl', 'ping', 'ipam', 'wire'];

type Path = (string | number)[];

/** Walks the YAML with the source positions at hand, so every complaint has a line. */
class Reader {
  constructor(readonly file: string, private readonly doc: Document, private readonly lines: LineCounter, private readonly firstLine: number) {}

  lineOf(path: Path): number {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as YamlNode | undefined;
      const offset = node && typeof node === 'object' && 'range' in node ? node.range?.[0] : undefined;
      if (offset !== undefined) return this.lines.linePos(offset).line + this.firstLine;
    }
    return this.firstLine;
  }

  fail(path: Path, problem: string): never {
    throw new LabError(this.file, this.lineOf(path), problem);
  }

  has(path: Path): boolean { return this.doc.hasIn(path); }
  raw(path: Path): unknown { return this.doc.getIn(path, true); }

  string(path: Path, optional?: false): string;
  string(path: Path, optional: true): string | undefined;
  string(path: Path, optional = false): string | undefined {
    const node = this.raw(path);
    if (node === undefined) return optional ? undefined : this.fail(path.slice(0, -1), `missing '${path.at(-1)}'`);
    if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number')) return this.fail(path, `'${path.at(-1)}' must be text`);
    return String(node.value);
  }

  number(path: Path, optional = true): number | undefined {
    const node = this.raw(path);
    if (node === undefined) return optional ? undefined : this.fail(path.slice(0, -1), `missing '${path.at(-1)}'`);
    if (!isScalar(node) || typeof node.value !== 'number') return this.fail(path, `'${path.at(-1)}' must be a number`);
    return node.value;
  }

  boolean(path: Path): boolean | undefined {
    const node = this.raw(path);
    if (node === undefined) return undefined;
    if (!isScalar(node) || typeof node.value !== 'boolean') return this.fail(path, `'${path.at(-1)}' must be true or false`);
    return node.value;
  }

  keys(path: Path, allowed?: string[]): string[] {
    const node = this.raw(path);
    if (node === undefined) return [];
    if (!isMap(node)) return this.fail(path, `'${path.at(-1) ?? 'front matter'}' must be a mapping of names to values`);
    const keys = node.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key));
    for (const key of keys) {
      if (allowed && !allowed.includes(key)) this.fail([...path, key], `unknown field '${key}' (expected one of: ${allowed.join(', ')})`);
    }
    return keys;
  }

  length(path: Path, optional = true): number {
    const node = this.raw(path);
    if (node === undefined) return optional ? 0 : this.fail(path.slice(0, -1), `missing '${path.at(-1)}'`);
    if (!isSeq(node)) return this.fail(path, `'${path.at(-1)}' must be a list`);
    return node.items.length;
  }

  strings(path: Path): string[] {
    return Array.from({ length: this.length(path) }, (_, i) => this.string([...path, i]));
  }

  commands(path: Path, nodes: string[]): NodeCommands {
    const out: NodeCommands = {};
    for (const node of this.keys(path)) {
      if (!nodes.includes(node)) this.fail([...path, node], `unknown node '${node}' (the topology has: ${nodes.join(', ')})`);
      out[node] = this.string([...path, node]);
    }
    return out;
  }
}

interface Split { frontMatter: string; frontLine: number; body: string; bodyLine: number }

function splitFrontMatter(file: string, text: string): Split {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[0]?.trim() !== '---') throw new LabError(file, 1, "a lab starts with '---' and YAML front matter");
  const end = lines.indexOf('---', 1);
  if (end < 0) throw new LabError(file, 1, "the front matter is not closed by a '---' line");
  return { frontMatter: lines.slice(1, end).join('\n'), frontLine: 2, body: lines.slice(end + 1).join('\n'), bodyLine: end + 2 };
}

function parseYaml(file: string, split: Split): Reader {
  const lines = new LineCounter();
  const doc = parseDocument(split.frontMatter, { lineCounter: lines, prettyErrors: false });
  const error = doc.errors[0];
  if (error) throw new LabError(file, lines.linePos(error.pos[0]).line + split.frontLine - 1, `YAML: ${error.message.split('\n')[0]}`);
  if (!isMap(doc.contents)) throw new LabError(file, split.frontLine, 'the front matter must be a YAML mapping');
  return new Reader(file, doc, lines, split.frontLine - 1);
}

/** The lesson body: an intro, then one "## " section per step, in order. */
function splitSections(body: string, bodyLine: number): { intro: string; sections: { title: string; text: string; line: number }[] } {
  const sections: { title: string; text: string; line: number }[] = [];
  let intro = '';
  let inFence = false;
  body.split('\n').forEach((line, index) => {
    if (/^(```|~~~)/.test(line)) inFence = !inFence;
    const heading = !inFence && /^## (.+)$/.exec(line);
    if (heading) sections.push({ title: heading[1]!.trim(), text: '', line: bodyLine + index });
    else if (sections.length) sections[sections.length - 1]!.text += `${line}\n`;
    else intro += `${line}\n`;
  });
  return { intro: intro.trim(), sections: sections.map((s) => ({ ...s, text: s.text.trim() })) };
}

function parseCheck(r: Reader, path: Path, nodes: string[]): Check {
  const keys = r.keys(path);
  const kinds = keys.filter((k): k is CheckKind => (CHECK_KINDS as string[]).includes(k));
  if (kinds.length !== 1) {
    r.fail(path, kinds.length ? `a check has one kind, this one has ${kinds.join(' and ')}` : `a check needs one of: ${CHECK_KINDS.join(', ')}`);
  }
  const kind = kinds[0]!;
  const common = ['name', 'node', 'hint', kind];
  const node = r.string([...path, 'node']);
  if (!nodes.includes(node)) r.fail([...path, 'node'], `unknown node '${node}' (the topology has: ${nodes.join(', ')})`);
  const at = `${r.file}:${r.lineOf(path)}`;
  const base = { node, at, name: r.string([...path, 'name'], true) ?? '', ...(r.has([...path, 'hint']) ? { hint: r.string([...path, 'hint']) } : {}) };
  const spec = [...path, kind];
  const opt = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
  switch (kind) {
    case 'command': {
      r.keys(path, [...common, 'expect', 'timeout']);
      r.keys([...path, 'expect'], ['exitCode', 'stdout', 'stderr', 'json']);
      r.keys([...path, 'expect', 'json'], ['path', 'equals', 'matches']);
      const json = r.has([...path, 'expect', 'json'])
        ? {
          path: r.string([...path, 'expect', 'json', 'path']),
          ...opt('equals', (r.raw([...path, 'expect', 'json', 'equals']) as { toJSON?: () => unknown } | undefined)?.toJSON?.()),
          ...opt('matches', regex(r, [...path, 'expect', 'json', 'matches'])),
        }
        : undefined;
      const expectPath = [...path, 'expect'];
      const expect: CommandCheck['expect'] = {};
      const exitCode = r.number([...expectPath, 'exitCode']);
      if (exitCode !== undefined) expect.exitCode = exitCode;
      for (const key of ['stdout', 'stderr'] as const) {
        const pattern = regex(r, [...expectPath, key]);
        if (pattern !== undefined) expect[key] = pattern;
      }
      if (json) expect.json = json;
      return { ...base, kind, run: r.string(spec), ...opt('timeout', r.number([...path, 'timeout'])), expect: Object.keys(expect).length ? expect : { exitCode: 0 } };
    }
    case 'address':
      r.keys(spec, ['netns', 'dev', 'in']);
      return { ...base, kind, ...opt('netns', r.string([...spec, 'netns'], true)), ...opt('dev', r.string([...spec, 'dev'], true)), in: cidr(r, [...spec, 'in']) };
    case 'route':
      r.keys(spec, ['netns', 'destination', 'via', 'dev']);
      return { ...base, kind, ...opt('netns', r.string([...spec, 'netns'], true)), destination: r.string([...spec, 'destination']), ...opt('via', r.string([...spec, 'via'], true)), ...opt('dev', r.string([...spec, 'dev'], true)) };
    case 'link':
      r.keys(spec, ['netns', 'name', 'type', 'up', 'master', 'mtu', 'vni']);
      return {
        ...base, kind, link: r.string([...spec, 'name']), ...opt('netns', r.string([...spec, 'netns'], true)), ...opt('type', r.string([...spec, 'type'], true)),
        ...opt('up', r.boolean([...spec, 'up'])), ...opt('master', r.string([...spec, 'master'], true)), ...opt('mtu', r.number([...spec, 'mtu'])), ...opt('vni', r.number([...spec, 'vni'])),
      };
    case 'netns':
      r.keys(spec, ['name', 'exists']);
      return { ...base, kind, netns: r.string([...spec, 'name']), exists: r.boolean([...spec, 'exists']) ?? true };
    case 'iptables':
      r.keys(spec, ['table', 'chain', 'rule', 'policy', 'exists']);
      return {
        ...base, kind, table: r.string([...spec, 'table'], true) ?? 'filter', chain: r.string([...spec, 'chain']),
        ...opt('rule', regex(r, [...spec, 'rule'])), ...opt('policy', r.string([...spec, 'policy'], true)), exists: r.boolean([...spec, 'exists']) ?? true,
      };
    case 'sysctl':
      r.keys(spec, ['key', 'value']);
      return { ...base, kind, key: r.string([...spec, 'key']), value: r.string([...spec, 'value']) };
    case 'ping': {
      r.keys(spec, ['netns', 'to', 'expect', 'count']);
      const expectation = r.string([...spec, 'expect'], true) ?? 'success';
      if (expectation !== 'success' && expectation !== 'failure') r.fail([...spec, 'expect'], "'expect' is success or failure");
      return { ...base, kind, ...opt('netns', r.string([...spec, 'netns'], true)), to: r.string([...spec, 'to']), expect: expectation, ...opt('count', r.number([...spec, 'count'])) };
    }
    case 'ipam':
      r.keys(spec, ['network', 'leases']);
      return { ...base, kind, network: r.string([...spec, 'network']), leases: r.number([...spec, 'leases'], false)! };
    case 'wire': {
      r.keys(spec, ['trigger', 'protocol', 'src', 'dst', 'vni', 'ipip', 'on']);
      const on = r.string([...spec, 'on'], true);
      if (on !== undefined && !nodes.includes(on)) r.fail([...spec, 'on'], `unknown node '${on}' (the topology has: ${nodes.join(', ')})`);
      const protocol = r.string([...spec, 'protocol'], true) ?? 'icmp';
      if (!['icmp', 'udp', 'tcp'].includes(protocol)) r.fail([...spec, 'protocol'], "'protocol' is icmp, udp or tcp");
      return {
        ...base, kind, trigger: r.string([...spec, 'trigger']), protocol: protocol as 'icmp' | 'udp' | 'tcp',
        ...opt('src', r.string([...spec, 'src'], true)), ...opt('dst', r.string([...spec, 'dst'], true)), ...opt('vni', r.number([...spec, 'vni'])), ...opt('ipip', r.boolean([...spec, 'ipip'])), ...opt('on', on),
      };
    }
  }
}

function cidr(r: Reader, path: Path): string {
  const value = r.string(path);
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(value)) r.fail(path, `'${value}' is not an IPv4 CIDR like 10.244.1.0/24`);
  return value;
}

function regex(r: Reader, path: Path): string | undefined {
  const value = r.string(path, true);
  if (value !== undefined) try { new RegExp(value); } catch { r.fail(path, `not a valid regular expression: ${value}`); }
  return value;
}

/** Parse a lab's English file. `file` is the name used in messages, e.g. labs/01-netns/lab.md. */
export function parseLab(file: string, text: string, locales: Record<string, { file: string; text: string }> = {}): Lab {
  const split = splitFrontMatter(file, text);
  const r = parseYaml(file, split);
  r.keys([], ['id', 'title', 'summary', 'level', 'time', 'topology', 'setup', 'steps']);
  const id = r.string(['id']);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) r.fail(['id'], `lab id '${id}' must be lower-case letters, digits and dashes`);
  const level = r.string(['level']);
  if (!(LEVELS as readonly string[]).includes(level)) r.fail(['level'], `level '${level}' must be one of: ${LEVELS.join(', ')}`);
  const time = r.string(['time']);
  const minutes = /^(\d+)\s*min/.exec(time)?.[1];
  if (!minutes) r.fail(['time'], `time '${time}' must look like '20 min'`);

  r.keys(['topology'], ['nodes', 'segments', 'links']);
  const nodeCount = r.length(['topology', 'nodes'], false);
  if (nodeCount === 0) r.fail(['topology', 'nodes'], 'a lab needs at least one node');
  const nodes: NodeSpec[] = Array.from({ length: nodeCount }, (_, i) => {
    r.keys(['topology', 'nodes', i], ['name', 'segment', 'address', 'podCidr']);
    const name = r.string(['topology', 'nodes', i, 'name']);
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) r.fail(['topology', 'nodes', i, 'name'], `node name '${name}' must be lower-case letters, digits and dashes`);
    return {
      name,
      ...optional('segment', r.string(['topology', 'nodes', i, 'segment'], true)),
      ...optional('address', r.string(['topology', 'nodes', i, 'address'], true)),
      ...optional('podCidr', r.string(['topology', 'nodes', i, 'podCidr'], true)),
    };
  });
  const names = nodes.map((n) => n.name);
  const segments = Array.from({ length: r.length(['topology', 'segments']) }, (_, i) => {
    r.keys(['topology', 'segments', i], ['name', 'subnet', 'gateway']);
    return { name: r.string(['topology', 'segments', i, 'name']), subnet: cidr(r, ['topology', 'segments', i, 'subnet']), ...optional('gateway', r.string(['topology', 'segments', i, 'gateway'], true)) };
  });
  nodes.forEach((node, i) => {
    if (node.segment && !segments.some((s) => s.name === node.segment)) r.fail(['topology', 'nodes', i, 'segment'], `unknown segment '${node.segment}'`);
  });
  // The cable of every node: the underlay's MTU, latency, loss, and whether it carries IPv4 fragments.
  r.keys(['topology', 'links'], ['mtu', 'latencyMs', 'lossProbability', 'dropFragments']);
  const links = {
    ...optional('mtu', r.number(['topology', 'links', 'mtu'])),
    ...optional('latencyMs', r.number(['topology', 'links', 'latencyMs'])),
    ...optional('lossProbability', r.number(['topology', 'links', 'lossProbability'])),
    ...optional('dropFragments', r.boolean(['topology', 'links', 'dropFragments'])),
  };

  const { intro, sections } = splitSections(split.body, split.bodyLine);
  const stepCount = r.length(['steps'], false);
  if (stepCount === 0) r.fail(['steps'], 'a lab needs at least one step');
  if (sections.length !== stepCount) {
    r.fail(['steps'], `the front matter has ${stepCount} step(s) but the lesson has ${sections.length} '## ' section(s); write one section per step, in order`);
  }
  const seen = new Set<string>();
  const steps: Step[] = Array.from({ length: stepCount }, (_, i) => {
    const path = ['steps', i];
    r.keys(path, ['id', 'checks', 'hints', 'solution']);
    const stepId = r.string([...path, 'id']);
    if (seen.has(stepId)) r.fail([...path, 'id'], `step id '${stepId}' is used twice`);
    seen.add(stepId);
    const checkCount = r.length([...path, 'checks'], false);
    if (checkCount === 0) r.fail([...path, 'checks'], `step '${stepId}' has no checks`);
    const checks = Array.from({ length: checkCount }, (_, c) => parseCheck(r, [...path, 'checks', c], names));
    checks.forEach((check, c) => { if (!check.name) check.name = `check ${c + 1} (${check.kind})`; });
    return {
      id: stepId, title: sections[i]!.title, text: sections[i]!.text, checks,
      hints: r.strings([...path, 'hints']), solution: r.commands([...path, 'solution'], names),
    };
  });

  const lab: Lab = {
    id, title: r.string(['title']), summary: r.string(['summary']), level: level as Lab['level'], minutes: Number(minutes),
    topology: { nodes, ...(segments.length ? { segments } : {}), ...(Object.keys(links).length ? { links } : {}) },
    setup: r.commands(['setup'], names), intro, steps, locales: {}, source: file,
  };
  for (const [locale, { file: localeFile, text: localeText }] of Object.entries(locales)) lab.locales[locale] = parseLocale(lab, localeFile, localeText);
  return lab;
}

function optional<T>(key: string, value: T | undefined): Record<string, T> {
  return value === undefined ? {} : { [key]: value };
}

/** A translation: front matter with title and summary, then the same sections as the English lesson. */
function parseLocale(lab: Lab, file: string, text: string): Lab['locales'][string] {
  const split = splitFrontMatter(file, text);
  const r = parseYaml(file, split);
  r.keys([], ['title', 'summary', 'hints']);
  const { intro, sections } = splitSections(split.body, split.bodyLine);
  if (sections.length !== lab.steps.length) {
    throw new LabError(file, split.bodyLine, `the translation has ${sections.length} step section(s); the English lesson has ${lab.steps.length}`);
  }
  r.keys(['hints'], lab.steps.map((s) => s.id));
  const steps = Object.fromEntries(lab.steps.map((step, i) => [step.id, { title: sections[i]!.title, text: sections[i]!.text, hints: r.strings(['hints', step.id]) }]));
  return { title: r.string(['title']), summary: r.string(['summary']), intro, steps };
}
