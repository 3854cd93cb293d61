// What a check needs of a running lab, and nothing more. The lab run (one per lab,
// on any host) implements it; unit tests implement it over recorded facts.
import type { CaptureCursor, CapturedFrame } from '../net/capture.js';
import type { Store } from '../kube/store.js';
import type { NodeFacts } from '../observe/facts-types.js';
import type { ExecOptions, ExecResult } from '../vm/agent-client.js';

export type { CaptureCursor, CapturedFrame, ExecOptions, ExecResult, NodeFacts };

export interface CheckContext {
  /** The lab's nodes: a check that follows a packet arms its tracing on all of them. */
  readonly nodeNames: readonly string[];
  /** The node's facts for this round of checks, gathered once per node and shared. */
  facts(node: string): Promise<NodeFacts>;
  exec(node: string, command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Where the capture stream is now; frames after it come from framesSince. */
  captureCursor(): CaptureCursor;
  framesSince(cursor: CaptureCursor): CapturedFrame[];
  /** The objects of the Kubernetes API that drives the lab's nodes, when one does (object checks read them). */
  readonly kube?: Pick<Store, 'list'>;
  /** Packet walks that share this go one at a time: the lab run's own walks and its checks' (see observe/walk). */
  readonly lane?: object;
}
