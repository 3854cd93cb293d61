// A CheckContext over a recorded node: the facts script is answered with facts captured
// from a real node (test/fixtures/facts/node1.txt), other commands as the test says.
import { readFileSync } from 'node:fs';
import type { CheckContext } from '../../../src/checks/context.js';
import type { CaptureCursor, CapturedFrame } from '../../../src/net/capture.js';
import { FACTS_SCRIPT, gatherFacts } from '../../../src/observe/facts.js';
import type { NodeFacts } from '../../../src/observe/facts-types.js';
import type { ExecOptions, ExecResult } from '../../../src/vm/agent-client.js';

export const node1Facts = readFileSync(new URL('../../fixtures/facts/node1.txt', import.meta.url), 'utf8');
export const ok = (stdout: string, exitCode = 0, stderr = ''): ExecResult => ({ stdout, stderr, exitCode, timedOut: false });

export interface RecordedNode {
  /** Answers by exact command; a function sees every command not listed. */
  commands?: Record<string, ExecResult | Error>;
  /** Frames that appear on the wire while a command runs. */
  framesDuring?: (command: string) => Omit<CapturedFrame, 'seq'>[];
  /** Frames already captured before the check starts. */
  earlier?: Omit<CapturedFrame, 'seq'>[];
  /** Gather only these facts sections, as a round of checks does (see factsSectionsFor). */
  only?: string[];
}

export function recordedContext(recorded: RecordedNode = {}): CheckContext & { executed: string[]; frames: CapturedFrame[] } {
  const executed: string[] = [];
  const frames: CapturedFrame[] = [];
  const push = (frame: Omit<CapturedFrame, 'seq'>) => {
    const seq = frames.filter((f) => f.link === frame.link).length + 1;
    frames.push({ ...frame, seq });
  };
  for (const frame of recorded.earlier ?? []) push(frame);
  const facts = new Map<string, Promise<NodeFacts>>();
  const context = {
    nodeNames: ['node1', 'node2'],
    executed,
    frames,
    async exec(_node: string, command: string, _options?: ExecOptions) {
      executed.push(command);
      if (command.endsWith(FACTS_SCRIPT)) return ok(node1Facts);
      for (const frame of recorded.framesDuring?.(command) ?? []) push(frame);
      const answer = recorded.commands?.[command];
      if (answer instanceof Error) throw answer;
      if (!answer) throw new Error(`unexpected command: ${command}`);
      return answer;
    },
    facts(node: string) {
      let gathered = facts.get(node);
      if (!gathered) {
        gathered = gatherFacts(node, (command, options) => context.exec(node, command, options), recorded.only ? { only: recorded.only } : {});
        facts.set(node, gathered);
      }
      return gathered;
    },
    captureCursor(): CaptureCursor {
      const cursor: CaptureCursor = {};
      for (const frame of frames) cursor[frame.link] = Math.max(cursor[frame.link] ?? 0, frame.seq);
      return cursor;
    },
    framesSince(cursor: CaptureCursor) {
      return frames.filter((frame) => frame.seq > (cursor[frame.link] ?? 0));
    },
  };
  return context;
}
