// Two tabs on one lab, in a real browser but with no VMs: the Web Lock that says which
// tab runs the lab, the hand-over between them, and progress merged in IndexedDB.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, serveStatic } from '../../e2e/browser.js';

let browser: Browser;
let server: Awaited<ReturnType<typeof serveStatic>>;
let pages: Page[];

type Api = typeof import('../../../src/ui/ownership.js') & typeof import('../../../src/ui/store.js');

beforeAll(async () => {
  const bundle = await build({
    stdin: { contents: "export * from './src/ui/ownership.ts'; export * from './src/ui/store.ts';", resolveDir: process.cwd(), loader: 'ts' },
    bundle: true, write: false, format: 'iife', globalName: 'podwire', platform: 'browser', logLevel: 'silent',
  });
  const root = mkdtempSync(join(tmpdir(), 'podwire-tabs-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><script src="./bundle.js"></script>');
  writeFileSync(join(root, 'bundle.js'), bundle.outputFiles[0]!.text);
  server = await serveStatic({ root });
  browser = await launchBrowser();
  const context = await browser.newContext();
  pages = [await context.newPage(), await context.newPage()];
  for (const page of pages) await page.goto(server.url);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** In a tab: claim the lab, and note when another tab asks for it (then let it go). */
const claim = (page: Page, wait: boolean) => page.evaluate(async (w) => {
  const { LabOwnership } = (window as unknown as { podwire: Api }).podwire;
  const state = window as unknown as { asked: number; owner?: { letGo(): void } };
  state.asked = 0;
  state.owner = await LabOwnership.claim('lab-x', {
    wait: w,
    onAsked: () => { state.asked++; setTimeout(() => state.owner?.letGo(), 300); },
  });
  return state.owner !== undefined;
}, wait);

describe('one lab, many tabs', () => {
  it('lets one tab own a lab; another is told, and can take it over once the owner let go', async () => {
    const [a, b] = pages as [Page, Page];
    expect(await claim(a, false)).toBe(true);
    expect(await claim(b, false)).toBe(false);
    const started = Date.now();
    await b.evaluate(() => (window as unknown as { podwire: Api }).podwire.LabOwnership.askForIt('lab-x'));
    expect(await claim(b, true)).toBe(true);
    expect(await a.evaluate(() => (window as unknown as { asked: number }).asked)).toBe(1);
    // B had to wait for A to let go (A waits 300 ms, as if saving).
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await claim(a, false)).toBe(false);
  });

  it('merges progress written from two tabs with stale copies: no credit is lost', async () => {
    const [a, b] = pages as [Page, Page];
    const write = (page: Page, steps: Record<string, { passed: number; total: number; checkedAt: number }>) => page.evaluate((s) => (window as unknown as { podwire: Api }).podwire.saveProgress({ lab: 'lab-y', step: 0, steps: s, updatedAt: 0 }), steps);
    // Each tab loaded the progress empty, then earned a step of its own; then A writes its stale copy again.
    await Promise.all([write(a, { one: { passed: 2, total: 2, checkedAt: 1000 } }), write(b, { two: { passed: 3, total: 3, checkedAt: 2000 } })]);
    await write(a, { one: { passed: 2, total: 2, checkedAt: 1000 } });
    const stored = await b.evaluate(() => (window as unknown as { podwire: Api }).podwire.loadProgress('lab-y'));
    expect(stored.steps).toEqual({ one: { passed: 2, total: 2, checkedAt: 1000 }, two: { passed: 3, total: 3, checkedAt: 2000 } });
  });
});
