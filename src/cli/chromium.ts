// Debian's chromium driven by playwright-core (which brings no browser of its own), and
// waiting for a node's shell in the web lab: what the browser benchmark needs, and what
// the browser tests (test/e2e) share with it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

function chromiumPath(): string {
  for (const candidate of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  throw new Error('no chromium found: install Debian\'s chromium (scripts/test.sh does) or set CHROMIUM_PATH');
}

/**
 * A browser that asks for English, whatever the machine's locale (a context may ask for another
 * with `locale`). PODWIRE_CHROMIUM_FLAGS adds switches, to compare: `--js-flags=--liftoff-only`
 * is what a learner's browser cannot be told, and what Node's nodes run with (host-node.ts).
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: browserArgs() });
}

function browserArgs(): string[] {
  const extra = (process.env.PODWIRE_CHROMIUM_FLAGS ?? '').split(' ').filter(Boolean);
  return ['--no-sandbox', '--disable-dev-shm-usage', '--lang=en-US', ...extra];
}

/**
 * A browser with a new profile of its own on disk, as a learner's is: its storage (the
 * origin's private file system, IndexedDB) is kept in files. A context of launchBrowser's is
 * off the record, and keeps all of it in memory instead, behind slower paths (a read of the
 * kept snapshot took three times as long). `closeAndRemove` closes it and removes the profile.
 */
export async function launchProfile(viewport: { width: number; height: number }): Promise<BrowserContext & { closeAndRemove(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'podwire-profile-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: chromiumPath(), headless: true, args: browserArgs(), viewport });
  return Object.assign(context, {
    async closeAndRemove() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** Wait until the lab view has its terminals and the node's shell shows a prompt (its terminal must be on screen). */
export async function waitForTerminals(page: Page, node = 'node1', timeout = 240_000): Promise<void> {
  await page.waitForSelector(`[data-testid="terminal-${node}"][data-ready]`, { timeout, state: 'attached' });
  // A terminal in a hidden tab draws nothing: show it.
  if (!(await page.locator(`[data-testid="terminal-${node}"]`).isVisible())) await page.click(`[data-testid="tab-${node}"]`);
  await page.waitForFunction((name) => /root@\S+:.*#/.test(document.querySelector(`[data-testid="terminal-${name}"] .xterm-rows`)?.textContent ?? ''), node, { timeout });
}

/**
 * Click Follow in the "Follow a packet" panel and wait until a new walk's outcome is shown
 * and its path lit on the topology; the milliseconds from the click.
 */
export async function followInPage(page: Page, timeout = 120_000): Promise<number> {
  const before = await page.locator('[data-testid="walk-outcome"]').getAttribute('data-walk', { timeout: 100 }).catch(() => null);
  const started = performance.now();
  await page.click('[data-testid="walk-follow"]');
  await page.waitForFunction((seen) => {
    const outcome = document.querySelector('[data-testid="walk-outcome"]');
    return !!outcome && outcome.getAttribute('data-walk') !== seen && document.querySelector('#view-topology .topo-box.current-hop');
  }, before, { timeout });
  return performance.now() - started;
}
