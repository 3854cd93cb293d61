// The order vitest.config.ts hands test files to the two VM workers (test/schedule.ts).
import { describe, expect, it } from 'vitest';
import { scheduleOrder, type Timed } from '../schedule.js';

const file = (item: string, seconds: number, exclusive = false): Timed<string> => ({ item, seconds, exclusive });

/** Plays the order forward as vitest's pool does, with the exclusive files waiting on one lock; returns when the last file ends. */
function makespan(order: string[], files: Timed<string>[], workers: number): { end: number; overlaps: number } {
  const byName = new Map(files.map((f) => [f.item, f]));
  const freeAt = Array.from({ length: workers }, () => 0);
  const exclusiveRuns: [number, number][] = [];
  let lockFreeAt = 0;
  for (const name of order) {
    const f = byName.get(name)!;
    const now = Math.min(...freeAt);
    const worker = freeAt.indexOf(now);
    const start = f.exclusive ? Math.max(now, lockFreeAt) : now;
    freeAt[worker] = start + f.seconds;
    if (f.exclusive) { lockFreeAt = freeAt[worker]!; exclusiveRuns.push([start, freeAt[worker]!]); }
  }
  const overlaps = exclusiveRuns.filter(([s], i) => exclusiveRuns.some(([s2, e2], j) => j !== i && s2 < s && s < e2)).length;
  return { end: Math.max(...freeAt), overlaps };
}

describe('the test schedule', () => {
  it('starts the longest files first and keeps every file', () => {
    const files = [file('short', 10), file('long', 600), file('middle', 100)];
    expect(scheduleOrder(files, 2)).toEqual(['long', 'middle', 'short']);
  });

  it('spreads the browser tests among the others instead of leaving them to the end', () => {
    // The shape of CI on 2026-12-03: three long solution-bot files, many shorter ones, and browser tests.
    const files = [
      file('bots-1', 690), file('bots-2', 670), file('bots-3', 630), file('services', 430), file('policy', 340),
      ...Array.from({ length: 20 }, (_, i) => file(`integration-${i}`, 60 + i * 5)),
      file('persistence', 160, true), file('web', 100, true), file('hardening', 50, true), file('walk', 35, true), file('i18n', 5, true),
    ];
    const order = scheduleOrder(files, 2);
    expect(order.slice().sort()).toEqual(files.map((f) => f.item).sort());
    const { end, overlaps } = makespan(order, files, 2);
    expect(overlaps).toBe(0);
    const total = files.reduce((sum, f) => sum + f.seconds, 0);
    // Within a tenth of the best two workers could do, and no browser test among the last files.
    expect(end).toBeLessThan((total / 2) * 1.1);
    expect(order.slice(-5).some((name) => ['persistence', 'web', 'hardening', 'walk', 'i18n'].includes(name))).toBe(false);
  });

  it('with only browser tests left, they still all run', () => {
    expect(scheduleOrder([file('a', 5, true), file('b', 50, true)], 2)).toEqual(['b', 'a']);
  });
});
