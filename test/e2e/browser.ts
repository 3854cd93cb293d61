// What the browser tests and benchmarks share: Debian's chromium driven by
// playwright-core (which brings no browser of its own), and the built site served
// by the same static server `npm start` uses.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export { serveStatic } from '../../src/cli/static-server.js';

export function chromiumPath(): string {
  for (const candidate of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  throw new Error('no chromium found: install Debian\'s chromium (scripts/test.sh does) or set CHROMIUM_PATH');
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
