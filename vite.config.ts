// The web lab: a static site from src/ui. `npm run build` writes it to dist/, with
// the node assets (firmware and the base snapshot) from the build cache and a
// service worker that keeps everything for offline use. base './' lets the site
// run from any folder of any static host.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';
import { createReadStream } from 'node:fs';
import { kubectlForPage } from './src/harness/kube-api-node.js';
import { nodeAssets, offline } from './src/vm/assets-vite.js';

const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/**
 * The dev server serves the nodes' kubectl from the cache as `npm start` does (src/cli/static-server.ts,
 * src/ui/kube.ts): kubectl/kubectl.json and kubectl/kubectl-<sha256>. A build leaves it out of the site.
 */
function kubectl(): Plugin {
  let found: ReturnType<typeof kubectlForPage> | null = null;
  return {
    name: 'podwire-kubectl',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0]!);
        if (!path.startsWith('/kubectl/')) return next();
        found ??= kubectlForPage();
        if (!found) return next();
        if (path === `/${found.manifestPath}`) { res.setHeader('content-type', 'application/json'); res.end(found.manifest); return; }
        if (path !== `/${found.filePath}`) return next();
        res.setHeader('content-type', 'application/octet-stream');
        res.setHeader('content-length', String(found.bytes));
        createReadStream(found.file).pipe(res);
      });
    },
  };
}

export default defineConfig({
  root: 'src/ui',
  base: './',
  publicDir: '../../public',
  plugins: [svelte(), nodeAssets(), offline(), kubectl()],
  build: { outDir: '../../dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 },
  worker: { format: 'es' },
  // Cross-origin isolated, as the static server serves it: the nodes share the base snapshot.
  server: { fs: { allow: ['../..'] }, headers: ISOLATION },
  preview: { headers: ISOLATION },
});
