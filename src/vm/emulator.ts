// One v86 machine configured as a podwire node. Used inside a node worker, in
// Node and in the browser alike. A saved state only restores into a machine
// built with the very same options, so they live here and nowhere else.
import { V86 } from 'v86';
import type { StateFile } from './state-file.js';


export interface BootAssets {
  /** The guest's memory in MB: the size the state (or the boot) is for. */
  memoryMb: number;
  /**
   * v86.wasm: its path or URL, or the module compiled once for every node of a page
   * (assets-web.ts) or of a Node process (host-node.ts), which each node's worker
   * instantiates without compiling it again.
   */
  wasm: string | WebAssembly.Module;
  bios: ArrayBuffer;
  vgabios: ArrayBuffer;
  cmdline: string;
  /** A cold boot needs the kernel and initramfs; a restore needs a state instead. */
  bzimage?: ArrayBuffer;
  initrd?: ArrayBuffer;
  /**
   * Shared when many nodes start from one (Node, and a page without a kept copy); in the
   * browser usually a file the worker reads from (state-file.ts). The worker plans the
   * restore from it (node-worker.ts), and v86 is given only what it plans.
   */
  state?: ArrayBuffer | SharedArrayBuffer | StateFile;
  /**
   * The base snapshot, when `state` is something else (a saved state): what a saved delta
   * is rebuilt on, and what the node's own saves are made against (state-delta.ts). When
   * it is absent and `state` is a raw state, that state is the base.
   */
  base?: ArrayBuffer | SharedArrayBuffer | StateFile;
  /** v86's JIT (x86 code compiled to WebAssembly as it gets hot); false turns it off (assets-web.ts says why the page does). */
  jit?: boolean;
}

/** Whether a state is shared memory. SharedArrayBuffer is not even defined on a page that is not cross-origin isolated. */
export function isSharedState(state: unknown): state is SharedArrayBuffer {
  return typeof SharedArrayBuffer !== 'undefined' && state instanceof SharedArrayBuffer;
}

/** An instance of a compiled v86.wasm: what v86 asks its `wasm_fn` for is the exports. */
async function instantiated(module: WebAssembly.Module, imports: WebAssembly.Imports): Promise<WebAssembly.Exports> {
  return (await WebAssembly.instantiate(module, imports)).exports;
}

/** The machine for `assets`; a state must be in memory by now (the worker's restore plan). */
export function createEmulator(assets: BootAssets & { state?: ArrayBuffer | SharedArrayBuffer }): V86 {
  const { wasm } = assets;
  return new V86({
    ...(typeof wasm === 'string' ? { wasm_path: wasm } : { wasm_fn: (imports: WebAssembly.Imports) => instantiated(wasm, imports) }),
    memory_size: assets.memoryMb << 20,
    vga_memory_size: 2 << 20,
    bios: { buffer: assets.bios },
    vga_bios: { buffer: assets.vgabios },
    ...(assets.state
      ? { initial_state: { buffer: assets.state } }
      : { bzimage: { buffer: assets.bzimage! }, initrd: { buffer: assets.initrd! }, cmdline: assets.cmdline }),
    autostart: true,
    uart1: true,
    net_device: { type: 'virtio' },
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
    ...(assets.jit === false ? { disable_jit: true } : {}),
  } as ConstructorParameters<typeof V86>[0]);
}
