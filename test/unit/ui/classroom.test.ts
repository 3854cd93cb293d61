// The page side of a class, without a browser: the routes of the join and instructor
// links, the event-stream reader, the instructor grid's cells and "stuck", and the
// submission bundle's layout.
import { gunzipSync, gzipSync, strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { ClassView, LabProgress } from '../../../src/classroom/protocol.js';
import { readEvents } from '../../../src/ui/classroom/client.js';
import { cellFor, stuckness, timeOnCurrentStep, withStudent } from '../../../src/ui/classroom/grid.js';
import { buildBundle } from '../../../src/ui/classroom/submit.js';
import { english } from '../../../src/ui/i18n/words.js';
import { href, parseRoute } from '../../../src/ui/routes.js';

describe('class routes', () => {
  it('reads join and instructor links, and never writes a secret back into a link', () => {
    expect(parseRoute('#/join/Ab3-xyz_12')).toEqual({ page: 'join', code: 'Ab3-xyz_12' });
    expect(parseRoute('#/teach')).toEqual({ page: 'teach' });
    const withSecret = parseRoute('#/teach/class123456789012/s3cr-et_base64url');
    expect(withSecret).toEqual({ page: 'teach', classId: 'class123456789012', secret: 's3cr-et_base64url' });
    expect(href(withSecret)).toBe('#/teach/class123456789012');
    expect(parseRoute('#/lab/vxlan')).toEqual({ page: 'lab', id: 'vxlan' });
  });
});

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({ start(controller) { for (const c of chunks) controller.enqueue(encoder.encode(c)); controller.close(); } });
}

describe('readEvents', () => {
  it('yields whole events across chunk boundaries and skips pings', async () => {
    const seen: [string, string][] = [];
    await readEvents(streamOf(': ping\n\nevent: stu', 'dent\ndata: {"a":', '1}\n\n', 'event: student\r\ndata: 2\r\n\r\n', 'data: partial'), (e, d) => seen.push([e, d]));
    expect(seen).toEqual([['student', '{"a":1}'], ['student', '2']]);
  });
});

describe('the instructor grid', () => {
  const now = 1_000_000_000;
  const attempted = (failures: number, lastAt: number, timeOnStepMs: number): LabProgress => ({
    currentStepId: 'b', stuck: false,
    steps: {
      a: { status: 'verified', attempts: 1, failures: 0, firstAt: 0, lastAt: 0, hintsShown: 0, timeOnStepMs: 1000 },
      b: { status: 'attempted', attempts: failures, failures, firstAt: lastAt, lastAt, hintsShown: 1, timeOnStepMs },
    },
  });

  it('says what each cell holds', () => {
    const lab = attempted(2, now, 60_000);
    expect(cellFor(lab, 'a')).toMatchObject({ state: 'verified', text: '✓✓' });
    expect(cellFor(lab, 'b')).toMatchObject({ state: 'attempted', text: '✗ 2' });
    // What a screen reader hears of a cell, in the instructor's language (English here).
    expect(english(cellFor(lab, 'a').description)).toBe('verified by the server, 1 attempt');
    expect(english(cellFor(lab, 'b').description)).toBe('not passed yet, 2 attempts');
    expect(cellFor(lab, 'c')).toMatchObject({ state: 'not-started', text: '–' });
    expect(cellFor(undefined, 'a').state).toBe('not-started');
  });

  it('marks stuck after 3 failures or 10 minutes on the current step, and not before', () => {
    expect(stuckness(attempted(2, now, 60_000), now).stuck).toBe(false);
    const threeFailures = stuckness(attempted(3, now, 60_000), now);
    expect(threeFailures.stuck).toBe(true);
    expect(typeof threeFailures.reason === 'object' && english(threeFailures.reason)).toBe('3 failed attempts');
    // 4 minutes at the last check, 6 more since: 10 minutes.
    expect(timeOnCurrentStep(attempted(1, now - 360_000, 240_000), now)).toBe(600_000);
    const tenMinutes = stuckness(attempted(1, now - 360_000, 240_000), now);
    expect(typeof tenMinutes.reason === 'object' && english(tenMinutes.reason)).toBe('10 min 0 s on the step');
    expect(stuckness({ ...attempted(0, now, 0), stuck: true, stuckReason: 'server says so' }, now)).toEqual({ stuck: true, reason: 'server says so' });
  });

  it('puts a changed student row in place and a new one at the end', () => {
    const view: ClassView = { class: { classId: 'c', name: 'n', labs: ['x'], createdAt: 0 }, students: [
      { studentId: 's1', displayName: 'Ana', joinedAt: 0, labs: {} },
      { studentId: 's2', displayName: 'Bo', joinedAt: 0, labs: {} },
    ] };
    const changed = withStudent(view, { studentId: 's1', displayName: 'Ana', joinedAt: 0, labs: { x: attempted(1, now, 0) } });
    expect(changed.students.map((s) => s.studentId)).toEqual(['s1', 's2']);
    expect(changed.students[0]!.labs.x).toBeDefined();
    expect(withStudent(view, { studentId: 's3', displayName: 'Cy', joinedAt: 0, labs: {} }).students.map((s) => s.studentId)).toEqual(['s1', 's2', 's3']);
  });
});

describe('the submission bundle', () => {
  it('holds manifest.json and one states/<node>.gz per node, the states byte for byte', async () => {
    const state1 = gzipSync(new TextEncoder().encode('node1 state'));
    const state2 = gzipSync(new TextEncoder().encode('node2 state'));
    const claimed = { s1: { passed: 1, total: 2, results: [{ id: 'one', passed: true }, { id: 'two', passed: false }] } };
    const zip = await buildBundle({ lab: 'bridge', snapshotKey: 'key-1', savedAt: 42, states: { node1: new Blob([state1]), node2: new Blob([state2]) } }, claimed);
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(['manifest.json', 'states/node1.gz', 'states/node2.gz']);
    expect(JSON.parse(strFromU8(files['manifest.json']!))).toEqual({ lab: 'bridge', snapshotKey: 'key-1', savedAt: 42, claimed });
    expect(strFromU8(gunzipSync(files['states/node2.gz']!))).toBe('node2 state');
  });
});
