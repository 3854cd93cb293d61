import * as v from 'valibot';
import { count, fields, pattern, patterns, word } from './fields.js';
import { explainToolError, nearestOutput, shorten } from './found.js';
import { compact, defineCheckKind } from './kind.js';
import { matches } from './regex.js';

/** A small JSONPath: $.a.b[0].c */
export function jsonPath(value: unknown, path: string): unknown {
  const parts = path.replace(/^\$\.?/, '').match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let current = value;
  for (const part of parts) {
    if (current === null || typeof current !== 'object') return undefined;
    const key = part.startsWith('[') ? Number(part.slice(1, -1)) : part;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

interface Expectation { exitCode?: number; stdout?: string[]; stderr?: string[]; json?: { path: string; equals?: unknown; matches?: string } }

const DEFAULT_TIMEOUT = 20;

/** The last lines of a command's errors, where the reason usually is. */
const lastLines = (text: string) => shorten(text.trim().split('\n').slice(-2).join('\n'), 160);

export const command = defineCheckKind({
  kind: 'command',
  description: 'run a shell command; `expect` an `exitCode` (default 0), `stdout` / `stderr` matching a regex (or a list of them, all must match), or a `json` value at a `path`',
  entries: {
    command: word(),
    timeout: v.optional(count(1, 600)),
    expect: v.optional(fields({
      exitCode: v.optional(count(0, 255)),
      stdout: v.optional(patterns()),
      stderr: v.optional(patterns()),
      json: v.optional(fields({ path: word(), equals: v.optional(v.unknown()), matches: v.optional(pattern()) })),
    })),
  },
  fields: (input) => {
    const given = compact<Expectation>({ ...input.expect, json: input.expect?.json && compact(input.expect.json) });
    return compact({ run: input.command, timeout: input.timeout, expect: Object.keys(given).length ? given : { exitCode: 0 } });
  },
  factsRead: () => [],
  async evaluate(check, context) {
    const timeout = check.timeout ?? DEFAULT_TIMEOUT;
    const result = await context.exec(check.node, check.run, { timeout });
    const wanted: string[] = [];
    const problems: string[] = [];
    const { exitCode, stdout, stderr, json } = check.expect;
    if (exitCode !== undefined) {
      wanted.push(`exit code ${exitCode}`);
      if (result.exitCode !== exitCode) problems.push(result.timedOut ? `it timed out after ${timeout} s` : `exit code ${result.exitCode}`);
    }
    for (const [stream, list, label] of [['stdout', stdout, 'output'], ['stderr', stderr, 'errors']] as const) {
      if (!list) continue;
      wanted.push(`${label} matching ${list.map((p) => `/${p}/`).join(' and ')}`);
      const missed = list.find((p) => !matches(p, result[stream], true));
      if (missed !== undefined) problems.push(`${label}: ${nearestOutput(result[stream], missed)}`);
    }
    if (json) {
      let value: unknown;
      try { value = jsonPath(JSON.parse(result.stdout), json.path); } catch { problems.push(`output is not JSON: ${shorten(result.stdout, 160)}`); }
      if (json.equals !== undefined) {
        wanted.push(`${json.path} = ${JSON.stringify(json.equals)}`);
        if (JSON.stringify(value) !== JSON.stringify(json.equals)) problems.push(`${json.path} = ${JSON.stringify(value) ?? 'nothing'}`);
      }
      if (json.matches !== undefined) {
        wanted.push(`${json.path} matching /${json.matches}/`);
        if (!matches(json.matches, String(value ?? ''))) problems.push(`${json.path} = ${JSON.stringify(value) ?? 'nothing'}`);
      }
    }
    // Whatever was expected, a command cut off by its timeout says so: its output is only a
    // part. (A wrong exit code has said so already.)
    const exitCodeSaidIt = exitCode !== undefined && result.exitCode !== exitCode;
    if (problems.length && result.timedOut && !exitCodeSaidIt) problems.unshift(`it timed out after ${timeout} s`);
    if (problems.length && result.stderr.trim() && stderr === undefined) problems.push(`errors: ${explainToolError(result.stderr) ?? lastLines(result.stderr)}`);
    return { passed: problems.length === 0, expected: `\`${shorten(check.run, 80)}\` gives ${wanted.join(' and ')}`, found: problems.join('; ') || 'as expected' };
  },
});
