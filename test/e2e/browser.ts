// What the browser tests and benchmarks share: Debian's chromium driven by
// playwright-core, and the built site served by the same static server `npm start` uses.
export { launchBrowser } from '../../src/cli/chromium.js';
export { serveStatic } from '../../src/cli/static-server.js';
