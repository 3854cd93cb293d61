import { describe, expect, it } from 'vitest';
import { benchSwitch } from '../../../src/net/bench.js';

// Speed itself is measured by npm run bench; this only checks the benchmark does its work.
describe('benchSwitch', () => {
  it('forwards every frame it is asked to and reports a rate', () => {
    const result = benchSwitch({ frames: 50_000, rounds: 1 });
    expect(result.frames).toBe(50_000);
    expect(result.elapsedMs).toBeGreaterThan(0);
    expect(result.framesPerSecond).toBeGreaterThan(0);
  });
});
