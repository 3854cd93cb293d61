// A broken recipe stops the image build with a message that names the file, the line and the fault.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildImage } from '../../images/build.js';

const recipe = new URL('../../images', import.meta.url).pathname;

describe('image build on bad input', () => {
  let dir: string;
  const saved = process.env.PODWIRE_CACHE;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'podwire-recipe-'));
    cpSync(recipe, dir, { recursive: true });
    process.env.PODWIRE_CACHE = join(dir, '.cache');
  });
  afterEach(() => { process.env.PODWIRE_CACHE = saved; });

  it('names an unknown package and its line', () => {
    const packages = join(dir, 'packages.txt');
    const lines = readFileSync(packages, 'utf8').split('\n');
    lines.splice(5, 0, 'iproute-three');
    writeFileSync(packages, lines.join('\n'));
    expect(() => buildImage(dir)).toThrow(/images\/packages\.txt:6: unknown package 'iproute-three'/);
  });

  it('names a malformed rootfs line before downloading anything', () => {
    writeFileSync(join(dir, 'rootfs.txt'), 'keep /bin/bash\nplace /bin/ip\n');
    expect(() => buildImage(dir)).toThrow(/images\/rootfs\.txt:2: unknown verb 'place'/);
  });
});
