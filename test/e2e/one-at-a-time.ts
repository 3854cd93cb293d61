// The browser tests share the integration tests' two workers, but only one of them drives
// chromium at a time: each starts its own nodes in the page, and two pages at once on two
// cores starve each other's terminals. A directory made with mkdir is the lock (atomic on
// every file system); it names its holder, so a worker that died leaves no lock behind.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll } from 'vitest';
import { processAlive } from '../../images/build/cache.js';

const lock = join(tmpdir(), `podwire-e2e-${createHash('sha256').update(process.cwd()).digest('hex').slice(0, 12)}.lock`);
const holderFile = join(lock, 'pid');

function holderAlive(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(holderFile, 'utf8'));
  } catch {
    return true; // being made or removed right now: look again shortly
  }
  return Number.isInteger(pid) && pid > 0 && processAlive(pid);
}

async function acquire(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(holderFile, String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!holderAlive()) rmSync(lock, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function release(): void {
  try {
    if (Number(readFileSync(holderFile, 'utf8')) === process.pid) rmSync(lock, { recursive: true, force: true });
  } catch {
    // not ours, or already gone
  }
}

await acquire();
process.once('exit', release);
afterAll(release);
