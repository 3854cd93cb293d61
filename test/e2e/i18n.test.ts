// The page's own words follow the browser's language, and the header's language menu
// switches them, with the lesson, for good (the choice survives a reload). The test reads
// the page before its cluster is up: no node needs to answer for any of this.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/load.js';
import zh from '../../src/ui/i18n/zh.json';
import { launchBrowser, serveStatic } from './browser.js';

let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  server = await serveStatic();
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: 'zh-CN' });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const text = (page: Page, selector: string) => page.locator(selector).first().textContent().then((t) => t?.trim());
const htmlLang = (page: Page) => page.evaluate(() => document.documentElement.lang);

describe('the page in Chinese and English', () => {
  it('speaks Chinese to a Chinese browser; the header switches it and the lesson to English, and the choice survives a reload', async () => {
    const lab = findLab('netns-veth');
    const chinese = lab.locales.zh!;
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));

    await page.goto(server.url);
    await page.waitForSelector('[data-testid="catalogue"]');
    expect(await htmlLang(page)).toBe('zh-CN');
    expect(await text(page, '.catalogue header p')).toBe(zh.catalogue.tagline);
    expect(await text(page, `[data-lab="${lab.id}"] h2`)).toBe(chinese.title);

    await page.goto(`${server.url}#/lab/${lab.id}`);
    await page.waitForSelector('[data-testid="lesson"]');
    expect(await text(page, '.lesson-head h2')).toBe(chinese.title);
    expect(await text(page, '[data-testid="step"].current [data-testid="check"]')).toBe(zh.lesson.check);
    expect(await text(page, '[data-testid="view-terminals"]')).toBe(zh.lab.view.terminals);
    expect(await page.locator('[data-testid="lesson-language"]').inputValue()).toBe('zh');

    // English, from the header: the interface and the lesson together.
    await page.locator('.lab-bar [data-testid="language"]').selectOption('en');
    await expect.poll(() => htmlLang(page)).toBe('en');
    expect(await text(page, '.lesson-head h2')).toBe(lab.title);
    expect(await text(page, '[data-testid="step"].current [data-testid="check"]')).toBe('Check');
    expect(await text(page, '[data-testid="view-terminals"]')).toBe('Terminals');
    expect(await text(page, '[data-testid="step"].current h3')).toBe(lab.steps[0]!.title);
    expect(await page.locator('[data-testid="lesson-language"]').inputValue()).toBe('en');

    // A reload keeps the choice, though the browser still asks for Chinese.
    await page.reload();
    await page.waitForSelector('[data-testid="lesson"]');
    expect(await htmlLang(page)).toBe('en');
    expect(await text(page, '.lesson-head h2')).toBe(lab.title);
    expect(await text(page, '[data-testid="view-terminals"]')).toBe('Terminals');

    // The lesson's menu is the same choice: Chinese there is Chinese everywhere.
    await page.locator('[data-testid="lesson-language"]').selectOption('zh');
    await expect.poll(() => text(page, '[data-testid="view-terminals"]')).toBe(zh.lab.view.terminals);
    expect(await page.locator('.lab-bar [data-testid="language"]').inputValue()).toBe('zh');
    expect(await htmlLang(page)).toBe('zh-CN');
    await page.close();
  });
});
