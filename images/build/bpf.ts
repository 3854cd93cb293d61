// The node's eBPF programs (images/bpf/*.c), for the eBPF datapath lab. clang compiles them
// on the build host for the `bpf` target: BPF bytecode is the same on every architecture, so
// the 32-bit node loads what a 64-bit host built. The headers are the kernel's uapi ones
// (linux-libc-dev); -g adds the BTF that describes the maps (libbpf, inside tc and bpftool,
// reads it), and llvm-strip then drops the DWARF, which nothing in the node reads.
// The objects go to /usr/local/lib/bpf, their sources beside the tools' in /usr/local/src/bpf.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The include folder for asm/types.h on this host (x86_64-linux-gnu, aarch64-linux-gnu, …). */
function multiarchIncludes(): string[] {
  const gcc = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' });
  const triple = gcc.status === 0 ? gcc.stdout.trim() : '';
  return triple ? [`-I/usr/include/${triple}`] : [];
}

/** Compile every images/bpf/NAME.c to /usr/local/lib/bpf/NAME.o in the rootfs; returns the names. */
export function buildBpf(bpfDir: string, rootfs: string): string[] {
  if (!existsSync(bpfDir)) return [];
  const files = readdirSync(bpfDir).sort();
  const lib = join(rootfs, 'usr/local/lib/bpf');
  const src = join(rootfs, 'usr/local/src/bpf');
  mkdirSync(lib, { recursive: true });
  mkdirSync(src, { recursive: true });
  for (const file of files) copyFileSync(join(bpfDir, file), join(src, file));
  const flags = ['-O2', '-g', '-Wall', '-Werror', '-target', 'bpf', ...multiarchIncludes()];
  return files.filter((file) => file.endsWith('.c')).map((file) => {
    const name = basename(file, '.c');
    const out = join(lib, `${name}.o`);
    const clang = spawnSync('clang', [...flags, '-c', join(bpfDir, file), '-o', out], { encoding: 'utf8' });
    if (clang.error) throw new Error(`images/bpf/${file}: clang is needed to build it (${clang.error.message}); install the clang and llvm packages`);
    if (clang.status !== 0) throw new Error(`images/bpf/${file}: clang failed:\n${clang.stderr}`);
    const strip = spawnSync('llvm-strip', ['-g', out], { encoding: 'utf8' });
    if (strip.error || strip.status !== 0) throw new Error(`images/bpf/${file}: llvm-strip failed: ${strip.stderr ?? strip.error?.message}`);
    return name;
  });
}
