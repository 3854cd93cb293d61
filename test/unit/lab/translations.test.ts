// Translations (issue 16): a lab.<locale>.md translates the prose only. Its commands are the
// English ones byte for byte, since the learner types them into the same nodes and the checks
// grade the same state; and every step keeps the English hint ladder's rungs.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labsDir, loadLabFolder } from '../../../src/lab/load.js';
import type { Lab } from '../../../src/lab/types.js';
import { instantiateLab } from '../../../src/lab/variables.js';

/** The fenced code blocks of a Markdown text (indented ones in list items too), fences and info string included, in order. */
function codeBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  let open: string[] | undefined;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      if (open) {
        blocks.push([...open, line].join('\n'));
        open = undefined;
      } else open = [line];
    } else open?.push(line);
  }
  if (open) blocks.push(open.join('\n'));
  return blocks;
}

/** Where a translation's code or hint ladder departs from the English, in words; [] when it does not. */
function departures(lab: Lab, locale: string): string[] {
  const translation = lab.locales[locale]!;
  const problems: string[] = [];
  const compare = (where: string, english: string, translated: string) => {
    const ours = codeBlocks(english);
    const theirs = codeBlocks(translated);
    const first = ours.findIndex((block, i) => block !== theirs[i]);
    if (first >= 0) {
      problems.push(`${where}: code block ${first + 1} differs.\n--- English:\n${ours[first]}\n--- ${locale}:\n${theirs[first] ?? '(missing)'}`);
    } else if (theirs.length > ours.length) {
      problems.push(`${where}: the ${locale} text has ${theirs.length} code blocks, the English ${ours.length}; extra:\n${theirs[ours.length]}`);
    }
  };
  compare('intro', lab.intro, translation.intro);
  for (const step of lab.steps) {
    const translated = translation.steps[step.id]!;
    compare(`step '${step.id}'`, step.text, translated.text);
    if (translated.hints.length !== step.hints.length) {
      problems.push(`step '${step.id}': ${translated.hints.length} hint(s) in ${locale}, ${step.hints.length} in English`);
    }
  }
  return problems;
}

/** Every shipped lab folder with its translations' locales. */
const labFolders = readdirSync(labsDir)
  .filter((name) => statSync(join(labsDir, name)).isDirectory())
  .sort()
  .map((folder) => ({
    folder,
    locales: readdirSync(join(labsDir, folder)).flatMap((file) => /^lab\.([a-z]{2}(?:-[A-Z]{2})?)\.md$/.exec(file)?.[1] ?? []),
  }));
const translated = labFolders.filter(({ locales }) => locales.length > 0);

const seed = 'translations';

describe('lab translations', () => {
  it('exist in Chinese for every lab (the seeds\' readers are Chinese speakers)', () => {
    expect(labFolders.length).toBeGreaterThanOrEqual(19);
    expect(labFolders.filter(({ locales }) => !locales.includes('zh')).map(({ folder }) => `labs/${folder}/lab.zh.md is missing`)).toEqual([]);
  });

  for (const { folder, locales } of translated) {
    for (const locale of locales) {
      it(`${folder} lab.${locale}.md: parses, keeps every code block and every hint rung`, () => {
        // The loader reads the translation with the English, as the site and the CLI do.
        const lab = loadLabFolder(join(labsDir, folder));
        expect(lab.locales[locale], `${folder}: lab.${locale}.md was not read`).toBeDefined();
        const file = `${relative(process.cwd(), join(labsDir, folder))}/lab.${locale}.md`;
        expect(departures(lab, locale), file).toEqual([]);
        // With another seed's values too: a translation that wrote a default value out
        // instead of its {{placeholder}} matches the English only for the defaults.
        if (lab.variables.length) expect(departures(instantiateLab(lab, seed), locale), `${file} (seed ${seed})`).toEqual([]);
      });
    }
  }

  it('notices a changed command, a lost block and a lost rung', () => {
    const lab = loadLabFolder(join(labsDir, '01-netns-veth'));
    const zh = lab.locales.zh!;
    const step = zh.steps.cable!;
    const broken: Lab = {
      ...lab,
      locales: {
        zh: { ...zh, steps: { ...zh.steps, cable: { ...step, text: step.text.replace('peer name veth-b', 'peer name veth-c'), hints: step.hints.slice(1) } } },
      },
    };
    const problems = departures(broken, 'zh');
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^step 'cable': code block 1 differs\.[^]*veth-c/);
    expect(problems[1]).toMatch(/^step 'cable': 3 hint\(s\) in zh, 4 in English$/);
    const dropped = { ...broken, locales: { zh: { ...zh, steps: { ...zh.steps, namespaces: { ...zh.steps.namespaces!, text: 'no code' } } } } };
    expect(departures(dropped, 'zh')).toEqual([expect.stringMatching(/^step 'namespaces': code block 1 differs[^]*\(missing\)$/)]);
  });
});
