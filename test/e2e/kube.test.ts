// A lab with the Kubernetes control plane, in the page (lab 29, service-debug): the API server,
// the controllers and kube-proxy run in the page's JavaScript, the API answers inside the lab's
// network over net/http1, and node1's first kubectl comes from the page, which fetched the
// binary from the server's kubectl/ when the lab started. kubectl get pods in node1's terminal
// shows the lab's pods; Check grades the first step untouched, then after its fix.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedKubectl } from '../../src/harness/kube-api-node.js';
import { findLab } from '../../src/lab/load.js';
import { launchBrowser, serveStatic } from './browser.js';
import { check, echoed, statusText, terminalText, typeInTerminal, waitForSaveAfter, waitForTerminals } from './page.js';

const lab = findLab('service-debug');
let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Browser;
let page: Page;
const logs: string[] = [];
/** When step 1 was checked after its fix: the save that follows keeps the objects. */
let checkedAt = 0;

describe.skipIf(!cachedKubectl())('a lab with the Kubernetes control plane in the page (service-debug)', () => {
  beforeAll(async () => {
    server = await serveStatic();
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 860 } })).newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
    page.on('console', (message) => { if (/podwire: kubectl/.test(message.text())) logs.push(message.text()); });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('opens from the catalogue like any lab, runs kubectl get pods in node1, and grades step 1 before and after its fix', async () => {
    const began = performance.now();
    await page.goto(server.url);
    const card = page.locator(`[data-lab="${lab.id}"] a`);
    await expect.poll(() => card.count()).toBe(1);
    await card.click();
    await waitForTerminals(page, 'node1', 150_000).catch(async (error: Error) => {
      const shown = await page.locator('main').textContent({ timeout: 2_000 }).catch(() => '(unreadable)');
      throw new Error(`${error.message}\n--- the page: ${shown?.replace(/\s+/g, ' ').slice(0, 1500)}`);
    });
    const opened = performance.now() - began;

    const first = performance.now();
    await typeInTerminal(page, 'node1', 'kubectl get pods -o wide');
    const firstMs = performance.now() - first;
    const screen = await terminalText(page, 'node1');
    expect(screen).toMatch(/client\s+1\/1\s+Running/);
    expect(screen.match(/web-[0-9a-z]+-[0-9a-z]+\s+1\/1\s+Running/g)?.length).toBe(2);

    const again = performance.now();
    await typeInTerminal(page, 'node1', 'TIMEFORMAT=%R; echo "GUEST: $( { time kubectl get pods >/dev/null; } 2>&1 )"');
    const againMs = performance.now() - again;
    const guest = await echoed(page, 'node1', 'GUEST');

    const step = lab.steps[0]!;
    const untouched = await check(page);
    expect(untouched).not.toMatch(new RegExp(`^${step.checks.length} of ${step.checks.length}`));
    await typeInTerminal(page, 'node1', step.solution.node1!);
    const graded = performance.now();
    checkedAt = Date.now();
    const fixed = await check(page);
    const checkMs = performance.now() - graded;
    console.log(`kube lab in the page: opened (nodes, setup, control plane, pods) in ${(opened / 1000).toFixed(1)} s; `
      + `first kubectl get pods (fetching the binary into the node) ${(firstMs / 1000).toFixed(1)} s; again ${(againMs / 1000).toFixed(1)} s `
      + `(${guest} s by the node's clock); Check after the fix ${(checkMs / 1000).toFixed(1)} s; ${logs.join('; ')}`);
    expect(fixed).toBe('Step passed');
  }, 240_000);

  it('resumes after a reload with its objects: the fixed Service and its pods are still there, and step 1 still passes', async () => {
    // The Check saved the nodes with the API's objects beside them; wait for that save to land.
    expect(checkedAt, 'the first test checked step 1').toBeGreaterThan(0);
    await waitForSaveAfter(page, checkedAt);
    await page.reload();
    await waitForTerminals(page, 'node1', 150_000);
    await expect.poll(() => statusText(page), { timeout: 150_000 }).toContain('resumed');
    await typeInTerminal(page, 'node1', 'echo "SELECTOR: $(kubectl get service web -o jsonpath={.spec.selector.app})"');
    expect(await echoed(page, 'node1', 'SELECTOR')).toBe('web');
    // The lesson resumes at the first step not passed yet: back to step 1 to check it again.
    await page.locator(`[data-step="${lab.steps[0]!.id}"] .step-title`).click();
    await expect.poll(() => page.locator('[data-testid="step"].current').getAttribute('data-step')).toBe(lab.steps[0]!.id);
    expect(await check(page)).toBe('Step passed');
  }, 360_000);
});
