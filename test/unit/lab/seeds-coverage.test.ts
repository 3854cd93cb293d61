// labs/SEEDS.md maps every topic, YAML example and command of the five seed write-ups
// to a lab. Each item names a lab by id and quotes a phrase from its lab.md; the phrase
// must be there verbatim, so the map cannot silently go stale when a lab is rewritten.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const labsDir = fileURLToPath(new URL('../../../labs', import.meta.url));
const seedsFile = join(labsDir, 'SEEDS.md');

const SEEDS = [
  '000_c91cd17ed2959c39.txt',
  '001_e53e48ad14c79a46.txt',
  '002_22058be9b88fdfad.txt',
  '003_6c3d170e3a21bed5.txt',
  '004_a47d032ab85b0192.txt',
];

interface Item {
  line: number;
  topic: string;
  lab: string;
  phrase: string;
  correction: boolean;
}

// `- <topic> — <lab id>: "<phrase>"`, at any indentation (corrections are nested under their item).
const ITEM = /^\s*- (.+?) — ([a-z0-9][a-z0-9-]*): "(.*)"$/;

function parseItems(text: string): Item[] {
  const items: Item[] = [];
  text.split('\n').forEach((raw, index) => {
    const match = ITEM.exec(raw.replace(/\r$/, ''));
    if (!match) return;
    const [, topic, lab, phrase] = match as unknown as [string, string, string, string];
    items.push({ line: index + 1, topic, lab, phrase, correction: /^correction\b/.test(topic) });
  });
  return items;
}

/** Lab folders by id: labs/NN-<id>/ -> <id>. */
function labFolders(): Map<string, string> {
  const folders = new Map<string, string>();
  for (const entry of readdirSync(labsDir, { withFileTypes: true })) {
    const match = /^\d+-(.+)$/.exec(entry.name);
    if (entry.isDirectory() && match) folders.set(match[1]!, entry.name);
  }
  return folders;
}

describe('labs/SEEDS.md', () => {
  const text = readFileSync(seedsFile, 'utf8');
  const items = parseItems(text);
  const folders = labFolders();
  const labText = new Map<string, string>();
  const readLab = (folder: string): string => {
    let body = labText.get(folder);
    if (body === undefined) {
      const file = join(labsDir, folder, 'lab.md');
      body = existsSync(file) ? readFileSync(file, 'utf8') : '';
      labText.set(folder, body);
    }
    return body;
  };

  it('has a heading for each of the five seed files', () => {
    const headings = text.split('\n').filter((line) => /^#{1,6} /.test(line)).map((line) => line.replace(/^#+ /, '').trim());
    for (const seed of SEEDS) expect(headings, `no heading for ${seed}`).toContain(seed);
  });

  it('covers at least 60 items (corrections not counted)', () => {
    expect(items.filter((item) => !item.correction).length).toBeGreaterThanOrEqual(60);
  });

  it('covers items under every seed heading', () => {
    const lines = text.split('\n');
    for (const seed of SEEDS) {
      const start = lines.findIndex((line) => /^#{1,6} /.test(line) && line.replace(/^#+ /, '').trim() === seed);
      let end = lines.findIndex((line, i) => i > start && /^## /.test(line));
      if (end < 0) end = lines.length;
      const inside = items.filter((item) => item.line > start + 1 && item.line <= end && !item.correction);
      expect(inside.length, `${seed} has no covered items`).toBeGreaterThan(0);
    }
  });

  it('has an out-of-scope section with a reason per item', () => {
    const lines = text.split('\n');
    const start = lines.findIndex((line) => /^## Out of scope/.test(line));
    expect(start, 'no "Out of scope" section').toBeGreaterThanOrEqual(0);
    const entries = lines.slice(start + 1).filter((line) => line.startsWith('- '));
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) expect(entry, 'an out-of-scope item needs "topic: reason"').toMatch(/\): \S/);
  });

  it('quotes, for every item, a phrase that its lab.md contains verbatim', () => {
    expect(items.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const item of items) {
      const where = `SEEDS.md:${item.line} (${item.topic.slice(0, 60)})`;
      if (item.phrase.length < 3 || item.phrase.length > 80) problems.push(`${where}: phrase of ${item.phrase.length} chars, want 3-80`);
      const folder = folders.get(item.lab);
      if (!folder) {
        problems.push(`${where}: no lab folder labs/NN-${item.lab}`);
        continue;
      }
      const body = readLab(folder);
      if (!body) problems.push(`${where}: labs/${folder}/lab.md is missing`);
      else if (!body.includes(item.phrase)) problems.push(`${where}: labs/${folder}/lab.md does not contain "${item.phrase}"`);
    }
    expect(problems).toEqual([]);
  });
});
