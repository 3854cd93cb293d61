// `npm run bench` (and later `podwire bench`): measures what podwire promises —
// start-up time, agent latency, switch speed, pod/overlay latency and throughput,
// memory and download size — and writes bench/results.json and bench/results.md.
// Each benchmark is isolated: a failure becomes an error entry, never an abort.
import { mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { benchSwitch } from '../net/bench.js';
import { benchBrowser } from './bench-browser.js';
import { coldBootAssets, loadImage, snapshotAssets, snapshotFile } from '../vm/assets-node.js';
import { Cluster } from '../vm/cluster.js';
import type { BootAssets } from '../vm/emulator.js';
import type { ImageManifest } from '../vm/image.js';
import { nodeWorkerHost } from '../vm/host-node.js';
import type { VmNode } from '../vm/node.js';
import type { Topology } from '../topology/topology.js';

export interface BenchOptions {
  /** One run instead of three for the start-up benchmarks. */
  quick?: boolean;
  /** Runs per start-up benchmark; overrides quick. */
  runs?: number;
  /** Only these benchmark groups (see GROUPS); all when empty. */
  only?: string[];
  /** Where results.json and results.md go. */
  outDir?: string;
  log?: (line: string) => void;
}

export interface Goal { comparison: '<' | '<=' | '>='; value: number }

export interface Figure {
  /** Which benchmark it belongs to (1 start-up … 7 size); orders the table. */
  section: number;
  name: string;
  value: number | null;
  unit: string;
  goal?: Goal;
  /** Whether the goal is met; absent when there is no goal or no value. */
  met?: boolean;
  note?: string;
  error?: string;
}

export interface BenchResults {
  date: string;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  totalMemoryMB: number;
  /** The image measured (its recipe key): results of different images are not comparable. */
  image: string | null;
  /** Load average at the end: other work on the machine skews every timing here. */
  loadAverage: number[];
  runs: number;
  durationSeconds: number;
  figures: Figure[];
}

export const GROUPS = ['size', 'switch', 'network', 'restore', 'cold', 'browser'] as const;

type SnapshotAssets = BootAssets & { state: ArrayBuffer };

const THREE_NODES: Topology = { nodes: [{ name: 'node1' }, { name: 'node2' }, { name: 'node3' }] };
const ONE_NODE: Topology = { nodes: [{ name: 'node1' }] };
const NODE1_IP = '10.0.0.11';
const NODE2_IP = '10.0.0.12';
const WARMUP_EXECS = 40;
const RTT_CALLS = 200;

// ---------------------------------------------------------------- statistics

export function percentile(values: number[], p: number): number {
  if (values.length === 0) throw new Error('no samples');
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest-rank: p95 of 200 samples is the 190th, an observed value.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

// ---------------------------------------------------------------- guest helpers

/** Run a setup command and fail loudly: a silent setup error would make a latency figure meaningless. */
async function must(node: VmNode, command: string, timeout = 30): Promise<string> {
  const result = await node.exec(command, { timeout });
  if (result.exitCode !== 0) {
    throw new Error(`${node.name}: \`${command.slice(0, 80)}\` exited ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}: ${(result.stderr || result.stdout).trim().slice(0, 300)}`);
  }
  return result.stdout;
}

async function warmUp(node: VmNode): Promise<void> {
  // The v86 JIT compiles hot guest code lazily; early execs are several times slower.
  for (let i = 0; i < WARMUP_EXECS; i++) await node.exec('true', { timeout: 10 });
}

/** Per-packet RTTs from iputils ping output, without the first packet (ARP, cold caches). */
export function parsePingTimes(output: string): number[] {
  const times: number[] = [];
  for (const match of output.matchAll(/icmp_seq=(\d+).*?time[=<]([\d.]+) ms/g)) {
    if (Number(match[1]) > 1) times.push(Number(match[2]));
  }
  return times;
}

async function pingTimes(node: VmNode, target: string, netns?: string): Promise<number[]> {
  const prefix = netns ? `ip netns exec ${netns} ` : '';
  const stdout = await must(node, `${prefix}ping -c 30 -i 0.2 -W 2 ${target}`, 40);
  const times = parsePingTimes(stdout);
  if (times.length < 10) throw new Error(`only ${times.length} ping replies from ${target}: ${stdout.slice(-300)}`);
  return times;
}

async function iperf(client: VmNode, target: string): Promise<{ mbits: number; retransmits: number | undefined }> {
  const stdout = await must(client, `iperf3 -c ${target} -t 5 -J`, 40);
  const report = JSON.parse(stdout) as {
    end?: { sum_received?: { bits_per_second?: number }; sum_sent?: { retransmits?: number } };
    error?: string;
  };
  const bps = report.end?.sum_received?.bits_per_second;
  if (typeof bps !== 'number') throw new Error(`iperf3 to ${target}: ${report.error ?? 'no end.sum_received in its report'}`);
  return { mbits: bps / 1e6, retransmits: report.end?.sum_sent?.retransmits };
}

/** A full GC of the main thread, so garbage (e.g. transferred state copies) does not count as memory in use. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Two netns "pods" on node1 behind a cni0 bridge, as a bridge CNI plugin would wire them. */
async function makePods(node: VmNode): Promise<{ from: string; to: string }> {
  const pods = [['pod-a', '10.244.1.2'], ['pod-b', '10.244.1.3']] as const;
  let script = 'set -e; ip link add cni0 type bridge; ip addr add 10.244.1.1/24 dev cni0; ip link set cni0 up;';
  for (const [pod, ip] of pods) {
    script += ` ip netns add ${pod}; ip link add veth-${pod} type veth peer name eth0 netns ${pod};`
      + ` ip link set veth-${pod} master cni0 up; ip -n ${pod} link set lo up;`
      + ` ip -n ${pod} addr add ${ip}/24 dev eth0; ip -n ${pod} link set eth0 up; ip -n ${pod} route add default via 10.244.1.1;`;
  }
  await must(node, script);
  return { from: pods[0][0], to: pods[1][1] };
}

async function makeVxlan(node: VmNode, ownIp: string, peerIp: string, overlayAddress: string): Promise<void> {
  await must(node, 'set -e; '
    + `ip link add vxlan42 type vxlan id 42 dstport 4789 local ${ownIp} dev eth0 nolearning; `
    + `bridge fdb append 00:00:00:00:00:00 dev vxlan42 dst ${peerIp}; `
    + `ip addr add ${overlayAddress} dev vxlan42; ip link set vxlan42 up`);
}

// ---------------------------------------------------------------- the run

export async function runBench(options: BenchOptions = {}): Promise<BenchResults> {
  const log = options.log ?? ((line: string) => console.error(line));
  const runs = Math.max(1, options.runs ?? (options.quick ? 1 : 3));
  const only = new Set(options.only ?? []);
  const wanted = (group: (typeof GROUPS)[number]) => only.size === 0 || only.has(group);
  const figures: Figure[] = [];
  const began = performance.now();

  const record = (figure: Figure) => {
    if (figure.goal && figure.value !== null) {
      const { comparison, value } = figure.goal;
      figure.met = comparison === '<' ? figure.value < value : comparison === '<=' ? figure.value <= value : figure.value >= value;
    }
    figures.push(figure);
    log(`  ${figure.name}: ${figure.error ? `ERROR ${figure.error}` : `${figure.value} ${figure.unit}`}`);
  };
  /** Run one benchmark; if it throws, every figure it was meant to produce gets the error. */
  const attempt = async (title: string, planned: Omit<Figure, 'value'>[], body: () => Promise<void>) => {
    log(`${title} ...`);
    try {
      await body();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const done = new Set(figures.map((f) => f.name));
      for (const figure of planned) if (!done.has(figure.name)) record({ ...figure, value: null, error: message });
    }
  };
  // The image and snapshot are resolved once and reused. Someone editing images/ while
  // we run changes the recipe key, and a later loadImage() would then build a new image
  // inside a timed section, or measure a different image than the first benchmarks did.
  let manifest: ImageManifest | undefined;
  let cold: BootAssets | undefined;
  const image = () => {
    manifest ??= loadImage().manifest; // builds the image if the cache has none
    cold ??= coldBootAssets();
    return { manifest, cold };
  };
  let snapshot: Promise<{ file: string; assets: SnapshotAssets }> | undefined;
  const restorable = () => (snapshot ??= (async () => {
    image();
    const file = snapshotFile();
    return { file, assets: await snapshotAssets() }; // makes the snapshot if there is none yet
  })());

  const clusters = new Set<Cluster>();
  const bringUp = async (start: () => Promise<Cluster>) => {
    const cluster = await start();
    clusters.add(cluster);
    return cluster;
  };
  const bringDown = async (cluster: Cluster) => {
    clusters.delete(cluster);
    await cluster.down();
  };

  try {
    if (wanted('size')) {
      await attempt('image and snapshot size', [
        { section: 7, name: 'Image download size (kernel + initrd + BIOS)', unit: 'MiB', goal: { comparison: '<=', value: 32 } },
        { section: 7, name: 'Snapshot size (zstd)', unit: 'MiB' },
      ], async () => {
        const { artefacts } = image().manifest;
        const parts = [artefacts.bzimage, artefacts.initrd, artefacts.bios, artefacts.vgabios];
        const bytes = parts.reduce((sum, artefact) => sum + artefact.size, 0);
        record({
          section: 7, name: 'Image download size (kernel + initrd + BIOS)', value: round(bytes / 2 ** 20, 2), unit: 'MiB',
          goal: { comparison: '<=', value: 32 }, note: parts.map((a) => `${a.file} ${round(a.size / 2 ** 20, 2)} MiB`).join(', '),
        });
        const { file } = await restorable();
        record({ section: 7, name: 'Snapshot size (zstd)', value: round(statSync(file).size / 2 ** 20, 2), unit: 'MiB' });
      });
    }

    if (wanted('switch')) {
      // Before any VM runs, so the switch has the CPU to itself.
      await attempt('switch forwarding', [
        { section: 3, name: 'Switch forwarding', unit: 'frames/s', goal: { comparison: '>=', value: 1_000_000 } },
      ], async () => {
        const result = benchSwitch();
        record({ section: 3, name: 'Switch forwarding', value: result.framesPerSecond, unit: 'frames/s', goal: { comparison: '>=', value: 1_000_000 }, note: `best of 3 rounds of ${result.frames} 64-byte frames` });
      });
    }

    if (wanted('network')) {
      // First cluster of the run, so its memory is measured against a clean baseline.
      const planned: Omit<Figure, 'value'>[] = [
        { section: 6, name: 'Memory per node', unit: 'MiB' },
        { section: 2, name: 'Agent round trip `true` p50', unit: 'ms', goal: { comparison: '<', value: 30 } },
        { section: 2, name: 'Agent round trip `true` p95', unit: 'ms' },
        ...['pod to pod, same node', 'node to node, underlay', 'node to node, VXLAN'].flatMap((what) => [
          { section: 4, name: `Ping RTT ${what} p50`, unit: 'ms', ...(what.includes('VXLAN') ? { goal: { comparison: '<' as const, value: 5 } } : {}) },
          { section: 4, name: `Ping RTT ${what} p95`, unit: 'ms' },
        ]),
        { section: 5, name: 'iperf3 TCP node1→node2, underlay', unit: 'Mbit/s' },
        { section: 5, name: 'iperf3 TCP node1→node2, VXLAN', unit: 'Mbit/s', goal: { comparison: '>=', value: 50 } },
        { section: 5, name: 'iperf3 VXLAN / underlay', unit: '×' },
      ];
      await attempt('3-node cluster: memory, agent latency, ping, iperf3', planned, async () => {
        // Loaded before the baseline: the decompressed snapshot is shared by all nodes, not per node.
        const { assets } = await restorable();
        collectGarbage();
        const rssBefore = process.memoryUsage().rss;
        const cluster = await bringUp(() => Cluster.up(THREE_NODES, nodeWorkerHost, assets));
        try {
          const [node1, node2] = [cluster.node('node1'), cluster.node('node2')];
          for (const node of cluster.nodes.values()) await warmUp(node);
          collectGarbage();
          const rssIncrease = process.memoryUsage().rss - rssBefore;
          record({
            section: 6, name: 'Memory per node', value: Math.round(rssIncrease / 3 / 2 ** 20), unit: 'MiB',
            note: 'derived: workers share one process, so (process RSS after start and warm-up − RSS before) / 3 nodes',
          });

          const rtts: number[] = [];
          for (let i = 0; i < RTT_CALLS; i++) {
            const t = performance.now();
            await node1.exec('true', { timeout: 10 });
            rtts.push(performance.now() - t);
          }
          record({ section: 2, name: 'Agent round trip `true` p50', value: round(percentile(rtts, 50)), unit: 'ms', goal: { comparison: '<', value: 30 }, note: `${RTT_CALLS} calls after ${WARMUP_EXECS} warm-up calls` });
          record({ section: 2, name: 'Agent round trip `true` p95', value: round(percentile(rtts, 95)), unit: 'ms' });

          const ping = async (what: string, times: () => Promise<number[]>, goal?: Goal) => {
            try {
              const samples = await times();
              record({ section: 4, name: `Ping RTT ${what} p50`, value: round(percentile(samples, 50), 2), unit: 'ms', ...(goal ? { goal } : {}), note: `${samples.length} replies, first dropped` });
              record({ section: 4, name: `Ping RTT ${what} p95`, value: round(percentile(samples, 95), 2), unit: 'ms' });
            } catch (error) {
              const message = error instanceof Error ? error.message : String(error);
              record({ section: 4, name: `Ping RTT ${what} p50`, value: null, unit: 'ms', ...(goal ? { goal } : {}), error: message });
              record({ section: 4, name: `Ping RTT ${what} p95`, value: null, unit: 'ms', error: message });
            }
          };
          await ping('pod to pod, same node', async () => {
            const { from, to } = await makePods(node1);
            return pingTimes(node1, to, from);
          });
          await ping('node to node, underlay', () => pingTimes(node1, NODE2_IP));
          let vxlanReady = false;
          await ping('node to node, VXLAN', async () => {
            await makeVxlan(node1, NODE1_IP, NODE2_IP, '10.42.0.1/24');
            await makeVxlan(node2, NODE2_IP, NODE1_IP, '10.42.0.2/24');
            vxlanReady = true;
            return pingTimes(node1, '10.42.0.2');
          }, { comparison: '<', value: 5 });

          await must(node2, 'iperf3 -s -D');
          // The first transfer runs while v86 is still compiling the guest's hot paths; don't measure it.
          await must(node1, `iperf3 -c ${NODE2_IP} -t 3`, 30);
          const underlay = await iperf(node1, NODE2_IP);
          const iperfNote = (r: typeof underlay) => `5 s, end.sum_received; ${r.retransmits ?? '?'} retransmits`;
          record({ section: 5, name: 'iperf3 TCP node1→node2, underlay', value: round(underlay.mbits), unit: 'Mbit/s', note: iperfNote(underlay) });
          if (!vxlanReady) throw new Error('VXLAN setup failed (see the ping figure)');
          const vxlan = await iperf(node1, '10.42.0.2');
          record({ section: 5, name: 'iperf3 TCP node1→node2, VXLAN', value: round(vxlan.mbits), unit: 'Mbit/s', goal: { comparison: '>=', value: 50 }, note: iperfNote(vxlan) });
          record({ section: 5, name: 'iperf3 VXLAN / underlay', value: round(vxlan.mbits / underlay.mbits, 2), unit: '×' });
        } finally {
          await bringDown(cluster);
        }
      });
    }

    const timeStarts = async (start: () => Promise<Cluster>) => {
      const times: number[] = [];
      for (let run = 0; run < runs; run++) {
        const t = performance.now();
        const cluster = await bringUp(start);
        times.push((performance.now() - t) / 1000);
        await bringDown(cluster);
        log(`  run ${run + 1}/${runs}: ${times.at(-1)!.toFixed(1)} s`);
      }
      return times;
    };
    const describe = (times: number[]) => `median of ${times.length}: ${times.map((t) => t.toFixed(1)).join(', ')} s`;

    let restoreMedian: number | null = null;
    if (wanted('restore')) {
      await attempt('3-node cluster from snapshot', [
        { section: 1, name: '3-node cluster ready, from snapshot', unit: 's', goal: { comparison: '<', value: 5 } },
        { section: 1, name: '… of which reading the snapshot', unit: 's' },
      ], async () => {
        const { file, assets } = await restorable(); // its creation, if needed, is not what we time
        // What startCluster does (read the raw snapshot from the cache, then start the nodes), timed in two parts.
        const loads: number[] = [];
        const times = await timeStarts(async () => {
          const t = performance.now();
          const bytes = readFileSync(file.replace(/\.gz$/, ''));
          const state = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          loads.push((performance.now() - t) / 1000);
          return Cluster.up(THREE_NODES, nodeWorkerHost, { ...assets, state: state.buffer.slice(state.byteOffset, state.byteOffset + state.byteLength) as ArrayBuffer });
        });
        restoreMedian = median(times);
        record({ section: 1, name: '3-node cluster ready, from snapshot', value: round(restoreMedian, 2), unit: 's', goal: { comparison: '<', value: 5 }, note: `${describe(times)}; as startCluster: reads the snapshot, then starts the nodes` });
        record({ section: 1, name: '… of which reading the snapshot', value: round(median(loads), 2), unit: 's', note: describe(loads) });
      });
    }

    if (wanted('cold')) {
      await attempt('3-node cluster cold boot', [
        { section: 1, name: '3-node cluster ready, cold boot', unit: 's' },
      ], async () => {
        const assets = image().cold;
        const times = await timeStarts(() => Cluster.up(THREE_NODES, nodeWorkerHost, assets));
        const cold = median(times);
        record({ section: 1, name: '3-node cluster ready, cold boot', value: round(cold), unit: 's', note: `${describe(times)}; 3 VMs on ${cpus().length} cores` });
        if (restoreMedian !== null) record({ section: 1, name: 'Cold boot / snapshot restore', value: round(cold / restoreMedian), unit: '×' });
      });
      await attempt('1-node cold boot', [
        { section: 1, name: 'One node cold boot to agent ready', unit: 's', goal: { comparison: '<', value: 20 } },
      ], async () => {
        // A node of its own: in the 3-node boot the VMs share 2 cores, which is not one node's boot time.
        const assets = image().cold;
        const times = await timeStarts(() => Cluster.up(ONE_NODE, nodeWorkerHost, assets));
        record({ section: 1, name: 'One node cold boot to agent ready', value: round(median(times)), unit: 's', goal: { comparison: '<', value: 20 }, note: describe(times) });
      });
    }

    if (wanted('browser')) {
      // Last: chromium runs its own nodes, and nothing else should compete with them.
      const planned = [
        { section: 8, name: 'Web: navigation to the first shell, assets cached, from the snapshot', unit: 's', goal: { comparison: '<' as const, value: 3 } },
        { section: 8, name: 'Web: … to every shell of the lab', unit: 's' },
        { section: 8, name: 'Web: navigation to the first shell, assets cached, a lab never run here (base snapshot, then setup)', unit: 's' },
        { section: 8, name: 'Web: navigation to the first shell, resuming the saved cluster', unit: 's' },
        { section: 8, name: 'Web: first visit, nothing cached, to every shell', unit: 's' },
        { section: 8, name: 'Web: bytes downloaded on the first visit', unit: 'MB', goal: { comparison: '<=' as const, value: 40 } },
        { section: 8, name: 'Web: memory of the lab, the browser\'s own figure', unit: 'MiB' },
        { section: 8, name: 'Web: memory of the lab, RSS of all chromium processes', unit: 'MiB' },
      ];
      await attempt('web lab in chromium', planned, async () => {
        const web = await benchBrowser({ runs, log });
        const lab = `lab ${web.lab}, ${web.nodes} nodes`;
        record({ ...planned[0]!, value: round(median(web.cachedFirstShellSeconds), 2), note: `${describe(web.cachedFirstShellSeconds)}; ${lab}; a fresh start: the learner's work forgotten, the nodes restored from the states the lab's setup left (kept from its first run)` });
        record({ ...planned[1]!, value: round(median(web.cachedAllShellsSeconds), 2), note: describe(web.cachedAllShellsSeconds) });
        record({ ...planned[2]!, value: round(median(web.firstRunSeconds), 2), note: `${describe(web.firstRunSeconds)}; IndexedDB emptied, so every node restores the base snapshot and runs the lab's setup` });
        record({ ...planned[3]!, value: round(median(web.resumedFirstShellSeconds), 2), note: `${describe(web.resumedFirstShellSeconds)}; each node's worker gunzips and restores its saved state` });
        record({ ...planned[4]!, value: round(median(web.firstVisitSeconds), 1), note: `${describe(web.firstVisitSeconds)}; from 127.0.0.1, so this is unpacking and starting, not the network` });
        record({ ...planned[5]!, value: round(web.firstVisitBytes / 1e6, 1), note: 'everything the server sent, the service worker\'s offline copy included' });
        record({ ...planned[6]!, value: web.memoryBytes === null ? null : Math.round(web.memoryBytes / 2 ** 20), ...(web.memoryBytes === null ? { error: web.memoryNote } : { note: 'performance.measureUserAgentSpecificMemory(), page and node workers' }) });
        record({ ...planned[7]!, value: Math.round(web.chromiumRssBytes / 2 ** 20) });
      });
    }
  } finally {
    // Whatever went wrong, leave no VM running.
    await Promise.all([...clusters].map((cluster) => cluster.down().catch(() => undefined)));
  }

  const results: BenchResults = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemoryMB: Math.round(totalmem() / 2 ** 20),
    image: manifest?.key ?? null,
    loadAverage: loadavg().map((load) => round(load, 2)),
    runs,
    durationSeconds: Math.round((performance.now() - began) / 1000),
    // Stable sort: the table follows the brief's order, figures within a benchmark as measured.
    figures: [...figures].sort((a, b) => a.section - b.section),
  };
  const outDir = options.outDir ?? defaultOutDir();
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, 'results.md'), markdown(results));
  return results;
}

function defaultOutDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../bench');
}

// ---------------------------------------------------------------- output

const formatNumber = (value: number) => (Math.abs(value) >= 10_000 ? Math.round(value).toLocaleString('en-US') : String(value));

function formatGoal(goal?: Goal, unit = ''): string {
  if (!goal) return '';
  const symbol = goal.comparison === '<=' ? '≤' : goal.comparison === '>=' ? '≥' : '<';
  return `${symbol} ${formatNumber(goal.value)} ${unit}`.trim();
}

export function markdown(results: BenchResults): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = results.figures.map((f) => {
    const result = f.error ? `error: ${f.error}` : `${formatNumber(f.value!)} ${f.unit}`;
    const verdict = f.met === undefined ? '' : f.met ? ' ✅' : ' ❌';
    const note = f.note && !f.error ? ` — ${f.note}` : '';
    return `| ${cell(f.name)} | ${cell(result + note)} | ${cell(formatGoal(f.goal, f.unit) + verdict)} |`;
  });
  return [
    `podwire benchmarks, ${results.date} — image ${results.image ?? '?'}, Node ${results.node}, ${results.cpus} × ${results.cpuModel}, ${results.platform}, load average ${results.loadAverage.join(' ')}`,
    '',
    '| benchmark | result | goal |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- command line

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
      readme: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: npm run bench -- [--quick] [--runs N] [--only ${GROUPS.join(',')}] [--out DIR] [--readme]`);
    return 0;
  }
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
  const unknown = only.filter((group) => !(GROUPS as readonly string[]).includes(group));
  if (unknown.length) {
    console.error(`unknown benchmark group(s): ${unknown.join(', ')} (known: ${GROUPS.join(', ')})`);
    return 2;
  }
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  if (runs !== undefined && !(Number.isInteger(runs) && runs > 0)) {
    console.error(`--runs wants a positive whole number, not '${values.runs}'`);
    return 2;
  }
  const results = await runBench({ quick: values.quick, only, ...(runs ? { runs } : {}), ...(values.out ? { outDir: values.out } : {}) });
  process.stdout.write(markdown(results));
  if (values.readme) updateReadme(markdown(results));
  return 0;
}

/** Put the table into README.md between its bench markers, so README shows the latest figures. */
function updateReadme(table: string): void {
  const file = fileURLToPath(new URL('../../README.md', import.meta.url));
  const text = readFileSync(file, 'utf8');
  const updated = text.replace(/(<!-- bench:start -->\n)[\s\S]*?(<!-- bench:end -->)/, `$1${table}$2`);
  if (updated === text && !text.includes('<!-- bench:start -->')) throw new Error('README.md has no <!-- bench:start --> marker');
  writeFileSync(file, updated);
}

const invokedDirectly = (() => {
  try { return realpathSync(process.argv[1] ?? '') === fileURLToPath(import.meta.url); } catch { return false; }
})();
if (invokedDirectly) {
  // Exit explicitly: worker message ports can otherwise keep the process alive after the last cluster is down.
  main(process.argv.slice(2)).then((code) => process.exit(code), (error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  });
}
