// The labs the page knows: the shipped ones, plus any the learner opened from a file
// or URL during this visit. A lab from outside is kept apart: its id in the page (and
// so the key of everything stored for it) is made of where it came from and a hash of
// what it holds, never the id its file claims, so it can never read or overwrite a
// shipped lab's progress or saved cluster, whatever id it reuses.
import { bundledLab, bundledLabs, labFromFiles, labFromUrl } from '../lab/load-web.js';
import type { Lab } from '../lab/types.js';
import { bytesToHex } from '../net/decode/read.js';

/** Every shipped lab, for the catalogue: parsed on first use, not when the page loads. */
export const shippedLabs = (): Lab[] => bundledLabs();
const opened = new Map<string, Lab>();
/** Where each outside lab came from, shown on its page; by key, since the page may hold the lab behind a reactive proxy. */
const origins = new Map<string, { origin: string; claimedId: string }>();

/** Every outside lab's key starts so; a shipped lab's id cannot (lab ids are lowercase words). */
export const EXTERNAL_PREFIX = 'external:';

export function labById(id: string): Lab | undefined {
  // Shipped labs first: nothing opened can stand in for one.
  return (id.startsWith(EXTERNAL_PREFIX) ? undefined : bundledLab(id)) ?? opened.get(id);
}

/** Where an outside lab came from (an origin, or "a file"), or undefined for a shipped lab. */
export function externalSource(lab: Lab): { origin: string; claimedId: string } | undefined {
  return origins.get(lab.id);
}

async function contentHash(text: string): Promise<string> {
  const bytes = new TextEncoder().encode(text);
  if (globalThis.crypto?.subtle) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return bytesToHex(digest.slice(0, 12));
  }
  // Not a secure context (crypto.subtle missing): FNV-1a, twice, seeded apart.
  let a = 0x811c9dc5, b = 0x01000193 ^ bytes.length;
  for (const byte of bytes) {
    a = Math.imul(a ^ byte, 0x01000193) >>> 0;
    b = Math.imul(b ^ byte, 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** The outside lab under its own key: origin and content hash. */
export async function keptApart(lab: Lab, origin: string): Promise<Lab> {
  const hash = await contentHash(JSON.stringify(lab));
  const apart: Lab = { ...lab, id: `${EXTERNAL_PREFIX}${origin}:${hash}` };
  origins.set(apart.id, { origin, claimedId: lab.id });
  opened.set(apart.id, apart);
  return apart;
}

/** Files from an <input type=file> (one lab.md, or a lab folder); throws a LabError naming file and line. */
export async function openFiles(files: FileList | File[]): Promise<Lab> {
  const list = [...files].filter((f) => f.name.endsWith('.md'));
  const texts: Record<string, string> = {};
  for (const file of list) texts[file.name] = await file.text();
  const folder = (list[0] as File & { webkitRelativePath?: string } | undefined)?.webkitRelativePath?.split('/').slice(0, -1).join('/') ?? '';
  return keptApart(labFromFiles(folder, texts), 'file');
}

export async function openUrl(url: string): Promise<Lab> {
  const lab = await labFromUrl(url);
  return keptApart(lab, new URL(url, document.baseURI).origin);
}
