// Running node workers on Node.js: worker_threads. From source, each worker runs one
// bundle of its TypeScript, made once per process with esbuild: loading the sources
// through tsx instead took 0.6 s per worker alone and 1.4 s with three starting at once.
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { SpawnedWorker, WorkerHost } from './node.js';

// v86 compiles the guest's hot x86 code into many small WebAssembly modules. V8 first
// compiles each with its quick baseline compiler (Liftoff), then again, on background
// threads, with its optimising one (TurboFan) once it runs hot. On two cores that second
// compile of thousands of modules starves the emulated machines: with it off, a packet
// walk took 0.9-1.9 s instead of 3.6-6.3 s, and idle nodes half the CPU (npm run bench
// shows the rest). V8's flags are per process, so this holds for every node worker, and
// must be set before the first module is compiled. PODWIRE_WASM_TIER_UP=1 keeps V8's default.
const tierUp = process.env.PODWIRE_WASM_TIER_UP === '1';
if (!tierUp) setFlagsFromString('--liftoff-only');

let v86Module: WebAssembly.Module | undefined;

/**
 * v86.wasm itself, compiled once per process by the optimising compiler, for every node worker
 * to share. It is one module that runs all the time, unlike the JIT's thousands: the emulator's
 * own interpreter, page walks, devices and interrupts. Compiled by Liftoff alone, as the flag
 * above would have it, a fork in a node took 7.2 ms and the agent's round trip 17 ms (p50);
 * compiled by TurboFan, 5.7 and 13.6 ms. That compile takes 0.7 s, eagerly, once: lazily,
 * each function would be compiled on its first call, under the flag again.
 */
export function compiledV86(): WebAssembly.Module {
  if (!v86Module) {
    setFlagsFromString('--no-liftoff-only');
    setFlagsFromString('--no-liftoff');
    setFlagsFromString('--no-wasm-lazy-compilation');
    try {
      v86Module = new WebAssembly.Module(readFileSync(createRequire(import.meta.url).resolve('v86/build/v86.wasm')));
    } finally {
      setFlagsFromString('--liftoff');
      setFlagsFromString('--wasm-lazy-compilation');
      if (!tierUp) setFlagsFromString('--liftoff-only');
    }
  }
  return v86Module;
}

const fromSource = import.meta.url.endsWith('.ts');
let entry: URL | undefined;

/** The worker's entry: the built one, a cached bundle of the source, or (without esbuild) the source through tsx. */
function workerEntry(): URL {
  if (entry) return entry;
  if (!fromSource) return (entry = new URL('./worker-entry-node.js', import.meta.url));
  try {
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const here = dirname(fileURLToPath(import.meta.url));
    const built = esbuild.buildSync({
      entryPoints: [join(here, 'worker-entry-node.ts')], bundle: true, platform: 'node', format: 'esm',
      packages: 'external', write: false, logLevel: 'silent', target: 'node20',
    });
    const code = built.outputFiles[0]!.contents;
    // Beside node_modules, so the bundle's package imports resolve; named by content, so parallel test processes agree.
    const cache = join(here, '../../node_modules/.cache/podwire');
    const file = join(cache, `worker-entry-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(cache, { recursive: true });
      const partial = `${file}.${process.pid}.tmp`;
      writeFileSync(partial, code);
      renameSync(partial, file);
    }
    return (entry = pathToFileURL(file));
  } catch (error) {
    console.warn(`podwire: node workers load their TypeScript through tsx (slower): ${(error as Error).message}`);
    return (entry = new URL('./worker-bootstrap-node.mjs', import.meta.url));
  }
}

/** A started worker as a node's seam: its endpoint, and a report if it fails or exits on its own. */
export function nodeWorkerSeam(worker: Worker): SpawnedWorker {
  worker.unref();
  let listener: ((what: string) => void) | null = null;
  let over = false;
  const report = (what: string) => {
    if (over) return;
    over = true;
    listener?.(what);
  };
  // Without an 'error' listener, a worker's uncaught error is rethrown here and ends the process.
  worker.on('error', (error: Error) => report(`its worker failed: ${error.message}`));
  worker.on('messageerror', (error: Error) => report(`a message from its worker could not be read: ${error.message}`));
  worker.on('exit', (code: number) => report(`its worker exited with code ${code}`));
  return {
    endpoint: nodeEndpoint(worker),
    terminate: () => {
      over = true;
      worker.terminate().catch(() => undefined);
    },
    onFailure: (callback) => { listener = callback; },
  };
}

export const nodeWorkerHost: WorkerHost = {
  spawn: () => nodeWorkerSeam(new Worker(workerEntry())),
  channel() {
    const { port1, port2 } = new MessageChannel();
    return { local: port1 as unknown as MessagePort, remote: port2 as unknown as MessagePort };
  },
};
