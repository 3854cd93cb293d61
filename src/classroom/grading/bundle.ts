// A submission as it travels: one zip with manifest.json (what the page claims), the
// gzipped v86 state of each node under states/<node>.gz, and for a lab whose Kubernetes
// control plane ran, its objects in kube.json. Pure fflate and valibot, no Node
// imports: the page builds submissions with this, the server reads them (submission.ts)
// against the same names and schema.
import { strToU8, zipSync, type Zippable } from 'fflate';
import * as v from 'valibot';

export const MANIFEST_FILE = 'manifest.json';
/** The Kubernetes objects of a lab whose control plane ran when the page saved (the API's store snapshot, JSON). */
export const KUBE_FILE = 'kube.json';
/** A node's name as the lab format allows it (src/lab/schema.ts). */
export const NODE_NAME = /^[a-z][a-z0-9-]{0,30}$/;
/** A lab has at most this many nodes (src/lab/schema.ts). */
export const MAX_SUBMISSION_NODES = 8;

export const stateFile = (node: string) => `states/${node}.gz`;

/**
 * A check's id in results, the page's and the server's alike: its name, or its place in
 * the step when it has none (the lab format makes names optional).
 */
export const resultId = (name: string, index: number) => name || `check ${index + 1}`;

const shortText = (what: string, max: number) =>
  v.pipe(v.string(`${what} must be text`), v.minLength(1, `${what} must not be empty`), v.maxLength(max, `${what} is longer than ${max} characters`));
const count = (what: string) =>
  v.pipe(v.number(`${what} must be a number`), v.integer(`${what} must be a whole number`), v.minValue(0, `${what} must be at least 0`), v.maxValue(10_000, `${what} must be at most 10000`));

/** What the page found for one step when it last checked it. */
const ClaimedStepSchema = v.object({
  passed: count('passed'),
  total: count('total'),
  results: v.pipe(
    v.array(v.object({ id: shortText('a result id', 200), passed: v.boolean('passed must be true or false') }), 'results must be a list'),
    v.maxLength(500, 'a step has at most 500 results'),
  ),
});

export const SubmissionManifestSchema = v.object({
  lab: shortText('lab', 100),
  /** The key of the image, v86 version and memory size the states were made with (src/vm/assets-node.ts snapshotKey). */
  snapshotKey: shortText('snapshotKey', 200),
  /** When the page saved the states, epoch ms. */
  savedAt: v.pipe(v.number('savedAt must be a time in epoch milliseconds'), v.integer('savedAt must be a whole number of milliseconds'), v.minValue(0, 'savedAt must not be negative')),
  claimed: v.pipe(
    v.record(shortText('a step id', 100), ClaimedStepSchema, 'claimed must map step ids to their results'),
    v.check((claimed) => Object.keys(claimed).length <= 200, 'claimed has more than 200 steps'),
  ),
});

export type ClaimedStep = v.InferOutput<typeof ClaimedStepSchema>;
export type SubmissionManifest = v.InferOutput<typeof SubmissionManifestSchema>;

/**
 * The zip the page uploads. The states are gzip already: stored as they are (deflating
 * them again costs time and gains nothing); the manifest is deflated.
 */
export function buildSubmission(manifest: SubmissionManifest, states: Record<string, Uint8Array | ArrayBuffer>, kube?: Uint8Array): Uint8Array {
  const files: Zippable = { [MANIFEST_FILE]: [strToU8(JSON.stringify(manifest)), { level: 6 }] };
  if (kube) files[KUBE_FILE] = [kube, { level: 6 }];
  for (const [node, state] of Object.entries(states)) {
    if (!NODE_NAME.test(node)) throw new Error(`'${node}' is not a node name (lower-case letters, digits and dashes, starting with a letter)`);
    files[stateFile(node)] = [state instanceof Uint8Array ? state : new Uint8Array(state), { level: 0 }];
  }
  return zipSync(files);
}
