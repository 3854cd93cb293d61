// Lab variables: the domains a lab file declares, the value a seed picks from each, and
// `{{name}}` placeholders filled in. Pure and synchronous (no node:crypto, no SubtleCrypto),
// so the page, the CLI and the class server pick the same values for the same seed.
// Errors are VariableProblems; the lab parser adds the file and line.
import { cidrContains, formatIpv4, parseCidr, prefixMask, tryParseCidr, tryParseIpv4, type Cidr } from '../net/addr.js';

/** What a lab file may declare, read by the schema (schema.ts). */
export type VariableDomain =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'port'; min: number; max: number }
  | { kind: 'choice'; options: string[] }
  /** A subnet pattern like 10.{16..250}.0.0/16: each {a..b} octet is picked, the rest is fixed. */
  | { kind: 'subnet'; pattern: string }
  /** A host address inside a CIDR (not its network or broadcast address). */
  | { kind: 'ipv4-in'; cidr: string }
  /** Derived from variables declared before it, e.g. "{{podCidr|host:1}}". */
  | { kind: 'derived'; template: string };

export interface Variable {
  name: string;
  domain: VariableDomain;
  /** The value without a seed; a derived variable's is computed. */
  default?: string;
}

export class VariableProblem extends Error {
  /** `at`: the index in the text the problem is at, when it is in a text. */
  constructor(message: string, readonly at?: number) {
    super(message);
    this.name = 'VariableProblem';
  }
}

export const VARIABLE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

// ------------------------------------------------------------------- hashing

/** xmur3: a 32-bit string hash, to seed the generator. */
function xmur3(text: string): number {
  let h = 1779033703 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  h = Math.imul(h ^ (h >>> 16), 2246822507);
  h = Math.imul(h ^ (h >>> 13), 3266489909);
  return (h ^= h >>> 16) >>> 0;
}

/** mulberry32: a small deterministic generator of numbers in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The random numbers for one variable of one seed: the same on every host. */
function randomFor(seed: string, name: string): () => number {
  return mulberry32(xmur3(`${seed}\u0000${name}`));
}

// ------------------------------------------------------------------- domains

interface Octet { min: number; max: number }
interface SubnetPattern { octets: Octet[]; prefixLength: number }

/** "10.{16..250}.0.0/16" → its octets' ranges; throws a VariableProblem for a pattern that is not one. */
function parseSubnetPattern(pattern: string): SubnetPattern {
  const bad = (why: string) => new VariableProblem(`'${pattern}' is not a subnet pattern like 10.{16..250}.0.0/16: ${why}`);
  const [address, prefix, ...rest] = pattern.split('/');
  if (rest.length || prefix === undefined || !/^\d{1,2}$/.test(prefix) || Number(prefix) > 32) throw bad('it needs a prefix length, /0 to /32');
  const prefixLength = Number(prefix);
  const octet = String.raw`(\d{1,3}|\{\d{1,3}\.\.\d{1,3}\})`;
  const parts = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}$`).exec(address!)?.slice(1);
  if (!parts) throw bad('it needs four octets, each a number or a range {a..b}');
  const octets = parts.map((part, index): Octet => {
    const range = /^\{(\d{1,3})\.\.(\d{1,3})\}$/.exec(part);
    const [min, max] = range ? [Number(range[1]), Number(range[2])] : /^\d{1,3}$/.test(part) ? [Number(part), Number(part)] : [NaN, NaN];
    if (!(min <= max && max <= 255)) throw bad(`octet ${index + 1} must be a number or a range {a..b} within 0..255`);
    if (range && (index + 1) * 8 > prefixLength) throw bad(`octet ${index + 1} is not inside the /${prefixLength} prefix, so it cannot vary`);
    return { min, max };
  });
  const low = octets.reduce((value, o) => value * 256 + o.min, 0);
  if (((low & ~prefixMask(prefixLength)) >>> 0) !== 0) throw bad(`its host bits (after /${prefixLength}) must be 0`);
  return { octets, prefixLength };
}

function hostRange(cidrText: string): { first: number; count: number } {
  const cidr = tryParseCidr(cidrText);
  if (!cidr || ((cidr.address & ~prefixMask(cidr.prefixLength)) >>> 0) !== 0) throw new VariableProblem(`'${cidrText}' is not a network like 10.96.0.0/16`);
  if (cidr.prefixLength > 30) throw new VariableProblem(`'${cidrText}' has no room for host addresses: use /30 or shorter`);
  const size = 2 ** (32 - cidr.prefixLength);
  return { first: cidr.address + 1, count: size - 2 };
}

/** How many values a domain has. */
function domainSize(domain: VariableDomain): number {
  switch (domain.kind) {
    case 'int': case 'port': return domain.max - domain.min + 1;
    case 'choice': return domain.options.length;
    case 'subnet': return parseSubnetPattern(domain.pattern).octets.reduce((n, o) => n * (o.max - o.min + 1), 1);
    case 'ipv4-in': return hostRange(domain.cidr).count;
    case 'derived': return 1;
  }
}

/** A value of the domain, picked with `random`. */
function pick(domain: VariableDomain, random: () => number): string {
  const below = (n: number) => Math.floor(random() * n);
  switch (domain.kind) {
    case 'int': case 'port': return String(domain.min + below(domain.max - domain.min + 1));
    case 'choice': return domain.options[below(domain.options.length)]!;
    case 'subnet': {
      const { octets, prefixLength } = parseSubnetPattern(domain.pattern);
      return `${octets.map((o) => o.min + below(o.max - o.min + 1)).join('.')}/${prefixLength}`;
    }
    case 'ipv4-in': {
      const { first, count } = hostRange(domain.cidr);
      return formatIpv4(first + below(count));
    }
    case 'derived': throw new Error('a derived variable is computed, not picked');
  }
}

/** Why `value` is not in the domain, or undefined when it is. */
export function outsideDomain(domain: VariableDomain, value: string): string | undefined {
  switch (domain.kind) {
    case 'int': case 'port': {
      const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
      return n >= domain.min && n <= domain.max ? undefined : `'${value}' is not a whole number from ${domain.min} to ${domain.max}`;
    }
    case 'choice': return domain.options.includes(value) ? undefined : `'${value}' is not one of: ${domain.options.join(', ')}`;
    case 'subnet': {
      const { octets, prefixLength } = parseSubnetPattern(domain.pattern);
      const cidr = tryParseCidr(value);
      const fits = cidr?.prefixLength === prefixLength && octets.every((o, i) => {
        const octet = (cidr.address >>> (24 - 8 * i)) & 255;
        return octet >= o.min && octet <= o.max;
      });
      return fits ? undefined : `'${value}' does not fit the pattern ${domain.pattern}`;
    }
    case 'ipv4-in': {
      const address = tryParseIpv4(value);
      const { first, count } = hostRange(domain.cidr);
      return address !== undefined && address >= first && address < first + count ? undefined : `'${value}' is not a host address in ${domain.cidr}`;
    }
    case 'derived': return undefined;
  }
}

/** Check a domain's own text (a subnet pattern, a CIDR, a range); throws a VariableProblem. */
export function checkDomain(domain: VariableDomain): void {
  if ((domain.kind === 'int' || domain.kind === 'port') && domain.min > domain.max) throw new VariableProblem(`the range [${domain.min}, ${domain.max}] is empty: give [lowest, highest]`);
  domainSize(domain);
}

// ------------------------------------------------------------------- distinct values

/** The addresses a network value covers, to keep two variables' networks apart. */
function rangeOf(domain: VariableDomain, value: string): Cidr | undefined {
  if (domain.kind === 'subnet') return parseCidr(value);
  if (domain.kind === 'ipv4-in') return { address: tryParseIpv4(value)!, prefixLength: 32 };
  return undefined;
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return a.prefixLength <= b.prefixLength ? cidrContains(a, b.address) : cidrContains(b, a.address);
}

/**
 * Why two variables' values collide, or undefined. Networks (subnets and addresses) must
 * not overlap; numbers of one kind (two ints, two ports) must differ. Choices may repeat.
 */
function collision(a: { domain: VariableDomain; value: string }, b: { domain: VariableDomain; value: string }): boolean {
  const ra = rangeOf(a.domain, a.value);
  const rb = rangeOf(b.domain, b.value);
  if (ra && rb) return overlaps(ra, rb);
  return (a.domain.kind === 'int' || a.domain.kind === 'port') && a.domain.kind === b.domain.kind && a.value === b.value;
}

// ------------------------------------------------------------------- values

/** How many draws a variable gets to find a value that collides with nothing before giving up. */
const DRAWS = 1000;

/**
 * Every variable's value: its default without a seed; with one, a value picked from the seed
 * and the variable's name, never the default (the lab file is public, so its defaults are
 * everyone's) and colliding with no variable before it. Derived variables are filled in last
 * in declaration order, from the ones before them. Throws a VariableProblem naming the variable.
 */
export function valuesOf(variables: readonly Variable[], seed?: string): Record<string, string> {
  const values: Record<string, string> = {};
  const chosen: { name: string; domain: VariableDomain; value: string }[] = [];
  for (const variable of variables) {
    const { name, domain } = variable;
    if (domain.kind === 'derived') {
      // Only the variables above it are known yet: the file's order is the order values are made in.
      try {
        values[name] = fillTemplate(domain.template, values);
      } catch (error) {
        if (error instanceof VariableProblem) throw new VariableProblem(`variable '${name}': ${error.message}`);
        throw error;
      }
      continue;
    }
    let value = variable.default!;
    if (seed !== undefined && domainSize(domain) > 1) {
      const random = randomFor(seed, name);
      let found: string | undefined;
      for (let draw = 0; draw < DRAWS && found === undefined; draw++) {
        const candidate = pick(domain, random);
        if (candidate !== variable.default && !chosen.some((other) => collision(other, { domain, value: candidate }))) found = candidate;
      }
      if (found === undefined) throw new VariableProblem(`variable '${name}': no value of its domain stays apart from ${chosen.map((c) => `'${c.name}'`).join(', ') || 'its default'}; widen its domain`);
      value = found;
    }
    const clash = chosen.find((other) => collision(other, { domain, value }));
    if (clash) throw new VariableProblem(`variable '${name}': its default ${value} collides with '${clash.name}' (${clash.value}); values of two variables must not overlap`);
    chosen.push({ name, domain, value });
    values[name] = value;
  }
  return values;
}

// ------------------------------------------------------------------- placeholders

/**
 * `{{name}}` or `{{name|filter:arg|...}}`. Anything else in double braces, such as a Go
 * template's `{{.Pid}}` or `{{ range .Items }}` in a lesson, is left as written.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*(?:\s*\|[^{}]*?)?)\s*\}\}/g;

/** What a placeholder can do to a value. Small on purpose; README "Variables" lists them. */
const FILTERS: Record<string, { args: number; apply(value: string, args: number[]): string; usage: string }> = {
  // The Nth address of a network: {{podCidr|host:1}} is its gateway.
  host: {
    args: 1, usage: 'host:N, the Nth address of a subnet',
    apply(value, [n]) {
      const cidr = subnetValue(value, 'host');
      const size = 2 ** (32 - cidr.prefixLength);
      if (n! < 0 || n! >= size) throw new VariableProblem(`host:${n} is outside ${value}, which has ${size} addresses`);
      return formatIpv4(cidr.address + n!);
    },
  },
  // The Nth subnet of a prefix length inside a network: {{clusterCidr|subnet:24:1}}.
  subnet: {
    args: 2, usage: 'subnet:LENGTH:N, the Nth /LENGTH subnet inside a subnet',
    apply(value, [length, n]) {
      const cidr = subnetValue(value, 'subnet');
      if (length! < cidr.prefixLength || length! > 32) throw new VariableProblem(`subnet:${length}:${n}: a /${length} does not fit inside ${value}`);
      const count = 2 ** (length! - cidr.prefixLength);
      if (n! < 0 || n! >= count) throw new VariableProblem(`subnet:${length}:${n}: ${value} has ${count} subnets of /${length}, numbered 0 to ${count - 1}`);
      return `${formatIpv4(cidr.address + n! * 2 ** (32 - length!))}/${length}`;
    },
  },
  // The prefix length alone: {{podCidr|prefix}} → 24.
  prefix: { args: 0, usage: 'prefix, the prefix length of a subnet', apply: (value) => String(subnetValue(value, 'prefix').prefixLength) },
  // The value escaped for a regular expression in a check: {{serviceIp|re}} → 10\.96\.0\.7.
  re: { args: 0, usage: 're, escaped for a regular expression', apply: (value) => value.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&') },
  // An IPv4 address as its four bytes in decimal, as bpftool takes a map key: {{serviceIp|bytes}} → 10 96 0 100.
  bytes: {
    args: 0, usage: 'bytes, an IPv4 address as four decimal bytes',
    apply(value) {
      const address = tryParseIpv4(value);
      if (address === undefined) throw new VariableProblem(`the filter bytes needs an IPv4 address like 10.96.0.100, not '${value}'`);
      return formatIpv4(address).replaceAll('.', ' ');
    },
  },
};

function subnetValue(value: string, filter: string): Cidr {
  const cidr = tryParseCidr(value);
  if (!cidr) throw new VariableProblem(`the filter ${filter} needs a subnet like 10.244.1.0/24, not '${value}'`);
  return { address: (cidr.address & prefixMask(cidr.prefixLength)) >>> 0, prefixLength: cidr.prefixLength };
}

/** One placeholder's value. */
function resolve(expression: string, values: Readonly<Record<string, string>>): string {
  const [name, ...filters] = expression.split('|').map((part) => part.trim());
  if (!(name! in values)) {
    const known = Object.keys(values);
    throw new VariableProblem(`unknown variable '${name}' in {{${expression}}} (${known.length ? `the lab declares: ${known.join(', ')}` : 'the lab declares no variables'})`);
  }
  return filters.reduce((value, filter) => {
    const [filterName, ...rawArgs] = filter.split(':');
    const known = FILTERS[filterName!];
    if (!known) throw new VariableProblem(`unknown filter '${filterName}' in {{${expression}}} (there are: ${Object.values(FILTERS).map((f) => f.usage).join('; ')})`);
    const args = rawArgs.map(Number);
    if (args.length !== known.args || args.some((a) => !Number.isInteger(a))) throw new VariableProblem(`'${filter}' in {{${expression}}}: write ${known.usage}`);
    return known.apply(value, args);
  }, values[name!]!);
}

/** The text with every placeholder filled in. A problem carries the index of its placeholder in the text. */
export function fillTemplate(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (_whole, expression: string, offset: number) => {
    try {
      return resolve(expression, values);
    } catch (error) {
      if (error instanceof VariableProblem) throw new VariableProblem(error.message, offset);
      throw error;
    }
  });
}

/** The variable a text is nothing but, e.g. "{{vni}}", so that it can stand for a number. */
export function onlyPlaceholder(text: string): string | undefined {
  const match = /^\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}$/.exec(text);
  return match?.[1];
}
