// Reading submissions: a good one reads back as built; every bad one (not a zip, a zip
// bomb, a file that does not belong, too many nodes, another image's states, a state that
// is not a v86 state, a bad manifest) is a SubmissionError that says what is wrong.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync, strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildSubmission, type SubmissionManifest } from '../../../src/classroom/grading/bundle.js';
import { DELTA_MAGIC, DELTA_VERSION } from '../../../src/vm/state-delta.js';
import { readSubmission, SubmissionError, verifyState, V86_STATE_MAGIC, V86_STATE_VERSION, type SubmissionExpectations } from '../../../src/classroom/grading/submission.js';

const KEY = '97a3c2180260da15-v86-0.5.462+g5f9a90f-256m';
const expectations: SubmissionExpectations = { snapshotKey: KEY, labs: ['netns-veth', 'bridge'] };
const manifest: SubmissionManifest = {
  lab: 'netns-veth', snapshotKey: KEY, savedAt: 1_764_590_000_000,
  claimed: { namespaces: { passed: 2, total: 2, results: [{ id: 'pod-a exists', passed: true }, { id: 'pod-b exists', passed: true }] } },
};

/** A stand-in for a saved v86 state: its 16-byte header, then `body` bytes. */
function fakeState(body = 1000, header: { magic?: number; version?: number; length?: number } = {}, zeros = false): Uint8Array {
  const state = new Uint8Array(16 + body);
  const fields = new DataView(state.buffer);
  fields.setUint32(0, header.magic ?? V86_STATE_MAGIC, true);
  fields.setInt32(4, header.version ?? V86_STATE_VERSION, true);
  fields.setUint32(8, header.length ?? state.length, true);
  fields.setUint32(12, 2, true);
  state.set(strToU8('{}'), 16);
  // Bytes gzip cannot shrink much, like a real state's: a cut in the zip lands inside them.
  let seed = 12345;
  if (!zeros) for (let i = 18; i < state.length; i++) state[i] = (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
  return state;
}

const gz = (bytes: Uint8Array) => gzipSync(bytes, { level: 1 });

function refusal(zip: Uint8Array, expect: SubmissionExpectations = expectations): string {
  try {
    readSubmission(zip, expect);
  } catch (error) {
    expect_(error).toBeInstanceOf(SubmissionError);
    return (error as Error).message;
  }
  throw new Error('the submission was accepted');
}
const expect_ = expect;

/** Rewrite the uncompressed size the zip declares for its only entry (local header and central directory). */
function lieAboutSize(zip: Uint8Array, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  view.setUint32(22, size, true);
  for (let at = 0; at < out.length - 4; at++) {
    if (view.getUint32(at, true) === 0x02014b50) view.setUint32(at + 24, size, true);
  }
  return out;
}

describe('readSubmission', () => {
  it('reads back what buildSubmission made', () => {
    const states = { node1: gz(fakeState()) };
    const read = readSubmission(buildSubmission(manifest, states), { ...expectations, nodesOf: () => ['node1'] });
    expect(read.manifest).toEqual(manifest);
    expect(Object.keys(read.states)).toEqual(['node1']);
    expect(read.states.node1).toEqual(states.node1);
  });

  it('reads back the Kubernetes objects of a lab whose control plane ran, and refuses ones that are not a store snapshot or are over the cap', () => {
    const states = { node1: gz(fakeState()) };
    const objects = { resourceVersion: 42, objects: [{ storage: 'core/services', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' } } }] };
    const kube = strToU8(JSON.stringify(objects));
    const read = readSubmission(buildSubmission(manifest, states, kube), expectations);
    expect(JSON.parse(new TextDecoder().decode(read.kube))).toEqual(objects);
    expect(readSubmission(buildSubmission(manifest, states), expectations).kube).toBeUndefined();
    expect(refusal(buildSubmission(manifest, states, strToU8('{"resourceVersion": 1,')))).toMatch(/^kube\.json is not valid JSON/);
    expect(refusal(buildSubmission(manifest, states, strToU8(JSON.stringify({ resourceVersion: 1, objects: [{ storage: '../../etc', object: { metadata: { name: 'x' } } }] }))))).toMatch(/^kube\.json is not the lab's Kubernetes objects: objects\.0\.storage: storage must be a resource key/);
    expect(refusal(buildSubmission(manifest, states, strToU8(JSON.stringify({ resourceVersion: 1, objects: [{ storage: 'core/pods', object: { metadata: {} } }] }))))).toMatch(/objects\.0\.object\.metadata\.name/);
    expect(refusal(buildSubmission(manifest, states, kube), { ...expectations, limits: { maxKubeBytes: 10 } })).toMatch(/^'kube\.json' unpacks to .* more than the .* allowed/);
  });

  it('refuses what is not a zip, or a zip cut short', () => {
    expect(refusal(strToU8('hello, this is not a zip'))).toBe('the submission is not a zip file');
    const zip = buildSubmission(manifest, { node1: gz(fakeState(50_000)) });
    expect(refusal(zip.subarray(0, zip.length - 30_000))).toMatch(/cut short|not a readable zip/);
  });

  it('refuses a zip over the upload cap', () => {
    const zip = buildSubmission(manifest, { node1: gz(fakeState(50_000)) });
    expect(refusal(zip, { ...expectations, limits: { maxZipBytes: 10_000 } })).toMatch(/^the submission is .* MiB, more than the 0\.0 MiB allowed/);
  });

  it('refuses an entry that declares more than the cap, before unpacking it', () => {
    const zip = zipSync({ 'manifest.json': strToU8(JSON.stringify(manifest)), 'states/node1.gz': new Uint8Array(3 * 2 ** 20) });
    expect(refusal(zip, { ...expectations, limits: { maxUnzippedBytes: 2 ** 20 } })).toBe("'states/node1.gz' unpacks to 3.0 MiB, more than the 1.0 MiB allowed");
  });

  it('stops unpacking a zip bomb that lies about its size', () => {
    // 16 MiB of zeros deflate to ~16 KiB; the zip says the file is 100 bytes.
    const bomb = lieAboutSize(zipSync({ 'manifest.json': new Uint8Array(16 * 2 ** 20) }, { level: 1 }), 100);
    expect(bomb.length).toBeLessThan(100_000);
    expect(refusal(bomb)).toBe("'manifest.json' unpacks to more than the 100 bytes it declares");
  });

  it('refuses a state that is a gzip bomb, and stops unpacking one that lies about its size', async () => {
    const bomb = gz(fakeState(4 * 2 ** 20, {}, true));
    expect(refusal(buildSubmission(manifest, { node1: bomb }), { ...expectations, limits: { maxStateBytes: 2 ** 20 } }))
      .toBe('the state of node node1 unpacks to 4.0 MiB, more than the 1.0 MiB allowed');
    // Header and gzip trailer both say 100 bytes: it passes the quick look, and the full unpack stops at the cap.
    const liar = gz(fakeState(4 * 2 ** 20, { length: 100 }, true));
    new DataView(liar.buffer, liar.byteOffset).setUint32(liar.length - 4, 100, true);
    const read = readSubmission(buildSubmission(manifest, { node1: liar }), expectations);
    await expect(verifyState('node1', read.states.node1!, 2 ** 20)).rejects.toThrow(new SubmissionError('the state of node node1 unpacks to more than the 1.0 MiB allowed'));
  });

  it('unpacks a good state in full, and refuses one that is damaged past its header', async () => {
    const state = fakeState(100_000);
    expect(await verifyState('node1', gz(state))).toBe(state.length);
    const cut = gz(state).slice(0, 50_000);
    await expect(verifyState('node1', cut)).rejects.toThrow(/^the state of node node1 is damaged gzip data: /);
  });

  it('refuses files that do not belong, and node names the lab format does not allow', () => {
    const state = gz(fakeState());
    const withFile = (name: string) => zipSync({ 'manifest.json': strToU8(JSON.stringify(manifest)), [name]: state });
    expect(refusal(withFile('run.sh'))).toBe("the submission holds 'run.sh', which does not belong in it: only manifest.json, kube.json and states/<node>.gz");
    expect(refusal(withFile('states/node1.state'))).toMatch(/^the submission holds 'states\/node1.state', which does not belong/);
    expect(refusal(withFile('states/../../etc/passwd.gz'))).toMatch(/does not name a node/);
    expect(refusal(withFile('states/Node1.gz'))).toMatch(/^'states\/Node1.gz' does not name a node: node names are lower-case letters/);
    expect(refusal(withFile(`states/n${'x'.repeat(31)}.gz`))).toMatch(/does not name a node/);
  });

  it('refuses more than 8 nodes', () => {
    const states = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`node${i + 1}`, gz(fakeState())]));
    expect(refusal(buildSubmission(manifest, states))).toBe('the submission holds more than 8 node states');
  });

  it('refuses states made by another image or v86 version, naming both', () => {
    const foreign = buildSubmission({ ...manifest, snapshotKey: 'd195109376774d55-v86-0.5.300-256m' }, { node1: gz(fakeState()) });
    const message = refusal(foreign);
    expect(message).toMatch(/made by another node image or v86 version/);
    expect(message).toContain('d195109376774d55-v86-0.5.300-256m');
    expect(message).toContain(KEY);
  });

  it('refuses a state that is not a v86 state, of another state format, cut short, or not gzip', () => {
    const random = new Uint8Array(5000).map((_, i) => (i * 2654435761) >>> 24);
    const one = (state: Uint8Array) => refusal(buildSubmission(manifest, { node1: state }));
    expect(one(gz(random))).toMatch(/^the state of node node1 is not a v86 machine state \(it starts with 0x[0-9a-f]{8}, a v86 state with 0x86768676\)$/);
    expect(one(gz(strToU8('tiny')))).toBe('the state of node node1 is not a v86 machine state: it is only 4 bytes');
    expect(one(gz(fakeState(1000, { version: 5 })))).toBe("the state of node node1 was saved by another v86 version (state format 5; this server's v86 reads format 6)");
    expect(one(gz(fakeState(1000, { length: 5000 })))).toBe('the state of node node1 is cut short or padded: its header says 5000 bytes, it has 1016');
    expect(one(fakeState())).toBe('the state of node node1 is not gzip data');
    const damaged = gz(fakeState(100_000));
    expect(one(damaged.subarray(0, damaged.length >> 1))).toMatch(/^the state of node node1 (unpacks to .* more than|is cut short or padded)/);
  });

  it('takes a state delta against the base snapshot, and refuses one of another format or one that would rebuild too large', async () => {
    /** The start of a delta (vm/state-delta.ts): magic, format, the size it rebuilds to; the rest as random as a real one. */
    const delta = (format = DELTA_VERSION, fullLength = 110 << 20) => {
      const bytes = fakeState(2000);
      const fields = new DataView(bytes.buffer);
      fields.setUint32(0, DELTA_MAGIC, true);
      fields.setUint32(4, format, true);
      fields.setUint32(8, fullLength, true);
      return bytes;
    };
    const one = (state: Uint8Array) => refusal(buildSubmission(manifest, { node1: state }));
    const read = readSubmission(buildSubmission(manifest, { node1: gz(delta()) }), { ...expectations, nodesOf: () => ['node1'] });
    expect(await verifyState('node1', read.states.node1!)).toBe(2016);
    expect(one(gz(delta(1)))).toBe(`the state of node node1 is a state delta of format 1; this server reads format ${DELTA_VERSION}`);
    expect(one(gz(delta(DELTA_VERSION, 2 << 30)))).toMatch(/^the state of node node1 rebuilds to 2048 MiB, more than the \d+ MiB allowed$/);
    expect(one(gz(delta().subarray(0, 20)))).toBe('the state of node node1 is a state delta cut short: only 20 bytes');
  });

  it('refuses a missing, unreadable or invalid manifest, and a lab not in the class', () => {
    const state = gz(fakeState());
    expect(refusal(zipSync({ 'states/node1.gz': state }))).toBe('the submission has no manifest.json');
    expect(refusal(zipSync({ 'manifest.json': strToU8('{"lab": '), 'states/node1.gz': state }))).toMatch(/^manifest.json is not valid JSON: /);
    const bad = { ...manifest, savedAt: 'yesterday', claimed: { namespaces: { passed: -1, total: 2, results: 'all of them' } } };
    const message = refusal(zipSync({ 'manifest.json': strToU8(JSON.stringify(bad)), 'states/node1.gz': state }));
    expect(message).toMatch(/^manifest.json is not a valid submission manifest: /);
    expect(message).toContain('savedAt: savedAt must be a time in epoch milliseconds');
    expect(message).toContain('claimed.namespaces.passed: passed must be at least 0');
    expect(message).toContain('claimed.namespaces.results: results must be a list');
    expect(refusal(buildSubmission({ ...manifest, lab: 'vxlan' }, { node1: state })))
      .toBe("the submission is for lab 'vxlan', which is not one of this class's labs (netns-veth, bridge)");
  });

  it('refuses states that are not the nodes of the lab', () => {
    const zip = buildSubmission(manifest, { node1: gz(fakeState()), node2: gz(fakeState()) });
    expect(refusal(zip, { ...expectations, nodesOf: () => ['node1'] })).toBe("lab 'netns-veth' has the nodes node1, but the submission has states for node1, node2");
    expect(refusal(buildSubmission(manifest, {}))).toBe('the submission has no node states (states/<node>.gz)');
  });

  it('knows the state header v86 writes', () => {
    const require = createRequire(import.meta.url);
    const libv86 = readFileSync(require.resolve('v86/build/libv86.mjs'), 'utf8');
    // save_state: header[0] = STATE_MAGIC; header[1] = STATE_VERSION; header[2] = total size.
    const written = /(\w+)\[0\]=(-?\d{6,});\1\[1\]=(\d+);\1\[2\]=/.exec(libv86);
    expect(written).not.toBeNull();
    expect(Number(written![2]) >>> 0).toBe(V86_STATE_MAGIC);
    expect(Number(written![3])).toBe(V86_STATE_VERSION);
  });
});
