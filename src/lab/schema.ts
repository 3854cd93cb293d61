// The lab format: every field of a lab file's front matter, as one valibot schema.
// parse.ts reads lab files with it; json-schema.ts exports it for authors' editors.
// Limits keep a lab within what a browser tab can run.
import * as v from 'valibot';
import { checkSchema, type ReadCheck } from '../checks/registry.js';
import { tryParseIpv4 } from '../net/addr.js';
import { boolean, cidr, count, fields, number, oneOf, text, word } from '../checks/fields.js';

/** Every node is a whole Linux machine in its own worker; more than this does not fit a laptop's browser. */
const MAX_NODES = 8;
const MAX_SEGMENTS = 8;
/** A lab file is Markdown and YAML: far below this. A larger one is a mistake or an attack. */
export const MAX_LAB_BYTES = 256 * 1024;

const LEVELS = ['beginner', 'intermediate', 'advanced'] as const;

const ID = /^[a-z0-9][a-z0-9-]*$/;
const NODE_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

const named = (pattern: RegExp, what: string) =>
  v.pipe(v.string('must be text'), v.regex(pattern, (issue) => `'${String(issue.input)}' must be ${what}`));

/** Commands per node: node name → a shell script. */
const commands = () => v.record(v.string(), text(), 'must be a mapping of node names to commands');

const node = fields({
  name: v.pipe(named(NODE_NAME, 'lower-case letters, digits and dashes, starting with a letter'), v.description('The node\'s host name, e.g. node1.')),
  segment: v.optional(word()),
  address: v.optional(v.pipe(cidr(), v.description('The underlay address with prefix; by default .11, .12, ... of the segment.'))),
  podCidr: v.optional(v.pipe(cidr(), v.description('The pod CIDR the node hands out; by default 10.244.<n>.0/24.'))),
});

const segment = fields({
  name: named(NODE_NAME, 'lower-case letters, digits and dashes, starting with a letter'),
  subnet: cidr(),
  gateway: v.optional(v.pipe(named(IPV4, 'an IPv4 address like 10.0.1.1'), v.check((text) => tryParseIpv4(text) !== undefined, (issue) => `'${String(issue.input)}' must be an IPv4 address like 10.0.1.1`))),
});

const links = fields({
  mtu: v.optional(count(68, 65535)),
  latencyMs: v.optional(v.pipe(number(), v.minValue(0, 'must be at least 0'), v.maxValue(10_000, 'must be at most 10000'))),
  lossProbability: v.optional(v.pipe(number(), v.minValue(0, 'must be between 0 and 1'), v.maxValue(1, 'must be between 0 and 1'))),
  dropFragments: v.optional(boolean()),
});

const topology = fields({
  nodes: v.pipe(
    v.array(node, 'must be a list of nodes'),
    v.minLength(1, 'a lab needs at least one node'),
    v.maxLength(MAX_NODES, `a lab has at most ${MAX_NODES} nodes: each one is a whole Linux machine running in the browser`),
  ),
  segments: v.optional(v.pipe(v.array(segment, 'must be a list of segments'), v.maxLength(MAX_SEGMENTS, `a lab has at most ${MAX_SEGMENTS} segments`))),
  links: v.optional(v.pipe(links, v.description('The cable of every node: the underlay\'s MTU, latency, loss, and whether it carries IPv4 fragments.'))),
});

const step = (check: v.GenericSchema<unknown, ReadCheck>) => fields({
  id: named(ID, 'lower-case letters, digits and dashes'),
  checks: v.pipe(v.array(check, 'must be a list of checks'), v.minLength(1, 'a step needs at least one check')),
  hints: v.optional(v.array(text(), 'must be a list of hints')),
  solution: v.optional(v.pipe(commands(), v.description('The reference solution per node, run by the solution bots.'))),
});

/** The front matter of a lab's English file, with the given schema for one check. */
export function labSchema(check: v.GenericSchema<unknown, ReadCheck>) {
  return fields({
    id: named(ID, 'lower-case letters, digits and dashes'),
    title: word(),
    summary: word(),
    level: oneOf(LEVELS),
    time: v.pipe(text(), v.regex(/^\d+\s*min/, (issue) => `'${String(issue.input)}' must look like '20 min'`)),
    topology,
    setup: v.optional(v.pipe(commands(), v.description('Commands per node run before the first step; they may leave a node broken on purpose.'))),
    steps: v.pipe(v.array(step(check), 'must be a list of steps'), v.minLength(1, 'a lab needs at least one step')),
  });
}

/** The schema lab files are read with: each check is read by the kind its key names. */
export const labFrontMatter = labSchema(checkSchema());

/** A translation's front matter: title, summary, and hints per step id. */
export const localeFrontMatter = fields({
  title: word(),
  summary: word(),
  hints: v.optional(v.record(v.string(), v.array(text(), 'must be a list of hints'), 'must be a mapping of step ids to hints')),
});
