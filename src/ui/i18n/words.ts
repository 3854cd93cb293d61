// The page's words as plain modules (the session, the store, the class client) hand them
// to a component: a key of en.json and zh.json with the values to put in, some of them
// words too. These modules cannot call t(): the store, the grid and the class client run
// in unit tests without Svelte's runes. A component says them with say() (i18n.svelte.ts)
// when it renders, so they follow a switch of language like every other text.
import i18next from 'i18next';
import en from './en.json';

export type WordValue = string | number | Words;
/** A text of the page, not yet in any language. */
export interface Words { readonly key: string; readonly values?: Readonly<Record<string, WordValue>> }

export function words(key: string, values?: Record<string, WordValue>): Words {
  return values === undefined ? { key } : { key, values };
}

/** An error the page shows in the learner's language; its message is the English, for logs and for code that reads messages. */
export class WordsError extends Error {
  constructor(readonly words: Words, options?: ErrorOptions) {
    super(english(words), options);
    this.name = 'WordsError';
  }
}

/** The words an error carries (a WordsError, or any error with a `words` field, like the class client's ApiError), if it has any. */
function wordsOf(error: unknown): Words | undefined {
  const said = error instanceof Error ? (error as { words?: unknown }).words : undefined;
  return typeof said === 'object' && said !== null && typeof (said as Words).key === 'string' ? (said as Words) : undefined;
}

/** What to say of an error inside other words: its own words, else its message (a server's sentence, a browser's). */
export function errorWords(error: unknown): WordValue {
  return wordsOf(error) ?? (error instanceof Error ? error.message : String(error));
}

/**
 * Words said through a translation function (i18next's t), the words among their values
 * first; a value that is not words (a count, a server's sentence) goes in as it is.
 */
export function sayWith(translate: (key: string, values: Record<string, string | number>) => string, said: WordValue): string {
  if (typeof said !== 'object') return String(said);
  const values: Record<string, string | number> = {};
  for (const [name, value] of Object.entries<WordValue>(said.values ?? {})) values[name] = typeof value === 'object' ? sayWith(translate, value) : value;
  return translate(said.key, values);
}

/** English alone, for what has no page to say it in: plain modules and unit tests load this without Svelte. */
const englishOnly = i18next.createInstance();
void englishOnly.init({ resources: { en: { translation: en } }, lng: 'en', initAsync: false, returnNull: false, interpolation: { escapeValue: false } });

/**
 * The words in English, as the page says them in English, for what has no page to say it
 * in: logs, and text written before a component can say it. The key itself when en.json
 * lacks it (a unit test catches that).
 */
export function english(said: Words): string {
  return sayWith((key, values) => englishOnly.t(key, values), said);
}
