// When podwire runs from its TypeScript source, the grading process first teaches Node to
// load .ts files (tsx), then starts the real entry (as src/vm/worker-bootstrap-node.mjs does
// for node workers).
import { register } from 'tsx/esm/api';

register();
await import('./child.ts');
