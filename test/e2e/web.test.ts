// The web lab in a real browser (Debian's chromium), on the built site served as
// static files: real v86 nodes in Web Workers, real checks, real IndexedDB.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/load.js';
import { nodeMemoryOf } from '../../src/topology/topology.js';
import type { WebAssetManifest } from '../../src/vm/assets-web.js';
import { launchBrowser, serveStatic } from './browser.js';
import { check, keptSnapshotFiles, statusText, terminalText, typeInTerminal, waitForTerminals } from './page.js';

const shots = process.env.PODWIRE_SCREENSHOTS ?? 'test-results/screenshots';
mkdirSync(shots, { recursive: true });

const EVIL_LAB = `---
id: evil
title: A lab with script in it
summary: "<img src=x onerror=\\"window.__pwned='summary'\\">"
level: beginner
time: 5 min
topology:
  nodes:
    - name: node1
steps:
  - id: only
    checks:
      - name: true runs
        node: node1
        command: "true"
    hints: ["none"]
    solution:
      node1: "true"
---
Harmless text stays. <script>window.__pwned = 'script'</script>
<img src="x" onerror="window.__pwned = 'onerror'">
[a link](javascript:window.__pwned='link') and <a href="javascript:window.__pwned='a'">another</a>
<iframe src="javascript:window.__pwned='iframe'"></iframe>

## The only step

<svg><script>window.__pwned='svg'</script></svg><details open ontoggle="window.__pwned='toggle'">x</details>
`;

let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  server = await serveStatic({ extra: { '/external/evil/lab.md': EVIL_LAB } });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
});

// A failed test must not leave its page (and its nodes) running into the next one.
afterEach(async () => {
  for (const page of context?.pages() ?? []) await page.close();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** For a failed expectation: the checks' messages and node1's terminal, so the log says what went wrong. */
async function whatThePageShows(page: Page): Promise<string> {
  const checks = await page.locator('[data-testid="step"].current [data-testid="checks"]').textContent({ timeout: 1000 }).catch(() => '(no checks)');
  return `the checks say: ${checks}\nnode1's terminal:\n${(await terminalText(page, 'node1')).trimEnd()}`;
}

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  return page;
}

describe('the web lab', () => {
  it('opens lab 1 from the catalogue, takes the solution typed into the terminal, and passes the step; a reload keeps progress and cluster', async () => {
    const lab = findLab('netns-veth');
    const page = await newPage();
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="catalogue"]');
    await expect.poll(() => page.locator(`[data-lab="${lab.id}"] [data-testid="progress"]`).textContent()).toBe(`0/${lab.steps.length} steps`);
    await page.screenshot({ path: join(shots, 'start-page.png') });

    await page.click(`[data-lab="${lab.id}"] a`);
    await waitForTerminals(page);

    // Before any work the step fails, and says why.
    expect(await check(page)).toMatch(/0 of \d+ checks pass/);
    expect(await page.locator('[data-testid="step"].current [data-testid="checks"]').textContent()).toContain('expected');

    await typeInTerminal(page, 'node1', lab.steps[0]!.solution.node1!);
    const checkedAt = await page.evaluate(() => Date.now());
    expect(await check(page), await whatThePageShows(page)).toBe('Step passed');
    // A check saves the cluster: wait for that save, not the one made when the lab opened.
    await page.waitForFunction((after) => Number(document.querySelector('[data-testid="saved"]')?.getAttribute('data-saved-at')) > after, checkedAt, { timeout: 120_000 });
    await page.screenshot({ path: join(shots, 'lab-terminals.png') });

    // Reload: the step is still done, and the namespaces are still there on the resumed node.
    await page.reload();
    await waitForTerminals(page);
    await expect.poll(() => page.locator('[data-testid="status"]').textContent()).toContain('resumed');
    await expect.poll(() => page.locator(`[data-step="${lab.steps[0]!.id}"] [data-testid="credit"]`).textContent()).toMatch(/^(\d+)\/\1$/);
    await page.locator(`[data-step="${lab.steps[0]!.id}"] .step-title`).click();
    expect(await check(page), await whatThePageShows(page)).toBe('Step passed');
    await typeInTerminal(page, 'node1', 'ip netns list');
    expect(await terminalText(page, 'node1')).toMatch(/pod-a/);

    // The catalogue shows the progress too.
    await page.goto(`${server.url}#/`);
    await expect.poll(() => page.locator(`[data-lab="${lab.id}"] [data-testid="progress"]`).textContent()).toBe(`1/${lab.steps.length} steps`);
    // …and what the saved labs take of the page's storage budget: this lab's states, more than nothing.
    const storage = page.locator('[data-testid="storage"]');
    await storage.waitFor({ timeout: 30_000 });
    expect(Number(await storage.getAttribute('data-bytes'))).toBeGreaterThan(100_000);
    expect(Number(await storage.getAttribute('data-bytes'))).toBeLessThan(Number(await storage.getAttribute('data-budget')));
    expect(await storage.textContent()).toMatch(/Saved labs in this browser: [\d.]+ MB of a \d+ MB budget \(1 labs? with work saved\)/);
    await page.close();
  });

  it('resets the whole lab to the states its setup left, keeping nothing the learner did', async () => {
    const page = await newPage();
    await page.goto(`${server.url}#/lab/clusterip`);
    await waitForTerminals(page);
    // The first save after the setup also keeps the lab's start states.
    await page.locator('[data-testid="saved"]').waitFor({ timeout: 120_000 });
    const namespaces = (label: string) => `echo "${label}: $(ip netns list | cut -d' ' -f1 | sort | tr '\\n' ' ')"`;
    await typeInTerminal(page, 'node1', `ip netns del web-1; ip netns add scratch; ${namespaces('before')}`);
    expect(await terminalText(page, 'node1')).toMatch(/before:\s+client\s+scratch\s+web-2\s*$/m);
    await page.click('[data-testid="reset-menu"]');
    await page.click('[data-testid="reset-lab"]');
    await expect.poll(() => page.locator('[data-testid="status"]').textContent(), { timeout: 120_000 }).not.toMatch(/resetting/);
    await typeInTerminal(page, 'node1', namespaces('after'));
    expect(await terminalText(page, 'node1')).toMatch(/after:\s+client\s+web-1\s+web-2\s*$/m);
  });

  it('lays out no topology while the nodes start: elkjs\'s worker, if the picture needs it at all, comes after every node has started', async () => {
    const page = await newPage();
    // When each worker is made, and when the page logs that every node's start has ended (LabSession.afterBackgroundStarts).
    await page.addInitScript(() => {
      const seen: [string, number][] = [];
      Object.assign(window, { podwireSeen: seen });
      const NativeWorker = window.Worker;
      window.Worker = class extends NativeWorker {
        constructor(url: string | URL, options?: WorkerOptions) {
          super(url, options);
          seen.push([`worker ${String(url)}`, performance.now()]);
        }
      };
      const debug = console.debug.bind(console);
      console.debug = (...args: unknown[]) => {
        if (String(args[0]).includes('node starts')) seen.push(['nodes started', performance.now()]);
        debug(...args);
      };
    });
    const lab = findLab('secondary-networks');
    await page.goto(`${server.url}#/lab/${lab.id}`);
    await waitForTerminals(page);
    // Its first run saves its start states; a lab already saved here (a retry) resumes instead.
    await expect.poll(async () => await page.locator('[data-testid="saved"]').isVisible() || /resumed/.test(await statusText(page)), { timeout: 120_000 }).toBe(true);
    // Reopened, the lab's three nodes start from their saved states, the front one first and the others after its prompt.
    await page.reload();
    await waitForTerminals(page);
    const seen = () => page.evaluate(() => (window as unknown as { podwireSeen: [string, number][] }).podwireSeen);
    await expect.poll(async () => (await seen()).some(([what]) => what === 'nodes started'), { timeout: 60_000 }).toBe(true);
    // Then the view, opened: the kept picture, then a live look at every node.
    await page.click('[data-testid="view-topology"]');
    await page.locator('[data-testid="topology-pod"][data-pod="app"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('.topo-status').textContent(), { timeout: 60_000 }).toMatch(/live ·/);
    const events = await seen();
    const at = (pattern: RegExp) => events.find(([what]) => pattern.test(what))?.[1];
    // elkjs's worker is made only for a picture that shows something new (the live look may show what the kept one did), and never before.
    expect(at(/elk-worker/) ?? Number.POSITIVE_INFINITY, `elkjs's worker was made before every node had started: ${JSON.stringify(events)}`).toBeGreaterThan(at(/nodes started/)!);
    // One worker per node was made, restored from the saved states.
    expect(events.filter(([what]) => /worker-entry/.test(what)).length, JSON.stringify(events)).toBe(lab.topology.nodes.length);
  });

  it('works with the network cut once it has loaded', async () => {
    const page = await newPage();
    // A lab opened once, so the page has kept the node assets (the snapshot in the origin's
    // private file system) by itself, whatever ran before this test.
    await page.goto(`${server.url}#/lab/bridge`);
    await waitForTerminals(page);
    // The snapshot kept as a file the nodes read from (vm/state-file.ts): this build's for the lab's
    // memory size, beside this build's of the other size if an earlier test opened a lab of that size.
    const manifest = await (await fetch(`${server.url}node/manifest.json`)).json() as WebAssetManifest;
    const snapshot = manifest.snapshots.find((s) => s.memoryMb === nodeMemoryOf(findLab('bridge').topology));
    const kept = await keptSnapshotFiles(page);
    expect(kept).toContain(`${snapshot?.key}.state`);
    expect(kept.filter((file) => !manifest.snapshots.some((s) => file === `${s.key}.state`)), 'only this build\'s snapshots').toEqual([]);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    // The service worker keeps the site in the background after the first load; wait until it has.
    await expect.poll(() => page.evaluate(async () => (await caches.keys()).some((k) => k.startsWith('podwire-site-'))), { timeout: 60_000 }).toBe(true);
    // Cut it for real: the server drops every connection, and the browser is offline too.
    server.cut(true);
    await context.setOffline(true);
    try {
      // A new document (not a hash change), so the service worker must serve the page itself.
      await page.goto(`${server.url}?offline#/lab/bridge`);
      await waitForTerminals(page);
      await typeInTerminal(page, 'node1', 'ip -br link show eth0');
      expect(await terminalText(page, 'node1')).toMatch(/eth0\s+UP/);
      console.log(`offline: the server refused ${JSON.stringify(server.refused())}`);
    } finally {
      await context.setOffline(false);
      server.cut(false);
      await page.close();
    }
  });

  it('opens a lab from a URL as data: its Markdown runs no script', async () => {
    const page = await newPage();
    await page.goto(`${server.url}#/url/${encodeURIComponent(`${server.url}external/evil/lab.md`)}`);
    await page.waitForSelector('[data-testid="lesson"]', { timeout: 60_000 }).catch(async (error) => {
      throw new Error(`${(error as Error).message}\nthe page shows: ${await page.textContent('body')}`);
    });
    await expect(page.locator('[data-testid="lesson"]').textContent()).resolves.toContain('Harmless text stays.');
    // Give anything that might fire (onerror, ontoggle) its chance.
    await page.waitForTimeout(1500);
    await page.locator('[data-testid="lesson"] a', { hasText: 'a link' }).click().catch(() => undefined);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    const lesson = await page.locator('[data-testid="lesson"]').innerHTML();
    expect(lesson).not.toMatch(/<script|onerror|ontoggle|javascript:|<iframe/i);
    await page.close();
  });

  it('shows a VXLAN frame with its inner ICMP in the capture panel, and its pcapng download opens in tshark', async () => {
    const lab = findLab('vxlan');
    const page = await newPage();
    await page.goto(`${server.url}#/lab/${lab.id}`);
    await waitForTerminals(page, 'node1');
    await waitForTerminals(page, 'node2');
    for (const step of lab.steps) {
      for (const [node, commands] of Object.entries(step.solution)) await typeInTerminal(page, node, commands);
    }
    // -W 5: a save pauses the nodes, and its work on the page's thread can hold frames for a second or two.
    await typeInTerminal(page, 'node1', 'ip netns exec pod-a ping -c 3 -W 5 10.244.2.2');
    expect(await terminalText(page, 'node1')).toMatch(/3 received|3 packets received/);

    await page.click('[data-testid="view-topology"]');
    await page.locator('[data-testid="topology-pod"]').first().waitFor({ timeout: 60_000 });
    // elkjs drew pod-a inside node1's box.
    const rectOf = async (selector: string) => (await page.locator(`${selector} > rect`).first().boundingBox())!;
    const podBox = await rectOf('[data-testid="topology-pod"][data-pod="pod-a"]');
    const nodeBox = await rectOf('[data-testid="topology-node"][data-node="node1"]');
    expect([podBox.x >= nodeBox.x, podBox.y >= nodeBox.y, podBox.x + podBox.width <= nodeBox.x + nodeBox.width, podBox.y + podBox.height <= nodeBox.y + nodeBox.height]).toEqual([true, true, true, true]);
    await page.locator('[data-testid="topology-pod"][data-pod="pod-a"]').click();
    await expect(page.locator('[data-testid="topology-details"]').textContent()).resolves.toContain('10.244.1.2');
    await page.screenshot({ path: join(shots, 'topology.png') });

    await page.click('[data-testid="view-capture"]');
    await page.selectOption('[data-testid="capture-filter-protocol"]', 'vxlan');
    const row = page.locator('[data-testid="capture-row"]', { hasText: /ICMP|icmp/ }).first();
    await row.waitFor({ timeout: 60_000 });
    await row.click();
    const inner = await page.locator('[data-testid="capture-inner"]').textContent();
    expect(inner).toMatch(/ICMP/i);
    expect(inner).toContain('10.244.1.2');
    await page.screenshot({ path: join(shots, 'capture.png') });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="capture-download"]')]);
    const file = join('test-results', 'capture.pcapng');
    await download.saveAs(file);
    const decoded = execFileSync('tshark', ['-r', file, '-d', 'udp.port==8472,vxlan', '-Y', 'vxlan.vni == 1 && icmp', '-T', 'fields', '-e', 'ip.src'], { encoding: 'utf8' });
    expect(decoded).toContain('10.244.1.2');
    writeFileSync(join(shots, 'capture.tshark.txt'), decoded);
    await page.close();
  });
});
