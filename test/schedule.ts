// The order the test files are handed to vitest's workers in (vitest.config.ts, LongestFirst).
// Vitest's pool gives the next file in the list to whichever worker frees up first, so an order
// is a schedule. This one is worked out by playing that pool forward with the seconds each
// file took in the last full run (test/durations.json):
//   - the longest files first, so the run does not end on one long file with a worker idle
//     (on a clean clone vitest orders by file size, and the solution bots, small files with
//     the longest runs, came last: CI on 2026-12-03 spent its last 7 minutes on one of them);
//   - a browser test whenever a worker frees up and no browser test is running: they run one
//     at a time (test/e2e/one-at-a-time.ts), so two started side by side leave a worker waiting
//     on the lock, and if they are left to the end they run alone.

export interface Timed<T> {
  item: T;
  seconds: number;
  /** Only one such file runs at a time. */
  exclusive: boolean;
}

/** The order in which `workers` workers, each taking the next file when it frees up, finish soonest. */
export function scheduleOrder<T>(files: readonly Timed<T>[], workers: number): T[] {
  const longestFirst = (a: Timed<T>, b: Timed<T>) => b.seconds - a.seconds;
  const exclusive = files.filter((file) => file.exclusive).sort(longestFirst);
  const others = files.filter((file) => !file.exclusive).sort(longestFirst);
  const freeAt: number[] = Array.from({ length: Math.max(1, workers) }, () => 0);
  let exclusiveUntil = 0;
  const order: T[] = [];
  while (exclusive.length || others.length) {
    const now = Math.min(...freeAt);
    const worker = freeAt.indexOf(now);
    // An exclusive file if none is running; otherwise the longest other file. With no other
    // file left, the next exclusive one waits for the lock, as it would in the run.
    const takeExclusive = exclusive.length > 0 && (exclusiveUntil <= now || others.length === 0);
    const next = (takeExclusive ? exclusive : others).shift()!;
    const start = takeExclusive ? Math.max(now, exclusiveUntil) : now;
    freeAt[worker] = start + next.seconds;
    if (takeExclusive) exclusiveUntil = freeAt[worker];
    order.push(next.item);
  }
  return order;
}
