// Clocks, timers and text codecs reached through globalThis so src/net type-checks with or without the DOM
// or Node type libraries, and so test fake timers installed on globalThis are honoured.

interface TimerHost {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  performance?: { now(): number; readonly timeOrigin?: number };
}

const host = globalThis as unknown as TimerHost;

/** Milliseconds from an arbitrary origin; only differences are meaningful. */
export function monotonicMs(): number {
  return host.performance ? host.performance.now() : Date.now();
}

/** Wall-clock microseconds since the Unix epoch, as pcapng wants. Exact in a double until year 2255. */
export function wallClockMicros(): number {
  const perf = host.performance;
  if (perf?.timeOrigin !== undefined) return Math.floor((perf.timeOrigin + perf.now()) * 1000);
  return Date.now() * 1000;
}

export type TimerHandle = unknown;

export function startTimer(callback: () => void, ms: number): TimerHandle {
  return host.setTimeout(callback, ms);
}

export function stopTimer(handle: TimerHandle): void {
  host.clearTimeout(handle);
}

interface TextCodecHost {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new (label?: string, options?: { fatal?: boolean }) => { decode(bytes: Uint8Array): string };
}

const codecs = globalThis as unknown as TextCodecHost;

export function utf8Encode(text: string): Uint8Array {
  return new codecs.TextEncoder().encode(text);
}

/** Lenient: invalid sequences become U+FFFD instead of throwing. */
export function utf8Decode(bytes: Uint8Array): string {
  return new codecs.TextDecoder('utf-8').decode(bytes);
}
