// The page's timeline for a fresh start of a lab (its start states kept): performance marks.
import { execFileSync } from 'node:child_process';
import { launchProfile, waitForTerminals } from './src/cli/chromium.js';
import { serveStatic } from './src/cli/static-server.js';
const labId = process.argv[2] ?? 'secondary-networks';
if (!process.env.NOBUILD) execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { stdio: 'inherit' });
const server = await serveStatic();
const url = `${server.url}#/lab/${labId}`;
const context = await launchProfile({ width: 1400, height: 860 });
let page = await context.newPage();
await page.goto(url);
await waitForTerminals(page, 'node1', 300_000);
await page.locator('[data-testid="saved"]').waitFor({ timeout: 300_000 });
console.log(await page.evaluate(() => performance.getEntriesByType('mark').map((m) => m.name).join(',')));
console.log(JSON.stringify(await page.evaluate(`(() => { const el = document.querySelector('[data-testid="terminal-node1"] .xterm-rows'); return el ? el.textContent.slice(-300) : 'none'; })()`)));
await page.close();
for (let round = 0; round < 3; round++) {
  page = await context.newPage();
  let started0 = performance.now();
  page.on('console', (m) => { if (/node starts|podwire-w/.test(m.text())) console.log('   ', (performance.now()-started0).toFixed(0), m.text().slice(0, 400)); });
  await page.goto(server.url);
  await page.evaluate(() => new Promise((resolve, reject) => {
    const request = indexedDB.open('podwire');
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const t = request.result.transaction(['clusters', 'progress'], 'readwrite');
      t.objectStore('clusters').clear(); t.objectStore('progress').clear();
      t.oncomplete = () => { request.result.close(); resolve(undefined); };
    };
  }));
  await page.evaluate(`(() => {
    performance.mark('podwire:nav');
    function look() {
      if (/root@\\S+:.*#/.test(document.querySelector('[data-testid="terminal-node1"] .xterm-rows')?.textContent ?? '')) performance.mark('podwire:dom-prompt');
      else requestAnimationFrame(look);
    }
    requestAnimationFrame(look);
  })()`);

  const started = performance.now(); started0 = started;
  await page.goto(url);
  await waitForTerminals(page, 'node1', 300_000);
  const first = performance.now() - started;
  await page.evaluate(() => performance.mark('podwire:prompt-seen'));
  await page.click('[data-testid="split"]');
  for (const n of ['node2', 'nas']) await waitForTerminals(page, n, 60_000);
  await page.evaluate(() => performance.mark('podwire:all-seen'));
  await page.waitForTimeout(3000);
  const marks = await page.evaluate(() => performance.getEntriesByType('mark').filter((m) => m.name.startsWith('podwire:')).map((m) => [m.name, m.startTime] as const));
  const nav = marks.find(([n]) => n === 'podwire:nav')![1];
  console.log(`round ${round}: first shell ${first.toFixed(0)} ms (host)`);
  for (const [n, t] of marks) if (t >= nav) console.log(`  ${(t - nav).toFixed(0).padStart(6)} ${n}`);
  await page.close();
}
await context.closeAndRemove();
await server.close();
process.exit(0);
