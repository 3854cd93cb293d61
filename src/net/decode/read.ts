// Bounds-safe readers: out-of-range reads yield 0 rather than NaN or an exception, and every
// decoder checks lengths first, so garbage input can only produce a MalformedLayer.

import { formatIpv4, formatIpv6 } from '../addr.js';
import { readIpv4Address, readIpv6Address, u16, u32, u8, type WireError } from '../wire/bytes.js';
import type { MalformedLayer, ProtocolName } from './types.js';

export { u16, u32, u8 };

export const hex = (value: number, digits: number): string => `0x${value.toString(16).padStart(digits, '0')}`;

export const ipv4Text = (bytes: Uint8Array, at: number): string => formatIpv4(readIpv4Address(bytes, at));
export const ipv6Text = (bytes: Uint8Array, at: number): string => formatIpv6(readIpv6Address(bytes, at));

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

/** A wire reader's refusal, as the layer the decoders return. */
export function malformedFrom(expected: ProtocolName, offset: number, end: number, wireError: WireError): MalformedLayer {
  return malformed(expected, offset, end, wireError.error, wireError.truncated);
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
