// The pure parts of the page's store: merging progress from two tabs, and the input journal.
import { describe, expect, it, vi } from 'vitest';
import { Journal, mergeProgress, overBudget, ProgressMirror, readProgress, readSavedCluster, resumeStep, type LabProgress, type StoredStates } from '../../../src/ui/store.js';

/** A Storage kept in memory, the same calls as localStorage. */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() { return items.size; },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => { items.delete(key); },
    setItem: (key, value) => { items.set(key, String(value)); },
  };
}

describe('progress from two tabs', () => {
  const stored: LabProgress = { lab: 'x', step: 1, updatedAt: 100, steps: { a: { passed: 3, total: 3, checkedAt: 50 } } };

  it('keeps credit that a stale copy does not have', () => {
    const stale: LabProgress = { lab: 'x', step: 1, updatedAt: 200, steps: { b: { passed: 1, total: 2, checkedAt: 150 } } };
    expect(mergeProgress(stored, stale).steps).toEqual({ a: { passed: 3, total: 3, checkedAt: 50 }, b: { passed: 1, total: 2, checkedAt: 150 } });
  });

  it('lets the later result of a step win, and never an older one', () => {
    const older = { ...stored, updatedAt: 300, steps: { a: { passed: 0, total: 3, checkedAt: 10 } } };
    expect(mergeProgress(stored, older).steps.a!.passed).toBe(3);
    const newer = { ...stored, updatedAt: 300, steps: { a: { passed: 1, total: 3, checkedAt: 90 } } };
    expect(mergeProgress(stored, newer).steps.a!.passed).toBe(1);
  });
});

describe('where a returning learner lands', () => {
  const passed = { passed: 2, total: 2, checkedAt: 1 };
  const progress = (step: number, steps: LabProgress['steps']): LabProgress => ({ lab: 'vxlan', step, updatedAt: 1, steps });

  it('lands on the first step not passed, by id: a step added since is not skipped, and the later ones keep their credit', () => {
    // Saved when the lab had devices, forwarding, node3: the learner was on node3 (index 2).
    const saved = progress(2, { devices: passed, forwarding: passed });
    expect(resumeStep(['devices', 'forwarding', 'node3'], saved)).toBe(2);
    // The lab gained a 'follow' step before node3: it is the first one still to do.
    expect(resumeStep(['devices', 'forwarding', 'follow', 'node3'], saved)).toBe(2);
    // Done with follow too: node3, now at index 3.
    expect(resumeStep(['devices', 'forwarding', 'follow', 'node3'], progress(2, { ...saved.steps, follow: passed }))).toBe(3);
    // A step half passed is still open; every step passed lands on the last.
    expect(resumeStep(['devices', 'forwarding'], progress(1, { devices: { passed: 1, total: 2, checkedAt: 1 } }))).toBe(0);
    expect(resumeStep(['devices', 'forwarding'], progress(1, { devices: passed, forwarding: passed }))).toBe(1);
  });

  it('takes the stored number when nothing is checked yet, within the lab', () => {
    expect(resumeStep(['a', 'b'], progress(1, {}))).toBe(1);
    expect(resumeStep(['a', 'b'], progress(7, {}))).toBe(1);
  });
});

describe('the storage budget', () => {
  const MB = 2 ** 20;
  const records: StoredStates[] = [
    { store: 'clusters', lab: 'vxlan', savedAt: 10, bytes: 40 * MB },
    { store: 'clusters', lab: 'bridge', savedAt: 30, bytes: 30 * MB },
    { store: 'starts', lab: 'bridge', savedAt: 20, bytes: 20 * MB },
    { store: 'starts', lab: 'bridge#step-3', savedAt: 25, bytes: 20 * MB },
    { store: 'clusters', lab: 'nodeport', savedAt: 50, bytes: 60 * MB },
    { store: 'starts', lab: 'nodeport', savedAt: 40, bytes: 15 * MB },
  ];
  const gone = (lab: string, budget: number) => overBudget(records, lab, budget * MB).map((r) => `${r.store} ${r.lab}`);

  it('deletes nothing within it', () => {
    expect(gone('nodeport', 185)).toEqual([]);
  });

  it("deletes other labs' start states first, the oldest first, then their saved clusters, and stops once it fits", () => {
    expect(gone('nodeport', 170)).toEqual(['starts bridge']);
    expect(gone('nodeport', 120)).toEqual(['starts bridge', 'starts bridge#step-3', 'clusters vxlan']);
  });

  it("never deletes the saving lab's own states, its step starts included, even if that leaves it over", () => {
    expect(gone('bridge', 10)).toEqual(['starts nodeport', 'clusters vxlan', 'clusters nodeport']);
  });
});

describe('the progress copy in localStorage', () => {
  const result = (passed: number, checkedAt: number) => ({ passed, total: 3, checkedAt });

  it('is there for the next page, merged per step with what it held, and forgets cleared steps', () => {
    const storage = memoryStorage();
    new ProgressMirror(storage).record({ lab: 'x', step: 1, updatedAt: 10, steps: { a: result(3, 5) } });
    const next = new ProgressMirror(storage);
    next.record({ lab: 'x', step: 1, updatedAt: 20, steps: { b: result(0, 15) } });
    expect(new ProgressMirror(storage).read('x')?.steps).toEqual({ a: result(3, 5), b: result(0, 15) });
    expect(next.read('y')).toBeUndefined();
    next.clear('x', ['b'], 0);
    expect(next.read('x')).toMatchObject({ step: 0, steps: { a: result(3, 5) } });
    expect(next.labs()).toEqual(['x']);
    next.forget('x');
    expect(next.read('x')).toBeUndefined();
  });

  it('reads a damaged copy as none, and a failing storage loses nothing else', () => {
    const storage = memoryStorage();
    storage.setItem('podwire-progress:x', '{not json');
    expect(new ProgressMirror(storage).read('x')).toBeUndefined();
    storage.setItem('podwire-progress:x', JSON.stringify({ lab: 'other', step: 0, updatedAt: 1, steps: {} }));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(new ProgressMirror(storage).read('x')).toBeUndefined();
    const full = { ...memoryStorage(), setItem: () => { throw new DOMException('full', 'QuotaExceededError'); } };
    const progress = { lab: 'x', step: 0, updatedAt: 1, steps: { a: result(1, 1) } };
    expect(new ProgressMirror(full).record(progress)).toEqual(progress);
    warn.mockRestore();
  });
});

describe('the input journal', () => {
  it('survives a new page (the same storage), and gives back per node what a save does not hold', () => {
    const storage = memoryStorage();
    const journal = new Journal('lab', storage);
    const first = journal.append('node1', 'ip route add 10.99.0.0/24 dev lo\r');
    journal.append('node2', 'ls\r');
    const third = journal.append('node1', 'ip ro');
    const after = new Journal('lab', storage);
    expect(after.since().map((e) => e.text)).toEqual(['ip route add 10.99.0.0/24 dev lo\r', 'ls\r', 'ip ro']);
    // A save that held node1's first line only.
    expect(after.since({ node1: first, node2: 0 }).map((e) => e.text)).toEqual(['ls\r', 'ip ro']);
    after.drop({ node1: third });
    expect(new Journal('lab', storage).since().map((e) => e.node)).toEqual(['node2']);
  });

  it('numbers keep growing after it was emptied, so an old save never swallows new input', () => {
    const storage = memoryStorage();
    const journal = new Journal('lab', storage);
    const seq = journal.append('node1', 'a');
    journal.clear();
    expect(new Journal('lab', storage).append('node1', 'b')).toBeGreaterThan(seq);
    expect(journal.append('node1', 'c')).toBeGreaterThan(seq);
  });

  it('ignores a damaged record instead of failing the page', () => {
    const storage = memoryStorage();
    storage.setItem('podwire-journal:lab', '{not json');
    expect(new Journal('lab', storage).since()).toEqual([]);
    storage.setItem('podwire-journal:lab', JSON.stringify({ last: 1, entries: [{ seq: 1, node: 'node1', text: 'ok' }, { seq: 'x' }, null] }));
    expect(new Journal('lab', storage).since().map((e) => e.text)).toEqual(['ok']);
  });
});

describe('records read back from IndexedDB', () => {
  const quiet = () => vi.spyOn(console, 'warn').mockImplementation(() => undefined);

  it('keeps a good progress record, and only the step results that make sense in a damaged one', () => {
    const good: LabProgress = { lab: 'x', step: 1, updatedAt: 5, steps: { a: { passed: 2, total: 3, checkedAt: 4 } } };
    expect(readProgress('x', good)).toEqual(good);
    const damaged = { ...good, steps: { a: good.steps.a, b: { passed: 9, total: 3, checkedAt: 1 }, c: 'ok', d: { passed: -1, total: 2, checkedAt: 1 }, __proto__: { passed: 1, total: 1, checkedAt: 1 } } };
    expect(readProgress('x', damaged)?.steps).toEqual({ a: good.steps.a });
  });

  it('uses no progress record that is not one, or is another lab\'s, and says so', () => {
    const warn = quiet();
    for (const raw of [null, 'text', 42, { lab: 'x' }, { lab: 'x', step: 'two', updatedAt: 1, steps: {} }, { lab: 'y', step: 0, updatedAt: 1, steps: {} }]) {
      expect(readProgress('x', raw), JSON.stringify(raw)).toBeUndefined();
    }
    expect(readProgress('x', undefined)).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(6);
    warn.mockRestore();
  });

  it('restores only a saved cluster whose states are blobs', () => {
    const warn = quiet();
    const good = { lab: 'x', snapshotKey: 'k', savedAt: 1, states: { node1: new Blob([new Uint8Array(4)]) } };
    expect(readSavedCluster('x', good)).toEqual(good);
    expect(readSavedCluster('x', { ...good, states: { node1: 'not a state' } })).toBeUndefined();
    expect(readSavedCluster('x', { ...good, lab: 'shipped-lab' })).toBeUndefined();
    expect(readSavedCluster('x', { ...good, journalSeq: { node1: 'NaN' } })).toBeUndefined();
    warn.mockRestore();
  });
});
