import { launchBrowser, serveStatic } from './test/e2e/browser.js';
const server = await serveStatic();
const browser = await launchBrowser();
const page = await (await browser.newContext({ viewport: { width: 1400, height: 860 } })).newPage();
const t0 = Date.now();
const at = () => ((Date.now() - t0) / 1000).toFixed(1);
page.on('console', (m) => console.log(at(), 'console:', m.type(), m.text().slice(0, 400)));
page.on('pageerror', (e) => console.log(at(), 'pageerror:', e.message));
await page.goto(`${server.url}#/lab/service-debug`);
for (let i = 0; i < 16; i++) {
  await page.waitForTimeout(10_000);
  const bar = await page.locator('.lab-bar').textContent({ timeout: 1000 }).catch(() => '(no bar)');
  const err = await page.locator('[role="alert"], .error').allTextContents().catch(() => []);
  const ready = await page.locator('[data-testid="terminal-node1"][data-ready]').count();
  console.log(at(), 'bar:', bar?.replace(/\s+/g, ' ').slice(0, 200), '| errors:', JSON.stringify(err).slice(0, 400), '| ready:', ready);
  if (ready) break;
}
await page.screenshot({ path: '/tmp/kw-debug.png' });
await browser.close(); await server.close();
