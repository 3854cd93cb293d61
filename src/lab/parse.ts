// Reading a lab file: Markdown with YAML front matter. The front matter is checked
// against the lab format's schema (schema.ts), then for what a schema cannot say
// (every node a check names exists, step ids are unique...). Every mistake is
// reported as "file:line: what is wrong", so an instructor can fix a lab without
// reading our code. A lab is data only: nothing in it runs on the page, and its
// commands run only inside the nodes.
import * as v from 'valibot';
import { isMap, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { checkKind, type Check } from '../checks/registry.js';
import { resolveTopology } from '../topology/topology.js';
import { labFrontMatter, localeFrontMatter, MAX_LAB_BYTES } from './schema.js';
import type { Lab, NodeCommands, Step } from './types.js';

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

  /** The first of a schema's complaints in the file's order, in words with the field's name. */
  check<S extends v.GenericSchema>(schema: S): v.InferOutput<S> {
    const result = v.safeParse(schema, this.doc.toJS(), { abortEarly: false });
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

function knownNodes(source: Source, names: string[], commands: NodeCommands | undefined, path: Path): NodeCommands {
  for (const node of Object.keys(commands ?? {})) {
    if (!names.includes(node)) source.fail([...path, node], `unknown node '${node}' (the topology has: ${names.join(', ')})`);
  }
  return commands ?? {};
}

/** Parse a lab's English file. `file` is the name used in messages, e.g. labs/01-netns/lab.md. */
export function parseLab(file: string, text: string, locales: Record<string, { file: string; text: string }> = {}): Lab {
  const split = splitFrontMatter(file, text);
  const source = parseYaml(file, split);
  const front = source.check(labFrontMatter);

  // What the schema cannot say: names that must refer to something, and must not repeat.
  const { nodes, segments, links } = front.topology;
  const names = nodes.map((n) => n.name);
  nodes.forEach((node, i) => {
    if (names.indexOf(node.name) !== i) source.fail(['topology', 'nodes', i, 'name'], `node '${node.name}' is defined twice`);
    if (node.segment !== undefined && !segments?.some((s) => s.name === node.segment)) {
      source.fail(['topology', 'nodes', i, 'segment'], `unknown segment '${node.segment}'${segments?.length ? ` (the topology has: ${segments.map((s) => s.name).join(', ')})` : ' (the topology has no segments)'}`);
    }
  });
  const topology = { nodes, ...(segments?.length ? { segments } : {}), ...(links && Object.keys(links).length ? { links } : {}) };
  try {
    resolveTopology(topology);
  } catch (error) {
    source.fail(['topology'], (error as Error).message);
  }

  const { intro, sections } = splitSections(split.body, split.bodyLine);
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

  const lab: Lab = {
    id: front.id, title: front.title, summary: front.summary, level: front.level, minutes: Number(/^(\d+)/.exec(front.time)![1]),
    topology, setup: knownNodes(source, names, front.setup, ['setup']), intro, steps, locales: {}, source: file,
  };
  for (const [locale, { file: localeFile, text: localeText }] of Object.entries(locales)) lab.locales[locale] = parseLocale(lab, localeFile, localeText);
  return lab;
}

/** A translation: front matter with title and summary, then the same sections as the English lesson. */
function parseLocale(lab: Lab, file: string, text: string): Lab['locales'][string] {
  const split = splitFrontMatter(file, text);
  const source = parseYaml(file, split);
  const front = source.check(localeFrontMatter);
  const { intro, sections } = splitSections(split.body, split.bodyLine);
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
