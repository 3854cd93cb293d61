// Running node workers on Node.js: worker_threads, with tsx loaded when we run from source.
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { SpawnedWorker, WorkerHost } from './node.js';

const fromSource = import.meta.url.endsWith('.ts');
const entry = new URL(fromSource ? './worker-bootstrap-node.mjs' : './worker-entry-node.js', import.meta.url);

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
  spawn: () => nodeWorkerSeam(new Worker(entry)),
  channel() {
    const { port1, port2 } = new MessageChannel();
    return { local: port1 as unknown as MessagePort, remote: port2 as unknown as MessagePort };
  },
};
