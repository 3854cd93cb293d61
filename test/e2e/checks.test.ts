// What a Check does to the rest of the page, in a real browser: captured frames stay,
// the hint names the node that failed, and a lab's catastrophic regex cannot hang it.
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/load.js';
import { launchBrowser, serveStatic } from './browser.js';
import { check, terminalText, typeInTerminal, waitForTerminals } from './page.js';

// A lab whose check pattern would take a backtracking engine about 2^44 steps; RE2 takes linear time.
const REDOS_LAB = readFileSync(new URL('../fixtures/labs/redos/lab.md', import.meta.url), 'utf8');

let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  server = await serveStatic({ extra: { '/external/redos/lab.md': REDOS_LAB } });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  return page;
}

/** The current step's check results as the page shows them, for a failed expectation. */
async function checksShown(page: Page): Promise<string> {
  return (await page.locator('[data-testid="step"].current [data-testid="checks"]').textContent({ timeout: 1000 }).catch(() => null)) ?? '(no checks shown)';
}

/** The capture panel's rows (each as its cells' text) and its "N of M frames" counts. */
async function captureShows(page: Page): Promise<{ rows: string[]; shown: number; total: number }> {
  return page.evaluate(() => {
    const rows = [...document.querySelectorAll('[data-testid="capture-row"]')].map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent?.trim()).join(' | '));
    const counts = /(\d+) of (\d+) frames/.exec(document.querySelector('.capture-count')?.textContent ?? '');
    return { rows, shown: Number(counts?.[1] ?? -1), total: Number(counts?.[2] ?? -1) };
  });
}

describe('checks in the web lab (vxlan, one cluster for both tests)', () => {
  const lab = findLab('vxlan');
  let page: Page;

  beforeAll(async () => {
    page = await newPage();
    await page.goto(`${server.url}#/lab/${lab.id}`);
    await waitForTerminals(page, 'node1');
    await waitForTerminals(page, 'node2');
  }, 300_000);

  afterAll(async () => {
    await page?.close();
  });

  it('names the failing node in the hint, with that node\'s values: step 1 done on node1 only points at node2', async () => {
    const devices = lab.steps[0]!;
    await typeInTerminal(page, 'node1', devices.solution.node1!);
    const score = await check(page);
    expect(score, `${await checksShown(page)}\n--- node1's screen:\n${await terminalText(page, 'node1')}`).toMatch(/2 of 4 checks pass/);
    const hint = (await page.locator('[data-testid="step"].current [data-testid="hint"]').textContent())!;
    expect(hint, await checksShown(page)).toMatch(/flannel\.1 is missing or not right on node2:/);
    expect(hint).toContain('local 10.0.0.12 (this node\'s own address)');
    expect(hint).not.toContain('10.0.0.11');
  });

  it('keeps the captured frames listed across a Check of a step with a wire check', async () => {
    await page.locator(`[data-step="${lab.steps[1]!.id}"] .step-title`).click();
    await expect.poll(() => page.locator('[data-testid="step"].current').getAttribute('data-step')).toBe(lab.steps[1]!.id);
    await page.click('[data-testid="view-terminals"]');
    // -W 5: a save (the VM paused for its snapshot) may hold a reply back for a moment.
    await typeInTerminal(page, 'node1', 'ping -c 2 -W 5 10.0.0.12');
    expect(await terminalText(page, 'node1')).toMatch(/2 received|2 packets received/);

    // Only the ping between the nodes: few enough rows that all of them are drawn.
    await page.click('[data-testid="view-capture"]');
    await page.fill('[data-testid="capture-filter-host"]', '10.0.0.12');
    await page.selectOption('[data-testid="capture-filter-protocol"]', 'icmp');
    await expect.poll(async () => (await captureShows(page)).rows.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
    const before = await captureShows(page);
    expect(before.rows.length).toBe(before.shown);

    // The step's Check runs its wire check (pod-a's ping, watched on the wire) while the panel is live.
    expect(await check(page), await checksShown(page)).toMatch(/checks pass/);
    expect(await checksShown(page)).toContain('the ping crosses the wire inside VXLAN VNI 1');
    await page.waitForTimeout(1500); // three polls of the panel
    const after = await captureShows(page);
    expect(after.shown).toBeGreaterThanOrEqual(before.shown);
    expect(after.total).toBeGreaterThanOrEqual(before.total);
    for (const row of before.rows) expect(after.rows).toContain(row);
  });
});

describe('a lab opened from a URL with a catastrophic regex', () => {
  it('fails its check with a message and leaves the page responsive', async () => {
    const page = await newPage();
    await page.goto(`${server.url}#/url/${encodeURIComponent(`${server.url}external/redos/lab.md`)}`);
    await waitForTerminals(page);
    expect(await check(page, 120_000), await checksShown(page)).toBe('0 of 1 checks pass');
    const failed = page.locator('[data-testid="step"].current [data-testid="checks"] li.failed');
    await expect(failed.textContent()).resolves.toContain('the output is only a\'s');
    await expect(failed.locator('.found').textContent()).resolves.toMatch(/found output: a{44}!/);
    // The page still answers: another view opens and draws.
    await page.click('[data-testid="view-topology"]');
    await page.locator('[data-testid="topology-node"]').first().waitFor({ timeout: 30_000 });
    await page.close();
  });
});
