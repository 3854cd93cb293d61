// The only places where podwire reaches past v86's documented API (its bus, its idle
// loop, the console UART's input queue, how a restore clears memory), kept in one file so
// that a v86 upgrade touches one file.
//
// The NIC: v86's own network adapters (fetch, wisp, inbrowser) take the emulator's bus,
// listen for "net0-send" and answer with "net0-receive". Newer v86 accepts such an
// adapter through a `network_adapter` option; 0.5.462, which podwire pins because a saved
// state restores only into the version that made it, builds its adapters only from
// `net_device.relay_url` (checked in build/libv86.mjs). So frames from the guest come
// through the public listener "net0-send", and frames to it go onto the bus here.
import type { V86 } from 'v86';
import { discard } from './buffers.js';

interface V86Cpu {
  devices?: { uart0?: { input?: unknown[] } };
  mem8?: Uint8Array;
  memory_size?: Uint32Array;
  zero_memory?: (address: number, length: number) => void;
}

interface V86Internals {
  bus?: { send(name: string, data: unknown): void };
  v86?: { idle: boolean; next_tick(delay: number): void; yield(delay: number, tick: number): void; cpu?: V86Cpu };
}

/**
 * What of a new machine's memory may be non-zero before its state is restored: the BIOS
 * and VGA BIOS copied below 1 MB, and at worst wasm heap that v86 used and freed before
 * it allocated the guest's memory (the heap is 9 MB when that happens in 0.5.462).
 */
const WRITTEN_BEFORE_RESTORE = 16 << 20;

/** Hand a frame to the guest's NIC, as v86's network adapters do. */
export function deliverFrame(emulator: V86, frame: Uint8Array): void {
  (emulator as unknown as V86Internals).bus?.send('net0-receive', frame);
}

/** How long after its last frame, serial byte or input a guest counts as busy (sleepThroughShortWaits). */
const BUSY_FOR_MS = 100;
const activityOf = new WeakMap<V86, { lastBusy: number; stirred: boolean }>();

/** An idle v86 sleeps until its next timer; input (a frame, a keystroke, a request) should not wait for that. */
export function wake(emulator: V86): void {
  const activity = activityOf.get(emulator);
  if (activity) activity.lastBusy = performance.now();
  const core = (emulator as unknown as V86Internals).v86;
  if (core?.idle) core.next_tick(0);
}

/**
 * A halted guest waits for its next timer interrupt. Debian's 686 kernel has no tickless
 * idle (CONFIG_HZ_PERIODIC, HZ=250), so that is at most 4 ms away, and v86 sleeps until it
 * with a timer of whole milliseconds, but spins on the event loop (setImmediate in Node, a
 * message in the browser) when less than one millisecond is left. Measured on an idle
 * node: about 40,000 spins a second, a quarter of a host core, for a guest that does
 * nothing. So a guest that has been quiet for a while (no frame, no byte on a serial port,
 * no input: BUSY_FOR_MS) sleeps through such a short wait instead: its tick then comes up
 * to a millisecond late, which the kernel's timekeeping (on the TSC) does not notice, and
 * any input still wakes it at once (wake). A busy guest keeps v86's exact waits: TCP paces
 * its segments with sub-millisecond timers, which a late wake-up would slow. A wait of 0
 * is a guest that is running, not halted (v86's main_loop), and goes on at once.
 */
export function sleepThroughShortWaits(emulator: V86): void {
  const activity = { lastBusy: performance.now(), stirred: false };
  activityOf.set(emulator, activity);
  // Called for every byte on the serial ports: only a flag here, the clock is read at the
  // next short wait (at most one tick later, well inside BUSY_FOR_MS).
  const stirred = () => { activity.stirred = true; };
  for (const event of ['net0-send', 'serial0-output-byte', 'serial1-output-byte'] as const) emulator.add_listener(event, stirred);
  emulator.add_listener('emulator-ready', () => {
    const core = (emulator as unknown as V86Internals).v86;
    if (!core || typeof core.yield !== 'function') return;
    const yieldFor = core.yield;
    core.yield = function (delay: number, tick: number) {
      if (delay > 0 && delay < 1) {
        const now = performance.now();
        if (activity.stirred) { activity.stirred = false; activity.lastBusy = now; }
        if (now - activity.lastBusy > BUSY_FOR_MS) delay = 1;
      }
      yieldFor.call(this, delay, tick);
    };
  });
}

/** Bytes sent to the console (ttyS0) that the guest has not read yet: v86 leaves them out of a saved state. */
export function consoleInputWaiting(emulator: V86): number {
  return (emulator as unknown as V86Internals).v86?.cpu?.devices?.uart0?.input?.length ?? 0;
}

/**
 * A restore first zeroes all of the guest's memory (128 or 256 MB), then copies the saved
 * non-zero pages in. In a machine just made, the memory comes from freshly grown wasm
 * memory, which is zero already, except for what WRITTEN_BEFORE_RESTORE names. Writing
 * all those zeros over it makes the host back every page: about 1 s of CPU per node on
 * a machine where first touches are slow, and pages the guest never uses stay resident.
 * So the restore that follows the machine's making clears only that first part; the
 * memory ends up exactly as v86 would leave it. When v86's heap was already larger than
 * that bound (another v86 version), v86 zeroes it all, as it always did.
 */
export function restoreWithoutZeroingFreshMemory(emulator: V86): void {
  emulator.add_listener('emulator-ready', () => {
    const cpu = (emulator as unknown as V86Internals).v86?.cpu;
    const zero = cpu?.zero_memory;
    const size = cpu?.memory_size?.[0];
    if (!cpu || !zero || !size || !cpu.mem8 || cpu.mem8.byteOffset > WRITTEN_BEFORE_RESTORE) return;
    cpu.zero_memory = (address, length) => zero(address, address === 0 && length === size ? Math.min(size, WRITTEN_BEFORE_RESTORE) : length);
    // 'emulator-ready' comes right before the restore, 'emulator-loaded' right after it.
    emulator.add_listener('emulator-loaded', () => { cpu.zero_memory = zero; });
  });
}

/**
 * v86 keeps the buffer of its `initial_state` reachable after the restore (its file
 * loader's list stays in a closure), so each node would hold it for as long as it runs:
 * a whole state was about 117 MB; the state without its memory that podwire hands over
 * now (state-delta.ts RestorePlan) is a few MB. Once it is restored, let it go, whatever
 * v86 still points at.
 */
export function releaseStateAfterRestore(emulator: V86, state: ArrayBuffer): void {
  emulator.add_listener('emulator-loaded', () => discard(state));
}

/**
 * Write the guest's memory once v86 has restored the rest of a state (a state handed over
 * without its memory: state-delta.ts planRestore). 'emulator-loaded' comes right after the
 * restore, before the machine's first tick, so the guest runs on the whole memory; v86 has
 * just dropped its compiled code and TLB, so nothing it keeps is stale.
 */
export function writeMemoryAfterRestore(emulator: V86, write: (memory: Uint8Array) => void): void {
  const listener = () => {
    // Once only, and then nothing of the sources stays reachable from the machine.
    emulator.remove_listener('emulator-loaded', listener);
    const memory = (emulator as unknown as V86Internals).v86?.cpu?.mem8;
    if (!memory) throw new Error('v86 has no guest memory to restore into (another v86 version?)');
    write(memory);
  };
  emulator.add_listener('emulator-loaded', listener);
}
