// Entry of a node worker on Node.js (worker_threads).
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort } from 'node:worker_threads';
import { NodeWorker } from './node-worker.js';

if (!parentPort) throw new Error('worker-entry-node must run in a worker thread');
const node = new NodeWorker();
// Whatever escapes (from v86's loop, a timer, a promise) fails this node, not the worker or the host.
process.on('uncaughtException', (error) => node.onUncaughtError(error));
process.on('unhandledRejection', (reason) => node.onUncaughtError(reason));
Comlink.expose(node, nodeEndpoint(parentPort));
