// Switch micro-benchmark for `npm run bench`: known-unicast forwarding between learned hosts,
// which is the path every pod-to-pod packet takes. Returns numbers; the caller does the printing.

import { monotonicMs } from './host.js';
import type { FramePort } from './ports.js';
import { LearningSwitch } from './switch.js';
import { ETH_HEADER_LENGTH, ETHERTYPE_IPV4, writeEthernet } from './wire/ethernet.js';

export interface SwitchBenchOptions {
  /** Frames per timed round. */
  frames?: number;
  rounds?: number;
  ports?: number;
  frameBytes?: number;
}

export interface SwitchBenchResult {
  framesPerSecond: number;
  frames: number;
  elapsedMs: number;
}

function hostFrame(destinationHost: number, sourceHost: number, frameBytes: number): Uint8Array {
  const frame = new Uint8Array(Math.max(frameBytes, ETH_HEADER_LENGTH));
  // The payload is irrelevant to an L2 switch.
  writeEthernet(frame, 0, { destination: Uint8Array.of(0x02, 0, 0, 0, 0, destinationHost), source: Uint8Array.of(0x02, 0, 0, 0, 0, sourceHost), etherType: ETHERTYPE_IPV4 });
  return frame;
}

export function benchSwitch(options: SwitchBenchOptions = {}): SwitchBenchResult {
  const frames = options.frames ?? 2_000_000;
  const rounds = options.rounds ?? 3;
  const portCount = Math.max(2, options.ports ?? 8);
  const frameBytes = options.frameBytes ?? 64;

  const sw = new LearningSwitch({ name: 'bench' });
  let sink = 0;
  const ports = Array.from({ length: portCount }, (_, i) => {
    const port = sw.addPort(`p${i}`);
    const host: FramePort = { name: `host${i}`, deliver: (frame) => (sink += frame.length) };
    port.connect(host);
    return port;
  });
  // Each host announces itself once so every later frame is known unicast.
  for (let i = 0; i < portCount; i++) ports[i]!.deliver(hostFrame(0xff, i + 1, frameBytes));
  const traffic = ports.map((_, i) => hostFrame(((i + 1) % portCount) + 1, i + 1, frameBytes));

  const run = (count: number): number => {
    const start = monotonicMs();
    for (let n = 0; n < count; n++) {
      const i = n % portCount;
      ports[i]!.deliver(traffic[i]!);
    }
    return monotonicMs() - start;
  };
  run(Math.min(frames, 200_000)); // warm up the JIT
  let best = Infinity;
  for (let r = 0; r < rounds; r++) best = Math.min(best, run(frames));
  if (sink < 0) throw new Error('unreachable: keeps the sink observable');
  return { framesPerSecond: Math.round(frames / (best / 1000)), frames, elapsedMs: best };
}
