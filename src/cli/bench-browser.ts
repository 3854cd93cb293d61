// The browser part of `npm run bench`: the built site in Debian's chromium, as a
// learner meets it. First visit (nothing cached): time to every node's shell and the
// bytes the server sent. Later visits (assets cached): time to the first shell for a lab
// never run here (base snapshot, then setup), for a fresh start (the lab's start states)
// and when resuming the saved cluster; then the first topology view. Memory of a 3-node lab, as the
// browser itself reports it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { loadLabs } from '../lab/load.js';
import { DEFAULT_NODE_MEMORY_MB, nodeMemoryOf } from '../topology/topology.js';
import { followInPage, launchBrowser, launchProfile, waitForTerminals } from './chromium.js';
import { serveStatic } from './static-server.js';

export interface BrowserFigures {
  lab: string;
  nodes: number;
  firstVisitSeconds: number[];
  firstVisitBytes: number;
  cachedFirstShellSeconds: number[];
  cachedAllShellsSeconds: number[];
  /** The same two as Playwright saw them (a round trip to the page per look). */
  cachedObservedSeconds: { first: number; all: number }[];
  /** The page's marks on the fresh start of each run, in s from the navigation. */
  cachedMarks: string[];
  firstRunSeconds: number[];
  resumedFirstShellSeconds: number[];
  /** From a click on Topology, just after the resumed lab's first shell, to its pods drawn. */
  topologyFirstViewSeconds: number[];
  /** … and to the view saying it is live: a look made since the click has redrawn every node. */
  topologyLiveSeconds: number[];
  memoryBytes: number | null;
  memoryNote: string;
  /** Chromium's processes after the first run's first visit. */
  chromium: ChromiumMemory | null;
  /** The same, with the first run's fresh start up (assets cached, nodes from the lab's start states). */
  chromiumFreshStart: ChromiumMemory | null;
  /** Host CPU of every chromium process while that lab sits idle, in % of one core. */
  idleCpuPercent: number | null;
}

interface ChromiumMemory {
  rssBytes: number;
  pssBytes: number;
  /** PSS in MiB per kind of chromium process, largest first. */
  byType: string;
}

/** Every chromium process's pid. */
const chromiumPids = () => execFileSync('ps', ['-C', 'chromium', '-o', 'pid='], { encoding: 'utf8' }).split('\n').map((p) => p.trim()).filter(Boolean);

/**
 * Memory of every chromium process (browser, renderer with the node workers, GPU, utilities).
 * RSS counts a page shared by several processes once in each; PSS splits it among them, so
 * the PSS sum is what the processes hold together. Linux only (smaps_rollup).
 */
function chromiumMemory(): ChromiumMemory {
  const pids = chromiumPids();
  let rssBytes = 0;
  let pssBytes = 0;
  const byType = new Map<string, number>();
  for (const pid of pids) {
    let rollup: string;
    let commandLine: string;
    try {
      rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch { continue; } // gone meanwhile
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0) * 1024;
    rssBytes += kb('Rss');
    pssBytes += kb('Pss');
    const type = /--type=([\w-]+)/.exec(commandLine)?.[1] ?? 'browser';
    byType.set(type, (byType.get(type) ?? 0) + kb('Pss'));
  }
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  return { rssBytes, pssBytes, byType: [...byType].sort((a, b) => b[1] - a[1]).map(([type, bytes]) => `${type} ${mib(bytes)}`).join(', ') };
}

/** CPU time of every chromium process so far, in clock ticks (utime + stime, /proc/PID/stat). */
function chromiumCpuTicks(): number {
  let ticks = 0;
  for (const pid of chromiumPids()) {
    let stat: string;
    try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; } // gone meanwhile
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks;
}

/** The CPU chromium uses over `ms` while nothing is asked of the page, in % of one core (Linux: 100 clock ticks a second). */
async function chromiumIdleCpu(page: Page, ms: number): Promise<number> {
  const before = chromiumCpuTicks();
  const from = performance.now();
  await page.waitForTimeout(ms);
  return (chromiumCpuTicks() - before) * 10 / (performance.now() - from) * 100;
}

/**
 * Seconds from navigation to the first node's prompt drawn, then to every node's (shown side
 * by side). Taken from the page's own marks: Terminals marks when its terminal first draws a
 * prompt, so the figures are what the learner sees. Playwright's own look, a round trip to the
 * page at a time, saw the prompt 0.1-0.6 s later while the other nodes were starting; its
 * figures are kept beside (`observed`).
 */
async function timeToShells(page: Page, url: string, nodes: string[], phases?: string[]): Promise<{ first: number; all: number; observed: { first: number; all: number }; marks: string }> {
  // The page's own account of where the opening went (session.ts): the assets, and each node's start phases.
  page.on('console', (message) => { if (phases && /^podwire: (node assets ready|node starts)/.test(message.text())) phases.push(message.text().replace(/^podwire: /, '')); });
  // A lab opened from a page already loaded is a change of the address's hash: its marks count
  // from this one. A page loaded by the navigation counts from its own start.
  if (page.url() !== 'about:blank') await page.evaluate(() => { performance.clearMarks(); performance.mark('podwire:bench-navigation'); });
  const started = performance.now();
  await page.goto(url);
  await waitForTerminals(page, nodes[0]!, 300_000);
  const firstObserved = (performance.now() - started) / 1000;
  if (nodes.length > 1) await page.click('[data-testid="split"]');
  for (const node of nodes) await waitForTerminals(page, node, 300_000);
  const allObserved = (performance.now() - started) / 1000;
  const marks = await page.evaluate(() => {
    const entries = performance.getEntriesByType('mark').filter((mark) => mark.name.startsWith('podwire:'));
    const origin = entries.find((mark) => mark.name === 'podwire:bench-navigation')?.startTime ?? 0;
    return entries.map((mark) => ({ name: mark.name.replace(/^podwire:/, ''), seconds: (mark.startTime - origin) / 1000 })).filter((mark) => mark.seconds >= 0);
  });
  // A node the page did not mark (its prompt came before its terminal could see it) counts as Playwright saw it.
  const drawn = nodes.map((node) => marks.find((mark) => mark.name === `prompt-drawn:${node}`)?.seconds);
  const unmarked = nodes.filter((_, i) => drawn[i] === undefined);
  const first = drawn[0] ?? firstObserved;
  return {
    first,
    all: Math.max(first, ...drawn.map((seconds) => seconds ?? allObserved)),
    observed: { first: firstObserved, all: allObserved },
    marks: marks.filter((mark) => mark.name !== 'bench-navigation').map((mark) => `${mark.name} ${mark.seconds.toFixed(2)}`).join(', ')
      + (unmarked.length ? `; no prompt-drawn mark for ${unmarked.join(', ')}: Playwright's time taken` : ''),
  };
}

export async function benchBrowser(options: { runs: number; log: (line: string) => void }): Promise<BrowserFigures> {
  // A 3-node lab of the size most labs' nodes have (topology.memoryMb): the lab a learner
  // usually meets. Until 2026-12-05 this was the first 3-node lab, nodeport, whose nodes
  // ask for 256 MB.
  const labs = loadLabs();
  const lab = labs.find((l) => l.topology.nodes.length >= 3 && nodeMemoryOf(l.topology) === DEFAULT_NODE_MEMORY_MB) ?? labs[0]!;
  const nodes = lab.topology.nodes.map((n) => n.name);
  options.log(`  building the site, then opening lab ${lab.id} (${nodes.length} nodes) in chromium`);
  execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { stdio: 'inherit' });
  // Cross-origin isolated (the default), so the page may ask the browser for its memory figure.
  const server = await serveStatic();
  const url = `${server.url}#/lab/${lab.id}`;
  const figures: BrowserFigures = {
    lab: lab.id, nodes: nodes.length, firstVisitSeconds: [], firstVisitBytes: 0,
    cachedFirstShellSeconds: [], cachedAllShellsSeconds: [], cachedObservedSeconds: [], cachedMarks: [], firstRunSeconds: [], resumedFirstShellSeconds: [], topologyFirstViewSeconds: [], topologyLiveSeconds: [],
    memoryBytes: null, memoryNote: '', chromium: null, chromiumFreshStart: null, idleCpuPercent: null,
  };
  let profile: Awaited<ReturnType<typeof launchProfile>> | undefined;
  try {
    for (let run = 0; run < options.runs; run++) {
      // A new profile on disk: empty HTTP cache, file system and IndexedDB, kept in files as a learner's are.
      const context = await launchProfile({ width: 1400, height: 860 });
      profile = context;
      const sentBefore = server.bytesSent();
      let page = await context.newPage();
      const first = await timeToShells(page, url, nodes);
      figures.firstVisitSeconds.push(first.all);
      // Let the service worker finish keeping the site for offline use: that is part of a first visit too.
      await page.evaluate(() => navigator.serviceWorker?.ready.then(() => undefined));
      await page.waitForTimeout(2000);
      if (run === 0) {
        figures.firstVisitBytes = server.bytesSent() - sentBefore;
        figures.chromium = chromiumMemory();
        const measured = await Promise.race([
          page.evaluate(async () => {
            const measure = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }).measureUserAgentSpecificMemory;
            if (!crossOriginIsolated || !measure) return { bytes: null, why: `crossOriginIsolated=${crossOriginIsolated}, API ${measure ? 'present' : 'missing'}` };
            return { bytes: (await measure.call(performance)).bytes, why: '' };
          }),
          new Promise<{ bytes: null; why: string }>((resolve) => setTimeout(() => resolve({ bytes: null, why: 'no answer within 60 s' }), 60_000)),
        ]);
        figures.memoryBytes = measured.bytes;
        figures.memoryNote = measured.why;
      }
      await page.close();

      // Assets cached, IndexedDB emptied: a lab never run here, so the nodes start from the
      // base snapshot and run the lab's setup (whose states the first save keeps as the lab's start).
      page = await context.newPage();
      await page.goto(server.url);
      await page.evaluate(() => new Promise((resolve) => { const r = indexedDB.deleteDatabase('podwire'); r.onsuccess = r.onerror = r.onblocked = resolve; }));
      const firstRun = await timeToShells(page, url, nodes);
      figures.firstRunSeconds.push(firstRun.first);
      await page.locator('[data-testid="saved"]').waitFor({ timeout: 300_000 });
      await page.close();

      // Assets cached, the learner's work forgotten (as "Reset the whole lab" does): a fresh
      // start, from the states the lab's setup left.
      page = await context.newPage();
      await page.goto(server.url);
      await page.evaluate(() => new Promise((resolve, reject) => {
        const request = indexedDB.open('podwire');
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const transaction = request.result.transaction(['clusters', 'progress'], 'readwrite');
          transaction.objectStore('clusters').clear();
          transaction.objectStore('progress').clear();
          transaction.oncomplete = () => { request.result.close(); resolve(undefined); };
          transaction.onerror = () => reject(transaction.error);
        };
      }));
      const cachedPhases: string[] = [];
      const cached = await timeToShells(page, url, nodes, cachedPhases);
      figures.cachedFirstShellSeconds.push(cached.first);
      figures.cachedAllShellsSeconds.push(cached.all);
      figures.cachedObservedSeconds.push(cached.observed);
      figures.cachedMarks.push(cached.marks);
      if (run === 0) {
        await page.waitForTimeout(2000);
        figures.chromiumFreshStart = chromiumMemory();
        figures.idleCpuPercent = await chromiumIdleCpu(page, 10_000);
      }
      // A check saves the cluster, as a learner's would: the next visit resumes it.
      await page.click('[data-testid="step"].current [data-testid="check"]');
      await page.locator('[data-testid="saved"]').waitFor({ timeout: 300_000 });
      await page.close();

      // Assets cached and a saved cluster: the nodes resume where they were.
      page = await context.newPage();
      const resumedPhases: string[] = [];
      const resumed = await timeToShells(page, url, nodes, resumedPhases);
      figures.resumedFirstShellSeconds.push(resumed.first);
      // The learner opens the topology at once: the view's first look at the nodes is this one.
      const clicked = performance.now();
      await page.click('[data-testid="view-topology"]');
      await page.locator('[data-testid="topology-pod"]').first().waitFor({ timeout: 120_000 });
      const topology = (performance.now() - clicked) / 1000;
      figures.topologyFirstViewSeconds.push(topology);
      await page.waitForFunction(() => document.querySelector('.topo-status')?.textContent?.trim().startsWith('live'), undefined, { timeout: 120_000 });
      figures.topologyLiveSeconds.push((performance.now() - clicked) / 1000);
      await page.close();
      await context.closeAndRemove();
      profile = undefined;
      options.log(`  run ${run + 1}, fresh start phases: ${cachedPhases.join('; ')}`);
      options.log(`  run ${run + 1}, fresh start marks (s): ${cached.marks}; Playwright saw the first prompt at ${cached.observed.first.toFixed(2)} s, every one at ${cached.observed.all.toFixed(2)} s`);
      options.log(`  run ${run + 1}, resumed phases: ${resumedPhases.join('; ')}`);
      options.log(`  run ${run + 1}, resumed marks (s): ${resumed.marks}; Playwright saw the first prompt at ${resumed.observed.first.toFixed(2)} s`);
      options.log(`  run ${run + 1}: first visit ${first.all.toFixed(1)} s, first run of the lab ${firstRun.first.toFixed(2)} s, fresh start ${cached.first.toFixed(2)} s (all ${cached.all.toFixed(2)} s), resumed ${resumed.first.toFixed(2)} s, topology ${topology.toFixed(2)} s (live ${figures.topologyLiveSeconds.at(-1)!.toFixed(2)} s)`);
    }
  } finally {
    await profile?.closeAndRemove().catch(() => undefined);
    await server.close();
  }
  return figures;
}

export interface BrowserWalkFigures {
  /** Seconds from a click on Follow to the path drawn on the topology, walk by walk. */
  seconds: number[];
  /** Each walk's own account of its phases (arm, probe, collect, assemble), in ms. */
  phases: string[];
}

/**
 * "Follow a packet" in the page: lab fix-mtu's setup leaves a VXLAN overlay between pod-a
 * (node1) and pod-b (node2). Once the lab's first save has passed, one ping from pod-a is
 * followed `runs` times; each is timed from the click to the path lit on the topology.
 * `query` adds to the page's address (`?jit=1` turns v86's JIT back on, to compare).
 */
export async function benchBrowserWalk(options: { runs: number; query?: string }): Promise<BrowserWalkFigures> {
  const server = await serveStatic();
  const browser = await launchBrowser();
  const figures: BrowserWalkFigures = { seconds: [], phases: [] };
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${server.url}${options.query ?? ''}#/lab/fix-mtu`);
    await waitForTerminals(page, 'node1', 300_000);
    await waitForTerminals(page, 'node2', 300_000);
    await page.locator('[data-testid="saved"]').waitFor({ timeout: 300_000 });
    await page.click('[data-testid="view-walk"]');
    await page.locator('#view-topology [data-testid="topology-pod"][data-pod="pod-a"]').waitFor({ timeout: 120_000 });
    await page.fill('[data-testid="walk-from"]', 'node1/pod-a');
    await page.fill('[data-testid="walk-to"]', '10.244.2.2');
    await page.selectOption('[data-testid="walk-probe"]', 'icmp');
    for (let run = 0; run < options.runs; run++) {
      figures.seconds.push((await followInPage(page)) / 1000);
      const outcome = await page.locator('[data-testid="walk-outcome"]').getAttribute('data-outcome');
      if (outcome !== 'answered') throw new Error(`the walk in the page was not answered: ${await page.locator('[data-testid="walk-outcome"]').textContent()}`);
      const phases = JSON.parse((await page.locator('[data-testid="walk-took"]').getAttribute('data-phases')) ?? '{}') as Record<string, number>;
      figures.phases.push(Object.entries(phases).map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)}`).join(', '));
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return figures;
}
