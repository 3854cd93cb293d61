// Setup and solution scripts fail loudly: the wrapper runs under the host's bash the way the
// guest agent runs a command (eval in a subshell), and the error names the line.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { scriptFailure, strictScript } from '../../../src/harness/scripts.js';
import type { ExecResult } from '../../../src/vm/agent-client.js';

/** As images/rootfs/usr/local/sbin/podwire-agent runs a command: `( eval "$command" )` in a function, lines down its script. */
const AGENT = '# the agent\n\n\nrun() {\n  local code\n  ( exec 3>&-; eval "$PODWIRE_COMMAND" )\n}\nrun\n';
function agentRun(command: string): ExecResult {
  const result = spawnSync('bash', ['-c', AGENT], { env: { ...process.env, PODWIRE_COMMAND: command }, encoding: 'utf8' });
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.status ?? -1, timedOut: false };
}

const failure = (script: string) => scriptFailure('the setup of lab x', 'node1', script, agentRun(strictScript(script)));

describe('strict scripts', () => {
  it('stop at the first failing line and name it, with its stderr', () => {
    const script = 'echo one\nls /no/such/dir\necho never >&2';
    const error = failure(script)!;
    expect(error).toMatchObject({ node: 'node1', line: 2, lineText: 'ls /no/such/dir', exitCode: 2 });
    expect(error.message).toMatch(/^the setup of lab x failed on node1 at line 2: `ls \/no\/such\/dir` \(exit 2\): ls: cannot access '\/no\/such\/dir'/);
    expect(error.stderr).not.toContain('never');
    expect(error.stderr).not.toContain('@@podwire');
  });

  it('catch a failure inside a pipeline, a $(...) and a function, and name the line inside', () => {
    expect(failure('false | cat\necho after')!.line).toBe(1);
    expect(failure('x=$(false; echo still)\necho "$x"')!.line).toBe(1);
    expect(failure('f() {\n  true\n  false\n}\nf\necho after')).toMatchObject({ line: 3, lineText: 'false' });
    expect(failure('( true; false )\necho after')!.line).toBe(1);
  });

  it('let conditions and `|| true` fail as bash always allows, and succeed', () => {
    expect(failure('if false; then echo no; fi\ngrep -q x /dev/null || true\n! false\nfalse && echo no || echo yes')).toBeUndefined();
  });
});
