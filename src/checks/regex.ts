// Every regular expression a lab supplies runs here, on RE2 (re2js): matching takes
// time linear in the input, so no pattern and no guest output can hang the grader.
// Lookarounds and backreferences are not available; list several patterns instead.
import { RE2JS } from 're2js';

const compiled = new Map<string, RE2JS>();

function compile(pattern: string, multiline: boolean): RE2JS {
  const key = `${multiline ? 'm' : '-'}${pattern}`;
  let regex = compiled.get(key);
  if (!regex) {
    regex = RE2JS.compile(pattern, multiline ? RE2JS.MULTILINE : 0);
    if (compiled.size > 500) compiled.clear();
    compiled.set(key, regex);
  }
  return regex;
}

/** Why RE2 cannot run this pattern, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  try {
    compile(pattern, true);
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^error parsing regexp: /, '');
  }
}

/** Does the pattern match anywhere in the text? With `multiline`, ^ and $ match at every line. */
export function matches(pattern: string, text: string, multiline = false): boolean {
  return compile(pattern, multiline).test(text);
}
