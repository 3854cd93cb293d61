// Submit for grading: the lab's saved cluster (the gzipped v86 states the page already
// keeps) and what the page claims, zipped (fflate) into the bundle the class server
// restores and grades on its own: manifest.json and states/<node>.gz.
import { strToU8, zipSync, type Zippable } from 'fflate';
import type { SubmissionManifest } from '../../classroom/protocol.js';
import type { SavedCluster } from '../store.js';

/** The bundle of a saved cluster, as the server expects it. */
export async function buildBundle(saved: SavedCluster, claimed: SubmissionManifest['claimed']): Promise<Uint8Array> {
  const manifest: SubmissionManifest = { lab: saved.lab, snapshotKey: saved.snapshotKey, savedAt: saved.savedAt, claimed };
  const files: Zippable = { 'manifest.json': strToU8(JSON.stringify(manifest)) };
  for (const [node, state] of Object.entries(saved.states)) {
    // Already gzipped: stored as they are, not compressed again.
    files[`states/${node}.gz`] = [new Uint8Array(await state.arrayBuffer()), { level: 0 }];
  }
  return zipSync(files, { level: 6 });
}

const submissionKey = (classId: string, lab: string) => `podwire-submission:${classId}:${lab}`;

/** The last submission made for a lab in a class, to follow again after a reload. */
export function lastSubmission(classId: string, lab: string): string | undefined {
  try { return localStorage.getItem(submissionKey(classId, lab)) ?? undefined; } catch { return undefined; }
}

export function keepSubmission(classId: string, lab: string, submissionId: string): void {
  try { localStorage.setItem(submissionKey(classId, lab), submissionId); } catch { /* storage may be off */ }
}
