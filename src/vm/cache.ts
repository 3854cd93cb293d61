// Where built artefacts live on a Node host: outside the repository, keyed by the
// hash of their inputs, so a rerun with nothing changed reuses them.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(): string {
  return process.env.PODWIRE_CACHE ?? join(homedir(), '.cache', 'podwire');
}

export const imagesDir = () => join(cacheDir(), 'images');
export const statesDir = () => join(cacheDir(), 'states');
