// The only places where podwire reaches past v86's documented API (its bus, its idle
// loop, the console UART's input queue), kept in one file so that a v86 upgrade touches
// one file.
//
// The NIC: v86's own network adapters (fetch, wisp, inbrowser) take the emulator's bus,
// listen for "net0-send" and answer with "net0-receive". Newer v86 accepts such an
// adapter through a `network_adapter` option; 0.5.462, which podwire pins because a saved
// state restores only into the version that made it, builds its adapters only from
// `net_device.relay_url` (checked in build/libv86.mjs). So frames from the guest come
// through the public listener "net0-send", and frames to it go onto the bus here.
import type { V86 } from 'v86';

interface V86Internals {
  bus?: { send(name: string, data: unknown): void };
  v86?: { idle: boolean; next_tick(delay: number): void; cpu?: { devices?: { uart0?: { input?: unknown[] } } } };
}

/** Hand a frame to the guest's NIC, as v86's network adapters do. */
export function deliverFrame(emulator: V86, frame: Uint8Array): void {
  (emulator as unknown as V86Internals).bus?.send('net0-receive', frame);
}

/** An idle v86 sleeps until its next timer; input (a frame, a keystroke, a request) should not wait for that. */
export function wake(emulator: V86): void {
  const core = (emulator as unknown as V86Internals).v86;
  if (core?.idle) core.next_tick(0);
}

/** Bytes sent to the console (ttyS0) that the guest has not read yet: v86 leaves them out of a saved state. */
export function consoleInputWaiting(emulator: V86): number {
  return (emulator as unknown as V86Internals).v86?.cpu?.devices?.uart0?.input?.length ?? 0;
}
