// The idle seam on v86's loop: a quiet halted guest's short wait becomes a sleep of a
// millisecond; a busy guest keeps v86's exact waits; a running guest (a wait of 0) goes on.
import type { V86 } from 'v86';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleepThroughShortWaits, wake } from '../../../src/vm/v86-seams.js';

/** Just enough of a V86 for the seam: its listeners, and a core whose yield records the delays it was given. */
function fakeEmulator() {
  const listeners = new Map<string, (() => void)[]>();
  const delays: number[] = [];
  const core = { idle: false, next_tick() {}, yield(delay: number, _tick: number) { delays.push(delay); } };
  const emulator = {
    v86: core,
    add_listener(name: string, listener: () => void) { listeners.set(name, [...(listeners.get(name) ?? []), listener]); },
    emit(name: string) { for (const listener of listeners.get(name) ?? []) listener(); },
  };
  return { emulator, core, delays };
}

/** A clock the test moves. */
function clockAt(start: number) {
  let now = start;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  return { advance(ms: number) { now += ms; } };
}

afterEach(() => { vi.restoreAllMocks(); });

describe('sleepThroughShortWaits', () => {
  it('lets a quiet guest sleep a millisecond instead of spinning through a shorter wait, and keeps longer waits and a running guest\'s 0', () => {
    const clock = clockAt(1000);
    const { emulator, core, delays } = fakeEmulator();
    sleepThroughShortWaits(emulator as unknown as V86);
    emulator.emit('emulator-ready');
    clock.advance(150);
    for (const delay of [0.3, 0.001, 0, 2.2, 4]) core.yield(delay, 1);
    expect(delays).toEqual([1, 1, 0, 2.2, 4]);
  });

  it('keeps exact waits for a guest that sent a frame or a serial byte, or was woken by input, in the last 100 ms', () => {
    const clock = clockAt(1000);
    const { emulator, core, delays } = fakeEmulator();
    sleepThroughShortWaits(emulator as unknown as V86);
    emulator.emit('emulator-ready');
    core.yield(0.3, 1); // just started: busy
    for (const event of ['net0-send', 'serial0-output-byte', 'serial1-output-byte']) {
      clock.advance(150);
      emulator.emit(event);
      clock.advance(50);
      core.yield(0.3, 1);
    }
    clock.advance(150);
    wake(emulator as unknown as V86);
    clock.advance(99);
    core.yield(0.3, 1);
    clock.advance(2);
    core.yield(0.3, 1);
    expect(delays).toEqual([0.3, 0.3, 0.3, 0.3, 0.3, 1]);
  });

  it('changes nothing before the machine is ready, and keeps `this` for v86\'s own yield', () => {
    const clock = clockAt(1000);
    const { emulator, core, delays } = fakeEmulator();
    const yieldFor = core.yield;
    let self: unknown;
    core.yield = function (this: unknown, delay: number, tick: number) { self = this; yieldFor.call(core, delay, tick); };
    sleepThroughShortWaits(emulator as unknown as V86);
    clock.advance(150);
    core.yield(0.3, 1);
    emulator.emit('emulator-ready');
    core.yield(0.3, 1);
    expect(delays).toEqual([0.3, 1]);
    expect(self).toBe(core);
  });
});
