// Running node workers on Node.js: worker_threads, with tsx loaded when we run from source.
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { WorkerHost } from './node.js';

const fromSource = import.meta.url.endsWith('.ts');
const entry = new URL(fromSource ? './worker-bootstrap-node.mjs' : './worker-entry-node.js', import.meta.url);

export const nodeWorkerHost: WorkerHost = {
  spawn() {
    const worker = new Worker(entry);
    worker.unref();
    return { endpoint: nodeEndpoint(worker), terminate: () => void worker.terminate() };
  },
  channel() {
    const { port1, port2 } = new MessageChannel();
    return { local: port1 as unknown as MessagePort, remote: port2 as unknown as MessagePort };
  },
};
