// Accessibility of the web lab, checked by axe-core in Debian's chromium: the catalogue,
// and a lab view with each of its views (terminals, topology, capture, follow a packet), the reset menu
// open and a step's check results shown. No serious or critical violation may remain.
// Then the lesson's layout on a 1366×768 laptop screen: the current step's Check one
// click away, its place kept across a reload, code copied with one click.
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, serveStatic } from './browser.js';
import { check, waitForTerminals } from './page.js';

let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  server = await serveStatic();
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** axe's serious and critical findings on the page as it is, one line each (empty when there are none). */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join(' | ')}`);
}

describe('accessibility (axe-core)', () => {
  it('the catalogue has no serious or critical violations', async () => {
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="catalogue"] [data-lab]');
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('a lab view has none: terminals, topology, capture, follow a packet, the reset menu and check results', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}#/lab/vxlan`);
    await waitForTerminals(page, 'node1');
    expect(await page.locator('main').count()).toBe(1);
    const selectedView = () => page.locator('[role="tablist"][aria-label="Views of the cluster"] [role="tab"][aria-selected="true"]').textContent();
    expect(await selectedView()).toBe('Terminals');
    const found: Record<string, string[]> = {};
    found.terminals = await seriousViolations(page);

    await page.click('[data-testid="view-topology"]');
    await page.locator('[data-testid="topology-pod"]').first().waitFor({ timeout: 60_000 });
    expect(await selectedView()).toBe('Topology');
    found.topology = await seriousViolations(page);

    await page.click('[data-testid="view-capture"]');
    await page.locator('[data-testid="capture-download"]').waitFor();
    found.capture = await seriousViolations(page);

    await page.click('[data-testid="view-walk"]');
    await page.locator('[data-testid="walk-follow"]').waitFor();
    found.walk = await seriousViolations(page);

    await page.click('[data-testid="reset-menu"]');
    await page.locator('[role="menu"]').waitFor();
    expect(await page.getAttribute('[data-testid="reset-menu"]', 'aria-expanded')).toBe('true');
    found.resetMenu = await seriousViolations(page);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getAttribute('[data-testid="reset-menu"]', 'aria-expanded')).toBe('false');

    await page.click('[data-testid="view-terminals"]');
    const score = await check(page);
    // The outcome is announced, not only drawn.
    await expect.poll(() => page.locator('[data-testid="check-announcement"]').textContent()).toContain(`Step 1: ${score === 'Step passed' ? 'passed' : score}`);
    found.checkResults = await seriousViolations(page);

    expect(found).toEqual({ terminals: [], topology: [], capture: [], walk: [], resetMenu: [], checkResults: [] });
    await page.close();
  });
});

describe('the lesson at 1366×768', () => {
  let lessonContext: BrowserContext;

  beforeAll(async () => {
    lessonContext = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    await lessonContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
    // Only the lesson is looked at: no node image, so no node starts.
    await lessonContext.route(/\/node\//, (route) => route.abort());
  });

  afterAll(async () => {
    await lessonContext?.close();
  });

  const lessonTop = (page: Page) => page.evaluate(() => document.querySelector('[data-testid="lesson"]')!.scrollTop);

  it("brings the current step's Check on screen with one click, past a long introduction", async () => {
    const page = await lessonContext.newPage();
    await page.goto(`${server.url}#/lab/vxlan`);
    const checkButton = page.locator('[data-testid="step"].current [data-testid="check"]');
    await checkButton.waitFor();
    // The introduction pushes step 1 below the screen.
    expect((await checkButton.boundingBox())!.y).toBeGreaterThan(768);
    await page.click('[data-testid="to-check"]');
    await expect.poll(async () => { const box = (await checkButton.boundingBox())!; return box.y >= 0 && box.y + box.height <= 768; }).toBe(true);
    // The step's title is on screen too, under the lesson's header, and the page itself did not move.
    const title = (await page.locator('[data-testid="step"].current .step-title').boundingBox())!;
    expect(title.y).toBeGreaterThan(0);
    expect(title.y + title.height).toBeLessThan(768);
    expect(await page.evaluate(() => document.scrollingElement!.scrollTop)).toBe(0);
    await page.close();
  });

  it('keeps its scroll position across a reload', async () => {
    const page = await lessonContext.newPage();
    await page.goto(`${server.url}#/lab/bridge`);
    await page.locator('[data-testid="step"]').first().waitFor();
    const scrolled = await page.evaluate(() => {
      const lesson = document.querySelector('[data-testid="lesson"]')!;
      lesson.scrollTop = (lesson.scrollHeight - lesson.clientHeight) / 2;
      return lesson.scrollTop;
    });
    expect(scrolled).toBeGreaterThan(100);
    // The position is written a moment after scrolling stops.
    await page.waitForTimeout(500);
    await page.reload();
    await page.locator('[data-testid="step"]').first().waitFor();
    await expect.poll(() => lessonTop(page)).toBe(scrolled);
    await page.close();
  });

  it('copies a code block with one click, without its last newline', async () => {
    const page = await lessonContext.newPage();
    await page.goto(`${server.url}#/lab/vxlan`);
    const block = page.locator('[data-testid="step"].current .code-block').first();
    await block.waitFor();
    const code = (await block.locator('pre').textContent())!;
    expect(code).toContain('ip link add flannel.1');
    await block.locator('button.copy-code').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(code.replace(/\n+$/, ''));
    await expect(block.locator('button.copy-code').textContent()).resolves.toBe('Copied');
    // Long lines wrap inside the pane instead of running out of it.
    expect(await block.locator('pre').evaluate((pre) => pre.scrollWidth <= pre.clientWidth)).toBe(true);
    await page.close();
  });
});
