// "Follow a packet" in a real browser (Debian's chromium) on the built site: lab fix-mtu's
// setup gives a VXLAN overlay between pod-a (10.244.1.2 on node1) and pod-b (10.244.2.2 on
// node2). A ping from pod-a is followed through the real kernels; the panel steps through
// its hops (buttons and arrow keys) while the topology lights the current one; the walk's
// pcapng opens in real tshark with the VXLAN hop's outer and inner addresses; its JSON holds
// the same hops. The time from the click to the drawn path is measured three times. Then a
// ClusterIP made by hand on node1 is followed across the overlay to pod-b.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, serveStatic } from './browser.js';
import { followInPage, typeInTerminal, waitForTerminals } from './page.js';

const shots = process.env.PODWIRE_SCREENSHOT_DIR ?? process.env.PODWIRE_SCREENSHOTS ?? 'test-results/screenshots';
mkdirSync(shots, { recursive: true });

let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  server = await serveStatic();
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const position = (page: Page) => page.locator('[data-testid="walk-position"]').textContent();
const currentHop = (page: Page) => page.locator('[data-testid="walk-hop"][aria-current="step"]');

/** Click Follow and wait for the outcome line of a new walk; the milliseconds from the click until the path is drawn on the topology. */
async function follow(page: Page): Promise<number> {
  const took = await followInPage(page);
  console.log(`walk: ${Math.round(took)} ms from the click, by phase ${await page.locator('[data-testid="walk-took"]').getAttribute('data-phases')}`);
  return took;
}

describe('following a packet in the page', () => {
  it('follows a ping from pod-a across the VXLAN overlay, steps through its hops on the topology, and downloads a pcapng tshark decodes', async () => {
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
    await page.goto(`${server.url}#/lab/fix-mtu`);
    await waitForTerminals(page, 'node1');
    await waitForTerminals(page, 'node2');
    // The first save (the lab's start states) pauses the nodes: let it pass before timing a walk.
    await page.locator('[data-testid="saved"]').waitFor({ timeout: 120_000 });

    await page.click('[data-testid="view-walk"]');
    // The topology is drawn above the panel, and the sources list the pods.
    await page.locator('#view-topology [data-testid="topology-pod"][data-pod="pod-a"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('#walk-sources option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value)), { timeout: 30_000 })
      .toEqual(expect.arrayContaining(['node1', 'node1/pod-a', 'node2', 'node2/pod-b']));
    await page.fill('[data-testid="walk-from"]', 'node1/pod-a');
    await page.fill('[data-testid="walk-to"]', '10.244.2.2');
    await page.selectOption('[data-testid="walk-probe"]', 'icmp');
    const firstMs = await follow(page);

    const outcome = page.locator('[data-testid="walk-outcome"]');
    expect(await outcome.getAttribute('data-outcome'), (await page.locator('[data-testid="walk-hops"]').textContent()) ?? '').toBe('answered');
    const hops = page.locator('[data-testid="walk-hop"]');
    const count = await hops.count();
    expect(count).toBeGreaterThan(6);
    expect(await position(page)).toBe(`Hop 1 of ${count}`);
    // Hop 1: pod-a sends; the topology lights pod-a (and node1), and the whole path.
    expect(await currentHop(page).getAttribute('data-kind')).toBe('send');
    await expect.poll(() => page.locator('#view-topology [data-testid="topology-pod"][data-pod="pod-a"]').getAttribute('class')).toMatch(/\bcurrent-hop\b/);
    expect(await page.locator('#view-topology [data-testid="topology-node"][data-node="node2"]').getAttribute('class')).toMatch(/\bon-path\b/);
    expect(await page.locator('[data-testid="walk-back"]').isDisabled()).toBe(true);

    // Next, hop by hop, to the first hop on the wire: the position and the lit place follow.
    const kinds = await hops.evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')));
    const wireAt = kinds.indexOf('wire');
    expect(wireAt, kinds.join(' ')).toBeGreaterThan(0);
    for (let at = 1; at <= wireAt; at++) {
      await page.click('[data-testid="walk-next"]');
      expect(await position(page)).toBe(`Hop ${at + 1} of ${count}`);
    }
    expect(await currentHop(page).getAttribute('data-kind')).toBe('wire');
    // On the wire: the link's line to its switch is the current hop (a hop on the wire is named after its link, a node's), pod-a no longer is.
    const link = (await currentHop(page).getAttribute('data-node'))!;
    expect(['node1', 'node2']).toContain(link);
    await expect.poll(() => page.locator('#view-topology path.topo-edge.current-hop').evaluateAll((paths) => paths.map((p) => p.getAttribute('data-edge'))))
      .toEqual([expect.stringMatching(new RegExp(`^segment:[^:]+:${link}$`))]);
    expect(await page.locator('#view-topology [data-testid="topology-pod"][data-pod="pod-a"]').getAttribute('class')).not.toMatch(/\bcurrent-hop\b/);
    // Its headers, outer and inner, and its frame layer by layer (the capture panel's decoders).
    expect(await page.locator('[data-testid="walk-headers"]').textContent()).toMatch(/10\.244\.1\.2 → 10\.244\.2\.2 ICMP[\s\S]*outer 10\.0\.0\.11 → 10\.0\.0\.12 \(VXLAN VNI 1\)/);
    const layers = (await page.locator('[data-testid="walk-layers"]').textContent()) ?? '';
    expect(layers).toMatch(/VXLAN/);
    expect(layers).toMatch(/Inner frame[\s\S]*10\.244\.1\.2[\s\S]*ICMP/);
    // The cluster's side of the page: the path on the topology, the hops, and this hop's layers.
    await page.locator('section.work-pane').screenshot({ path: join(shots, 'walk.png') });

    // The arrow keys step too: back one, forward one.
    await page.locator('[data-testid="walk-hops"]').focus();
    await page.keyboard.press('ArrowLeft');
    expect(await position(page)).toBe(`Hop ${wireAt} of ${count}`);
    expect(await currentHop(page).getAttribute('data-kind')).not.toBe('wire');
    await expect.poll(() => page.locator('#view-topology path.topo-edge.current-hop').count()).toBe(0);
    await page.keyboard.press('ArrowRight');
    expect(await position(page)).toBe(`Hop ${wireAt + 1} of ${count}`);
    // Back with the button, to the start; the last hop is pod-a receiving the answer.
    await page.click('[data-testid="walk-back"]');
    expect(await position(page)).toBe(`Hop ${wireAt} of ${count}`);
    await page.locator('[data-testid="walk-hops"]').focus();
    await page.keyboard.press('End');
    expect(await position(page)).toBe(`Hop ${count} of ${count}`);
    expect(await currentHop(page).getAttribute('data-node')).toBe('node1');
    expect(await page.locator('[data-testid="walk-next"]').isDisabled()).toBe(true);

    // The pcapng: one interface per wire hop, and tshark finds the VXLAN hop's outer and inner addresses.
    const [pcapng] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="walk-pcapng"]')]);
    const file = join('test-results', 'walk.pcapng');
    await pcapng.saveAs(file);
    const fields = execFileSync('tshark', ['-r', file, '-d', 'udp.port==8472,vxlan', '-T', 'fields', '-E', 'separator=|', '-e', 'frame.interface_name', '-e', 'vxlan.vni', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'icmp.type'], { encoding: 'utf8' });
    const rows = fields.trim().split('\n').map((line) => line.split('|'));
    const wireHops = kinds.filter((kind) => kind === 'wire').length;
    expect(rows.length, fields).toBe(wireHops);
    expect(new Set(rows.map(([name]) => name)).size, fields).toBe(wireHops);
    expect(rows[0], fields).toEqual([`hop ${wireAt + 1} request ${link}`, '1', '10.0.0.11,10.244.1.2', '10.0.0.12,10.244.2.2', '8']);
    // The answer comes back over VXLAN the other way.
    expect(rows.some(([name, vni, src, dst, type]) => /reply/.test(name!) && vni === '1' && src === '10.0.0.12,10.244.2.2' && dst === '10.0.0.11,10.244.1.2' && type === '0'), fields).toBe(true);

    // The JSON: the same hops, frames as hex.
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="walk-json"]')]);
    const walk = JSON.parse(readFileSync((await json.path())!, 'utf8')) as { outcome: string; hops: { kind: string; frame?: { bytes: string } }[]; phasesMs?: Record<string, number>; durationMs?: number };
    console.log(`walk in the page: ${walk.durationMs} ms, by phase ${JSON.stringify(walk.phasesMs)}`);
    expect(walk.outcome).toBe('answered');
    expect(walk.hops.map((hop) => hop.kind)).toEqual(kinds);
    expect(walk.hops[wireAt]!.frame!.bytes).toMatch(/^[0-9a-f]{200,}$/);

    // The time from Follow to the drawn path, three walks.
    const times = [firstMs, await follow(page), await follow(page)].sort((a, b) => a - b);
    expect(await outcome.getAttribute('data-outcome')).toBe('answered');
    console.log(`walk, click to drawn path (ms): ${times.map(Math.round).join(', ')}; median ${Math.round(times[1]!)}`);

    // A ClusterIP across the overlay, made by hand as kube-proxy would: node1 DNATs
    // 10.96.0.20:80 to pod-b's port 80 on node2, where a server answers. The walk shows the
    // DNAT, then the rewritten packet wrapped in VXLAN on the wire.
    await page.click('[data-testid="view-terminals"]');
    await typeInTerminal(page, 'node2', "ip netns exec pod-b setsid socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hello' </dev/null >/dev/null 2>&1 &");
    await typeInTerminal(page, 'node1', [
      'iptables -t nat -N KUBE-SERVICES',
      'iptables -t nat -A PREROUTING -j KUBE-SERVICES',
      'iptables -t nat -A KUBE-SERVICES -d 10.96.0.20/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.2.2:80',
    ].join('\n'));
    await page.click('[data-testid="view-walk"]');
    await page.fill('[data-testid="walk-to"]', '10.96.0.20:80');
    await page.selectOption('[data-testid="walk-probe"]', 'tcp');
    await follow(page);
    expect(await outcome.getAttribute('data-outcome'), (await page.locator('[data-testid="walk-hops"]').textContent()) ?? '').toBe('answered');
    const serviceKinds = await hops.evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')));
    const texts = await hops.evaluateAll((items) => items.map((item) => item.textContent ?? ''));
    const dnatAt = texts.findIndex((text) => /KUBE-SERVICES[\s\S]*DNAT to 10\.244\.2\.2:80/.test(text));
    const serviceWireAt = serviceKinds.indexOf('wire');
    expect(dnatAt, texts.join('\n')).toBeGreaterThan(0);
    expect(serviceWireAt).toBeGreaterThan(dnatAt);
    await page.locator('[data-testid="walk-hops"]').focus();
    await page.keyboard.press('Home');
    for (let at = 0; at < serviceWireAt; at++) await page.keyboard.press('ArrowRight');
    expect(await position(page)).toBe(`Hop ${serviceWireAt + 1} of ${serviceKinds.length}`);
    // On the wire: the packet already rewritten for pod-b, inside VXLAN between the nodes.
    expect(await page.locator('[data-testid="walk-headers"]').textContent()).toMatch(/10\.244\.1\.2:\d+ → 10\.244\.2\.2:80 TCP[\s\S]*outer 10\.0\.0\.11 → 10\.0\.0\.12 \(VXLAN VNI 1\)/);
    await page.locator('section.work-pane').screenshot({ path: join(shots, 'walk-clusterip.png') });
    await page.close();
  });
});
