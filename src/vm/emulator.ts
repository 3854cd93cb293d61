// One v86 machine configured as a podwire node. Used inside a node worker, in
// Node and in the browser alike. A saved state only restores into a machine
// built with the very same options, so they live here and nowhere else.
import { V86 } from 'v86';

export const NODE_MEMORY_MB = 256;

export interface BootAssets {
  /** Path (Node) or URL (browser) of v86.wasm. */
  wasm: string;
  bios: ArrayBuffer;
  vgabios: ArrayBuffer;
  cmdline: string;
  /** A cold boot needs the kernel and initramfs; a restore needs a state instead. */
  bzimage?: ArrayBuffer;
  initrd?: ArrayBuffer;
  /** Shared (Node) when many nodes start from one: each worker copies it before v86 takes it. */
  state?: ArrayBuffer | SharedArrayBuffer;
  /**
   * The base snapshot, when `state` is something else (a saved state): what a saved delta
   * is rebuilt on, and what the node's own saves are made against (state-delta.ts). When
   * it is absent and `state` is a raw state, that state is the base.
   */
  base?: ArrayBuffer | SharedArrayBuffer;
  /** v86's JIT (x86 code compiled to WebAssembly as it gets hot); false turns it off (assets-web.ts says why the page does). */
  jit?: boolean;
}

/** Whether a state is shared memory. SharedArrayBuffer is not even defined on a page that is not cross-origin isolated. */
export function isSharedState(state: unknown): state is SharedArrayBuffer {
  return typeof SharedArrayBuffer !== 'undefined' && state instanceof SharedArrayBuffer;
}

export function createEmulator(assets: BootAssets): V86 {
  return new V86({
    wasm_path: assets.wasm,
    memory_size: NODE_MEMORY_MB << 20,
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
