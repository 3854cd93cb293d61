// The idle seam on v86's loop: a halted guest's short wait becomes a sleep of whole
// milliseconds, and a running guest (a wait of 0) still goes on at once.
import type { V86 } from 'v86';
import { describe, expect, it } from 'vitest';
import { sleepThroughShortWaits } from '../../../src/vm/v86-seams.js';

/** Just enough of a V86 for the seam: its listeners, and a core whose yield records the delays it was given. */
function fakeEmulator() {
  const listeners = new Map<string, (() => void)[]>();
  const delays: number[] = [];
  const core = { idle: true, next_tick() {}, yield(delay: number, _tick: number) { delays.push(delay); } };
  const emulator = {
    v86: core,
    add_listener(name: string, listener: () => void) { listeners.set(name, [...(listeners.get(name) ?? []), listener]); },
    emit(name: string) { for (const listener of listeners.get(name) ?? []) listener(); },
  };
  return { emulator, core, delays };
}

describe('sleepThroughShortWaits', () => {
  it('rounds a halted guest\'s wait up to whole milliseconds once the machine is ready, and leaves a running guest\'s 0 alone', () => {
    const { emulator, core, delays } = fakeEmulator();
    sleepThroughShortWaits(emulator as unknown as V86);
    core.yield(0.3, 1);
    expect(delays, 'before emulator-ready, v86 is as it was').toEqual([0.3]);
    emulator.emit('emulator-ready');
    for (const delay of [0.3, 0.001, 0, 2.2, 4, 100]) core.yield(delay, 2);
    expect(delays.slice(1)).toEqual([1, 1, 0, 3, 4, 100]);
  });

  it('keeps `this` for v86\'s own yield, which reads the machine\'s fields', () => {
    const { emulator, core } = fakeEmulator();
    let self: unknown;
    core.yield = function (this: unknown) { self = this; };
    sleepThroughShortWaits(emulator as unknown as V86);
    emulator.emit('emulator-ready');
    core.yield(0.5, 1);
    expect(self).toBe(core);
  });
});
