// Accessibility of the web lab, checked by axe-core in Debian's chromium: the catalogue,
// and a lab view with each of its views (terminals, topology, capture), the reset menu
// open and a step's check results shown. No serious or critical violation may remain.
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

  it('a lab view has none: terminals, topology, capture, the reset menu and check results', async () => {
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

    expect(found).toEqual({ terminals: [], topology: [], capture: [], resetMenu: [], checkResults: [] });
    await page.close();
  });
});
