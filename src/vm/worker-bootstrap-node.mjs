// When podwire runs from its TypeScript source, a worker thread first teaches
// Node to load .ts files (tsx), then starts the real entry. If that fails, the
// error ends this worker, and the host's 'error' listener reports the node crashed.
import { register } from 'tsx/esm/api';

register();
await import('./worker-entry-node.ts');
