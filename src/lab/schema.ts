// The lab format: every field of a lab file's front matter, as one valibot schema.
// parse.ts reads lab files with it; json-schema.ts exports it for authors' editors.
// Limits keep a lab within what a browser tab can run.
import * as v from 'valibot';
import { checkSchema, type ReadCheck } from '../checks/registry.js';
import { tryParseIpv4 } from '../net/addr.js';
import { boolean, cidr, count, fields, number, oneOf, text, word } from '../checks/fields.js';
import { VARIABLE_NAME, type Variable, type VariableDomain } from './template.js';
import { DEFAULT_NODE_MEMORY_MB, NODE_MEMORY_SIZES } from '../topology/topology.js';

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
  memoryMb: v.optional(v.pipe(
    v.picklist(NODE_MEMORY_SIZES, `must be one of: ${NODE_MEMORY_SIZES.join(', ')} (MB)`),
    v.description(`Every node's memory in MB: ${DEFAULT_NODE_MEMORY_MB} by default. Ask for more only when a node needs it (the real kubectl in /run takes 40 MB): each size is a snapshot of its own, downloaded once, and a browser tab holds every node's memory.`),
  )),
});

/** A lab with the Kubernetes control plane: the objects it starts with, as YAML manifests (data, applied by the API server). */
const kubernetes = fields({
  fromStep: v.optional(v.pipe(named(ID, 'a step id: lower-case letters, digits and dashes'), v.description('The step at which the control plane starts (its id); from the first step by default. The steps before it run on the nodes alone, as any lab, so the lab opens as fast as one without Kubernetes.'))),
  dns: v.optional(v.pipe(v.boolean('must be true or false'), v.description('The cluster DNS: a coredns pod (dnsmasq, as lab 13 runs it) in kube-system, labelled k8s-app: kube-dns, behind the kube-dns Service at 10.96.0.10; every pod gets the resolv.conf the kubelet writes.'))),
  manifests: v.optional(v.pipe(v.string('must be YAML manifests, one document per object, separated by ---'), v.description('The objects the lab starts with, applied after the setup as `kubectl apply -f` would (Deployment, Service, ...).'))),
  nodes: v.optional(v.pipe(
    v.array(named(NODE_NAME, 'lower-case letters, digits and dashes, starting with a letter'), 'must be a list of node names'),
    v.minLength(1, 'the cluster needs at least one node'),
    v.description('The nodes that join the cluster (a Node object, the kubelet, kube-proxy and kubectl); every node of the topology by default. The others stay outside it, as a client machine or a router.'),
  )),
});

const step = (check: v.GenericSchema<unknown, ReadCheck>) => fields({
  id: named(ID, 'lower-case letters, digits and dashes'),
  checks: v.pipe(v.array(check, 'must be a list of checks'), v.minLength(1, 'a step needs at least one check')),
  hints: v.optional(v.array(text(), 'must be a list of hints')),
  solution: v.optional(v.pipe(commands(), v.description('The reference solution per node, run by the solution bots. A step that only follows packets (path checks) through what the steps before it built leaves it out.'))),
});

const MAX_VARIABLES = 32;
const ipv4 = () => v.pipe(named(IPV4, 'an IPv4 address like 10.96.0.10'), v.check((text) => tryParseIpv4(text) !== undefined, (issue) => `'${String(issue.input)}' must be an IPv4 address like 10.96.0.10`));
const range = (min: number, max: number) => v.pipe(
  v.tuple([count(min, max), count(min, max)], 'must be [lowest, highest]'),
  v.check(([low, high]) => low <= high, 'must be [lowest, highest], the lowest first'),
);

/** Each kind of variable by the key that names its domain: `{int: [1, 10], default: 5}`. */
const VARIABLE_KINDS = {
  int: fields({
    int: v.pipe(range(-1_000_000_000, 1_000_000_000), v.description('A whole number from lowest to highest, e.g. a VNI: [2, 4000].')),
    default: count(-1_000_000_000, 1_000_000_000),
  }),
  port: fields({
    port: v.pipe(range(1, 65535), v.description('A TCP/UDP port from lowest to highest, e.g. a NodePort: [30000, 32767].')),
    default: count(1, 65535),
  }),
  choice: fields({
    choice: v.pipe(v.array(text(), 'must be a list of values'), v.minLength(2, 'must list at least two values'), v.description('One of these values.')),
    default: text(),
  }),
  subnet: fields({
    subnet: v.pipe(v.string('must be a subnet pattern like "10.{16..250}.0.0/16"'), v.description('A subnet: fixed octets and {a..b} ranges inside the prefix, e.g. "10.244.{1..254}.0/24".')),
    default: cidr(),
  }),
  'ipv4-in': fields({
    'ipv4-in': v.pipe(cidr(), v.description('A host address inside this network, e.g. a Service IP in 10.96.0.0/16.')),
    default: ipv4(),
  }),
} as const;

type VariableKind = keyof typeof VARIABLE_KINDS;
const derived = () => v.pipe(v.string(), v.description('A value derived from variables declared before it, e.g. "{{podCidr|host:1}}".'));

function toVariable(name: string, input: unknown): Variable {
  if (typeof input === 'string') return { name, domain: { kind: 'derived', template: input } };
  const declared = input as Record<string, unknown> & { default: string | number };
  const kind = Object.keys(declared).find((key) => key in VARIABLE_KINDS) as VariableKind;
  const value = declared[kind];
  const domain: VariableDomain = kind === 'int' || kind === 'port'
    ? { kind, min: (value as number[])[0]!, max: (value as number[])[1]! }
    : kind === 'choice' ? { kind, options: value as string[] }
    : kind === 'subnet' ? { kind, pattern: value as string }
    : { kind, cidr: value as string };
  return { name, domain, default: String(declared.default) };
}

/** For reading a lab: a variable's kind is told by its key, so a mistake is reported against that kind's own fields. */
const variableSchema = v.lazy((input) => {
  if (typeof input === 'string') return derived();
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return v.custom(() => false, 'must be a domain with a default, like {int: [2, 4000], default: 42}, or a text derived from other variables, like "{{podCidr|host:1}}"');
  }
  const present = Object.keys(input).filter((key) => key in VARIABLE_KINDS);
  if (present.length === 1) return VARIABLE_KINDS[present[0] as VariableKind];
  const kinds = Object.keys(VARIABLE_KINDS).join(', ');
  return v.custom(() => false, present.length > 1 ? `a variable has one domain, this one has ${present.join(' and ')}` : `a variable needs a domain, one of: ${kinds}`);
});

/** The variables a lab declares, in order: name → domain with a default, or a derived text. */
function variablesSchema(variable: v.GenericSchema) {
  return v.pipe(
    v.record(v.pipe(v.string(), v.regex(VARIABLE_NAME, (issue) => `'${String(issue.input)}' must be a variable name: letters, digits and _, starting with a letter`)), variable, 'must be a mapping of variable names to their domains'),
    v.check((record) => Object.keys(record).length <= MAX_VARIABLES, `a lab has at most ${MAX_VARIABLES} variables`),
    v.description('Values that differ per student: {{name}} in any text of the lab is replaced by the value. See "Variables" in the README.'),
  );
}

/** The variables section as the parser reads it first, before the rest of the front matter (which may use them). */
export const labVariables = v.pipe(
  v.looseObject({ variables: v.optional(variablesSchema(variableSchema)) }),
  v.transform(({ variables }): Variable[] => Object.entries(variables ?? {}).map(([name, input]) => toVariable(name, input))),
);

/** The front matter of a lab's English file, with the given schema for one check. */
export function labSchema(check: v.GenericSchema<unknown, ReadCheck>, variable: v.GenericSchema = variableSchema) {
  return fields({
    id: named(ID, 'lower-case letters, digits and dashes'),
    title: word(),
    summary: word(),
    level: oneOf(LEVELS),
    time: v.pipe(text(), v.regex(/^\d+\s*min/, (issue) => `'${String(issue.input)}' must look like '20 min'`)),
    variables: v.optional(variablesSchema(variable)),
    topology,
    setup: v.optional(v.pipe(commands(), v.description('Commands per node run before the first step; they may leave a node broken on purpose.'))),
    kubernetes: v.optional(v.pipe(kubernetes, v.description('The lab runs with the Kubernetes control plane (src/kube): the API server, the controllers, kube-proxy and kubectl in every node, started after the setup with these objects.'))),
    steps: v.pipe(v.array(step(check), 'must be a list of steps'), v.minLength(1, 'a lab needs at least one step')),
  });
}

/** For editors (the JSON Schema): a variable is any one of the kinds. */
export const variableUnionSchema = () => v.union([derived(), ...Object.values(VARIABLE_KINDS)]);

/** The schema lab files are read with: each check is read by the kind its key names. */
export const labFrontMatter = labSchema(checkSchema());

/** A translation's front matter: title, summary, and hints per step id. */
export const localeFrontMatter = fields({
  title: word(),
  summary: word(),
  hints: v.optional(v.record(v.string(), v.array(text(), 'must be a list of hints'), 'must be a mapping of step ids to hints')),
});
