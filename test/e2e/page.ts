// Driving the web lab as a learner would: open a lab, type into a node's terminal,
// press Check, read what the page shows.
import type { Page } from 'playwright-core';

export { waitForTerminals } from '../../src/cli/chromium.js';

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
