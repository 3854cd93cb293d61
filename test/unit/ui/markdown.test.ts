// The lesson sanitizer in a real DOM: markdown.ts bundled as is and run in Debian's
// chromium (no VMs; DOMPurify needs a browser's parser to be tested honestly).
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../e2e/browser.js';

let browser: Browser;
let page: Page;

beforeAll(async () => {
  const bundle = await build({
    entryPoints: ['src/ui/markdown.ts'], bundle: true, write: false, format: 'iife', globalName: 'podwireMarkdown', platform: 'browser', logLevel: 'silent',
  });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setContent('<!doctype html><html><body><div id="lesson"></div></body></html>');
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
}, 60_000);

afterAll(async () => { await browser?.close(); });

/** The lesson HTML for some Markdown, as the page would get it. */
const render = (markdown: string) => page.evaluate((text) => (window as unknown as { podwireMarkdown: { renderMarkdown(t: string): string } }).podwireMarkdown.renderMarkdown(text), markdown);

/** Render into the page and return what a selector finds there. */
async function rendered(markdown: string): Promise<{ html: string; count: (selector: string) => Promise<number> }> {
  const html = await render(markdown);
  await page.evaluate((h) => { document.getElementById('lesson')!.innerHTML = h; }, html);
  return { html, count: (selector) => page.evaluate((s) => document.querySelectorAll(`#lesson ${s}`).length, selector) };
}

describe('lesson Markdown stays in its box', () => {
  it('keeps ordinary lesson text: headings, code with its language, lists, images from the site', async () => {
    const { html } = await rendered('# Title\n\nSome *text*.\n\n```sh\nip link\n```\n\n- one\n- two\n\n![topology](img/topo.png)');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<code class="language-sh">ip link');
    expect(html).toContain('<li>one</li>');
    expect(html).toContain('<img src="img/topo.png" alt="topology">');
  });

  it('strips inline styles and style sheets, so a lab cannot draw over the terminals', async () => {
    const r = await rendered('<div style="position:fixed;inset:0;z-index:99999;background:red">covered</div>\n\n<style>body{display:none}</style>\n\n<p style="color:red">text</p>');
    expect(r.html).toContain('covered');
    expect(r.html).not.toMatch(/style/i);
    expect(await r.count('[style]')).toBe(0);
    expect(await page.evaluate(() => getComputedStyle(document.body).display)).not.toBe('none');
  });

  it("drops the page's own classes, keeping only code languages", async () => {
    const { html } = await rendered('<div class="error-box menu">x</div>\n\n```js\n1\n```');
    expect(html).not.toContain('error-box');
    expect(html).not.toContain('menu');
    expect(html).toContain('class="language-js"');
  });

  it('opens every link outside the lab, area links included', async () => {
    const r = await rendered('[docs](https://example.org/a) <a href="/elsewhere">rel</a>\n\n<map name="m"><area shape="rect" coords="0,0,10,10" href="https://example.org/area"></map><img usemap="#m" src="x.png">');
    expect(await r.count('a[href], area[href]')).toBe(3);
    expect(await r.count('a[href][target="_blank"][rel="noopener noreferrer"], area[href][target="_blank"][rel="noopener noreferrer"]')).toBe(3);
  });

  it('removes links that would change the lab route, and any link that runs script', async () => {
    const r = await rendered('[top](#/lab/other) <a href="javascript:alert(1)">js</a> <area href="javascript:alert(1)">');
    expect(await r.count('[href]')).toBe(0);
    expect(r.html).not.toMatch(/javascript:/i);
  });

  it('removes forms, frames, objects, dialogs, popovers and anything with script', async () => {
    const r = await rendered([
      '<form action="https://evil.example/"><input name="q"><button formaction="https://evil.example/">go</button></form>',
      '<iframe src="https://evil.example/"></iframe><object data="x.swf"></object><embed src="x.swf">',
      '<dialog open>modal</dialog><div popover id="p">pop</div><button popovertarget="p">show</button>',
      '<img src=x onerror="window.__pwned=1"><svg><script>window.__pwned=2</script></svg><script>window.__pwned=3</script>',
      '<meta http-equiv="refresh" content="0;url=https://evil.example/"><base href="https://evil.example/"><link rel="stylesheet" href="https://evil.example/x.css">',
    ].join('\n\n'));
    for (const selector of ['form', 'input', 'button', 'iframe', 'object', 'embed', 'dialog', '[popover]', '[popovertarget]', 'script', 'svg', 'meta', 'base', 'link', '[onerror]']) {
      expect(await r.count(selector), selector).toBe(0);
    }
    expect(r.html).not.toMatch(/evil\.example|onerror|popover/i);
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });
});
