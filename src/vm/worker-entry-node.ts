// Entry of a node worker on Node.js (worker_threads).
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort } from 'node:worker_threads';
import { NodeWorker } from './node-worker.js';

if (!parentPort) throw new Error('worker-entry-node must run in a worker thread');
Comlink.expose(new NodeWorker(), nodeEndpoint(parentPort));
