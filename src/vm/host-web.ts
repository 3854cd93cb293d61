// Running node workers in the browser: one module Web Worker per node.
import type { WorkerHost } from './node.js';

export const webWorkerHost: WorkerHost = {
  spawn() {
    const worker = new Worker(new URL('./worker-entry-web.ts', import.meta.url), { type: 'module', name: 'podwire-node' });
    return { endpoint: worker, terminate: () => worker.terminate() };
  },
  channel() {
    const { port1, port2 } = new MessageChannel();
    return { local: port1, remote: port2 };
  },
};
