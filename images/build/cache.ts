// Where built artefacts live on a Node host: outside the repository, keyed by the
// hash of their inputs, so a rerun with nothing changed reuses them.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(): string {
  return process.env.PODWIRE_CACHE ?? join(homedir(), '.cache', 'podwire');
}

export const imagesDir = () => join(cacheDir(), 'images');
export const statesDir = () => join(cacheDir(), 'states');

/**
 * Keep the cache from growing with every recipe change: of the entries in a
 * folder, keep the `keep` most recently modified and remove the rest.
 */
export async function pruneCache(dir: string, keep: number, protect: string): Promise<void> {
  const { readdirSync, rmSync, statSync } = await import('node:fs');
  let entries: { path: string; mtime: number }[];
  try {
    entries = readdirSync(dir).map((name) => ({ path: join(dir, name), mtime: statSync(join(dir, name)).mtimeMs }));
  } catch {
    return;
  }
  entries.sort((a, b) => b.mtime - a.mtime);
  for (const entry of entries.slice(keep)) {
    if (entry.path !== protect && !/\.work\.|\.tmp\./.test(entry.path)) rmSync(entry.path, { recursive: true, force: true });
  }
  // A build's work folder (NAME.work.PID) is removed when the build ends; one whose process
  // is gone (it failed, or was killed) would stay for good, and one can hold gigabytes.
  for (const { path } of entries) {
    const pid = /\.work\.(\d+)$/.exec(path)?.[1];
    if (pid && !processAlive(Number(pid))) rmSync(path, { recursive: true, force: true });
  }
}

/** Whether a process with this pid exists (EPERM: it does, and belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
