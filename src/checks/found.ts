// The "found" half of a failing check's message: the part of what the node said
// that makes the point, not its first 200 characters.

const LINE_WIDTH = 160;

/** One line of text, at most `max` characters. */
export function shorten(text: string, max = 200): string {
  const flat = text.trim().replace(/\s*\n\s*/g, ' | ');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat || '(nothing)';
}

/** The literal words of a regular expression: `dstport\s+4789` gives dstport and 4789. */
function wordsOf(pattern: string): string[] {
  const literal = pattern.replace(/\\([.\-/:=,@])/g, '$1').replace(/\\[a-zA-Z]/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  const words = literal.match(/[A-Za-z0-9_][A-Za-z0-9_.:/=-]*[A-Za-z0-9_]|[A-Za-z0-9_]{2,}/g) ?? [];
  return [...new Set(words.filter((word) => word.length >= 2))];
}

/** A long line cut around the first word it shares with the pattern, so that word stays in view. */
function around(line: string, words: string[]): string {
  const trimmed = line.trim();
  if (trimmed.length <= LINE_WIDTH) return trimmed;
  const at = Math.min(...words.map((word) => trimmed.indexOf(word)).filter((index) => index >= 0), trimmed.length);
  const start = at === trimmed.length ? 0 : Math.max(0, Math.min(at - 40, trimmed.length - LINE_WIDTH));
  return `${start > 0 ? '...' : ''}${trimmed.slice(start, start + LINE_WIDTH)}${start + LINE_WIDTH < trimmed.length ? '...' : ''}`;
}

/**
 * The lines nearest to what a pattern asked for: those sharing the most of its words,
 * in their original order. When no line shares a word, the first lines and the last.
 */
export function closestLines(lines: string[], pattern: string, max = 3): string[] {
  const present = lines.map((line) => line.trim()).filter(Boolean);
  const words = wordsOf(pattern);
  const scored = present.map((line, index) => ({ line, index, score: words.reduce((sum, word) => sum + (line.includes(word) ? word.length : 0), 0) }));
  const best = scored.filter((s) => s.score > 0).sort((a, b) => b.score - a.score || a.index - b.index).slice(0, max);
  if (best.length) return best.sort((a, b) => a.index - b.index).map((s) => around(s.line, words));
  const chosen = present.length <= max ? present : [...present.slice(0, max - 1), present.at(-1)!];
  return chosen.map((line) => around(line, []));
}

/** What fits in a message as it is; longer output is told by the lines that make the point. */
const WHOLE = 200;

/** What a command printed: all of it when short, else its lines nearest to the pattern it had to match. */
export function nearestOutput(text: string, pattern: string): string {
  const lines = text.split('\n').filter((line) => line.trim());
  if (lines.length === 0) return '(nothing)';
  if (shorten(text, Infinity).length <= WHOLE) return shorten(text, WHOLE);
  const shown = closestLines(lines, pattern);
  const count = lines.length === 1 ? '' : `${lines.length} lines, `;
  const which = shown.length < lines.length ? (wordsOf(pattern).some((w) => shown.some((line) => line.includes(w))) ? 'nearest: ' : 'e.g. ') : '';
  return `${count}${which}${shown.join(' | ')}`;
}

/**
 * A tool's own error turned into what the learner did: the usage error of a ping
 * with no usable target means the target, not ping, is wrong.
 */
export function explainToolError(text: string, subject: { target?: string; netns?: string } = {}): string | undefined {
  const target = subject.target === undefined ? 'the target' : `'${subject.target}'`;
  const message = text.trim();
  if (/usage error: Destination address required|bad address|unknown host|Name or service not known|Temporary failure in name resolution/i.test(message)) {
    return `${target} is empty or not an address or name the node can resolve (${firstLine(message)})`;
  }
  if (/Network (is )?unreachable/i.test(message)) {
    return `there is no route to ${target} ${subject.netns ? `in netns ${subject.netns}` : 'in the node namespace'} (${firstLine(message)})`;
  }
  const netns = /Cannot open network namespace "([^"]*)"/.exec(message);
  if (netns) return `there is no network namespace '${netns[1]}' on this node (${firstLine(message)})`;
  const sysctl = /sysctl: cannot stat \/proc\/sys\/(\S+): No such file/.exec(message);
  if (sysctl) return `this node has no sysctl ${sysctl[1]!.replaceAll('/', '.')} (is the module that provides it loaded?)`;
  const missing = /(?:^|\s)([\w.-]+): (?:command )?not found/.exec(message);
  if (missing) return `there is no command '${missing[1]}' on this node (${firstLine(message)})`;
  return undefined;
}

const firstLine = (text: string) => shorten(text.split('\n')[0] ?? '', 120);
