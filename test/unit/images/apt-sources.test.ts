// Where the image build downloads jq's source from: the Debian archive the machine's apt
// already uses for bookworm, read from its sources files in both of apt's formats.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PrivateApt, archiveUris } from '../../../images/build/apt.js';

function sourcesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'podwire-sources-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('archiveUris', () => {
  it('reads deb822 stanzas for bookworm, not its security suite or source-only stanzas', () => {
    const dir = sourcesDir({
      'debian.sources': [
        'Types: deb', '# http://old.example/debian', 'URIs: http://archive.example/debian', 'Suites: bookworm bookworm-updates',
        'Components: main', '',
        'Types: deb', 'URIs: http://security.example/debian-security', 'Suites: bookworm-security', 'Components: main', '',
        'Types: deb-src', 'URIs: http://src.example/debian', 'Suites: bookworm', 'Components: main', '',
      ].join('\n'),
    });
    expect(archiveUris(dir)).toEqual(['http://archive.example/debian']);
  });

  it('reads one-line sources with options, and ignores comments and other suites', () => {
    const dir = sourcesDir({
      'sources.list': [
        '# deb http://commented.example/debian bookworm main',
        'deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main',
        'deb http://two.example/debian/ bookworm main contrib',
        'deb http://three.example/debian trixie main',
        'deb-src http://four.example/debian bookworm main',
      ].join('\n'),
    });
    expect(archiveUris(dir)).toEqual(['http://one.example/debian', 'http://two.example/debian/']);
  });

  it('finds nothing in sources for other distributions', () => {
    expect(archiveUris(sourcesDir({ 'x.list': 'deb https://packages.example/apt stable main\n' }))).toEqual([]);
  });

  it('a source-package apt reads deb-src entries of this machine\'s bookworm archives, and nothing else', () => {
    const root = mkdtempSync(join(tmpdir(), 'podwire-apt-src-'));
    new PrivateApt(root, { sourcePackages: true });
    const dir = join(root, 'sources');
    const text = readdirSync(dir).map((file) => readFileSync(join(dir, file), 'utf8')).join('\n');
    const entries = text.split('\n').filter((line) => /^(Types:|deb)/.test(line.trim()));
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) expect(entry).toMatch(/^(Types: deb-src$|deb-src\s)/);
    expect(text).not.toMatch(/^Suites:.*(security|updates)/m);
    // The same archives the image's binary packages come from.
    expect(archiveUris(dir)).toEqual([]);
    expect(new PrivateApt(mkdtempSync(join(tmpdir(), 'podwire-apt-'))).archiveUris().length).toBeGreaterThan(0);
  });
});
