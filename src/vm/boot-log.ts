// Where a cold boot's time went, read from the kernel's own log (dmesg) of a node that
// has just booted. The kernel stamps each line with its clock, which starts when the
// kernel does; what came before it (firmware, the kernel unpacking itself) is the
// host's time to ready minus the guest's uptime at ready.

/** Seconds, each phase of a cold boot in the order they happen. */
export interface ColdBootPhases {
  /** The firmware, loading the kernel and the kernel unpacking itself: before the kernel's clock starts. */
  beforeKernel: number;
  /** The kernel's start, up to unpacking the initramfs. */
  kernelToInitramfs: number;
  /** Unpacking the initramfs (decompressing it and writing the root filesystem into RAM). */
  initramfs: number;
  /** The rest of the kernel's start, up to running /init. */
  initramfsToInit: number;
  /** /init (modules, sysctls, the agent) until the agent answered. */
  initToReady: number;
}

const MARKS = {
  unpacking: /^\[\s*(\d+\.\d+)\] Unpacking initramfs/m,
  unpacked: /^\[\s*(\d+\.\d+)\] Freeing initrd memory/m,
  init: /^\[\s*(\d+\.\d+)\] Run \/init as init process/m,
};

/**
 * The phases of a cold boot from the kernel log, the guest's uptime at ready, and the
 * host's seconds from start to ready. Null when the log lacks one of the lines (an
 * older kernel, or a log that wrapped).
 */
export function coldBootPhases(dmesg: string, uptimeAtReady: number, hostSecondsToReady: number): ColdBootPhases | null {
  const at = (mark: RegExp) => {
    const match = mark.exec(dmesg);
    return match ? Number(match[1]) : null;
  };
  const unpacking = at(MARKS.unpacking);
  const unpacked = at(MARKS.unpacked);
  const init = at(MARKS.init);
  if (unpacking === null || unpacked === null || init === null) return null;
  return {
    beforeKernel: Math.max(0, hostSecondsToReady - uptimeAtReady),
    kernelToInitramfs: unpacking,
    initramfs: unpacked - unpacking,
    initramfsToInit: init - unpacked,
    initToReady: Math.max(0, uptimeAtReady - init),
  };
}
