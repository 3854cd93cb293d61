// Reading 32-bit ELF files without running them: the build host may not run i386
// programs at all (many x86_64 kernels ship without IA-32 emulation), so the
// library closure and busybox's applet list are read from the files themselves.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

// ELF32 header and program header offsets (System V ABI, "ELF Header" and "Program Header").
const E_PHOFF = 28;
const E_PHENTSIZE = 42;
const E_PHNUM = 44;
const P_TYPE = 0;
const P_OFFSET = 4;
const P_VADDR = 8;
const P_FILESZ = 16;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
// Dynamic section tags.
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;

interface Segment { type: number; offset: number; vaddr: number; filesz: number }

export function isElf32(bytes: Buffer): boolean {
  return bytes.length >= 52 && bytes.toString('latin1', 0, 4) === '\x7fELF' && bytes[4] === 1;
}

function segments(bytes: Buffer): Segment[] {
  const phoff = bytes.readUInt32LE(E_PHOFF);
  const phentsize = bytes.readUInt16LE(E_PHENTSIZE);
  const phnum = bytes.readUInt16LE(E_PHNUM);
  const list: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 32 > bytes.length) break;
    list.push({ type: bytes.readUInt32LE(at + P_TYPE), offset: bytes.readUInt32LE(at + P_OFFSET), vaddr: bytes.readUInt32LE(at + P_VADDR), filesz: bytes.readUInt32LE(at + P_FILESZ) });
  }
  return list;
}

/** A 32-bit ELF with a PT_DYNAMIC segment; static programs like busybox need no libraries. */
export function isDynamicElf(bytes: Buffer): boolean {
  return isElf32(bytes) && segments(bytes).some((s) => s.type === PT_DYNAMIC);
}

function cString(bytes: Buffer, at: number): string {
  const end = bytes.indexOf(0, at);
  return bytes.toString('latin1', at, end < 0 ? bytes.length : end);
}

/** The sonames a program or library asks for (DT_NEEDED), and its interpreter if it names one. */
export function neededLibraries(bytes: Buffer): { needed: string[]; interpreter?: string } {
  if (!isElf32(bytes)) return { needed: [] };
  const all = segments(bytes);
  const interp = all.find((s) => s.type === PT_INTERP);
  const dynamic = all.find((s) => s.type === PT_DYNAMIC);
  const result: { needed: string[]; interpreter?: string } = { needed: [] };
  if (interp) result.interpreter = cString(bytes, interp.offset);
  if (!dynamic) return result;
  const entries: [number, number][] = [];
  for (let at = dynamic.offset; at + 8 <= dynamic.offset + dynamic.filesz; at += 8) {
    const tag = bytes.readInt32LE(at);
    if (tag === DT_NULL) break;
    entries.push([tag, bytes.readUInt32LE(at + 4)]);
  }
  const strtabAddress = entries.find(([tag]) => tag === DT_STRTAB)?.[1];
  if (strtabAddress === undefined) return result;
  // DT_STRTAB is an address in memory: find the loaded segment that holds it.
  const load = all.find((s) => s.type === PT_LOAD && strtabAddress >= s.vaddr && strtabAddress < s.vaddr + s.filesz);
  if (!load) return result;
  const strtab = load.offset + (strtabAddress - load.vaddr);
  result.needed = entries.filter(([tag]) => tag === DT_NEEDED).map(([, name]) => cString(bytes, strtab + name));
  return result;
}

/**
 * Every library the given programs need, transitively, as paths inside `stage`
 * (e.g. /lib/i386-linux-gnu/libc.so.6), found in `libraryDirs` the way the
 * loader would. A soname that no directory holds is an error naming who needs it.
 */
export function libraryClosure(stage: string, libraryDirs: string[], programs: string[]): Set<string> {
  const found = new Set<string>();
  const queue = programs.map((path) => ({ path, who: path }));
  const seen = new Set<string>();
  while (queue.length) {
    const { path, who } = queue.shift()!;
    const real = realpathSync(path);
    if (seen.has(real)) continue;
    seen.add(real);
    const { needed, interpreter } = neededLibraries(readFileSync(real));
    if (interpreter) found.add(interpreter);
    for (const soname of needed) {
      const dir = libraryDirs.find((d) => existsSync(join(stage, d, soname)));
      if (!dir) throw new Error(`${who} needs ${soname}, which no downloaded package has`);
      const inStage = `/${dir}/${soname}`;
      found.add(inStage);
      queue.push({ path: join(stage, inStage), who: soname });
    }
  }
  return found;
}

/**
 * Busybox's applet names, read from its binary: busybox keeps them as one sorted,
 * NUL-separated table that starts with "[" and "[[" (applet_tables.h).
 */
export function busyboxApplets(bytes: Buffer): string[] {
  const start = bytes.indexOf(Buffer.from('\0[\0[[\0', 'latin1'));
  if (start < 0) throw new Error('no applet table found in the busybox binary');
  const names: string[] = [];
  let at = start + 1;
  for (;;) {
    const name = cString(bytes, at);
    if (!name) break;
    if (!/^[\w.[\]-]+$/.test(name)) throw new Error(`busybox applet table: unexpected entry '${name}'`);
    names.push(name);
    at += name.length + 1;
  }
  return names;
}
