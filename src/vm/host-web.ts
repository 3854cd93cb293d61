// Running node workers in the browser: one module Web Worker per node.
import type { SpawnedWorker, WorkerHost } from './node.js';

export const webWorkerHost: WorkerHost = {
  spawn(): SpawnedWorker {
    const worker = new Worker(new URL('./worker-entry-web.ts', import.meta.url), { type: 'module', name: 'podwire-node' });
    let listener: ((what: string) => void) | null = null;
    let terminated = false;
    const report = (what: string) => {
      if (terminated) return;
      terminated = true;
      listener?.(what);
    };
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      report(`its worker failed: ${event.message || 'the worker script could not run'}`);
    });
    worker.addEventListener('messageerror', () => report('a message from its worker could not be read'));
    return {
      endpoint: worker,
      terminate: () => {
        terminated = true;
        worker.terminate();
      },
      onFailure: (callback) => { listener = callback; },
    };
  },
  channel() {
    const { port1, port2 } = new MessageChannel();
    return { local: port1, remote: port2 };
  },
};
