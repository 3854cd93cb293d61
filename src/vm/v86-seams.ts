// The only places where podwire reaches past v86's documented API, kept in one file so
// that a v86 upgrade touches one file.
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
  v86?: { idle: boolean; next_tick(delay: number): void };
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
