// The build cache keeps itself small: old outputs beyond a count go, and so do the work
// folders of builds that ended without cleaning up (failed or killed).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pruneCache } from '../../../images/build/cache.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pruneCache', () => {
  it('removes the work folder of a build whose process is gone, and keeps a running build\'s', async () => {
    dir = mkdtempSync(join(tmpdir(), 'podwire-cache-'));
    // Above the kernel's largest pid (2^22): no process can have it.
    const gone = join(dir, `0123456789abcdef.work.${2 ** 22 + 1}`);
    const running = join(dir, `0123456789abcdef.work.${process.pid}`);
    const output = join(dir, '0123456789abcdef');
    for (const folder of [gone, running, output]) mkdirSync(join(folder, 'stage'), { recursive: true });
    await pruneCache(dir, 8, output);
    expect(existsSync(gone)).toBe(false);
    expect(existsSync(running)).toBe(true);
    expect(existsSync(output)).toBe(true);
  });
});
