#!/usr/bin/env node
// The podwire command, run from the TypeScript source through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/podwire.ts');
