// The web lab: a static site from src/ui. `npm run build` writes it to dist/, with
// the node assets (firmware and the base snapshot) from the build cache and a
// service worker that keeps everything for offline use. base './' lets the site
// run from any folder of any static host.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import { nodeAssets, offline } from './src/vm/assets-vite.js';

const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

export default defineConfig({
  root: 'src/ui',
  base: './',
  publicDir: '../../public',
  plugins: [svelte(), nodeAssets(), offline()],
  build: { outDir: '../../dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 },
  worker: { format: 'es' },
  // Cross-origin isolated, as the static server serves it: the nodes share the base snapshot.
  server: { fs: { allow: ['../..'] }, headers: ISOLATION },
  preview: { headers: ISOLATION },
});
