// The site's node assets, as a Vite plugin: the firmware and the base snapshot come
// from the build cache (made on first use, never committed). The dev server serves
// them under node/; a build copies them into dist/node/<key>/ beside node/manifest.json.
import { execFileSync } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import type { WebAssetManifest } from './assets-web.js';
import type { WebAssetSources } from './assets-node.js';

const assetsScript = fileURLToPath(new URL('./assets-node.ts', import.meta.url));

/** Ask the Node side (in its own process, so it runs from source with tsx) where the assets are. */
function sources(): WebAssetSources {
  const out = execFileSync(process.execPath, ['--import', 'tsx', assetsScript, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()!) as WebAssetSources;
}

function manifestOf(src: WebAssetSources): { manifest: WebAssetManifest; files: Record<string, string> } {
  const files: Record<string, string> = {};
  const entry = (url: string, file: string) => {
    files[url] = file;
    return { url, size: statSync(file).size };
  };
  // Every snapshot is of the same image: the firmware lives beside the first.
  const firmwareDir = src.snapshots[0]!.key;
  const manifest: WebAssetManifest = {
    cmdline: src.cmdline,
    bios: entry(`${firmwareDir}/bios.bin`, src.bios), vgabios: entry(`${firmwareDir}/vgabios.bin`, src.vgabios),
    snapshots: src.snapshots.map((snapshot) => ({
      memoryMb: snapshot.memoryMb, key: snapshot.key,
      state: { ...entry(`${snapshot.key}/state.zst`, snapshot.state), rawSize: statSync(snapshot.stateRaw).size },
    })),
  };
  return { manifest, files };
}

export function nodeAssets(): Plugin {
  let cached: ReturnType<typeof manifestOf> | undefined;
  const get = () => (cached ??= manifestOf(sources()));
  return {
    name: 'podwire-node-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0]!).replace(/^.*?\/node\//, '');
        if (!req.url?.includes('/node/')) return next();
        const { manifest, files } = get();
        if (path === 'manifest.json') {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(manifest));
          return;
        }
        const file = files[path];
        if (!file) return next();
        res.setHeader('content-type', 'application/octet-stream');
        res.setHeader('content-length', String(statSync(file).size));
        createReadStream(file).pipe(res);
      });
    },
    async generateBundle() {
      const { manifest, files } = get();
      this.emitFile({ type: 'asset', fileName: 'node/manifest.json', source: JSON.stringify(manifest, null, 2) });
      for (const [url, file] of Object.entries(files)) {
        this.emitFile({ type: 'asset', fileName: `node/${url}`, source: await readFile(file) });
      }
    },
  };
}

/**
 * The service worker that makes the site work offline: it keeps every file of the
 * build, so after one visit nothing needs the network. Its cache is named after the
 * build, so a new build replaces the old files.
 */
export function offline(): Plugin {
  return {
    name: 'podwire-offline',
    apply: 'build',
    generateBundle(_options, bundle) {
      // The snapshot is not precached: the page keeps it unpacked itself (assets-web.ts),
      // and fetching it twice on a first visit would double the biggest download.
      const files = Object.keys(bundle).filter((f) => f !== 'sw.js' && !f.endsWith('state.zst')).sort();
      const version = files.filter((f) => /[-.][\w-]{8}\.\w+$/.test(f) || f.startsWith('node/')).join('|');
      const id = [...version].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7).toString(36);
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: serviceWorker(`podwire-site-${id}`, ['./', ...files]) });
    },
  };
}

function serviceWorker(cacheName: string, files: string[]): string {
  return `// podwire's service worker, written by the build: keep the site for offline use.
const CACHE = ${JSON.stringify(cacheName)};
const FILES = ${JSON.stringify(files)};
self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('podwire-site-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== location.origin) return;
  // Pages come from the network when there is one, so a new build shows; everything else from the cache first.
  const page = request.mode === 'navigate';
  event.respondWith(caches.open(CACHE).then(async (cache) => {
    const hit = await cache.match(request, { ignoreSearch: page });
    if (hit && !page) return hit;
    try {
      const response = await fetch(request);
      if (response.ok && page) cache.put('./', response.clone());
      return response;
    } catch (error) {
      if (hit) return hit;
      const index = page ? await cache.match('./') : undefined;
      if (index) return index;
      throw error;
    }
  }));
});
`;
}
