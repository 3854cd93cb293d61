// A "newc" cpio archive, the format the kernel unpacks into its initramfs.
// Written here rather than by cpio(1) so that owners are root and times are zero
// without needing root, and so the same tree gives the same bytes every time.
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface CpioDevice { path: string; mode: number; major: number; minor: number }

const hex = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

function entry(name: string, mode: number, data: Buffer, ino: number, rdev = { major: 0, minor: 0 }): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`);
  const header = '070701' + [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev.major, rdev.minor, nameBytes.length, 0].map(hex).join('');
  const head = Buffer.concat([Buffer.from(header, 'latin1'), nameBytes]);
  return [head, pad4(head.length), data, pad4(data.length)];
}

/** Pack a directory tree (plus device nodes we cannot create without root) into newc cpio bytes. */
export function packCpio(root: string, devices: CpioDevice[] = []): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const add = (rel: string) => {
    const path = join(root, rel);
    const st = lstatSync(path);
    if (st.isSymbolicLink()) parts.push(...entry(rel, 0o120777, Buffer.from(readlinkSync(path)), ino++));
    else if (st.isDirectory()) {
      parts.push(...entry(rel, 0o040000 | (st.mode & 0o7777), Buffer.alloc(0), ino++));
      for (const child of readdirSync(path).sort()) add(`${rel}/${child}`);
    } else parts.push(...entry(rel, 0o100000 | (st.mode & 0o7777), readFileSync(path), ino++));
  };
  for (const child of readdirSync(root).sort()) add(child);
  for (const dev of devices) parts.push(...entry(dev.path, dev.mode, Buffer.alloc(0), ino++, dev));
  parts.push(...entry('TRAILER!!!', 0, Buffer.alloc(0), 0));
  return Buffer.concat(parts);
}
