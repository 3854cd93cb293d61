// npm run images: build the podwire node image from Debian bookworm i386 packages.
//
// Output: <cache>/images/<key>/ with bzImage, initrd.lz4, bios.bin, vgabios.bin and
// manifest.json, where <key> is the hash of everything in images/. If that folder
// is already complete, the build is done in the time it takes to hash the recipe.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrivateApt } from './build/apt.js';
import { imagesDir, pruneCache } from './build/cache.js';
import { assembleRootfs } from './build/assemble.js';
import { buildIp } from './build/iproute2.js';
import { buildIptables } from './build/iptables.js';
import { buildCniPlugins } from './build/cni.js';
import { buildJq } from './build/jq.js';
import { buildKernel } from './build/kernel.js';
import { SourceBuilds } from './build/source.js';
import { packCpio } from './build/cpio.js';
import type { ImageManifest } from './build/manifest.js';
import { readRecipe, recipeKey } from './build/recipe.js';

const log = (message: string) => process.stderr.write(`images: ${message}\n`);

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export type { Artefact, ImageManifest } from './build/manifest.js';

/** The image for a recipe and where its files are: from the cache, or built first. What the runtime reads assets through. */
export function imageFor(recipeDir: string): { dir: string; manifest: ImageManifest } {
  const dir = join(imagesDir(), recipeKey(recipeDir));
  const manifestFile = join(dir, 'manifest.json');
  const manifest = existsSync(manifestFile) ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as ImageManifest) : buildImage(recipeDir);
  return { dir, manifest };
}

export function buildImage(recipeDir: string, options: { force?: boolean } = {}): ImageManifest {
  const recipe = readRecipe(recipeDir);
  const outDir = join(imagesDir(), recipe.key);
  const manifestFile = join(outDir, 'manifest.json');
  if (!options.force && existsSync(manifestFile)) {
    log(`up to date: ${outDir}`);
    return JSON.parse(readFileSync(manifestFile, 'utf8')) as ImageManifest;
  }

  // Each build works in its own folder, so two builds of one recipe at once cannot clobber each other.
  const work = join(imagesDir(), `${recipe.key}.work.${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  const stage = join(work, 'stage');
  const rootfs = join(work, 'rootfs');
  mkdirSync(stage, { recursive: true });

  const started = Date.now();
  const apt = new PrivateApt(join(work, 'apt'));
  log('reading the package lists (i386)');
  apt.update();
  apt.checkNames(recipe.packages);
  log(`downloading ${recipe.packages.length} packages and their dependencies`);
  apt.download(recipe.packages.map((at) => at.words[0]!));
  const debs = apt.debs();
  for (const deb of debs) {
    const unpack = spawnSync('dpkg-deb', ['-x', deb.file, stage], { encoding: 'utf8' });
    if (unpack.status !== 0) throw new Error(`cannot unpack ${deb.file}: ${unpack.stderr}`);
  }

  const kernel = buildKernel(apt, debs, stage, recipe.dir, recipe.modules, work, log);

  log('building jq, ip, iptables and the CNI plugins from their source (images/build/source.ts)');
  const builds = new SourceBuilds(apt, join(work, 'source'), stage);
  const fromSource = [{ name: 'linux', version: kernel.release, from: kernel.from }, buildJq(builds), buildIp(builds), buildIptables(builds), buildCniPlugins(builds)];

  log('assembling the root filesystem');
  const assembled = assembleRootfs(recipe, stage, rootfs);

  log('packing the initramfs (cpio + lz4)');
  const cpio = join(work, 'initrd.cpio');
  writeFileSync(cpio, packCpio(rootfs, [
    { path: 'dev/console', mode: 0o020600, major: 5, minor: 1 },
    { path: 'dev/null', mode: 0o020666, major: 1, minor: 3 },
  ]));
  // LZ4, not zstd: the kernel unpacks the initramfs at every cold boot, and at emulated speed
  // LZ4 does it in less time for a larger download (README, "Where a cold boot goes").
  // -l: the legacy frame, the only LZ4 format the kernel's unpacker reads.
  const lz4 = spawnSync('lz4', ['-q', '-f', '-l', '-12', cpio, join(work, 'initrd.lz4')], { encoding: 'utf8' });
  if (lz4.status !== 0) throw new Error(`lz4 failed (is the lz4 package installed?): ${lz4.stderr ?? lz4.error?.message}`);

  const staged = join(work, 'out');
  mkdirSync(staged, { recursive: true });
  copyFileSync(assembled.bzimage, join(staged, 'bzImage'));
  copyFileSync(join(work, 'initrd.lz4'), join(staged, 'initrd.lz4'));
  copyFileSync(assembled.bios, join(staged, 'bios.bin'));
  copyFileSync(assembled.vgabios, join(staged, 'vgabios.bin'));

  const artefact = (file: string) => ({ file, size: statSync(join(staged, file)).size, sha256: sha256(join(staged, file)) });
  const manifest: ImageManifest = {
    key: recipe.key,
    builtAt: new Date().toISOString(),
    cmdline: recipe.cmdline,
    kernelVersion: assembled.kernelVersion,
    artefacts: {
      bzimage: artefact('bzImage'),
      initrd: artefact('initrd.lz4'),
      bios: artefact('bios.bin'),
      vgabios: artefact('vgabios.bin'),
    },
    rootfsBytes: statSync(cpio).size,
    modules: assembled.modules,
    packages: debs.map((deb) => ({
      name: deb.name, version: deb.version, architecture: deb.architecture,
      size: statSync(deb.file).size, sha256: sha256(deb.file),
    })),
    fromSource,
  };
  writeFileSync(join(staged, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

  mkdirSync(dirname(outDir), { recursive: true });
  if (existsSync(manifestFile)) {
    log('another build of the same recipe finished first; keeping its output');
  } else {
    rmSync(outDir, { recursive: true, force: true });
    renameSync(staged, outDir);
  }
  rmSync(work, { recursive: true, force: true });
  // Several: worktrees side by side each build their own recipe, and must not delete each other's.
  void pruneCache(imagesDir(), 8, outDir);
  const total = Object.values(manifest.artefacts).reduce((sum, a) => sum + a.size, 0);
  log(`built ${outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s (${(total / 1e6).toFixed(1)} MB to download)`);
  return manifest;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const here = dirname(fileURLToPath(import.meta.url));
  try {
    const manifest = buildImage(process.env.PODWIRE_RECIPE ?? here, { force: process.argv.includes('--force') });
    process.stdout.write(`${join(imagesDir(), manifest.key)}\n`);
  } catch (error) {
    process.stderr.write(`images: error: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
