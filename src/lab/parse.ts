// Reading a lab file: Markdown with YAML front matter. The front matter is checked
// against the lab format's schema (schema.ts), then for what a schema cannot say
// (every node a check names exists, step ids are unique...). Every mistake is
// reported as "file:line: what is wrong", so an instructor can fix a lab without
// reading our code. A lab is data only: nothing in it runs on the page, and its
// commands run only inside the nodes.
import * as v from 'valibot';
import { isMap, isScalar, LineCounter, parseAllDocuments, parseDocument, Scalar, visit, type Document } from 'yaml';
import { checkKind, type Check } from '../checks/registry.js';
import { apiVersionOf, KINDS, manifestKind } from '../kube/resources.js';
import { resolveTopology } from '../topology/topology.js';
import { labFrontMatter, labVariables, localeFrontMatter, MAX_LAB_BYTES } from './schema.js';
import { checkDomain, fillTemplate, onlyPlaceholder, outsideDomain, valuesOf, VariableProblem, type Variable } from './template.js';
import type { KubeManifest, Lab, NodeCommands, Step } from './types.js';

/** The lab id a folder's name gives: labs/NN-<id>, so that a lab can be found without parsing the others. */
export const labIdOfFolder = (folder: string): string => folder.replace(/^\d+-/, '');

export class LabError extends Error {
  constructor(readonly file: string, readonly line: number, readonly problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'LabError';
  }
}

type Path = (string | number)[];

/** The front matter with its source positions at hand, so every complaint has a line. */
class Source {
  constructor(readonly file: string, private readonly doc: Document, private readonly lines: LineCounter, private readonly lineOffset: number) {}

  lineOf(path: Path): number {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      const offset = node && typeof node === 'object' && 'range' in node ? node.range?.[0] : undefined;
      if (offset !== undefined) return this.lines.linePos(offset).line + this.lineOffset;
    }
    return this.lineOffset + 1;
  }

  fail(path: Path, problem: string): never {
    throw new LabError(this.file, this.lineOf(path), problem);
  }

  /** The line of character `index` of the text at `path`: inside a block scalar (`|`), the line it is on. */
  lineOfText(path: Path, index: number): number {
    const node = this.doc.getIn(path, true);
    const block = isScalar(node) && (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED);
    const before = typeof (node as Scalar | undefined)?.value === 'string' ? ((node as Scalar).value as string).slice(0, index).split('\n').length - 1 : 0;
    return this.lineOf(path) + (block ? 1 : 0) + before;
  }

  /** The front matter as data, with every `{{name}}` in its texts filled in (the variables section itself aside). */
  data(values: Readonly<Record<string, string>>, variables: readonly Variable[]): unknown {
    const numeric = new Set(variables.filter((v) => v.domain.kind === 'int' || v.domain.kind === 'port').map((v) => v.name));
    const fill = (value: unknown, path: Path): unknown => {
      if (typeof value === 'string') {
        // A text that is only a number variable ("{{vni}}") stands for the number, so number fields take it.
        const only = onlyPlaceholder(value);
        if (only !== undefined && numeric.has(only) && only in values) return Number(values[only]);
        try {
          return fillTemplate(value, values);
        } catch (error) {
          if (error instanceof VariableProblem) throw new LabError(this.file, this.lineOfText(path, error.at ?? 0), error.message);
          throw error;
        }
      }
      if (Array.isArray(value)) return value.map((item, i) => fill(item, [...path, i]));
      if (value && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, path.length === 0 && key === 'variables' ? item : fill(item, [...path, key])]));
      }
      return value;
    };
    return fill(this.doc.toJS(), []);
  }

  /** The first of a schema's complaints in the file's order, in words with the field's name. */
  check<S extends v.GenericSchema>(schema: S, data: unknown = this.doc.toJS()): v.InferOutput<S> {
    const result = v.safeParse(schema, data, { abortEarly: false });
    if (result.success) return result.output;
    const complaints = result.issues.map((issue) => this.complaint(issue));
    const first = complaints.reduce((best, next) => (next.line < best.line ? next : best));
    throw new LabError(this.file, first.line, first.problem);
  }

  private complaint(issue: v.BaseIssue<unknown>): { line: number; problem: string } {
    const path = (issue.path ?? []).map((item) => item.key as string | number);
    const key = path.at(-1);
    const parent = [...path].reverse().find((item) => typeof item === 'string');
    // A required field that is not there: the line of the mapping that lacks it.
    if (issue.received === 'undefined' && typeof key === 'string') return { line: this.lineOf(path.slice(0, -1)), problem: `missing '${key}'` };
    const field = typeof key === 'number' ? `item ${key + 1} of '${parent ?? 'the list'}'` : key === undefined ? 'the front matter' : `'${key}'`;
    let problem = /^(must|is) /.test(issue.message) ? `${field} ${issue.message}` : issue.message;
    if (issue.type === 'picklist') problem += ` (not ${issue.received})`;
    return { line: this.lineOf(path), problem };
  }
}

interface Split { frontMatter: string; frontLine: number; body: string; bodyLine: number }

function splitFrontMatter(file: string, text: string): Split {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_LAB_BYTES) throw new LabError(file, 1, `the file is ${Math.ceil(bytes / 1024)} KiB; a lab file may be at most ${MAX_LAB_BYTES / 1024} KiB`);
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[0]?.trim() !== '---') throw new LabError(file, 1, "a lab starts with '---' and YAML front matter");
  const end = lines.indexOf('---', 1);
  if (end < 0) throw new LabError(file, 1, "the front matter is not closed by a '---' line");
  return { frontMatter: lines.slice(1, end).join('\n'), frontLine: 2, body: lines.slice(end + 1).join('\n'), bodyLine: end + 2 };
}

/**
 * Where a YAML error really is. An unclosed [, { or quote is only noticed lines later, where
 * the parser gives up; the author's mistake is at the bracket or quote that was never closed.
 */
function errorOffset(text: string, reported: number): number {
  const open: number[] = [];
  let quote: { char: string; at: number } | undefined;
  for (let i = 0; i < reported && i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote.char === '"') i++;
      else if (c === quote.char) quote = undefined;
    } else if (c === '"' || c === "'") {
      // A quote starts a string only where YAML would start one: not inside a plain word like don't.
      if (i === 0 || /[\s,[{:]/.test(text[i - 1]!)) quote = { char: c, at: i };
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < reported && text[i] !== '\n') i++;
    } else if (c === '[' || c === '{') {
      open.push(i);
    } else if ((c === ']' || c === '}') && open.length) {
      open.pop();
    } else if (c === '\n' && open.length && !/^[ \t]/.test(text.slice(i + 1, i + 2))) {
      // A line back at column 0 ends any flow collection a correct file could still be in.
      return open[0]!;
    }
  }
  return quote?.at ?? open[0] ?? reported;
}

function parseYaml(file: string, split: Split): Source {
  const lines = new LineCounter();
  const doc = parseDocument(split.frontMatter, { lineCounter: lines, prettyErrors: false });
  const lineOffset = split.frontLine - 1;
  const error = doc.errors[0];
  if (error) {
    const message = error.message.split('\n')[0]!;
    const offset = /flow (sequence|map|mapping|collection)|closing .?quote/i.test(message) ? errorOffset(split.frontMatter, error.pos[0]) : error.pos[0];
    throw new LabError(file, lines.linePos(offset).line + lineOffset, `YAML: ${message}`);
  }
  // An alias copies a part of the file elsewhere: confusing in a lab, and a way to blow up its size.
  visit(doc, {
    Alias(_, alias) {
      const at = alias.range?.[0] ?? 0;
      throw new LabError(file, lines.linePos(at).line + lineOffset, `YAML aliases (*${alias.source}) are not allowed in a lab file: write the value out`);
    },
    // `in: {{podCidr}}` unquoted is a YAML mapping inside a mapping, not a placeholder.
    Pair(_, pair) {
      if (isMap(pair.key)) {
        const at = (pair.key as { range?: [number, number, number] }).range?.[0] ?? 0;
        throw new LabError(file, lines.linePos(at).line + lineOffset, 'YAML reads an unquoted {{...}} as a mapping: put a placeholder in quotes, e.g. "{{podCidr}}"');
      }
    },
  });
  if (!isMap(doc.contents)) {
    throw new LabError(file, split.frontLine, 'the front matter must be a YAML mapping');
  }
  return new Source(file, doc, lines, lineOffset);
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

function knownNames(source: Source, names: string[], list: string[], path: Path): string[] {
  list.forEach((node, i) => {
    if (!names.includes(node)) source.fail([...path, i], `unknown node '${node}' (the topology has: ${names.join(', ')})`);
    if (list.indexOf(node) !== i) source.fail([...path, i], `node '${node}' is named twice`);
  });
  return list;
}

/** A step named by its id, as its index (0-based). */
function knownStep(source: Source, steps: readonly { id: string }[], id: string, path: Path): number {
  const index = steps.findIndex((step) => step.id === id);
  if (index < 0) source.fail(path, `unknown step '${id}' (the lab has: ${steps.map((step) => step.id).join(', ')})`);
  return index;
}

function knownNodes(source: Source, names: string[], commands: NodeCommands | undefined, path: Path): NodeCommands {
  for (const node of Object.keys(commands ?? {})) {
    if (!names.includes(node)) source.fail([...path, node], `unknown node '${node}' (the topology has: ${names.join(', ')})`);
  }
  return commands ?? {};
}

/** The placeholders of a Markdown text filled in; a problem names the line it is on. */
function fillBody(file: string, body: string, bodyLine: number, values: Readonly<Record<string, string>>): string {
  try {
    return fillTemplate(body, values);
  } catch (error) {
    if (error instanceof VariableProblem) throw new LabError(file, bodyLine + body.slice(0, error.at ?? 0).split('\n').length - 1, error.message);
    throw error;
  }
}

/** The declared variables and their values for the seed (the defaults without one), checked. */
function readVariables(source: Source, seed: string | undefined): { variables: Variable[]; values: Record<string, string> } {
  const variables = source.check(labVariables);
  for (const variable of variables) {
    const path = ['variables', variable.name];
    try {
      checkDomain(variable.domain);
    } catch (error) {
      if (error instanceof VariableProblem) source.fail(path, error.message);
      throw error;
    }
    const problem = variable.default === undefined ? undefined : outsideDomain(variable.domain, variable.default);
    if (problem) source.fail([...path, 'default'], `the default ${problem}`);
  }
  try {
    return { variables, values: valuesOf(variables, seed) };
  } catch (error) {
    if (!(error instanceof VariableProblem)) throw error;
    const name = /^variable '([^']+)'/.exec(error.message)?.[1];
    return source.fail(name ? ['variables', name] : ['variables'], error.message);
  }
}

export interface ParseOptions {
  /** Pick the variables' values with this seed (see variables.ts) instead of taking their defaults. */
  seed?: string;
}

/** Parse a lab's English file. `file` is the name used in messages, e.g. labs/01-netns/lab.md. */
export function parseLab(file: string, text: string, locales: Record<string, { file: string; text: string }> = {}, options: ParseOptions = {}): Lab {
  const split = splitFrontMatter(file, text);
  const source = parseYaml(file, split);
  const { variables, values } = readVariables(source, options.seed);
  const front = source.check(labFrontMatter, source.data(values, variables));

  // What the schema cannot say: names that must refer to something, and must not repeat.
  const { nodes, segments, links, memoryMb } = front.topology;
  const names = nodes.map((n) => n.name);
  nodes.forEach((node, i) => {
    if (names.indexOf(node.name) !== i) source.fail(['topology', 'nodes', i, 'name'], `node '${node.name}' is defined twice`);
    if (node.segment !== undefined && !segments?.some((s) => s.name === node.segment)) {
      source.fail(['topology', 'nodes', i, 'segment'], `unknown segment '${node.segment}'${segments?.length ? ` (the topology has: ${segments.map((s) => s.name).join(', ')})` : ' (the topology has no segments)'}`);
    }
  });
  const topology = { nodes, ...(segments?.length ? { segments } : {}), ...(links && Object.keys(links).length ? { links } : {}), ...(memoryMb !== undefined ? { memoryMb } : {}) };
  try {
    resolveTopology(topology);
  } catch (error) {
    source.fail(['topology'], (error as Error).message);
  }

  const { intro, sections } = splitSections(fillBody(file, split.body, split.bodyLine, values), split.bodyLine);
  if (sections.length !== front.steps.length) {
    source.fail(['steps'], `the front matter has ${front.steps.length} step(s) but the lesson has ${sections.length} '## ' section(s); write one section per step, in order`);
  }
  const seen = new Set<string>();
  const steps: Step[] = front.steps.map((step, i) => {
    const path = ['steps', i];
    if (seen.has(step.id)) source.fail([...path, 'id'], `step id '${step.id}' is used twice`);
    seen.add(step.id);
    const checks = step.checks.map((read, c): Check => {
      const checkPath = [...path, 'checks', c];
      const check = { ...read, name: read.name || `check ${c + 1} (${read.kind})`, at: `${file}:${source.lineOf(checkPath)}` } as Check;
      const named = [{ path: ['node'], node: check.node }, ...(checkKind(check.kind)?.nodes?.(check) ?? [])];
      for (const reference of named) {
        if (!names.includes(reference.node)) source.fail([...checkPath, ...reference.path], `unknown node '${reference.node}' (the topology has: ${names.join(', ')})`);
      }
      return check;
    });
    return {
      id: step.id, title: sections[i]!.title, text: sections[i]!.text, checks,
      hints: step.hints ?? [], solution: knownNodes(source, names, step.solution, [...path, 'solution']),
    };
  });

  const kubernetes = front.kubernetes && {
    manifests: readManifests(source, front.kubernetes.manifests ?? ''),
    ...(front.kubernetes.nodes ? { nodes: knownNames(source, names, front.kubernetes.nodes, ['kubernetes', 'nodes']) } : {}),
    ...(front.kubernetes.dns ? { dns: true } : {}),
    ...(front.kubernetes.fromStep ? { fromStep: knownStep(source, steps, front.kubernetes.fromStep, ['kubernetes', 'fromStep']) } : {}),
  };
  const lab: Lab = {
    ...(kubernetes ? { kubernetes } : {}),
    id: front.id, title: front.title, summary: front.summary, level: front.level, minutes: Number(/^(\d+)/.exec(front.time)![1]),
    topology, setup: knownNodes(source, names, front.setup, ['setup']), intro, steps, locales: {}, source: file,
    variables, values, ...(options.seed === undefined ? {} : { seed: options.seed }), files: { text, locales },
  };
  for (const [locale, { file: localeFile, text: localeText }] of Object.entries(locales)) lab.locales[locale] = parseLocale(lab, localeFile, localeText);
  return lab;
}

/** A lab's Kubernetes manifests: YAML documents, each an object with apiVersion, kind and metadata.name. Data only. */
function readManifests(source: { fail(path: (string | number)[], message: string): never }, text: string): KubeManifest[] {
  const path = ['kubernetes', 'manifests'];
  const manifests: KubeManifest[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (!('errors' in doc)) source.fail(path, 'the manifests are not YAML documents');
    if (doc.errors.length) source.fail(path, `document ${i + 1}: ${doc.errors[0]!.message}`);
    const object = doc.toJS() as unknown;
    if (object === null || object === undefined) continue;
    const o = object as Partial<KubeManifest>;
    if (typeof o !== 'object' || Array.isArray(o) || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
      source.fail(path, `document ${i + 1} must be an object with apiVersion, kind and metadata.name`);
    }
    // Refused here, with the file and line, rather than when the lab starts.
    if (!manifestKind(o.apiVersion, o.kind)) {
      const served = [...new Set(KINDS.map((k) => `${k.kind} (${apiVersionOf(k)})`))].join(', ');
      source.fail(path, `document ${i + 1}: no kind ${o.kind} in ${o.apiVersion} is served here (it serves: ${served})`);
    }
    manifests.push(o as KubeManifest);
  }
  return manifests;
}

/** A translation: front matter with title and summary, then the same sections as the English lesson. */
function parseLocale(lab: Lab, file: string, text: string): Lab['locales'][string] {
  const split = splitFrontMatter(file, text);
  const source = parseYaml(file, split);
  const front = source.check(localeFrontMatter, source.data(lab.values, lab.variables));
  const { intro, sections } = splitSections(fillBody(file, split.body, split.bodyLine, lab.values), split.bodyLine);
  if (sections.length !== lab.steps.length) {
    throw new LabError(file, split.bodyLine, `the translation has ${sections.length} step section(s); the English lesson has ${lab.steps.length}`);
  }
  const ids = lab.steps.map((s) => s.id);
  for (const id of Object.keys(front.hints ?? {})) {
    if (!ids.includes(id)) source.fail(['hints', id], `unknown step '${id}' (the lab has: ${ids.join(', ')})`);
  }
  const steps = Object.fromEntries(lab.steps.map((step, i) => [step.id, { title: sections[i]!.title, text: sections[i]!.text, hints: front.hints?.[step.id] ?? [] }]));
  return { title: front.title, summary: front.summary, intro, steps };
}
