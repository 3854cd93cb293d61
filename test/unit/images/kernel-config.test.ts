// images/kernel.config, the changes to Debian's kernel configuration: read line by line,
// and a line that is not CONFIG_NAME=value stops the build with its file and line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFragment } from '../../../images/build/kernel.js';

function fragment(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'podwire-kconfig-')), 'kernel.config');
  writeFileSync(file, text);
  return file;
}

describe('readFragment', () => {
  it('reads the repository\'s own kernel.config: tickless idle is one of its changes', () => {
    const lines = readFragment(join(import.meta.dirname, '../../../images/kernel.config'));
    expect(lines.map(({ name, value }) => `${name}=${value}`)).toContain('CONFIG_NO_HZ_IDLE=y');
  });

  it('keeps names, values and where each came from, and skips comments', () => {
    const lines = readFragment(fragment('# a comment\n\nCONFIG_HZ_100=y\nCONFIG_LOCALVERSION="-x" # why\nCONFIG_HZ_250=n\n'));
    expect(lines.map(({ name, value, at }) => [name, value, at.line])).toEqual([
      ['CONFIG_HZ_100', 'y', 3], ['CONFIG_LOCALVERSION', '"-x"', 4], ['CONFIG_HZ_250', 'n', 5],
    ]);
  });

  it('names the file and line of a line that is not CONFIG_NAME=value', () => {
    expect(() => readFragment(fragment('CONFIG_NO_HZ_IDLE=y\nNO_HZ=y\n'))).toThrow(/^images\/kernel\.config:2: expected CONFIG_NAME=value, got 'NO_HZ=y'/);
    expect(() => readFragment(fragment('CONFIG_A = y\n'))).toThrow(/kernel\.config:1:/);
  });
});
