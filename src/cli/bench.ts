// `npm run bench` (and later `podwire bench`): measures what podwire promises —
// start-up time, agent latency, switch speed, pod/overlay latency and throughput,
// memory, download size, Check latency and the Kubernetes control plane's — and writes bench/results.json and
// bench/results.md. `npm run bench -- --only checks` runs one group alone.
// Each benchmark is isolated: a failure becomes an error entry, never an abort.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { benchSwitch } from '../net/bench.js';
import { cachedKubectl } from '../harness/kube-api-node.js';
import { parseProbeOutput, probeScript } from '../harness/kube-probe.js';
import { LabRun } from '../harness/lab-run.js';
import { openLab } from '../harness/run-lab.js';
import { findLab, loadLabs } from '../lab/load.js';
import { benchBrowser, benchBrowserWalk } from './bench-browser.js';
import { benchClassServer } from '../classroom/bench.js';
import { benchGradings } from '../classroom/grading/bench.js';
import { coldBootAssets, loadImage, readSnapshot, snapshotAssets, snapshotFile } from '../vm/assets-node.js';
import { Cluster } from '../vm/cluster.js';
import type { BootAssets } from '../vm/emulator.js';
import type { ImageManifest } from '../../images/build.js';
import { debianBaseline } from './bench-baseline.js';
import { nodeWorkerHost } from '../vm/host-node.js';
import type { StartPhases, VmNode } from '../vm/node.js';
import { coldBootPhases, type ColdBootPhases } from '../vm/boot-log.js';
import { DEFAULT_NODE_MEMORY_MB, nodeMemoryOf, type Topology } from '../topology/topology.js';

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
  /** Which benchmark it belongs to (1 start-up … 7 size, 8 web, 9 checks, 10 classroom, 11 Kubernetes); orders the table. */
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

export const GROUPS = ['size', 'switch', 'network', 'restore', 'cold', 'guest', 'checks', 'walk', 'classroom', 'kube', 'browser'] as const;

type SnapshotAssets = BootAssets & { state: SharedArrayBuffer };

const THREE_NODES: Topology = { nodes: [{ name: 'node1' }, { name: 'node2' }, { name: 'node3' }] };
const ONE_NODE: Topology = { nodes: [{ name: 'node1' }] };
const NODE1_IP = '10.0.0.11';
const NODE2_IP = '10.0.0.12';
const WARMUP_EXECS = 40;
const RTT_CALLS = 200;
/** How long an idle cluster's CPU is measured. */
const IDLE_CPU_MS = 10_000;

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

/** One iperf3 transfer: its throughput, and the sender's retransmits if it says. */
interface Transfer { mbits: number; retransmits: number | undefined }

async function iperf(client: VmNode, target: string): Promise<Transfer> {
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

// ---------------------------------------------------------------- the figures

type FigureSpec = Omit<Figure, 'value' | 'met' | 'note' | 'error'>;

/**
 * Issue 14's starting point for the guest programs' start ("each start ≥ 2× faster than
 * today"): the first run that timed them inside the node with $EPOCHREALTIME, 2026-12-03
 * 16:21 UTC (README at 67b6a68), when each was still Debian's build, on the kernel, bash and
 * emulator of then. The rows against Debian's build in the same node, run by run, tell how
 * much of the gain is the builds' own and how much the rest of the node's.
 */
const ISSUE_14_START_MS = { jq: 786.9, ipJson: 96.8, iptablesSave: 43.2, iptablesSaveKube: 126.9 } as const;

/** Every figure the benchmark can report, each with its goal, written once. The section orders the table. */
const FIGURES = {
  restore: { section: 1, name: '3-node cluster ready, from snapshot', unit: 's', goal: { comparison: '<', value: 5 } },
  restoreRead: { section: 1, name: '… of which reading the snapshot', unit: 's' },
  restorePhases: { section: 1, name: '… a node\'s start, phase by phase (the restore shown)', unit: 's' },
  cold: { section: 1, name: '3-node cluster ready, cold boot', unit: 's' },
  coldRatio: { section: 1, name: 'Cold boot / snapshot restore', unit: '×' },
  // The goals below are issue 14's (lighter, quicker nodes), which replaced the first issue's 20 s, 30 ms and 50 Mbit/s.
  coldOne: { section: 1, name: 'One node cold boot to agent ready', unit: 's', goal: { comparison: '<', value: 8 } },
  coldPhases: { section: 1, name: '… its phases (unpacking the initramfs shown)', unit: 's' },
  rttP50: { section: 2, name: 'Agent round trip `true` p50', unit: 'ms', goal: { comparison: '<', value: 10 } },
  rttP95: { section: 2, name: 'Agent round trip `true` p95', unit: 'ms' },
  cniAdd: { section: 2, name: 'CNI ADD, bridge + host-local, as the host sees it (median)', unit: 'ms' },
  cniAddGuest: { section: 2, name: '… of which inside the guest (median)', unit: 'ms' },
  cniAddRatio: { section: 2, name: 'CNI ADD as the host sees it / native', unit: '×', goal: { comparison: '<=', value: 60 } },
  toolJq: { section: 2, name: '`jq .a` on a one-line document, inside the guest (median)', unit: 'ms' },
  toolJqDebian: { section: 2, name: '… the same with Debian\'s jq 1.6 (bookworm\'s package), in the same node (median)', unit: 'ms' },
  toolJqGain: { section: 2, name: '… `jq .a`: Debian\'s start / ours (jq 1.7.1 built from source)', unit: '×' },
  toolJqSince: { section: 2, name: `… \`jq .a\`: issue 14's starting point (${ISSUE_14_START_MS.jq} ms) / now`, unit: '×', goal: { comparison: '>=', value: 2 } },
  toolJqNull: { section: 2, name: '… `jq -n 1`: no input, so all of it is jq\'s start and the program', unit: 'ms' },
  toolIpJson: { section: 2, name: '`ip -j addr`, inside the guest (median)', unit: 'ms' },
  toolIpJsonDebian: { section: 2, name: '… the same with Debian\'s ip, in the same node (median)', unit: 'ms' },
  toolIpJsonGain: { section: 2, name: '… `ip -j addr`: Debian\'s start / ours (ip built with libc and libmnl only)', unit: '×' },
  toolIpJsonSince: { section: 2, name: `… \`ip -j addr\`: issue 14's starting point (${ISSUE_14_START_MS.ipJson} ms) / now`, unit: '×', goal: { comparison: '>=', value: 2 } },
  toolIpVersion: { section: 2, name: '… `ip -V`: ip started and nothing asked (its 2 shared libraries loaded)', unit: 'ms' },
  toolIptablesSave: { section: 2, name: '`iptables-save`, empty tables, inside the guest (median)', unit: 'ms' },
  toolIptablesSaveDebian: { section: 2, name: '… the same with Debian\'s iptables-save, in the same node (median)', unit: 'ms' },
  toolIptablesSaveGain: { section: 2, name: '… `iptables-save`, empty tables: Debian\'s start / ours (static, extensions linked in)', unit: '×' },
  toolIptablesSaveSince: { section: 2, name: `… \`iptables-save\`, empty tables: issue 14's starting point (${ISSUE_14_START_MS.iptablesSave} ms) / now`, unit: '×', goal: { comparison: '>=', value: 2 } },
  toolIptablesVersion: { section: 2, name: '… `iptables -V`: started and nothing asked (static: no library loaded)', unit: 'ms' },
  toolIptablesSaveKube: { section: 2, name: '`iptables-save` of kube-proxy-mini\'s rules for two services (median)', unit: 'ms' },
  toolIptablesSaveKubeDebian: { section: 2, name: '… the same with Debian\'s iptables-save, which loads an extension library per match and target kind (median)', unit: 'ms' },
  toolIptablesSaveKubeGain: { section: 2, name: '… `iptables-save` of a Service lab\'s rules: Debian\'s start / ours', unit: '×' },
  toolIptablesSaveKubeSince: { section: 2, name: `… \`iptables-save\` of a Service lab's rules: issue 14's starting point (${ISSUE_14_START_MS.iptablesSaveKube} ms) / now`, unit: '×', goal: { comparison: '>=', value: 2 } },
  toolStatic: { section: 2, name: 'A static program\'s start, `busybox true`, inside the guest (median): fork, exec, exit', unit: 'ms' },
  switch: { section: 3, name: 'Switch forwarding', unit: 'frames/s', goal: { comparison: '>=', value: 1_000_000 } },
  pingPodP50: { section: 4, name: 'Ping RTT pod to pod, same node p50', unit: 'ms' },
  pingPodP95: { section: 4, name: 'Ping RTT pod to pod, same node p95', unit: 'ms' },
  pingUnderlayP50: { section: 4, name: 'Ping RTT node to node, underlay p50', unit: 'ms' },
  pingUnderlayP95: { section: 4, name: 'Ping RTT node to node, underlay p95', unit: 'ms' },
  pingVxlanP50: { section: 4, name: 'Ping RTT node to node, VXLAN p50', unit: 'ms', goal: { comparison: '<', value: 5 } },
  pingVxlanP95: { section: 4, name: 'Ping RTT node to node, VXLAN p95', unit: 'ms' },
  iperfUnderlay: { section: 5, name: 'iperf3 TCP node1→node2, underlay', unit: 'Mbit/s' },
  iperfVxlan: { section: 5, name: 'iperf3 TCP node1→node2, VXLAN', unit: 'Mbit/s', goal: { comparison: '>=', value: 120 } },
  iperfRatio: { section: 5, name: 'iperf3 VXLAN / underlay', unit: '×', goal: { comparison: '>=', value: 0.75 } },
  memory: { section: 6, name: 'Memory per node', unit: 'MiB', goal: { comparison: '<=', value: 250 } },
  guestMemory: { section: 6, name: 'Guest memory of a node, the labs\' default (topology.memoryMb)', unit: 'MB', goal: { comparison: '<=', value: 128 } },
  idleCpu: { section: 6, name: 'Host CPU of an idle 3-node cluster', unit: '% of a core' },
  imageSize: { section: 7, name: 'Image download size (kernel + initrd + BIOS)', unit: 'MiB', goal: { comparison: '<=', value: 32 } },
  snapshotSize: { section: 7, name: 'Snapshot size (zstd)', unit: 'MiB' },
  webCached: { section: 8, name: 'Web: navigation to the first shell, assets cached, from the snapshot', unit: 's', goal: { comparison: '<', value: 1.5 } },
  webCachedAll: { section: 8, name: 'Web: … to every shell of the lab', unit: 's', goal: { comparison: '<', value: 2.5 } },
  webFirstRun: { section: 8, name: 'Web: navigation to the first shell, assets cached, a lab never run here (base snapshot, then setup)', unit: 's' },
  webResumed: { section: 8, name: 'Web: navigation to the first shell, resuming the saved cluster', unit: 's' },
  webTopology: { section: 8, name: 'Web: first topology view, from the click to the pods drawn', unit: 's', goal: { comparison: '<=', value: 1.5 } },
  webTopologyLive: { section: 8, name: 'Web: … to the view redrawn from a live look at every node', unit: 's' },
  webFirstVisit: { section: 8, name: 'Web: first visit, nothing cached, to every shell', unit: 's' },
  webBytes: { section: 8, name: 'Web: bytes downloaded on the first visit', unit: 'MB', goal: { comparison: '<=', value: 40 } },
  webMemory: { section: 8, name: 'Web: memory of the lab, the browser\'s own figure', unit: 'MiB', goal: { comparison: '<=', value: 450 } },
  webRss: { section: 8, name: 'Web: memory of the lab, RSS of all chromium processes', unit: 'MiB' },
  webPss: { section: 8, name: 'Web: memory of the lab, PSS of all chromium processes (shared pages counted once)', unit: 'MiB' },
  webPssFresh: { section: 8, name: 'Web: … the same with the lab up from a fresh start (assets cached)', unit: 'MiB' },
  webIdleCpu: { section: 8, name: 'Web: host CPU of chromium with the lab up and idle', unit: '% of a core' },
  webWalk: { section: 9, name: 'Web: packet walk across VXLAN, click to drawn path (median)', unit: 's', goal: { comparison: '<', value: 5 } },
  webWalkJit: { section: 9, name: 'Web: … the same with v86\'s JIT on (?jit=1), for comparison', unit: 's' },
  checkQuiet: { section: 9, name: 'Check latency, a step with no traffic check (median)', unit: 's', goal: { comparison: '<=', value: 1 } },
  checkTraffic: { section: 9, name: 'Check latency, a step with traffic checks (median)', unit: 's', goal: { comparison: '<=', value: 2.5 } },
  walkCrossNode: { section: 9, name: 'Packet walk, one ping pod to pod across VXLAN, start to hops (median)', unit: 's', goal: { comparison: '<', value: 5 } },
  walkService: { section: 9, name: 'Packet walk, one TCP connection to a ClusterIP (median)', unit: 's' },
  gradingsPerMinute: { section: 10, name: 'Classroom: verified gradings per minute, 10 submissions at once', unit: '/min' },
  gradingSeconds: { section: 10, name: 'Classroom: one grading, zip read to report (median)', unit: 's' },
  gradingRss: { section: 10, name: 'Classroom: peak RSS of one grading process (median)', unit: 'MiB' },
  reportP50: { section: 10, name: 'Classroom: Check report to the instructor\'s live grid, 30 students, p50', unit: 'ms', goal: { comparison: '<=', value: 2000 } },
  reportP95: { section: 10, name: 'Classroom: Check report to the instructor\'s live grid, 30 students, p95', unit: 'ms', goal: { comparison: '<=', value: 2000 } },
  serverGradingsPerMinute: { section: 10, name: 'Classroom: verified gradings per minute through the server (upload to result), 10 at once', unit: '/min' },
  serverRss: { section: 10, name: 'Classroom: class server RSS (max through the run)', unit: 'MiB' },
  databasePerStudent: { section: 10, name: 'Classroom: database bytes per student (SQLite, after grading)', unit: 'KiB' },
  kubeFirst: { section: 11, name: 'Kubernetes: the first `kubectl get pods` in a node, the binary fetched (median)', unit: 's' },
  kubeGetPods: { section: 11, name: 'Kubernetes: `kubectl get pods` in a node, warm (median)', unit: 's' },
  kubeProbeRound: { section: 11, name: 'Kubernetes: a readiness probe round on a node, httpGet to both web pods, one exec (median)', unit: 's' },
  kubeServiceRules: { section: 11, name: 'Kubernetes: `kubectl apply` of a Service to its KUBE-SVC rules on every node (median)', unit: 's' },
} satisfies Record<string, FigureSpec>;

/**
 * The lab steps the Check latency is measured on (1-based steps), each with the reference
 * solutions applied up to it, so every check passes as it would for a learner who got it right.
 */
export const CHECK_STEPS = {
  quiet: [['netns-veth', 1], ['bridge', 1], ['vxlan', 1]],
  traffic: [['bridge', 3], ['host-gw', 2], ['vxlan', 2]],
} as const;
const CHECK_ROUNDS = 3;

// ---------------------------------------------------------------- the run

/** What every benchmark shares: the figures so far, the image and snapshot, and the clusters up. */
class BenchRun {
  readonly figures: Figure[] = [];
  readonly clusters = new Set<Cluster>();
  manifest: ImageManifest | undefined;
  private cold: BootAssets | undefined;
  private snapshot: Promise<{ file: string; assets: SnapshotAssets }> | undefined;

  constructor(readonly runs: number, readonly log: (line: string) => void) {}

  record(spec: FigureSpec, value: number | null, extra: { note?: string; error?: string } = {}): void {
    const figure: Figure = { ...spec, value, ...extra };
    if (spec.goal && value !== null) {
      const { comparison, value: goal } = spec.goal;
      figure.met = comparison === '<' ? value < goal : comparison === '<=' ? value <= goal : value >= goal;
    }
    this.figures.push(figure);
    this.log(`  ${figure.name}: ${figure.error ? `ERROR ${figure.error}` : `${figure.value} ${figure.unit}`}`);
  }

  /** Run one benchmark; if it throws, every figure it was meant to produce and did not gets the error. */
  async attempt(title: string, planned: FigureSpec[], body: () => Promise<void>): Promise<void> {
    this.log(`${title} ...`);
    try {
      await body();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const done = new Set(this.figures.map((f) => f.name));
      for (const figure of planned) if (!done.has(figure.name)) this.record(figure, null, { error: message });
    }
  }

  // The image and snapshot are resolved once and reused. Someone editing images/ while
  // we run changes the recipe key, and a later loadImage() would then build a new image
  // inside a timed section, or measure a different image than the first benchmarks did.
  image(): { manifest: ImageManifest; cold: BootAssets } {
    this.manifest ??= loadImage().manifest; // builds the image if the cache has none
    this.cold ??= coldBootAssets();
    return { manifest: this.manifest, cold: this.cold };
  }

  restorable(): Promise<{ file: string; assets: SnapshotAssets }> {
    return (this.snapshot ??= (async () => {
      this.image();
      // The bench's clusters are the labs' default: nodes of DEFAULT_NODE_MEMORY_MB.
      const file = snapshotFile(DEFAULT_NODE_MEMORY_MB);
      return { file, assets: await snapshotAssets(DEFAULT_NODE_MEMORY_MB) }; // makes the snapshot if there is none yet
    })());
  }

  async bringUp(start: () => Promise<Cluster>): Promise<Cluster> {
    const cluster = await start();
    this.clusters.add(cluster);
    return cluster;
  }

  async bringDown(cluster: Cluster): Promise<void> {
    this.clusters.delete(cluster);
    await cluster.down();
  }

  /** Start a cluster `runs` times and say how long each start took; `after` looks at each cluster, untimed, before it goes down. */
  async timeStarts(start: () => Promise<Cluster>, after?: (cluster: Cluster, seconds: number) => Promise<void>): Promise<number[]> {
    const times: number[] = [];
    for (let run = 0; run < this.runs; run++) {
      const t = performance.now();
      const cluster = await this.bringUp(start);
      times.push((performance.now() - t) / 1000);
      try {
        await after?.(cluster, times.at(-1)!);
      } finally {
        await this.bringDown(cluster);
      }
      this.log(`  run ${run + 1}/${this.runs}: ${times.at(-1)!.toFixed(1)} s`);
    }
    return times;
  }
}

const describeTimes = (times: number[]) => `median of ${times.length}: ${times.map((t) => t.toFixed(1)).join(', ')} s`;

async function benchSize(bench: BenchRun): Promise<void> {
  await bench.attempt('image and snapshot size', [FIGURES.imageSize, FIGURES.snapshotSize], async () => {
    const { artefacts } = bench.image().manifest;
    const parts = [artefacts.bzimage, artefacts.initrd, artefacts.bios, artefacts.vgabios];
    const bytes = parts.reduce((sum, artefact) => sum + artefact.size, 0);
    bench.record(FIGURES.imageSize, round(bytes / 2 ** 20, 2), { note: parts.map((a) => `${a.file} ${round(a.size / 2 ** 20, 2)} MiB`).join(', ') });
    const { file } = await bench.restorable();
    bench.record(FIGURES.snapshotSize, round(statSync(file).size / 2 ** 20, 2));
  });
}

async function benchSwitchFigure(bench: BenchRun): Promise<void> {
  // Before any VM runs, so the switch has the CPU to itself.
  await bench.attempt('switch forwarding', [FIGURES.switch], async () => {
    const result = benchSwitch();
    bench.record(FIGURES.switch, result.framesPerSecond, { note: `best of 3 rounds of ${result.frames} 64-byte frames` });
  });
}

async function benchNetwork(bench: BenchRun): Promise<void> {
  // First cluster of the run, so its memory is measured against a clean baseline.
  const planned = [FIGURES.memory, FIGURES.guestMemory, FIGURES.idleCpu, FIGURES.rttP50, FIGURES.rttP95, FIGURES.pingPodP50, FIGURES.pingPodP95, FIGURES.pingUnderlayP50,
    FIGURES.pingUnderlayP95, FIGURES.pingVxlanP50, FIGURES.pingVxlanP95, FIGURES.iperfUnderlay, FIGURES.iperfVxlan, FIGURES.iperfRatio];
  await bench.attempt('3-node cluster: memory, agent latency, ping, iperf3', planned, async () => {
    // Loaded before the baseline: the decompressed snapshot is shared by all nodes, not per node.
    const { assets } = await bench.restorable();
    collectGarbage();
    const rssBefore = process.memoryUsage().rss;
    const cluster = await bench.bringUp(() => Cluster.up(THREE_NODES, nodeWorkerHost, assets));
    try {
      const [node1, node2] = [cluster.node('node1'), cluster.node('node2')];
      for (const node of cluster.nodes.values()) await warmUp(node);
      collectGarbage();
      const rssIncrease = process.memoryUsage().rss - rssBefore;
      bench.record(FIGURES.memory, Math.round(rssIncrease / 3 / 2 ** 20), { note: 'derived: workers share one process, so (process RSS after start and warm-up − RSS before) / 3 nodes' });
      const meminfo = (await node1.exec("grep -E '^Mem(Total|Available):' /proc/meminfo", { timeout: 10 })).stdout;
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? NaN);
      const asking = loadLabs().filter((lab) => nodeMemoryOf(lab.topology) !== DEFAULT_NODE_MEMORY_MB);
      bench.record(FIGURES.guestMemory, DEFAULT_NODE_MEMORY_MB, { note: `the kernel's MemTotal ${Math.round(kib('MemTotal') / 1024)} MiB, MemAvailable ${Math.round(kib('MemAvailable') / 1024)} MiB after the warm-up; ${asking.length} lab(s) ask for more: ${asking.map((lab) => `${lab.id} ${nodeMemoryOf(lab.topology)} MB`).join(', ') || 'none'}` });

      // What the nodes cost a laptop while the learner reads: nothing runs in them but the kernel's tick.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const cpuBefore = process.cpuUsage();
      const idleFrom = performance.now();
      await new Promise((resolve) => setTimeout(resolve, IDLE_CPU_MS));
      const cpu = process.cpuUsage(cpuBefore);
      bench.record(FIGURES.idleCpu, round((cpu.user + cpu.system) / 1000 / (performance.now() - idleFrom) * 100), { note: `the whole process over ${IDLE_CPU_MS / 1000} s, no command running, 2 s after the warm-up` });

      const rtts: number[] = [];
      for (let i = 0; i < RTT_CALLS; i++) {
        const t = performance.now();
        await node1.exec('true', { timeout: 10 });
        rtts.push(performance.now() - t);
      }
      bench.record(FIGURES.rttP50, round(percentile(rtts, 50)), { note: `${RTT_CALLS} calls after ${WARMUP_EXECS} warm-up calls` });
      bench.record(FIGURES.rttP95, round(percentile(rtts, 95)));

      const ping = async (p50: FigureSpec, p95: FigureSpec, times: () => Promise<number[]>) => {
        try {
          const samples = await times();
          bench.record(p50, round(percentile(samples, 50), 2), { note: `${samples.length} replies, first dropped` });
          bench.record(p95, round(percentile(samples, 95), 2));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          bench.record(p50, null, { error: message });
          bench.record(p95, null, { error: message });
        }
      };
      await ping(FIGURES.pingPodP50, FIGURES.pingPodP95, async () => {
        const { from, to } = await makePods(node1);
        return pingTimes(node1, to, from);
      });
      await ping(FIGURES.pingUnderlayP50, FIGURES.pingUnderlayP95, () => pingTimes(node1, NODE2_IP));
      let vxlanReady = false;
      await ping(FIGURES.pingVxlanP50, FIGURES.pingVxlanP95, async () => {
        await makeVxlan(node1, NODE1_IP, NODE2_IP, '10.42.0.1/24');
        await makeVxlan(node2, NODE2_IP, NODE1_IP, '10.42.0.2/24');
        vxlanReady = true;
        return pingTimes(node1, '10.42.0.2');
      });

      await must(node2, 'iperf3 -s -D');
      // A path's first transfer runs while v86 is still compiling the guest's code for it (TCP,
      // and for VXLAN the wrapping and unwrapping too); don't measure it. Then the two paths
      // in turn, `runs` times each, so that both see the same moments of a busy machine.
      const paths = { underlay: NODE2_IP, ...(vxlanReady ? { vxlan: '10.42.0.2' } : {}) };
      for (const target of Object.values(paths)) await must(node1, `iperf3 -c ${target} -t 3`, 30);
      const transfers: Record<string, Transfer[]> = { underlay: [], vxlan: [] };
      for (let run = 0; run < bench.runs; run++) {
        for (const [path, target] of Object.entries(paths)) transfers[path]!.push(await iperf(node1, target));
      }
      const throughput = (figure: FigureSpec, runs: Transfer[]) => {
        const mbits = median(runs.map((r) => r.mbits));
        bench.record(figure, round(mbits), { note: `median of ${runs.length}: ${runs.map((r) => r.mbits.toFixed(1)).join(', ')}; 5 s each, end.sum_received; retransmits ${runs.map((r) => r.retransmits ?? '?').join(', ')}` });
        return mbits;
      };
      const underlay = throughput(FIGURES.iperfUnderlay, transfers.underlay!);
      if (!vxlanReady) throw new Error('VXLAN setup failed (see the ping figure)');
      const vxlan = throughput(FIGURES.iperfVxlan, transfers.vxlan!);
      bench.record(FIGURES.iperfRatio, round(vxlan / underlay, 2), { note: 'of the medians' });
    } finally {
      await bench.bringDown(cluster);
    }
  });
}

/** The 3-node start from the snapshot; its median, for the cold-boot ratio. */
async function benchRestore(bench: BenchRun): Promise<number | null> {
  let restoreMedian: number | null = null;
  await bench.attempt('3-node cluster from snapshot', [FIGURES.restore, FIGURES.restoreRead, FIGURES.restorePhases], async () => {
    const { file, assets } = await bench.restorable(); // its creation, if needed, is not what we time
    // What startCluster does (read the raw snapshot from the cache, then start the nodes), timed in two parts.
    const loads: number[] = [];
    const phases: StartPhases[] = [];
    const times = await bench.timeStarts(async () => {
      const t = performance.now();
      const state = readSnapshot(file.replace(/\.zst$/, ''));
      loads.push((performance.now() - t) / 1000);
      const cluster = await Cluster.up(THREE_NODES, nodeWorkerHost, { ...assets, state });
      for (const node of cluster.nodes.values()) phases.push(node.lastStartPhases);
      return cluster;
    });
    restoreMedian = median(times);
    bench.record(FIGURES.restore, round(restoreMedian, 2), { note: `${describeTimes(times)}; as startCluster: reads the snapshot, then starts the nodes` });
    bench.record(FIGURES.restoreRead, round(median(loads), 2), { note: describeTimes(loads) });
    // Per node, the nodes starting side by side: where a start's time goes.
    const phase = (name: keyof StartPhases) => round(median(phases.map((p) => (p[name] ?? 0) / 1000)), 2);
    bench.record(FIGURES.restorePhases, phase('boot'), { note: `per node, median of ${phases.length}: worker up ${phase('worker')} s, the state read and planned in the worker (gunzipped, a delta matched to its base; no copy of the memory) ${phase('unpack')} s, restoring it (the guest memory written straight into the machine) ${phase('boot')} s, then the first request, until the agent answers it (clock, entropy and identity) ${phase('afterRestore')} s` });
  });
  return restoreMedian;
}

async function benchCold(bench: BenchRun, restoreMedian: number | null): Promise<void> {
  await bench.attempt('3-node cluster cold boot', [FIGURES.cold], async () => {
    const assets = bench.image().cold;
    const times = await bench.timeStarts(() => Cluster.up(THREE_NODES, nodeWorkerHost, assets));
    const cold = median(times);
    bench.record(FIGURES.cold, round(cold), { note: `${describeTimes(times)}; 3 VMs on ${cpus().length} cores` });
    if (restoreMedian !== null) bench.record(FIGURES.coldRatio, round(cold / restoreMedian));
  });
  await bench.attempt('1-node cold boot', [FIGURES.coldOne, FIGURES.coldPhases], async () => {
    // A node of its own: in the 3-node boot the VMs share 2 cores, which is not one node's boot time.
    const assets = bench.image().cold;
    const phases: ColdBootPhases[] = [];
    // The kernel's log says where the time went; read once the start is timed, with the guest's uptime to line its clock up with the host's.
    const times = await bench.timeStarts(() => Cluster.up(ONE_NODE, nodeWorkerHost, assets), async (cluster, seconds) => {
      const asked = performance.now();
      const { stdout } = await cluster.node('node1').exec('cut -d" " -f1 /proc/uptime; dmesg');
      const uptimeAtReady = Number(stdout.slice(0, stdout.indexOf('\n'))) - (performance.now() - asked) / 1000;
      const split = coldBootPhases(stdout, uptimeAtReady, seconds);
      if (split) phases.push(split);
    });
    bench.record(FIGURES.coldOne, round(median(times)), { note: describeTimes(times) });
    if (phases.length) {
      const phase = (name: keyof ColdBootPhases) => round(median(phases.map((p) => p[name])), 2);
      bench.record(FIGURES.coldPhases, phase('initramfs'), { note: `median of ${phases.length}, from the kernel's log: firmware, loading the kernel and its unpacking itself ${phase('beforeKernel')} s; the kernel's start to the initramfs ${phase('kernelToInitramfs')} s; unpacking the initramfs ${phase('initramfs')} s; the rest of the kernel's start ${phase('initramfsToInit')} s; /init (modules, sysctls, the agent) until the agent answers ${phase('initToReady')} s` });
    }
  });
}

/**
 * Check latency as a learner meets it: press Check on a step whose work is done. Per step
 * kind, the median over the fixed steps of CHECK_STEPS, CHECK_ROUNDS checks each, on a
 * LabRun as the web app and the CLI use it (facts gathered afresh for every check).
 */
async function benchChecks(bench: BenchRun): Promise<void> {
  await bench.attempt('Check latency', [FIGURES.checkQuiet, FIGURES.checkTraffic], async () => {
    const { assets } = await bench.restorable();
    const labs = loadLabs();
    const samples = { quiet: [] as number[], traffic: [] as number[] };
    const steps = [...CHECK_STEPS.quiet.map((s) => ['quiet', ...s] as const), ...CHECK_STEPS.traffic.map((s) => ['traffic', ...s] as const)];
    for (const labId of new Set(steps.map(([, lab]) => lab))) {
      const lab = labs.find((l) => l.id === labId);
      if (!lab) throw new Error(`no lab ${labId}`);
      const run = await LabRun.open(lab, { host: nodeWorkerHost, assets });
      try {
        let applied = 0;
        for (const [kind, , number] of steps.filter(([, id]) => id === labId).sort((a, b) => a[2] - b[2])) {
          await run.applySolutions(number, { from: applied });
          applied = number;
          for (let round = 0; round < CHECK_ROUNDS; round++) {
            const t = performance.now();
            const report = await run.checkStep(number - 1);
            const seconds = (performance.now() - t) / 1000;
            if (report.passed !== report.total) throw new Error(`${labId} step ${number} did not pass with its solution: ${report.checks.filter((c) => !c.passed).map((c) => c.message).join('; ')}`);
            samples[kind].push(seconds);
          }
          bench.log(`  ${labId} step ${number} (${kind}): ${samples[kind].slice(-CHECK_ROUNDS).map((t) => t.toFixed(2)).join(', ')} s`);
        }
      } finally {
        await run.close();
      }
    }
    const names = (list: readonly (readonly [string, number])[]) => list.map(([lab, step]) => `${lab} ${step}`).join(', ');
    bench.record(FIGURES.checkQuiet, round(median(samples.quiet), 2), { note: `${samples.quiet.length} checks: ${CHECK_ROUNDS} each of ${names(CHECK_STEPS.quiet)}` });
    bench.record(FIGURES.checkTraffic, round(median(samples.traffic), 2), { note: `${samples.traffic.length} checks: ${CHECK_ROUNDS} each of ${names(CHECK_STEPS.traffic)}` });
  });
}

/**
 * One walk (observe/walk): tracing armed on every node, one probe, the logs read, the
 * tracing removed and the hops built, as the page's "Follow" and `podwire walk` do. On the
 * vxlan lab with its overlay built (a ping across VXLAN) and the clusterip lab solved (a
 * TCP connection DNATed by kube-proxy-mini's chains).
 */
async function benchWalk(bench: BenchRun): Promise<void> {
  await bench.attempt('packet walk', [FIGURES.walkCrossNode, FIGURES.walkService], async () => {
    const labs = loadLabs();
    const cases = [
      { lab: 'vxlan', steps: 2, figure: FIGURES.walkCrossNode, request: (values: Record<string, string>) => ({ from: 'pod-a', to: hostOf(values.pods2!, 2), probe: 'icmp' as const }) },
      // Up to kube-proxy's own chains (the step after the lab's "follow the packet" step).
      { lab: 'clusterip', steps: 4, figure: FIGURES.walkService, request: (values: Record<string, string>) => ({ from: 'client', to: `${values.serviceIp}:80`, probe: 'tcp' as const }) },
    ];
    for (const { lab: id, steps, figure, request } of cases) {
      const lab = labs.find((l) => l.id === id);
      if (!lab) throw new Error(`no lab ${id}`);
      // As `podwire walk` opens it: at the lab's memory size, with its control plane if it has one.
      const run = await openLab(lab);
      try {
        await run.applySolutions(steps);
        const times: number[] = [];
        const phases: string[] = [];
        for (let round = 0; round < bench.runs; round++) {
          const t = performance.now();
          const walk = await run.walk(request(lab.values));
          times.push((performance.now() - t) / 1000);
          if (walk.outcome !== 'answered') throw new Error(`${id}: the walk was not answered: ${walk.summary}`);
          phases.push(Object.entries(walk.phasesMs).map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)}`).join(', '));
        }
        bench.record(figure, round(median(times), 2), { note: `${describeTimes(times)}; lab ${id} with steps 1-${steps} solved; phases in s, walk by walk: ${phases.join(' / ')}` });
      } finally {
        await run.close();
      }
    }
  });
}

/** Where native-baseline.sh may be: PODWIRE_NATIVE_BASELINE, or the shared folder beside the checkout. */
function nativeBaselineScript(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [process.env.PODWIRE_NATIVE_BASELINE, resolve(here, '../../../shared/bench/native-baseline.sh')];
  return candidates.find((file): file is string => !!file && statSync(file, { throwIfNoEntry: false })?.isFile() === true);
}

/** CNI ADD on this host, in milliseconds, from native-baseline.sh (root only); or why it could not run here. */
function nativeCniAddMs(): { ms: number; note: string } | { error: string } {
  const script = nativeBaselineScript();
  if (!script) return { error: 'no native baseline here (../shared/bench/native-baseline.sh)' };
  if (process.getuid?.() !== 0) return { error: 'native-baseline.sh needs root' };
  const run = spawnSync('bash', [script], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const times = /^cni_add_ms (.+)$/m.exec(run.stdout ?? '')?.[1]?.trim().split(/\s+/).map(Number).filter(Number.isFinite) ?? [];
  if (times.length) return { ms: median(times), note: `native-baseline.sh in the same run: ${times.join(', ')} ms` };
  // Its last line says what is missing, such as the host's CNI plugins (Debian: containernetworking-plugins).
  const why = `${run.stderr ?? ''}`.trim().split('\n').pop() || run.error?.message || `exit ${run.status}`;
  return { error: `native-baseline.sh could not run: ${why.slice(0, 200)}` };
}

/**
 * What the guest's own programs cost: a CNI ADD (bridge + host-local, as podctl and the
 * labs run it), as the host sees it (the agent's round trip included) and inside the guest;
 * and the start of jq, ip -j and iptables-save, which a Check runs, with what each start is
 * made of: the same program asked for nothing (its exec and shared libraries), and a static
 * program's start (the floor of any exec). Inside the guest, times come from bash's
 * $EPOCHREALTIME around the command. (Until 2026-12-03 they came from `date +%s%N`, whose
 * own start, 20 to 50 ms, was counted in every figure.)
 */
async function benchGuest(bench: BenchRun): Promise<void> {
  // Each of ours beside Debian's build of the same program (bench-baseline.ts), started
  // in turn in the same node, so the ratio holds whatever the machine's load.
  const paired = [
    [[FIGURES.toolJq, FIGURES.toolJqDebian, FIGURES.toolJqGain, FIGURES.toolJqSince], ISSUE_14_START_MS.jq, `jq .a <<<'{"a":1}'`, `/opt/debian/jq .a <<<'{"a":1}'`],
    [[FIGURES.toolIpJson, FIGURES.toolIpJsonDebian, FIGURES.toolIpJsonGain, FIGURES.toolIpJsonSince], ISSUE_14_START_MS.ipJson, 'ip -j addr', '/opt/debian/ip -j addr'],
    [[FIGURES.toolIptablesSave, FIGURES.toolIptablesSaveDebian, FIGURES.toolIptablesSaveGain, FIGURES.toolIptablesSaveSince], ISSUE_14_START_MS.iptablesSave, 'iptables-save', '/opt/debian/iptables-save'],
  ] as const;
  const kubeRules = [FIGURES.toolIptablesSaveKube, FIGURES.toolIptablesSaveKubeDebian, FIGURES.toolIptablesSaveKubeGain, FIGURES.toolIptablesSaveKubeSince] as const;
  const tools = [
    [FIGURES.toolJqNull, 'jq -n 1'],
    [FIGURES.toolIpVersion, 'ip -V'],
    [FIGURES.toolIptablesVersion, 'iptables -V'],
    [FIGURES.toolStatic, 'busybox true'],
  ] as const;
  const figures = [
    FIGURES.cniAdd, FIGURES.cniAddGuest, FIGURES.cniAddRatio, ...paired.flatMap(([figures]) => figures),
    ...tools.map(([figure]) => figure), ...kubeRules,
  ];
  await bench.attempt('guest programs', figures, async () => {
    const { assets } = await bench.restorable();
    const lab = loadLabs().find((l) => l.topology.nodes.length === 1);
    if (!lab) throw new Error('no one-node lab to measure in');
    const node = lab.topology.nodes[0]!.name;
    const run = await LabRun.open(lab, { host: nodeWorkerHost, assets });
    try {
      const conf = '{"cniVersion":"1.0.0","name":"benchnet","type":"bridge","bridge":"benchbr0","isGateway":true,"ipMasq":false,"ipam":{"type":"host-local","subnet":"10.199.0.0/24","dataDir":"/run/bench-ipam"}}';
      await run.exec(node, `printf '%s' '${conf}' >/run/bench-cni.json`);
      // Microseconds from $EPOCHREALTIME (seconds.micro; the agent's shell runs with LC_ALL=C, so the point is a dot).
      const timed = (command: string) => `s=$EPOCHREALTIME; ${command}; e=$EPOCHREALTIME; echo $(( \${e/./} - \${s/./} ))`;
      const samples = Math.max(5, bench.runs);
      const host: number[] = [];
      const guest: number[] = [];
      for (let i = 0; i < samples; i++) {
        await run.exec(node, `ip netns add bench${i}`);
        const started = performance.now();
        const result = await run.exec(node, timed(`CNI_COMMAND=ADD CNI_CONTAINERID=bench${i} CNI_NETNS=/run/netns/bench${i} CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin /opt/cni/bin/bridge </run/bench-cni.json >/dev/null`), { timeout: 60 });
        host.push(performance.now() - started);
        if (result.exitCode !== 0) throw new Error(`CNI ADD failed: ${result.stderr.trim()}`);
        guest.push(Number(result.stdout.trim()) / 1000);
      }
      bench.record(FIGURES.cniAdd, round(median(host), 1), { note: `${samples} pods, one exec each: ${host.map((ms) => Math.round(ms)).join(', ')} ms` });
      bench.record(FIGURES.cniAddGuest, round(median(guest), 1), { note: `${guest.map((ms) => Math.round(ms)).join(', ')} ms` });
      const native = nativeCniAddMs();
      if ('ms' in native) bench.record(FIGURES.cniAddRatio, round(median(host) / native.ms, 1), { note: `native ${native.ms} ms (${native.note})` });
      else bench.record(FIGURES.cniAddRatio, null, { error: native.error });
      /** One start of a command, in ms, as the guest's own clock saw it. */
      const startOnce = async (command: string) => Number((await run.exec(node, timed(`${command} >/dev/null`), { timeout: 60 })).stdout.trim()) / 1000;
      const startTimes = async (command: string) => {
        const times: number[] = [];
        for (let i = 0; i < samples; i++) times.push(await startOnce(command));
        return times;
      };
      const pushed = await run.exec(node, 'base64 -d | tar -x -C /', { stdin: readFileSync(debianBaseline()).toString('base64'), timeout: 120 });
      if (pushed.exitCode !== 0) throw new Error(`copying Debian's builds into the node failed: ${pushed.stderr.trim()}`);
      const startPairs = async (ours: string, debian: string) => {
        const times = { ours: [] as number[], debian: [] as number[] };
        for (let i = 0; i < samples; i++) {
          times.ours.push(await startOnce(ours));
          times.debian.push(await startOnce(debian));
        }
        return times;
      };
      const recordPair = (figures: readonly [FigureSpec, FigureSpec, FigureSpec, FigureSpec], startMs: number, times: { ours: number[]; debian: number[] }, note = '') => {
        const [ours, debian, gain, since] = figures;
        bench.record(ours, round(median(times.ours), 1), { note: `${times.ours.map((ms) => Math.round(ms)).join(', ')} ms${note}` });
        bench.record(debian, round(median(times.debian), 1), { note: `${times.debian.map((ms) => Math.round(ms)).join(', ')} ms; started in turn with ours` });
        bench.record(gain, round(median(times.debian) / median(times.ours), 1));
        bench.record(since, round(startMs / median(times.ours), 1), { note: 'Debian\'s build, timed the same way on 2026-12-03 (README at 67b6a68)' });
      };
      for (const [figures, startMs, command, debianCommand] of paired) recordPair(figures, startMs, await startPairs(command, debianCommand));
      for (const [figure, command] of tools) {
        const times = await startTimes(command);
        bench.record(figure, round(median(times), 1), { note: `${times.map((ms) => Math.round(ms)).join(', ')} ms; the first start is the coldest` });
      }
      // The rules a Service lab has: iptables-save then loads an extension library (libxt_*.so) for each match and target kind.
      const sync = await run.exec(node, `printf '%s\\n' 'default/web 10.96.0.20:80/tcp 30080 10.244.1.2:8080 10.244.2.2:8080' 'kube-system/kube-dns 10.96.0.10:53/udp - 10.244.1.5:53 10.244.2.5:53' >/run/bench-services && kube-proxy-mini sync /run/bench-services`, { timeout: 60 });
      if (sync.exitCode !== 0) throw new Error(`kube-proxy-mini sync failed: ${sync.stderr.trim()}`);
      const loaded = await run.exec(node, `iptables-save | grep -c '^-A'; LD_DEBUG=files /opt/debian/iptables-save 2>&1 >/dev/null | grep -c 'calling init: .*/xtables/'`);
      const [rules, extensions] = loaded.stdout.trim().split('\n');
      recordPair(kubeRules, ISSUE_14_START_MS.iptablesSaveKube,
        await startPairs('iptables-save', '/opt/debian/iptables-save'), `; ${rules} rules (Debian's loads ${extensions} extension libraries for them)`);
    } finally {
      await run.close();
    }
  });
}

/** Host `n` of an IPv4 /24 written as a.b.c.0/24. */
const hostOf = (cidr: string, n: number) => `${cidr.split('/')[0]!.split('.').slice(0, 3).join('.')}.${n}`;

/** Verified gradings: submissions through the bounded pool, each in its own grading process (src/classroom/grading). */
async function benchClassroom(bench: BenchRun): Promise<void> {
  await bench.attempt('classroom gradings', [FIGURES.gradingsPerMinute, FIGURES.gradingSeconds, FIGURES.gradingRss], async () => {
    await bench.restorable(); // the snapshot, made once, outside the timing
    const result = await benchGradings({ submissions: 10, log: bench.log });
    const what = `${result.submissions} submissions of lab ${result.lab} (${result.nodes} node(s), ${round(result.zipBytes / 2 ** 20)} MiB each), pool of ${result.pool}`;
    bench.record(FIGURES.gradingsPerMinute, round(result.perMinute), { note: `${what}: all graded in ${round(result.seconds)} s` });
    bench.record(FIGURES.gradingSeconds, round(median(result.gradingSeconds)), { note: `${describeTimes(result.gradingSeconds)}; restoring the nodes and checking every step, queueing excluded` });
    bench.record(FIGURES.gradingRss, Math.round(median(result.maxRssBytes) / 2 ** 20), { note: `max ${Math.round(Math.max(...result.maxRssBytes) / 2 ** 20)} MiB; the pool holds ${result.pool} at once` });
  });
  const serverFigures = [FIGURES.reportP50, FIGURES.reportP95, FIGURES.serverGradingsPerMinute, FIGURES.serverRss, FIGURES.databasePerStudent];
  await bench.attempt('class server: 30 students checking, 10 submitting', serverFigures, async () => {
    const result = await benchClassServer({ students: 30, reportsEach: 10, submissions: 10, log: bench.log });
    const posts = `${result.reports} reports over HTTP; the POST alone p50 ${round(percentile(result.postMs, 50))} ms, p95 ${round(percentile(result.postMs, 95))} ms`;
    bench.record(FIGURES.reportP50, round(percentile(result.reportToInstructorMs, 50)), { note: `${posts}; from the student's POST to the row on the instructor's SSE stream` });
    bench.record(FIGURES.reportP95, round(percentile(result.reportToInstructorMs, 95)));
    bench.record(FIGURES.serverGradingsPerMinute, round(result.gradingsPerMinute), { note: `${result.submissions} uploads of ${round(result.zipBytes / 2 ** 20)} MiB at once, all verified in ${round(result.gradingSeconds)} s` });
    bench.record(FIGURES.serverRss, Math.round(result.serverMaxRssBytes / 2 ** 20), { note: 'the bench process, which is the server; each grading runs in a process of its own (above)' });
    bench.record(FIGURES.databasePerStudent, round(result.databaseBytesPerStudent / 1024), { note: 'uploads are dropped once graded' });
  });
}

/** The outcomes of the probe rounds, counted. */
const tally = (outcomes: string[]) => [...new Set(outcomes)].map((o) => `${outcomes.filter((x) => x === o).length}× ${o}`).join('; ');

/**
 * The Kubernetes control plane as a learner meets it, on lab 29 (service-debug) opened afresh
 * for each run: the first `kubectl get pods` in node1 (the script fetches the real kubectl
 * from the API server), three more (warm), and a Service typed in with `kubectl apply` until
 * every node has its KUBE-SVC jump (each node asked from the host, one short exec per look,
 * 0.2 s apart: a waiting loop in a node would hold its agent, which runs one command at a
 * time, and kube-proxy's restore would wait behind it; node2's looks start with the apply,
 * node1's after it).
 */
async function benchKube(bench: BenchRun): Promise<void> {
  const planned = [FIGURES.kubeFirst, FIGURES.kubeGetPods, FIGURES.kubeProbeRound, FIGURES.kubeServiceRules];
  await bench.attempt('kubernetes: kubectl in a node, a Service to its rules', planned, async () => {
    if (!cachedKubectl()) throw new Error('no i386 kubectl in the cache (scripts/setup.sh)');
    await bench.restorable(); // the snapshot, made once, outside the timing
    const lab = findLab('service-debug');
    const first: number[] = [];
    const warm: number[] = [];
    const rules: number[] = [];
    const rounds: number[] = [];
    const outcomes: string[] = [];
    const timed = async (run: LabRun, node: string, command: string) => {
      const started = performance.now();
      const result = await run.exec(node, command, { timeout: 180 });
      if (result.exitCode !== 0) throw new Error(`${command} on ${node}: ${result.stderr.trim()}`);
      return (performance.now() - started) / 1000;
    };
    for (let i = 0; i < bench.runs; i++) {
      const run = await openLab(lab);
      try {
        first.push(await timed(run, 'node1', 'kubectl get pods'));
        for (let j = 0; j < 3; j++) warm.push(await timed(run, 'node1', 'kubectl get pods'));
        // A probe round as the kubelet sends one (harness/kube-probe): an HTTP GET to each web pod from node1.
        const ips = (await run.exec('node1', "kubectl get pods -l app=web -o jsonpath='{.items[*].status.podIP}'", { timeout: 120 })).stdout.trim().split(/\s+/);
        const probes = ips.map((ip) => ({ pod: { namespace: 'default', name: ip, uid: '', node: 'node1', labels: {} }, container: 'web', action: { type: 'httpGet' as const, host: ip, port: 80, path: '/', scheme: 'HTTP', headers: [] }, timeoutSeconds: 1 }));
        for (let j = 0; j < 3; j++) {
          const t = performance.now();
          const result = await run.exec('node1', probeScript(probes, (p) => p.name), { timeout: 60 });
          rounds.push((performance.now() - t) / 1000);
          outcomes.push(parseProbeOutput(result.stdout, probes.length).map((o) => (o.result === 'success' ? 'ok' : `${o.result} ${o.message}`)).join(', '));
        }
        // A Service over the lab's running web pods (app: web), written out before the clock starts.
        const name = `bench-${i}`;
        await run.exec('node1', `cat >/root/${name}.yaml`, { stdin: `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector: {app: web}\n  ports:\n  - {name: http, port: 80, targetPort: 80}\n` });
        // One short look per exec: a node's agent runs one command at a time, and kube-proxy's own iptables-restore waits behind it.
        const hasRule = `iptables -t nat -S KUBE-SERVICES 2>/dev/null | grep -q 'default/${name}:http cluster IP.*-j KUBE-SVC-'`;
        const started = performance.now();
        const poll = async (n: string) => {
          while ((await run.exec(n, hasRule, { timeout: 60 })).exitCode !== 0) {
            if (performance.now() - started > 120_000) throw new Error(`no KUBE-SVC jump for ${name} on ${n} after 120 s`);
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
          return performance.now();
        };
        const ends = await Promise.all([
          (async () => { await timed(run, 'node1', `kubectl apply -f /root/${name}.yaml`); return poll('node1'); })(),
          ...run.nodeNames.filter((n) => n !== 'node1').map(poll),
        ]);
        const done = Math.max(...ends);
        rules.push((done - started) / 1000);
        bench.log(`  run ${i + 1}/${bench.runs}: first ${first.at(-1)!.toFixed(1)} s, warm ${warm.slice(-3).map((t) => t.toFixed(2)).join(', ')} s, Service to rules ${rules.at(-1)!.toFixed(1)} s`);
      } finally {
        await run.close();
      }
    }
    bench.record(FIGURES.kubeFirst, round(median(first), 1), { note: `${describeTimes(first)}; lab service-debug opened afresh for each, the script fetches the 37 MB kubectl over the lab network` });
    bench.record(FIGURES.kubeGetPods, round(median(warm), 2), { note: `median of ${warm.length}: ${warm.map((t) => t.toFixed(2)).join(', ')} s; three after the first, per run` });
    bench.record(FIGURES.kubeProbeRound, round(median(rounds), 2), { note: `median of ${rounds.length}: ${rounds.map((t) => t.toFixed(2)).join(', ')} s; ${tally(outcomes)}` });
    bench.record(FIGURES.kubeServiceRules, round(median(rules), 1), { note: `${describeTimes(rules)}; from typing kubectl apply in node1 to the jump in nat KUBE-SERVICES on both nodes, looked for from the host (one exec per look, 0.2 s apart)` });
  });
}

async function benchWeb(bench: BenchRun): Promise<void> {
  // Last: chromium runs its own nodes, and nothing else should compete with them.
  const planned = [FIGURES.webCached, FIGURES.webCachedAll, FIGURES.webFirstRun, FIGURES.webResumed, FIGURES.webTopology, FIGURES.webTopologyLive, FIGURES.webFirstVisit, FIGURES.webBytes, FIGURES.webMemory, FIGURES.webRss, FIGURES.webPss, FIGURES.webPssFresh, FIGURES.webIdleCpu];
  await bench.attempt('web lab in chromium', planned, async () => {
    const web = await benchBrowser({ runs: bench.runs, log: bench.log });
    const lab = `lab ${web.lab}, ${web.nodes} nodes`;
    const observed = (which: 'first' | 'all') => web.cachedObservedSeconds.map((o) => o[which].toFixed(1)).join(', ');
    bench.record(FIGURES.webCached, round(median(web.cachedFirstShellSeconds), 2), { note: `${describeTimes(web.cachedFirstShellSeconds)}; ${lab}; a fresh start: the learner's work forgotten, the nodes restored from the states the lab's setup left (kept from its first run); until the terminal drew the prompt, by the page's own mark (Playwright saw it at ${observed('first')} s); the page's marks in s on the last run: ${web.cachedMarks.at(-1)}` });
    bench.record(FIGURES.webCachedAll, round(median(web.cachedAllShellsSeconds), 2), { note: `${describeTimes(web.cachedAllShellsSeconds)}; by the page's marks (Playwright saw them at ${observed('all')} s)` });
    bench.record(FIGURES.webFirstRun, round(median(web.firstRunSeconds), 2), { note: `${describeTimes(web.firstRunSeconds)}; IndexedDB emptied, so every node restores the base snapshot and runs the lab's setup` });
    bench.record(FIGURES.webResumed, round(median(web.resumedFirstShellSeconds), 2), { note: `${describeTimes(web.resumedFirstShellSeconds)}; each node's worker restores its saved delta, its other pages read from the base snapshot's kept file` });
    bench.record(FIGURES.webTopology, round(median(web.topologyFirstViewSeconds), 2), { note: `${describeTimes(web.topologyFirstViewSeconds)}; clicked as soon as the resumed lab's first shell showed; drawn from the last look the page kept (labelled with its time) when there is one` });
    bench.record(FIGURES.webTopologyLive, round(median(web.topologyLiveSeconds), 2), { note: describeTimes(web.topologyLiveSeconds) });
    bench.record(FIGURES.webFirstVisit, round(median(web.firstVisitSeconds), 1), { note: `${describeTimes(web.firstVisitSeconds)}; from 127.0.0.1, so this is unpacking and starting, not the network` });
    bench.record(FIGURES.webBytes, round(web.firstVisitBytes / 1e6, 1), { note: 'everything the server sent, the service worker\'s offline copy included' });
    bench.record(FIGURES.webMemory, web.memoryBytes === null ? null : Math.round(web.memoryBytes / 2 ** 20), web.memoryBytes === null ? { error: web.memoryNote } : { note: 'performance.measureUserAgentSpecificMemory(), page and node workers' });
    const mib = (bytes: number | undefined) => bytes === undefined ? null : Math.round(bytes / 2 ** 20);
    bench.record(FIGURES.webRss, mib(web.chromium?.rssBytes), { note: 'a page shared by several processes counts in each' });
    bench.record(FIGURES.webPss, mib(web.chromium?.pssBytes), { note: `after the first visit; by process, MiB: ${web.chromium?.byType}` });
    bench.record(FIGURES.webPssFresh, mib(web.chromiumFreshStart?.pssBytes), { note: `by process, MiB: ${web.chromiumFreshStart?.byType}` });
    bench.record(FIGURES.webIdleCpu, web.idleCpuPercent === null ? null : round(web.idleCpuPercent), { note: 'every chromium process over 10 s, after the fresh start, no command running' });
  });
  // "Follow a packet" in the page, as the learner clicks it; then with v86's JIT on, which the page leaves off (assets-web.ts).
  await bench.attempt('packet walk in chromium', [FIGURES.webWalk, FIGURES.webWalkJit], async () => {
    for (const [figure, query, what] of [[FIGURES.webWalk, '', 'as served'], [FIGURES.webWalkJit, '?jit=1', 'v86\'s JIT on']] as const) {
      const walk = await benchBrowserWalk({ runs: bench.runs, query });
      bench.log(`  ${what}: ${walk.seconds.map((s) => s.toFixed(2)).join(', ')} s`);
      bench.record(figure, round(median(walk.seconds), 2), { note: `${describeTimes(walk.seconds)}; lab fix-mtu, one ping pod-a → pod-b, after the lab's first save; phases in s, walk by walk: ${walk.phases.join(' / ')}` });
    }
  });
}

export async function runBench(options: BenchOptions = {}): Promise<BenchResults> {
  const bench = new BenchRun(Math.max(1, options.runs ?? (options.quick ? 1 : 3)), options.log ?? ((line: string) => console.error(line)));
  const only = new Set(options.only ?? []);
  const wanted = (group: (typeof GROUPS)[number]) => only.size === 0 || only.has(group);
  const began = performance.now();
  try {
    if (wanted('size')) await benchSize(bench);
    if (wanted('switch')) await benchSwitchFigure(bench);
    if (wanted('network')) await benchNetwork(bench);
    const restoreMedian = wanted('restore') ? await benchRestore(bench) : null;
    if (wanted('cold')) await benchCold(bench, restoreMedian);
    if (wanted('guest')) await benchGuest(bench);
    if (wanted('checks')) await benchChecks(bench);
    if (wanted('walk')) await benchWalk(bench);
    if (wanted('classroom')) await benchClassroom(bench);
    if (wanted('kube')) await benchKube(bench);
    if (wanted('browser')) await benchWeb(bench);
  } finally {
    // Whatever went wrong, leave no VM running.
    await Promise.all([...bench.clusters].map((cluster) => cluster.down().catch(() => undefined)));
  }

  const results: BenchResults = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemoryMB: Math.round(totalmem() / 2 ** 20),
    image: bench.manifest?.key ?? null,
    loadAverage: loadavg().map((load) => round(load, 2)),
    runs: bench.runs,
    durationSeconds: Math.round((performance.now() - began) / 1000),
    // Stable sort: the table follows the sections, figures within a benchmark as measured.
    figures: [...bench.figures].sort((a, b) => a.section - b.section),
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
