// The node's own small programs, for what a shell cannot do (images/tools/*.c).
// The build host may not run i386 programs, but gcc can still make them: each is
// one freestanding C file with its own system calls, so no i386 C library is needed.
// The sources go into the node as well (/usr/local/src), for whoever wonders what they do.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const GCC_FLAGS = [
  '-m32', '-march=i686', '-ffreestanding', '-nostdlib', '-static', '-fno-pie', '-no-pie',
  '-fno-stack-protector', '-fno-asynchronous-unwind-tables', '-O2', '-Wall', '-Wextra', '-Werror', '-s',
];

/** Compile every images/tools/NAME.c to /usr/local/sbin/NAME in the rootfs; returns the names. */
export function buildTools(toolsDir: string, rootfs: string): string[] {
  if (!existsSync(toolsDir)) return [];
  const sources = readdirSync(toolsDir).filter((file) => file.endsWith('.c')).sort();
  const bin = join(rootfs, 'usr/local/sbin');
  const src = join(rootfs, 'usr/local/src');
  mkdirSync(bin, { recursive: true });
  mkdirSync(src, { recursive: true });
  return sources.map((file) => {
    const name = basename(file, '.c');
    const gcc = spawnSync('gcc', [...GCC_FLAGS, '-o', join(bin, name), join(toolsDir, file)], { encoding: 'utf8' });
    if (gcc.error) throw new Error(`images/tools/${file}: gcc is needed to build it (${gcc.error.message}); install the gcc package`);
    if (gcc.status !== 0) throw new Error(`images/tools/${file}: gcc failed:\n${gcc.stderr}`);
    copyFileSync(join(toolsDir, file), join(src, file));
    return name;
  });
}
