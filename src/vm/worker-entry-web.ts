// Entry of a node worker in the browser (a module Web Worker).
import * as Comlink from 'comlink';
import { NodeWorker } from './node-worker.js';

const node = new NodeWorker();
// Whatever escapes (from v86's loop, a timer, a promise) fails this node, not the page.
self.addEventListener('error', (event) => {
  event.preventDefault();
  node.onUncaughtError(event.error ?? event.message);
});
self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  node.onUncaughtError(event.reason);
});
Comlink.expose(node);
