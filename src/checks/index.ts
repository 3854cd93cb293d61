// Judging: check kinds as plugins, and running them against a lab's nodes and wire.
export type { CheckContext } from './context.js';
export { jsonPath } from './command.js';
export { defineCheckKind } from './kind.js';
export { factsSectionsFor, registerCheckKind, type Check } from './registry.js';
export { runCheck, type CheckResult } from './run.js';
