// Submit for grading: the lab's saved cluster (the gzipped v86 states the page already
// keeps) and what the page claims, zipped (fflate) into the bundle the class server
// restores and grades on its own: manifest.json, states/<node>.gz and, while a lab's control
// plane ran, its objects (kube.json).
import { buildSubmission, type SubmissionManifest } from '../../classroom/grading/bundle.js';
import type { SavedCluster } from '../store.js';

/** The bundle of a saved cluster, as the server expects it. */
export async function buildBundle(saved: SavedCluster, claimed: SubmissionManifest['claimed']): Promise<Uint8Array> {
  const states: Record<string, ArrayBuffer> = {};
  for (const [node, state] of Object.entries(saved.states)) states[node] = await state.arrayBuffer();
  const kube = saved.kube ? new Uint8Array(await saved.kube.arrayBuffer()) : undefined;
  return buildSubmission({ lab: saved.lab, snapshotKey: saved.snapshotKey, savedAt: saved.savedAt, claimed }, states, kube);
}

const submissionKey = (classId: string, lab: string) => `podwire-submission:${classId}:${lab}`;

/** The last submission made for a lab in a class, to follow again after a reload. */
export function lastSubmission(classId: string, lab: string): string | undefined {
  try { return localStorage.getItem(submissionKey(classId, lab)) ?? undefined; } catch { return undefined; }
}

export function keepSubmission(classId: string, lab: string, submissionId: string): void {
  try { localStorage.setItem(submissionKey(classId, lab), submissionId); } catch { /* storage may be off */ }
}
