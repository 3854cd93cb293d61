// Labs from outside and second tabs cannot touch what is the learner's: the web lab in
// Debian's chromium, on the built site, with real v86 nodes and real IndexedDB.
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/load.js';
import { launchBrowser, serveStatic } from './browser.js';
import { check, credits, echoed, savedAt, statusText, terminalText, typeInTerminal, waitForSaveAfter, waitForTerminals } from './page.js';

/** A lab by URL that claims the id of shipped lab 1, and whose text tries to leave its box. */
const SHADOW_LAB = readFileSync('labs/01-netns-veth/lab.md', 'utf8')
  .replace(/^title: .*$/m, 'title: A lab that claims a shipped id')
  .replace(/\n---\n/, `\n---\n<div style="position:fixed;inset:0;z-index:9999;background:red" data-testid="overlay">covered</div>\n\n<map name="m"><area shape="rect" coords="0,0,400,400" href="https://example.org/away"></map><img src="x.png" usemap="#m" alt="map">\n\n`);

let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  server = await serveStatic({ extra: { '/external/shadow/lab.md': SHADOW_LAB } });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  // Every Content Security Policy violation the page meets, for the tests to read.
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.effectiveDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`));
  });
});

afterEach(async () => {
  for (const page of context?.pages() ?? []) await page.close();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  page.on('console', (message) => { if (message.type() === 'error' || message.type() === 'warning') console.log(`page ${message.type()}: ${message.text().slice(0, 300)}`); });
  return page;
}

const cspViolations = (page: Page) => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);

/** Whether a link exists on node1, as `ip` sees it. */
async function hasLink(page: Page, name: string): Promise<boolean> {
  await typeInTerminal(page, 'node1', `echo "link-${name}: $(ip -br link show ${name} 2>&1 | head -1)"`);
  return !/does not exist/.test(await echoed(page, 'node1', `link-${name}`));
}

describe('labs from outside are kept apart', () => {
  // It once failed for want of the external badge: App held the lab in a deep $state
  // proxy, which was not the object labs.ts had recorded the lab's origin for.
  it("a URL lab that reuses a shipped lab's id leaves that lab's progress and cluster untouched", async () => {
    const lab = findLab('netns-veth');
    const page = await newPage();
    await page.goto(`${server.url}#/lab/${lab.id}`);
    await waitForTerminals(page);
    await typeInTerminal(page, 'node1', `ip link add shipped0 type dummy\n${lab.steps[0]!.solution.node1!}`);
    let before = await page.evaluate(() => Date.now());
    expect(await check(page)).toBe('Step passed');
    await waitForSaveAfter(page, before);
    const shippedCredits = await credits(page);
    expect(shippedCredits[lab.steps[0]!.id]).toMatch(/^(\d+)\/\1$/);
    expect(await page.locator('[data-testid="external"]').count()).toBe(0);

    // The URL lab: marked external, on its own fresh cluster, with no progress.
    await page.goto(`${server.url}#/url/${encodeURIComponent(`${server.url}external/shadow/lab.md`)}`);
    await expect.poll(() => page.locator('[data-testid="external"]').textContent(), { timeout: 60_000 }).toContain(new URL(server.url).origin);
    await waitForTerminals(page);
    expect(await page.locator('h1').first().textContent()).toContain('claims a shipped id');
    expect(await hasLink(page, 'shipped0')).toBe(false);
    expect(Object.values(await credits(page)).every((c) => c === '')).toBe(true);
    // Its text stayed in its box: no overlay, and its area link opens outside.
    expect(await page.locator('[data-testid="lesson"] [style]').count()).toBe(0);
    expect(await page.locator('[data-testid="lesson"] area').getAttribute('target')).toBe('_blank');
    expect(await page.locator('[data-testid="lesson"] area').getAttribute('rel')).toBe('noopener noreferrer');
    await typeInTerminal(page, 'node1', 'ip link add url0 type dummy');
    before = await page.evaluate(() => Date.now());
    expect(await check(page)).toMatch(/0 of \d+ checks pass/);
    await waitForSaveAfter(page, before);

    // The shipped lab again: its own cluster and its own credit.
    await page.goto(`${server.url}#/lab/${lab.id}`);
    await waitForTerminals(page);
    await expect.poll(() => statusText(page)).toBe('resumed where you left off');
    await expect.poll(() => credits(page)).toEqual(shippedCredits);
    expect(await hasLink(page, 'shipped0')).toBe(true);
    expect(await hasLink(page, 'url0')).toBe(false);
    await page.goto(`${server.url}#/`);
    await expect.poll(() => page.locator(`[data-lab="${lab.id}"] [data-testid="progress"]`).textContent()).toBe(`1/${lab.steps.length} steps`);

    // The terminals, Svelte and the sanitized lesson all ran under the page's CSP without a violation.
    expect(await cspViolations(page)).toEqual([]);
    await page.close();
  });
});

describe('one lab, many tabs', () => {
  it('one tab runs the lab, another takes it over and back, and no credit is lost', async () => {
    const lab = findLab('cni-by-hand');
    const [first, second] = [lab.steps[0]!, lab.steps[1]!];
    const a = await newPage();
    await a.goto(`${server.url}#/lab/${lab.id}`);
    await waitForTerminals(a);
    await a.locator('[data-testid="saved"]').waitFor({ timeout: 120_000 });

    const b = await newPage();
    await b.goto(`${server.url}#/lab/${lab.id}`);
    await expect.poll(() => b.locator('[data-testid="elsewhere"]').textContent(), { timeout: 60_000 }).toContain('running in another tab');
    expect(await b.locator('[data-testid="terminal-node1"]').count()).toBe(0);

    // Credit in tab A.
    await a.bringToFront();
    await typeInTerminal(a, 'node1', first.solution.node1!);
    expect(await check(a)).toBe('Step passed');

    // Tab B takes over: A saves and stops; B starts from A's save, with A's credit.
    await b.bringToFront();
    await b.click('[data-testid="take-over"]');
    await expect.poll(() => a.locator('[data-testid="elsewhere"]').textContent(), { timeout: 60_000 }).toContain('moved to another tab');
    await waitForTerminals(b);
    expect(await a.locator('[data-testid="terminal-node1"]').count()).toBe(0);
    await expect.poll(async () => (await credits(b))[first.id]).toMatch(/^(\d+)\/\1$/);
    await typeInTerminal(b, 'node1', 'echo "pods: $(ip netns list | cut -d" " -f1 | tr "\\n" " ")"');
    expect(await terminalText(b, 'node1')).toMatch(/pods: pod-1\s*$/m);

    // Credit in tab B, on the next step.
    await b.locator(`[data-step="${second.id}"] .step-title`).click();
    await typeInTerminal(b, 'node1', second.solution.node1!);
    const before = await b.evaluate(() => Date.now());
    expect(await check(b)).toBe('Step passed');
    await waitForSaveAfter(b, before);

    // And back to A: both steps' credit, and A checking again loses neither.
    await a.bringToFront();
    await a.click('[data-testid="take-over"]');
    await expect.poll(() => b.locator('[data-testid="elsewhere"]').textContent(), { timeout: 60_000 }).toContain('moved to another tab');
    await waitForTerminals(a);
    await expect.poll(async () => { const c = await credits(a); return [c[first.id], c[second.id]]; }).toEqual([expect.stringMatching(/^(\d+)\/\1$/), expect.stringMatching(/^(\d+)\/\1$/)]);
    // A runs the cluster B saved (both pods), not its own older one: step 2 passes here too.
    // (Step 1 would not pass again: its check wants exactly one lease, and step 2 made a second.)
    await typeInTerminal(a, 'node1', 'echo "pods: $(ip netns list | cut -d" " -f1 | sort | tr "\\n" " ")"');
    expect(await terminalText(a, 'node1')).toMatch(/pods: pod-1 pod-2\s*$/m);
    await a.locator(`[data-step="${second.id}"] .step-title`).click();
    await a.locator(`[data-step="${second.id}"].current`).waitFor();
    expect(await check(a)).toBe('Step passed');
    expect(await savedAt(a)).toBeGreaterThan(0);

    await b.close();
    await a.reload();
    await waitForTerminals(a);
    const after = await credits(a);
    expect([after[first.id], after[second.id]]).toEqual([expect.stringMatching(/^(\d+)\/\1$/), expect.stringMatching(/^(\d+)\/\1$/)]);
    await a.goto(`${server.url}#/`);
    await expect.poll(() => a.locator(`[data-lab="${lab.id}"] [data-testid="progress"]`).textContent()).toBe(`2/${lab.steps.length} steps`);
    await a.close();
  });
});
