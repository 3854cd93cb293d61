// Driving the web lab as a learner would: open a lab, type into a node's terminal,
// press Check, read what the page shows.
import type { Page } from 'playwright-core';

export { followInPage, waitForTerminals } from '../../src/cli/chromium.js';

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
  // The marker on a row of its own, and the shell's prompt after it: keys sent before the
  // prompt is drawn would be echoed by the tty and then again by readline.
  await page.waitForFunction(({ name, text }) => {
    const rows = [...document.querySelectorAll(`[data-testid="terminal-${name}"] .xterm-rows > div`)].map((row) => row.textContent?.replaceAll('\u00a0', ' ').trim() ?? '');
    const at = rows.lastIndexOf(text);
    return at >= 0 && rows.slice(at + 1).some((row) => /^\S+@\S+:.*[#$]$/.test(row));
  }, { name: node, text: done }, { timeout }).catch(async (error: Error) => {
    // What the screen and the page's status line showed: a flake must say where it stopped.
    const screen = (await terminalText(page, node).catch(() => '(unreadable)')).replaceAll('\u00a0', ' ').replace(/\s+$/gm, '').trim();
    const status = await page.locator('.lab-bar').textContent({ timeout: 2_000 }).catch(() => undefined);
    const said = `${error.message}\nwaiting on ${node} for '${done}' after typing:\n${commands.trim()}\n--- ${node}'s screen ---\n${screen}\n--- the lab bar: ${status ?? '(none)'}`;
    // Also on the log: a retried test that then passes keeps no error of its first try.
    console.error(`typeInTerminal: ${said}`);
    throw new Error(said);
  });
}

/**
 * What the last `echo "LABEL: $(…)"` printed after `LABEL:` on a node's screen. The output,
 * not the typed command (which holds "$("); and it need not start its row, since the tty may
 * echo the next typed line (typeInTerminal's marker) just before it. Throws, with the
 * screen, when the output is not there at all: that is not the same failure as an empty one.
 */
export async function echoed(page: Page, node: string, label: string): Promise<string> {
  const screen = (await terminalText(page, node)).replaceAll('\u00a0', ' ').replace(/\s+$/gm, '');
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const said = [...screen.matchAll(new RegExp(`${escaped}:(?! *\\$\\()(.*)$`, 'gm'))].at(-1);
  if (!said) throw new Error(`no output '${label}: …' on ${node}'s screen:\n${screen}`);
  return said[1]!.trim();
}

/** Press the current step's Check and return the score line it shows. */
export async function check(page: Page, timeout = 120_000): Promise<string> {
  const step = page.locator('[data-testid="step"].current');
  const before = Number(await step.getAttribute('data-checked'));
  await step.locator('[data-testid="check"]').click();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="step"].current')?.getAttribute('data-checked')) > n, before, { timeout });
  return (await step.locator('[data-testid="score"]').textContent())!.trim();
}

/**
 * The screen rows of a node's terminal that hold `text`, which may run over several rows
 * when the terminal wrapped it: the row where it starts and the rows after it, up to the
 * one where it ends. Undefined when the screen does not show it whole.
 */
export async function rowsHolding(page: Page, node: string, text: string): Promise<string[] | undefined> {
  // The renderer draws blank cells as no-break spaces.
  const rows = (await terminalText(page, node)).replaceAll('\u00a0', ' ').split('\n');
  const at = rows.join('').indexOf(text);
  if (at < 0) return undefined;
  const rowAt = (offset: number) => {
    let start = 0;
    for (let i = 0; i < rows.length; i++) {
      if (offset < start + rows[i]!.length) return i;
      start += rows[i]!.length;
    }
    return rows.length - 1;
  };
  return rows.slice(rowAt(at), rowAt(at + text.length - 1) + 1);
}

/** Where `text` is drawn on a node's terminal (page coordinates of its box), to click or select it. */
export async function textBox(page: Page, node: string, text: string): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await page.evaluate(({ name, wanted }) => {
    const rows = document.querySelectorAll(`[data-testid="terminal-${name}"] .xterm-rows > div`);
    for (const row of rows) {
      const at = row.textContent?.replaceAll('\u00a0', ' ').indexOf(wanted) ?? -1;
      if (at < 0) continue;
      // Walk the row's text nodes to the characters of the match, and measure them.
      const range = document.createRange();
      let offset = 0;
      const walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const length = node.textContent!.length;
        if (offset <= at && at < offset + length) range.setStart(node, at - offset);
        if (offset < at + wanted.length && at + wanted.length <= offset + length) { range.setEnd(node, at + wanted.length - offset); break; }
        offset += length;
      }
      const rect = range.getBoundingClientRect();
      return { x: rect.x, y: rect.y, width: rect.width, height: rect.height };
    }
    return undefined;
  }, { name: node, wanted: text });
  if (!box) throw new Error(`${node}'s terminal does not show '${text}' on one row`);
  return box;
}

/** The clipboard's text, as the page reads it (the context needs the clipboard-read permission). */
export function clipboardText(page: Page): Promise<string> {
  return page.evaluate(() => navigator.clipboard.readText());
}

/** Put text on the clipboard from the page (the context needs the clipboard-write permission). */
export async function setClipboard(page: Page, text: string): Promise<void> {
  await page.evaluate((value) => navigator.clipboard.writeText(value), text);
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

/** The files in the folder of the origin's private file system that keeps the base snapshot (vm/state-file.ts). */
export function keptSnapshotFiles(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const kept = await (await navigator.storage.getDirectory()).getDirectoryHandle('podwire-node-assets', { create: true });
    const names: string[] = [];
    for await (const name of (kept as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    return names;
  });
}
