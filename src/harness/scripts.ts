// Setup and solution scripts run so that they fail loudly: the first failing line stops
// the script, and the error names the node, the line (number and text) and what the line
// printed on stderr. Without this only a script's last command decided its exit status,
// and a broken line in the middle of a lab's setup went unnoticed.
import type { ExecResult } from '../vm/agent-client.js';

/** One argument for the guest's bash, whatever it holds: single quotes, each ' inside written '\''. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** What the ERR trap prints on stderr: a marker, the line, the exit status and bash's view of the command. */
const MARKER = '@@podwire:failed:';

/**
 * The script wrapped for the guest's bash: stop at the first failing command, in pipelines
 * and $(...) too, and say where. Commands in `if`, `while`, `&&`/`||` lists and after `!`
 * may fail as bash always allows; a line meant to fail ends in `|| true`.
 * Inside the agent's eval LINENO counts on from the agent's own line, so the prelude
 * notes where it stands (one line above the script's first).
 */
export function strictScript(script: string): string {
  const trap = `trap 'echo "${MARKER}$((LINENO - podwire_line)):$?:$BASH_COMMAND" >&2' ERR`;
  return `podwire_line=$LINENO; set -eE -o pipefail; shopt -s inherit_errexit; ${trap}\n${script}`;
}

export class ScriptError extends Error {
  constructor(
    readonly what: string,
    readonly node: string,
    readonly exitCode: number,
    /** 1-based line of the script, when the trap could tell. */
    readonly line: number | undefined,
    readonly lineText: string | undefined,
    readonly stderr: string,
  ) {
    const where = line === undefined ? '' : ` at line ${line}: \`${lineText ?? '?'}\``;
    const said = stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : '';
    super(`${what} failed on ${node}${where} (exit ${exitCode})${said}`);
    this.name = 'ScriptError';
  }
}

/** The error a failed run of strictScript(script) means, or undefined if it succeeded. */
export function scriptFailure(what: string, node: string, script: string, result: ExecResult): ScriptError | undefined {
  if (result.exitCode === 0) return undefined;
  const lines = result.stderr.split('\n');
  // Subshells report too (the trap is inherited); the first report is the innermost, the real one.
  const report = lines.find((l) => l.startsWith(MARKER));
  const stderr = lines.filter((l) => !l.startsWith(MARKER)).join('\n');
  if (result.timedOut) return new ScriptError(`${what} (timed out)`, node, result.exitCode, undefined, undefined, stderr || result.stdout);
  if (!report) return new ScriptError(what, node, result.exitCode, undefined, undefined, stderr || result.stdout);
  const [lineNumber, , ...command] = report.slice(MARKER.length).split(':');
  const line = Number(lineNumber);
  const text = script.split('\n')[line - 1]?.trim() || command.join(':');
  return new ScriptError(what, node, result.exitCode, Number.isInteger(line) && line > 0 ? line : undefined, text, stderr);
}
