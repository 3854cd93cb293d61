// A new check kind is one definition: registered, lab files may use it (with the same
// file:line messages as any kind), and runCheck runs it. Nothing else changes.
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { fields, pattern, word } from '../../../src/checks/fields.js';
import { defineCheckKind, registerCheckKind, runCheck } from '../../../src/checks/index.js';
import { matches } from '../../../src/checks/regex.js';
import { LabError, parseLab } from '../../../src/lab/parse.js';
import { ok, recordedContext } from './context.js';

/** The fixture kind: a file on the node exists, and holds a line matching a pattern. */
const file = defineCheckKind({
  kind: 'file',
  description: 'a file at `path` exists, optionally with a line matching `contains`',
  entries: { file: fields({ path: word(), contains: v.optional(pattern()) }) },
  fields: ({ file: spec }) => ({ path: spec.path, ...(spec.contains === undefined ? {} : { contains: spec.contains }) }) as { path: string; contains?: string },
  async evaluate(check, context) {
    const result = await context.exec(check.node, `cat -- '${check.path}'`);
    const passed = result.exitCode === 0 && (check.contains === undefined || matches(check.contains, result.stdout, true));
    return { passed, expected: `${check.path}${check.contains ? ` with a line matching /${check.contains}/` : ''}`, found: result.exitCode === 0 ? result.stdout.trim() : 'no such file' };
  },
});

const lab = (check: string) => `---
id: files
title: Files
summary: A lab with a kind of its own
level: beginner
time: 5 min
topology: { nodes: [{ name: node1 }] }
steps:
  - id: one
    checks:
      - name: the config is there
        node: node1
${check}
    solution: { node1: "true" }
---
## One

Text.
`;

let unregister: (() => void) | undefined;
afterEach(() => { unregister?.(); unregister = undefined; });

describe('a check kind added in one file', () => {
  it('is unknown before it is registered, by name', () => {
    expect(() => parseLab('labs/x/lab.md', lab('        file: { path: /etc/hosts }'))).toThrow(/labs\/x\/lab\.md:11: unknown check kind 'file'/);
  });

  it('is read from lab files, checked field by field, and run', async () => {
    unregister = registerCheckKind(file);
    const parsed = parseLab('labs/x/lab.md', lab('        file: { path: /etc/hosts, contains: "^127\\\\.0\\\\.0\\\\.1" }'));
    const check = parsed.steps[0]!.checks[0]!;
    expect(check).toEqual({ kind: 'file', name: 'the config is there', node: 'node1', path: '/etc/hosts', contains: '^127\\.0\\.0\\.1', at: 'labs/x/lab.md:11' });
    const context = recordedContext({ commands: { "cat -- '/etc/hosts'": ok('127.0.0.1 localhost\n') } });
    expect((await runCheck(check, context)).passed).toBe(true);

    const error = (() => { try { parseLab('labs/x/lab.md', lab('        file: { path: /etc/hosts, mode: 644 }')); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(LabError);
    expect((error as LabError).message).toBe("labs/x/lab.md:13: unknown field 'mode' (expected one of: path, contains)");
  });

  it('cannot take a name that is taken', () => {
    expect(() => registerCheckKind({ ...file, kind: 'ping' })).toThrow(/exists already/);
    expect(() => registerCheckKind({ ...file, kind: 'hint' })).toThrow(/field of every check/);
  });
});
