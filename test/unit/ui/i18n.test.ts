// The page's own words: English and Chinese hold the same keys with the same {{values}},
// none is empty, every key the components ask for (t()) and the plain modules hand them
// (words()) exists, the plain modules' words read in English as i18next reads them, and
// no .svelte file under src/ui still has English words written into its markup.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import en from '../../../src/ui/i18n/en.json';
import zh from '../../../src/ui/i18n/zh.json';
// Aliased: this file has its own `english` (the catalogue) and `words` (a text's words).
import { english as inEnglish, errorWords, words as toSay, WordsError, type WordValue } from '../../../src/ui/i18n/words.js';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const flat = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === 'string') flat.set(prefix + key, value);
    else for (const [k, v] of flatten(value, `${prefix}${key}.`)) flat.set(k, v);
  }
  return flat;
}

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();
const english = flatten(en as Tree);
const chinese = flatten(zh as Tree);

const UI = join(import.meta.dirname, '../../../src/ui');
function filesUnder(folder: string, ending: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(ending))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Cut {…} expressions out of markup (braces inside their strings do not count). */
function withoutExpressions(markup: string): string {
  let out = '';
  let depth = 0;
  let quote = '';
  for (let i = 0; i < markup.length; i++) {
    const c = markup[i]!;
    if (depth === 0) {
      if (c === '{') depth = 1;
      else out += c;
      continue;
    }
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) out += ' ';
  }
  return out;
}

/** Words of two letters or more in a text; an example address is not prose. */
const words = (text: string) => text.replace(/\S+:\/\/\S+/g, ' ').match(/[A-Za-z]{2,}/g) ?? [];
/** Markup words that are names or units, the same in every language: the product's name, milliseconds. */
const ALLOWED = new Set(['podwire', 'ms']);

/**
 * English left in a component's markup: words in text nodes and in aria-label, title,
 * placeholder, alt and label attributes written as literals (outside {…}).
 */
export function hardCodedText(source: string): string[] {
  const markup = source
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '');
  const bare = withoutExpressions(markup);
  const found: string[] = [];
  for (const match of bare.matchAll(/\s(?:aria-label|title|placeholder|alt|label)="([^"]*)"/g)) found.push(...words(match[1]!));
  const text = bare.replace(/<[^>]*>/g, ' ');
  found.push(...words(text));
  return found.filter((word) => !ALLOWED.has(word));
}

describe('the page\'s words in English and Chinese', () => {
  it('have the same keys in both languages', () => {
    expect([...chinese.keys()].filter((key) => !english.has(key))).toEqual([]);
    expect([...english.keys()].filter((key) => !chinese.has(key))).toEqual([]);
    expect(english.size).toBeGreaterThan(150);
  });

  it('put in the same values, and none is empty', () => {
    for (const [key, text] of english) {
      expect(text.trim(), key).not.toBe('');
      expect(chinese.get(key)!.trim(), key).not.toBe('');
      expect(placeholders(chinese.get(key)!), key).toEqual(placeholders(text));
    }
  });

  it('have each plural in both forms, and i18next picks them', async () => {
    for (const key of english.keys()) {
      if (key.endsWith('_one')) expect(english.has(key.replace(/_one$/, '_other')), key).toBe(true);
    }
    const i18n = i18next.createInstance();
    await i18n.init({ resources: { en: { translation: en }, zh: { translation: zh } }, lng: 'en', fallbackLng: 'en', interpolation: { escapeValue: false } });
    // "n of m checks pass" keeps one form: tests and people read it as a score.
    expect(i18n.t('lesson.checksPass', { passed: 0, count: 1 })).toBe('0 of 1 checks pass');
    expect(i18n.t('catalogue.nodes', { count: 1 })).toBe('1 node');
    expect(i18n.t('lesson.checksPass', { passed: 2, count: 3 })).toBe('2 of 3 checks pass');
    expect(i18n.t('catalogue.nodes', { count: 3 })).toBe('3 nodes');
    await i18n.changeLanguage('zh');
    expect(i18n.t('lesson.checksPass', { passed: 2, count: 3 })).toBe('3 项检查中通过 2 项');
    expect(i18n.t('catalogue.nodes', { count: 1 })).toBe('1 个节点');
  });

  it('hold every key the page asks for', () => {
    const sources = [...filesUnder(UI, '.svelte'), ...filesUnder(UI, '.ts')].map((file) => readFileSync(file, 'utf8'));
    const asked = new Set<string>();
    const prefixes = new Set<string>();
    for (const source of sources) {
      // t() in components, words() in the plain modules that hand words to them.
      for (const m of source.matchAll(/\b(?:t|words)\(\s*'([\w.]+)'/g)) asked.add(m[1]!);
      // t(x ? 'a' : 'b'): both keys.
      for (const m of source.matchAll(/\b(?:t|words)\(\s*\w+(?:\s*===\s*'\w+')?\s*\?\s*'([\w.]+)'\s*:\s*'([\w.]+)'/g)) { asked.add(m[1]!); asked.add(m[2]!); }
      for (const m of source.matchAll(/\bt\(\s*`([\w.]+)\.\$\{/g)) prefixes.add(m[1]!);
    }
    expect(asked.size).toBeGreaterThan(150);
    // The plain modules' words are among them (the session's, the store's, the grid's).
    for (const key of ['session.resetMarker', 'store.evicted.saved', 'grid.failedAttempts', 'classClient.unreachable']) expect(asked.has(key), key).toBe(true);
    const missing = [...asked].filter((key) => !english.has(key) && !english.has(`${key}_other`));
    expect(missing).toEqual([]);
    for (const prefix of prefixes) expect([...english.keys()].some((key) => key.startsWith(`${prefix}.`)), prefix).toBe(true);
  });

  it('leave no English written into the components\' markup', () => {
    // The heuristic finds what it is meant to find.
    expect(hardCodedText('<script>const a = "Words";</script><p>Hello {name}</p><button aria-label="Close it">×</button><b>{t(\'x\')}</b>'))
      .toEqual(['Close', 'it', 'Hello']);
    const left: Record<string, string[]> = {};
    for (const file of filesUnder(UI, '.svelte')) {
      const found = hardCodedText(readFileSync(file, 'utf8'));
      if (found.length) left[file.slice(UI.length + 1)] = found;
    }
    expect(left).toEqual({});
  });
});

describe('the words plain modules hand to the page', () => {
  /** What say() (i18n.svelte.ts, which needs Svelte's runes) does, over a private i18next. */
  async function sayer(language: 'en' | 'zh') {
    const i18n = i18next.createInstance();
    await i18n.init({ resources: { en: { translation: en }, zh: { translation: zh } }, lng: language, fallbackLng: 'en', interpolation: { escapeValue: false } });
    const say = (said: WordValue): string => {
      if (typeof said !== 'object') return String(said);
      return i18n.t(said.key, Object.fromEntries(Object.entries(said.values ?? {}).map(([name, value]) => [name, typeof value === 'object' ? say(value) : value])));
    };
    return say;
  }

  it('read in English as i18next reads them, words inside words and plurals too', async () => {
    const say = await sayer('en');
    const samples = [
      toSay('session.resetMarker', { node: 'node1', where: toSay('session.where.step', { step: 2 }) }),
      toSay('session.resetTimedOut', { what: toSay('session.reset.node', { node: 'node2' }), seconds: 30, stage: toSay('session.stage.solution', { step: 'there' }) }),
      toSay('grid.verified', { tries: toSay('grid.attempts', { count: 1 }) }),
      toSay('grid.notPassed', { tries: toSay('grid.attempts', { count: 3 }) }),
      toSay('store.evicted.starts', { lab: 'vxlan' }),
    ];
    for (const said of samples) expect(inEnglish(said)).toBe(say(said));
    // The English the e2e tests look for in a terminal, unchanged.
    expect(inEnglish(samples[0]!)).toBe('--- node1 reset to the start of step 2 ---');
    expect(inEnglish(samples[2]!)).toBe('verified by the server, 1 attempt');
  });

  it('are said in Chinese when the page is, inner words too', async () => {
    const say = await sayer('zh');
    expect(say(toSay('session.resetMarker', { node: 'node1', where: toSay('session.where.lab') }))).toBe('--- node1 已重置到实验开始时 ---');
    expect(say(toSay('grid.onTheStep', { time: toSay('grid.duration.minutes', { minutes: 3, seconds: 5 }) }))).toBe('在本步用时 3 分 5 秒');
    // A server's own sentence is said as it is.
    expect(say('class is closed')).toBe('class is closed');
  });

  it('travel in errors: the message in English for logs, the words for the page', () => {
    const error = new WordsError(toSay('session.noState', { node: 'node1', seconds: 60 }));
    expect(error.message).toBe('node1 did not give its state within 60 s');
    expect(errorWords(error)).toEqual({ key: 'session.noState', values: { node: 'node1', seconds: 60 } });
    expect(errorWords(new Error('a harness error'))).toBe('a harness error');
  });
});
