// The node terminal in a real browser: long command lines wrap (the image has the
// console's terminfo), a paste arrives once whichever way it is made, and selecting
// text copies it. Debian's chromium on the built site, real v86 nodes.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, serveStatic } from './browser.js';
import { clipboardText, rowsHolding, setClipboard, terminalText, textBox, typeInTerminal, waitForTerminals } from './page.js';

let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;

/** The screen's rows (blank cells as spaces), trimmed at the end. */
const screenRows = async () => (await terminalText(page, 'node1')).replaceAll('\u00a0', ' ').split('\n').map((row) => row.trimEnd());

/** How many rows of node1's screen are exactly `line`. */
const rowsEqualTo = async (line: string) => (await screenRows()).filter((row) => row === line).length;

beforeAll(async () => {
  server = await serveStatic();
  browser = await launchBrowser();
  // The laptop screen the layout is made for.
  context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
  page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(`${server.url}#/lab/netns-veth`);
  await waitForTerminals(page);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the node terminal', () => {
  it('wraps a 200-character command line: the prompt and the whole line stay on screen', async () => {
    await typeInTerminal(page, 'node1', 'clear');
    // 200 characters, no spaces: the rows must join back to exactly the typed line.
    const word = Array.from({ length: 39 }, (_, i) => `w${String(i).padStart(4, '0')}`).join('');
    const command = `echo ${word}`;
    expect(command).toHaveLength(200);
    await page.keyboard.type(command, { delay: 1 });
    await expect.poll(() => rowsHolding(page, 'node1', `# ${command}`), { timeout: 30_000 }).toBeDefined();
    const rows = (await rowsHolding(page, 'node1', `# ${command}`))!;
    // Readline wrapped it (no horizontal scrolling, whose marker is '<'): the prompt starts the
    // first row, every row but the last is full, and the rows hold the line and nothing else.
    expect(rows[0]).toMatch(/^root@node1:~# echo w0000w0001/);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows.slice(0, -1)) expect(row.length).toBe(rows[0]!.length);
    expect(rows.join('').trimEnd()).toBe(`root@node1:~# ${command}`);
    expect(await terminalText(page, 'node1')).not.toContain('<');

    // The output wraps too: the word shows twice, in the command and on its own.
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await screenRows()).join('').split(word).length - 1, { timeout: 30_000 }).toBe(2);

    // The shell knows the terminal it is on. (Keys typed ahead may be echoed into the output: match, not compare.)
    await typeInTerminal(page, 'node1', 'echo "term=$TERM"; [ -r /lib/terminfo/x/xterm-256color ] && echo terminfo-found');
    const text = (await screenRows()).join('\n');
    expect(text).toMatch(/term=xterm-256color$/m);
    expect(text).toContain('terminfo-found');
  });

  it('pastes once with Ctrl+Shift+V, Ctrl+V and a middle click', async () => {
    await typeInTerminal(page, 'node1', 'clear');
    const ways: [string, (target: { x: number; y: number }) => Promise<void>][] = [
      ['ctrl-shift-v', () => page.keyboard.press('Control+Shift+V')],
      ['ctrl-v', () => page.keyboard.press('Control+V')],
      ['middle-click', (target) => page.mouse.click(target.x, target.y, { button: 'middle' })],
    ];
    for (const [way, paste] of ways) {
      // The typed line differs from what it prints: a doubled paste or a stray ^V/^M shows in the output.
      await setClipboard(page, `echo ${way}-$((6*7))`);
      const screen = await page.locator('[data-testid="terminal-node1"] .xterm-screen').boundingBox();
      await page.locator('[data-testid="terminal-node1"]').click();
      await paste({ x: screen!.x + screen!.width / 2, y: screen!.y + screen!.height / 2 });
      await expect.poll(() => terminalText(page, 'node1'), { timeout: 10_000 }).toContain(`${way}-$((6*7))`);
      // Give a second paste (the bug) time to arrive before pressing Enter.
      await page.waitForTimeout(500);
      await page.keyboard.press('Enter');
      await expect.poll(() => rowsEqualTo(`${way}-42`), { timeout: 30_000 }).toBe(1);
      // And the prompt after it: a paste before the prompt is drawn is echoed by the tty and again by readline.
      await expect.poll(async () => { const rows = await screenRows(); return rows[rows.indexOf(`${way}-42`) + 1]; }, { timeout: 30_000 }).toMatch(/^root@node1:~#$/);
      const text = await terminalText(page, 'node1');
      expect(text.split(`${way}-$((6*7))`).length - 1, `${way}: the command line appears once\n${text}`).toBe(1);
      expect(text).not.toMatch(/\^M|\^V/);
    }
  });

  it('copies the selection, and copies again with Ctrl+Shift+C', async () => {
    await typeInTerminal(page, 'node1', 'clear; echo "before copy-me-$((6*7)) after"');
    await setClipboard(page, 'not yet');
    // A double click selects the word (xterm keeps '-' inside words).
    const word = await textBox(page, 'node1', 'copy-me-42');
    await page.mouse.dblclick(word.x + word.width / 2, word.y + word.height / 2);
    await expect.poll(() => clipboardText(page), { timeout: 5_000, message: `the screen:\n${await terminalText(page, 'node1')}` }).toBe('copy-me-42');

    await setClipboard(page, 'overwritten');
    await page.keyboard.press('Control+Shift+C');
    await expect.poll(() => clipboardText(page), { timeout: 5_000 }).toBe('copy-me-42');
  });
});
