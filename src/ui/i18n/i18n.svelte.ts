// The page's own words in the learner's language. i18next holds the texts (en.json,
// zh.json) and picks the language: the one chosen in the page (kept in localStorage),
// else the browser's (navigator.languages), else English. A rune-backed `language`
// makes every t() call in a component re-run when the language changes. Lab texts
// (lab.zh.md) and check results are not here: the lab files and the harness own them.
import i18next from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import en from './en.json';
import zh from './zh.json';
import type { Lab } from '../../lab/types.js';
import { errorWords, sayWith, type WordValue } from './words.js';

/** The page's languages, each named in itself (for the language menu). */
export const LANGUAGES = { en: 'English', zh: '中文' } as const;
export type Language = keyof typeof LANGUAGES;
/** Where the learner's own choice is kept; a language only detected is not kept, so a new browser language is followed. */
export const LANGUAGE_KEY = 'podwire-language';
/** The <html lang> of each language. */
const HTML_LANG: Record<Language, string> = { en: 'en', zh: 'zh-CN' };

const isLanguage = (value: string | undefined): value is Language => !!value && value in LANGUAGES;

void i18next.use(LanguageDetector).init({
  resources: { en: { translation: en }, zh: { translation: zh } },
  supportedLngs: Object.keys(LANGUAGES),
  nonExplicitSupportedLngs: true, // zh-CN, zh-Hans... are zh
  load: 'languageOnly',
  fallbackLng: 'en',
  initAsync: false,
  returnNull: false,
  interpolation: { escapeValue: false }, // Svelte escapes what it puts in the page
  detection: { order: ['localStorage', 'navigator'], lookupLocalStorage: LANGUAGE_KEY, caches: [] },
});

const current = $state<{ language: Language }>({ language: 'en' });

function follow() {
  const resolved = i18next.resolvedLanguage;
  current.language = isLanguage(resolved) ? resolved : 'en';
  if (typeof document !== 'undefined') document.documentElement.lang = HTML_LANG[current.language];
}
follow();
i18next.on('languageChanged', follow);

/** The page's language now (reading it in a component makes the component follow it). */
export function language(): Language {
  return current.language;
}

/** Switch the page's language, and remember the choice. */
export function setLanguage(language: Language): void {
  try { localStorage.setItem(LANGUAGE_KEY, language); } catch { /* storage may be off: the choice lasts for this visit */ }
  void i18next.changeLanguage(language);
}

/** The text of `key` in the page's language, with `values` put in ({{name}}; `count` picks the plural). */
export function t(key: string, values: Record<string, string | number> = {}): string {
  void current.language; // the dependency that re-renders callers on a switch
  return i18next.t(key, values);
}

/**
 * Words a plain module handed over (words.ts), in the page's language now, the words among
 * their values too. A text that is not the page's own (a server's sentence) is said as it is.
 */
export function say(said: WordValue): string {
  return sayWith(t, said);
}

/** What to show of a caught error: the page's own words in the page's language, else the error's message (a server's sentence, a harness error). */
export function errorText(error: unknown): string {
  return say(errorWords(error));
}

/** A lab's title and summary in the page's language, when the lab has that translation. */
export function labHeading(lab: Pick<Lab, 'title' | 'summary' | 'locales'>): { title: string; summary: string } {
  const translated = current.language === 'en' ? undefined : lab.locales[current.language];
  return { title: translated?.title ?? lab.title, summary: translated?.summary ?? lab.summary };
}
