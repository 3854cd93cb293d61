// Driving the web lab as a learner would: open a lab, type into a node's terminal,
// press Check, read what the page shows.
import type { Page } from 'playwright-core';

/** Wait until the lab view has its terminals and the node's shell shows a prompt (its terminal must be on screen). */
export async function waitForTerminals(page: Page, node = 'node1', timeout = 240_000): Promise<void> {
  await page.waitForSelector(`[data-testid="terminal-${node}"][data-ready]`, { timeout, state: 'attached' });
  // A terminal in a hidden tab draws nothing: show it.
  if (!(await page.locator(`[data-testid="terminal-${node}"]`).isVisible())) await page.click(`[data-testid="tab-${node}"]`);
  await page.waitForFunction((name) => /root@\S+:.*#/.test(document.querySelector(`[data-testid="terminal-${name}"] .xterm-rows`)?.textContent ?? ''), node, { timeout });
}

export async function terminalText(page: Page, node: string): Promise<string> {
  return page.evaluate((name) => {
    const rows = document.querySelectorAll(`[data-testid="terminal-${name}"] .xterm-rows > div`);
    return [...rows].map((row) => row.textContent ?? '').join('\n');
  }, node);
}

let marker = 0;
/**
 * Type commands into a node's terminal, as keystrokes, and wait until the shell has run them:
 * the last line echoes a marker that only the output (not the typed line) spells whole.
 */
export async function typeInTerminal(page: Page, node: string, commands: string, timeout = 120_000): Promise<void> {
  const tab = page.locator(`[data-testid="tab-${node}"]`);
  if (await tab.count()) await tab.click();
  await page.locator(`[data-testid="terminal-${node}"]`).click();
  const done = `done-${++marker}-${Date.now() % 100000}`;
  const [head, tail] = [done.slice(0, 4), done.slice(4)];
  for (const line of commands.trim().split('\n')) await page.keyboard.type(`${line}\n`, { delay: 2 });
  await page.keyboard.type(`echo ${head}''${tail}\n`, { delay: 2 });
  await page.waitForFunction(({ name, text }) => {
    const rows = document.querySelectorAll(`[data-testid="terminal-${name}"] .xterm-rows > div`);
    return [...rows].some((row) => row.textContent?.trim() === text);
  }, { name: node, text: done }, { timeout });
}

/** Press the current step's Check and return the score line it shows. */
export async function check(page: Page, timeout = 120_000): Promise<string> {
  const step = page.locator('[data-testid="step"].current');
  const before = Number(await step.getAttribute('data-checked'));
  await step.locator('[data-testid="check"]').click();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="step"].current')?.getAttribute('data-checked')) > n, before, { timeout });
  return (await step.locator('[data-testid="score"]').textContent())!.trim();
}

/** Type into a node's terminal and return at once, without waiting for the shell (for "reload right after typing"). */
export async function typeAndGo(page: Page, node: string, line: string): Promise<void> {
  const tab = page.locator(`[data-testid="tab-${node}"]`);
  if (await tab.count()) await tab.click();
  await page.locator(`[data-testid="terminal-${node}"]`).click();
  await page.keyboard.type(`${line}\n`, { delay: 2 });
}

/** The text of the page's status line. */
export async function statusText(page: Page): Promise<string> {
  return ((await page.locator('[data-testid="status"]').textContent()) ?? '').trim();
}

/** Each step's credit as the lesson shows it (step id to "n/m", or "" when it has none). */
export async function credits(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-testid="step"]')].map((step) => [
    step.getAttribute('data-step') ?? '', step.querySelector('[data-testid="credit"]')?.textContent?.trim() ?? '',
  ])));
}

/** Open the Reset menu and pick an item by its test id (reset-node-node1, reset-step, reset-lab). */
export async function pickReset(page: Page, item: string): Promise<void> {
  await page.click('[data-testid="reset-menu"]');
  await page.click(`[data-testid="${item}"]`);
}

/** The time of the last save the page reports (0 if none yet). */
export async function savedAt(page: Page): Promise<number> {
  return Number(await page.locator('[data-testid="saved"]').getAttribute('data-saved-at', { timeout: 1000 }).catch(() => 0)) || 0;
}

/** Wait for a save that began after `after` (a time in the page's clock). */
export async function waitForSaveAfter(page: Page, after: number, timeout = 120_000): Promise<void> {
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid="saved"]')?.getAttribute('data-saved-at')) > t, after, { timeout });
}
