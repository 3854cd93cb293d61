// Entry of a node worker in the browser (a module Web Worker).
import * as Comlink from 'comlink';
import { NodeWorker } from './node-worker.js';

Comlink.expose(new NodeWorker());
