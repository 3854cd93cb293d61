// Bounds-safe readers: out-of-range reads yield 0 rather than NaN or an exception, and every
// decoder checks lengths first, so garbage input can only produce a MalformedLayer.

import type { MalformedLayer, ProtocolName } from './types.js';

export const u8 = (bytes: Uint8Array, at: number): number => bytes[at] ?? 0;
export const u16 = (bytes: Uint8Array, at: number): number => (u8(bytes, at) << 8) | u8(bytes, at + 1);
export const u32 = (bytes: Uint8Array, at: number): number => ((u16(bytes, at) << 16) | u16(bytes, at + 2)) >>> 0;

export const hex = (value: number, digits: number): string => `0x${value.toString(16).padStart(digits, '0')}`;

export function ipv4Text(bytes: Uint8Array, at: number): string {
  return `${u8(bytes, at)}.${u8(bytes, at + 1)}.${u8(bytes, at + 2)}.${u8(bytes, at + 3)}`;
}

/** RFC 5952 text: lowercase, longest run of zero groups (length ≥ 2) collapsed to "::". */
export function ipv6Text(bytes: Uint8Array, at: number): string {
  const groups = Array.from({ length: 8 }, (_, i) => u16(bytes, at + i * 2));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = (list: number[]): string => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return text(groups);
  return `${text(groups.slice(0, bestStart))}::${text(groups.slice(bestStart + bestLength))}`;
}

export function malformed(
  expected: ProtocolName,
  offset: number,
  end: number,
  error: string,
  truncated: boolean,
): MalformedLayer {
  return {
    protocol: 'malformed',
    expected,
    offset,
    headerLength: Math.max(0, end - offset),
    summary: `[Malformed ${expected}: ${error}]`,
    error,
    ...(truncated ? { truncated: true } : {}),
  };
}

export function truncatedHeader(expected: ProtocolName, offset: number, end: number, needed: number): MalformedLayer {
  return malformed(expected, offset, end, `truncated header (${Math.max(0, end - offset)} of ${needed} bytes)`, true);
}

/**
 * Hex text to bytes, for fixtures and tests. Accepts whitespace, ':' / '-' / '.' separators and
 * "0x" prefixes, so Wireshark "Copy as Hex Stream", xxd -p and spaced byte dumps paste in as-is
 * (strip offset columns first).
 * Throws on odd length or non-hex: that is a broken fixture, not a broken frame.
 */
export function hexToBytes(text: string): Uint8Array {
  const digits = text.replace(/0x/gi, '').replace(/[\s:.-]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(digits) || digits.length % 2 !== 0) {
    throw new Error(`hexToBytes: not an even-length hex string (${digits.length} digits)`);
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function bytesToHex(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += b.toString(16).padStart(2, '0');
  return text;
}
