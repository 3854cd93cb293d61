// The base snapshot kept in the browser's origin private file system (OPFS).
//
// The page stores the unpacked snapshot there once, on the first visit, and from then on
// hands its nodes only the file's name. Each node's worker opens the file with a read-only
// sync access handle (several workers may hold one at a time) and reads the guest's pages
// straight into its own guest memory (state-delta.ts RestorePlan). Neither the page nor the
// workers hold a copy of the 117 MB snapshot: before, the page read it from the Cache Storage
// into shared memory on every visit, a first touch of 117 MB that cost 0.8-0.9 s on a
// 2-core machine before the first node could start.
import { bytesSource, type StateSource } from './state-delta.js';

/** A state kept in a file of the origin's private file system: what the page hands a node instead of the bytes. */
export interface StateFile {
  readonly file: string;
  readonly byteLength: number;
}

/** The folder of the origin's private file system that holds the snapshot. */
const FOLDER = 'podwire-node-assets';

export function isStateFile(value: unknown): value is StateFile {
  return typeof value === 'object' && value !== null && typeof (value as StateFile).file === 'string' && Number.isInteger((value as StateFile).byteLength);
}

/** The origin's private file system, where the browser has one (not on a page that is not a secure context). */
function canKeepFiles(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function';
}

async function folder(): Promise<FileSystemDirectoryHandle> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(FOLDER, { create: true });
}

/** The kept file called `name`, if it is there whole (`byteLength` bytes). */
export async function findStateFile(name: string, byteLength: number): Promise<StateFile | undefined> {
  if (!canKeepFiles()) return undefined;
  try {
    const file = await (await (await folder()).getFileHandle(name)).getFile();
    return file.size === byteLength ? { file: name, byteLength } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keep `bytes` as the file `name`, and remove every file of the folder not named in `current`
 * (the snapshots of older builds; this build's other memory sizes stay). Undefined when it
 * could not be kept (the storage is full, or there is no such file system): nothing
 * half-written is left behind.
 */
export async function keepStateFile(name: string, bytes: Uint8Array, current: readonly string[] = [name]): Promise<StateFile | undefined> {
  if (!canKeepFiles()) return undefined;
  let kept: FileSystemDirectoryHandle | undefined;
  try {
    kept = await folder();
    const names: string[] = [];
    for await (const entry of (kept as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(entry);
    for (const old of names) if (old !== name && !current.includes(old)) await kept.removeEntry(old).catch(() => undefined);
    // A writable stream writes to a copy of its own and replaces the file only when it closes,
    // so a write cut short by a full storage leaves no partial snapshot to be taken for one.
    const writable = await (await kept.getFileHandle(name, { create: true })).createWritable();
    try {
      await writable.write(bytes as Uint8Array<ArrayBuffer>);
      await writable.close();
    } catch (error) {
      await writable.abort().catch(() => undefined);
      throw error;
    }
    return findStateFile(name, bytes.byteLength);
  } catch (error) {
    console.warn(`podwire: could not keep the snapshot for the next visit: ${(error as Error).message}`);
    await kept?.removeEntry(name).catch(() => undefined);
    return undefined;
  }
}

/** A read-only sync access handle (Chromium; several may be open on one file). */
type ReadOnlyOpen = (options: { mode: 'read-only' }) => Promise<FileSystemSyncAccessHandle>;

/**
 * A kept state opened for reading, in a node's worker: pieces are read synchronously,
 * straight into where they go. Where a browser has no read-only sync access handle, the
 * file is read whole into the worker's memory instead (slower to start, the same result).
 * `close` lets the file go.
 */
export async function openStateFile(kept: StateFile): Promise<StateSource & { close(): void }> {
  const handle = await (await folder()).getFileHandle(kept.file);
  const what = `the kept snapshot ${kept.file}`;
  let access: FileSystemSyncAccessHandle | undefined;
  try {
    access = await (handle.createSyncAccessHandle as unknown as ReadOnlyOpen).call(handle, { mode: 'read-only' });
  } catch {
    access = undefined;
  }
  if (!access) {
    const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
    if (bytes.byteLength !== kept.byteLength) throw new Error(`${what} is ${bytes.byteLength} bytes, expected ${kept.byteLength}`);
    return { ...bytesSource(bytes), close: () => undefined };
  }
  const file = access;
  if (file.getSize() !== kept.byteLength) {
    file.close();
    throw new Error(`${what} is ${file.getSize()} bytes, expected ${kept.byteLength}`);
  }
  const readInto = (target: Uint8Array, offset: number) => {
    if (offset < 0 || offset + target.byteLength > kept.byteLength) throw new Error(`${what}: a read past its end (${offset} + ${target.byteLength})`);
    const read = file.read(target as Uint8Array<ArrayBuffer>, { at: offset });
    if (read !== target.byteLength) throw new Error(`${what}: read ${read} of ${target.byteLength} bytes at ${offset}`);
  };
  return {
    byteLength: kept.byteLength,
    read(offset, length) {
      const bytes = new Uint8Array(length);
      readInto(bytes, offset);
      return bytes;
    },
    readInto,
    close: () => file.close(),
  };
}
