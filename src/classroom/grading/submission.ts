// Reading a student's submission (bundle.ts makes them) before anything trusts it. The zip
// and every state in it are unpacked as streams, in small pieces, counting what comes out:
// a zip bomb stops at its cap, not after it has filled the memory. Only manifest.json and
// states/<node>.gz may be in it, at most 8 nodes; the manifest must fit the schema and
// name one of the class's labs; each state must be a v86 machine state (its header) made
// by this server's image and v86 (the snapshotKey). readSubmission is quick (the upload
// handler calls it); verifyState unpacks a state in full under its cap when it is graded.
// Every refusal is a SubmissionError whose message is shown to the student.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Gunzip, Unzip, UnzipInflate, strFromU8 } from 'fflate';
import * as v from 'valibot';
import { KUBE_FILE, MANIFEST_FILE, MAX_SUBMISSION_NODES, NODE_NAME, SubmissionManifestSchema, type SubmissionManifest } from './bundle.js';
import { LIMITS } from '../protocol.js';
import { MAX_NODE_MEMORY_MB } from '../../topology/topology.js';
import { DELTA_HEADER_BYTES, DELTA_VERSION, deltaHeader, isDelta } from '../../vm/state-delta.js';

export type { SubmissionManifest } from './bundle.js';

/** A submission refused; the message says why, in words for the student. */
export class SubmissionError extends Error {
  override name = 'SubmissionError';
}

const MiB = 2 ** 20;

export interface SubmissionLimits {
  /** The zip itself (the server's upload cap, PODWIRE_MAX_SUBMISSION). */
  maxZipBytes: number;
  maxManifestBytes: number;
  /** kube.json unpacked: the lab's Kubernetes objects. */
  maxKubeBytes: number;
  /** All the zip's entries unpacked, together. */
  maxUnzippedBytes: number;
  /** One node's state unpacked (the raw v86 state): the guest's memory and the devices' state. */
  maxStateBytes: number;
  /** All the nodes' states unpacked, together. */
  maxTotalStateBytes: number;
}

export function defaultLimits(env: Record<string, string | undefined> = process.env): SubmissionLimits {
  const configured = Number(env.PODWIRE_MAX_SUBMISSION);
  const maxZipBytes = Number.isInteger(configured) && configured > 0 ? configured : LIMITS.submission;
  return {
    maxZipBytes,
    maxManifestBytes: 1 * MiB,
    maxKubeBytes: 4 * MiB,
    maxUnzippedBytes: maxZipBytes + 1 * MiB,
    maxStateBytes: (MAX_NODE_MEMORY_MB + 64) * MiB,
    maxTotalStateBytes: MAX_SUBMISSION_NODES * (MAX_NODE_MEMORY_MB + 64) * MiB,
  };
}

/** What v86 writes first in a saved state (v86 src/state.js: STATE_MAGIC, STATE_VERSION; test/unit checks them against build/libv86.mjs). */
export const V86_STATE_MAGIC = 0x86768676;
export const V86_STATE_VERSION = 6;
const V86_STATE_HEADER_BYTES = 16;
/** Enough of a state's start to read a v86 header or a delta's (vm/state-delta.ts). */
const HEADER_BYTES_READ = Math.max(V86_STATE_HEADER_BYTES, DELTA_HEADER_BYTES);

/** Pieces the zip and the states are fed to the inflater in: one piece inflates to at most ~1000× its size before its bytes are counted. */
const PIECE = 16 * 1024;

export interface SubmissionExpectations {
  /** This server's snapshotKey() (src/vm/assets-node.ts): image, v86 version and memory size. */
  snapshotKey: string;
  /** The class's labs: the manifest's lab must be one of them. */
  labs: string[];
  /** The nodes of a lab, when known: the states must be exactly these. */
  nodesOf?: (lab: string) => string[] | undefined;
  limits?: Partial<SubmissionLimits>;
}

export interface Submission {
  manifest: SubmissionManifest;
  /** Per node, the gzipped state as uploaded (LabRun's node workers unpack it themselves). */
  states: Record<string, Uint8Array>;
  /** The lab's Kubernetes objects (kube.json), checked to be a store snapshot, as uploaded. */
  kube?: Uint8Array;
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MiB`;
const STATE_PATH = /^states\/(.+)\.gz$/;

export function readSubmission(zip: Uint8Array, expect: SubmissionExpectations): Submission {
  const limits = { ...defaultLimits(), ...expect.limits };
  const files = unzipChecked(zip, limits);

  const manifestBytes = files.get(MANIFEST_FILE);
  if (!manifestBytes) throw new SubmissionError(`the submission has no ${MANIFEST_FILE}`);
  const manifest = parseManifest(manifestBytes);
  if (!expect.labs.includes(manifest.lab)) {
    throw new SubmissionError(`the submission is for lab '${manifest.lab}', which is not one of this class's labs (${expect.labs.join(', ') || 'none'})`);
  }
  if (manifest.snapshotKey !== expect.snapshotKey) {
    throw new SubmissionError(`the saved states were made by another node image or v86 version (${manifest.snapshotKey}) than this server runs (${expect.snapshotKey}); reload the lab page to get the current one, then submit again`);
  }

  const states: Record<string, Uint8Array> = {};
  for (const [path, bytes] of files) {
    const node = STATE_PATH.exec(path)?.[1];
    if (node !== undefined) states[node] = bytes;
  }
  const nodes = Object.keys(states).sort();
  if (nodes.length === 0) throw new SubmissionError('the submission has no node states (states/<node>.gz)');
  const expected = expect.nodesOf?.(manifest.lab)?.slice().sort();
  if (expected && nodes.join(',') !== expected.join(',')) {
    throw new SubmissionError(`lab '${manifest.lab}' has the nodes ${expected.join(', ')}, but the submission has states for ${nodes.join(', ')}`);
  }
  let total = 0;
  for (const node of nodes) {
    total += checkState(node, states[node]!, Math.min(limits.maxStateBytes, limits.maxTotalStateBytes - total));
  }
  const kube = files.get(KUBE_FILE);
  if (kube) checkKube(kube);
  return { manifest, states, ...(kube ? { kube } : {}) };
}

/**
 * The shape of the API's store snapshot (kube/store.ts Snapshot): objects as data, each kept
 * under its storage key. The API server restores them as they are, so a wrong shape stops here.
 */
const KubeSnapshotSchema = v.object({
  resourceVersion: v.pipe(v.number('resourceVersion must be a number'), v.integer('resourceVersion must be a whole number'), v.minValue(0, 'resourceVersion must not be negative')),
  objects: v.pipe(
    v.array(v.object({
      storage: v.pipe(v.string('storage must be text'), v.regex(/^[a-z][a-z0-9.-]{0,80}\/[a-z]{1,60}$/, 'storage must be a resource key such as apps/deployments')),
      object: v.looseObject({ metadata: v.looseObject({ name: v.pipe(v.string('metadata.name must be text'), v.minLength(1), v.maxLength(253)) }) }),
    }), 'objects must be a list'),
    v.maxLength(5_000, 'a lab has at most 5000 objects'),
  ),
});

function checkKube(bytes: Uint8Array): void {
  let json: unknown;
  try {
    json = JSON.parse(strFromU8(bytes));
  } catch (error) {
    throw new SubmissionError(`${KUBE_FILE} is not valid JSON: ${(error as Error).message}`);
  }
  const result = v.safeParse(KubeSnapshotSchema, json, { abortEarly: true });
  if (!result.success) {
    const issue = result.issues[0];
    const path = v.getDotPath(issue);
    throw new SubmissionError(`${KUBE_FILE} is not the lab's Kubernetes objects: ${path ? `${path}: ` : ''}${issue.message}`);
  }
}

function parseManifest(bytes: Uint8Array): SubmissionManifest {
  let json: unknown;
  try {
    json = JSON.parse(strFromU8(bytes));
  } catch (error) {
    throw new SubmissionError(`${MANIFEST_FILE} is not valid JSON: ${(error as Error).message}`);
  }
  const result = v.safeParse(SubmissionManifestSchema, json, { abortEarly: false });
  if (!result.success) {
    const complaints = result.issues.slice(0, 5).map((issue) => {
      const path = v.getDotPath(issue);
      return path ? `${path}: ${issue.message}` : issue.message;
    });
    throw new SubmissionError(`${MANIFEST_FILE} is not a valid submission manifest: ${complaints.join('; ')}`);
  }
  return result.output;
}

/** The zip's files by path, each checked by name and unpacked under its cap. */
function unzipChecked(zip: Uint8Array, limits: SubmissionLimits): Map<string, Uint8Array> {
  if (zip.length > limits.maxZipBytes) throw new SubmissionError(`the submission is ${mib(zip.length)}, more than the ${mib(limits.maxZipBytes)} allowed`);
  // A zip starts with a local file header, PK\3\4.
  if (zip.length < 4 || zip[0] !== 0x50 || zip[1] !== 0x4b || zip[2] !== 0x03 || zip[3] !== 0x04) {
    throw new SubmissionError('the submission is not a zip file');
  }
  const files = new Map<string, Uint8Array>();
  let failure: SubmissionError | undefined;
  const fail = (message: string) => { failure ??= new SubmissionError(message); };
  let declaredTotal = 0;
  let stateCount = 0;
  const open = new Set<string>();

  const unzip = new Unzip((file) => {
    if (failure) return;
    const name = file.name;
    const node = STATE_PATH.exec(name)?.[1];
    if (name !== MANIFEST_FILE && name !== KUBE_FILE && node === undefined) {
      return fail(`the submission holds '${name.slice(0, 80)}', which does not belong in it: only ${MANIFEST_FILE}, ${KUBE_FILE} and states/<node>.gz`);
    }
    if (node !== undefined && !NODE_NAME.test(node)) {
      return fail(`'${name.slice(0, 80)}' does not name a node: node names are lower-case letters, digits and dashes, starting with a letter, at most 31`);
    }
    if (files.has(name) || open.has(name)) return fail(`the submission holds '${name}' twice`);
    if (node !== undefined && ++stateCount > MAX_SUBMISSION_NODES) return fail(`the submission holds more than ${MAX_SUBMISSION_NODES} node states`);
    if (file.compression !== 0 && file.compression !== 8) return fail(`'${name}' is packed with a method this server does not read (zip method ${file.compression}); only stored and deflated files`);
    const declared = file.originalSize;
    if (declared === undefined) return fail(`'${name}' does not declare its size in the zip`);
    const cap = name === MANIFEST_FILE ? limits.maxManifestBytes : name === KUBE_FILE ? limits.maxKubeBytes : limits.maxUnzippedBytes;
    if (declared > cap) return fail(`'${name}' unpacks to ${mib(declared)}, more than the ${mib(cap)} allowed`);
    declaredTotal += declared;
    if (declaredTotal > limits.maxUnzippedBytes) return fail(`the submission unpacks to more than the ${mib(limits.maxUnzippedBytes)} allowed`);

    const pieces: Uint8Array[] = [];
    let got = 0;
    open.add(name);
    file.ondata = (error, data, final) => {
      if (failure) return;
      if (error) return fail(`'${name}' in the zip is damaged: ${error.message}`);
      got += data.length;
      // Past what it declared: a lie, and maybe a bomb. Stop here; the caller stops feeding.
      if (got > declared) {
        file.terminate();
        return fail(`'${name}' unpacks to more than the ${declared} bytes it declares`);
      }
      pieces.push(data);
      if (final) {
        open.delete(name);
        if (got !== declared) return fail(`'${name}' unpacks to ${got} bytes, not the ${declared} it declares`);
        files.set(name, concat(pieces, got));
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let at = 0; at < zip.length && !failure; at += PIECE) {
      unzip.push(zip.subarray(at, at + PIECE), at + PIECE >= zip.length);
    }
  } catch (error) {
    fail(`the submission is not a readable zip: ${(error as Error).message}`);
  }
  if (failure) throw failure;
  if (open.size) throw new SubmissionError(`the zip ends inside '${[...open][0]}': it is cut short`);
  return files;
}

/**
 * A node's gzipped state at a glance, without unpacking all of it (that takes seconds per
 * node, and the upload handler must not stall): the size gzip records at its end against
 * the cap, then only the first piece inflated, for v86's header (magic, format version,
 * total size). verifyState unpacks it all, under the cap, when it is graded.
 */
function checkState(node: string, gz: Uint8Array, cap: number): number {
  const what = `the state of node ${node}`;
  if (gz.length < 18 || gz[0] !== 0x1f || gz[1] !== 0x8b) throw new SubmissionError(`${what} is not gzip data`);
  // gzip's trailer: the unpacked size (mod 4 GiB), as the writer claims it.
  const recorded = new DataView(gz.buffer, gz.byteOffset + gz.length - 4, 4).getUint32(0, true);
  if (recorded > cap) throw new SubmissionError(`${what} unpacks to ${mib(recorded)}, more than the ${mib(cap)} allowed`);
  const header = new Uint8Array(HEADER_BYTES_READ);
  let got = 0;
  const gunzip = new Gunzip((data) => {
    if (got < header.length) header.set(data.subarray(0, header.length - got), got);
    got += data.length;
  });
  try {
    for (let at = 0; at < gz.length && got < header.length; at += PIECE) gunzip.push(gz.subarray(at, at + PIECE), at + PIECE >= gz.length);
  } catch (error) {
    throw new SubmissionError(`${what} is damaged gzip data: ${(error as Error).message}`);
  }
  checkStateHeader(what, header.subarray(0, Math.min(got, header.length)), recorded, cap);
  return recorded;
}

function checkStateHeader(what: string, header: Uint8Array, size: number, cap: number): void {
  if (header.length < V86_STATE_HEADER_BYTES) throw new SubmissionError(`${what} is not a v86 machine state: it is only ${header.length} bytes`);
  // What the page keeps is a delta against the base snapshot; the grader rebuilds it on its own base.
  if (isDelta(header)) {
    if (header.length < DELTA_HEADER_BYTES) throw new SubmissionError(`${what} is a state delta cut short: only ${header.length} bytes`);
    const delta = deltaHeader(header);
    if (delta.version !== DELTA_VERSION) throw new SubmissionError(`${what} is a state delta of format ${delta.version}; this server reads format ${DELTA_VERSION}`);
    if (delta.fullLength > cap) throw new SubmissionError(`${what} rebuilds to ${mib(delta.fullLength)}, more than the ${mib(cap)} allowed`);
    return;
  }
  const fields = new DataView(header.buffer, header.byteOffset, V86_STATE_HEADER_BYTES);
  const magic = fields.getUint32(0, true);
  const version = fields.getInt32(4, true);
  const length = fields.getUint32(8, true);
  if (magic !== V86_STATE_MAGIC) {
    throw new SubmissionError(`${what} is not a v86 machine state (it starts with 0x${magic.toString(16).padStart(8, '0')}, a v86 state with 0x${V86_STATE_MAGIC.toString(16)})`);
  }
  if (version !== V86_STATE_VERSION) {
    throw new SubmissionError(`${what} was saved by another v86 version (state format ${version}; this server's v86 reads format ${V86_STATE_VERSION})`);
  }
  if (length !== size) throw new SubmissionError(`${what} is cut short or padded: its header says ${length} bytes, it has ${size}`);
}

/**
 * A node's state unpacked in full as a stream, off the event loop, counting and keeping
 * nothing but its header: it stops at the cap (a gzip whose trailer lies is still a bomb),
 * and checks the header against what came out. Returns the unpacked size.
 */
export async function verifyState(node: string, gz: Uint8Array, cap = defaultLimits().maxStateBytes): Promise<number> {
  const what = `the state of node ${node}`;
  const header = new Uint8Array(HEADER_BYTES_READ);
  let got = 0;
  const counter = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (got < header.length) header.set(chunk.subarray(0, header.length - got), got);
      got += chunk.length;
      done(got > cap ? new SubmissionError(`${what} unpacks to more than the ${mib(cap)} allowed`) : null);
    },
  });
  try {
    await pipeline(Readable.from([gz]), createGunzip(), counter);
  } catch (error) {
    if (error instanceof SubmissionError) throw error;
    throw new SubmissionError(`${what} is damaged gzip data: ${(error as Error).message}`);
  }
  checkStateHeader(what, header.subarray(0, Math.min(got, header.length)), got, cap);
  return got;
}

function concat(pieces: Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) { out.set(piece, at); at += piece.length; }
  return out;
}
