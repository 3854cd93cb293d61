// Big-endian field access shared by every wire module. Reads are bounds-safe (a byte past the
// end reads as 0), so a reader that checked its lengths first can never produce NaN or throw.

export const u8 = (bytes: Uint8Array, at: number): number => bytes[at] ?? 0;
export const u16 = (bytes: Uint8Array, at: number): number => (u8(bytes, at) << 8) | u8(bytes, at + 1);
export const u32 = (bytes: Uint8Array, at: number): number => ((u16(bytes, at) << 16) | u16(bytes, at + 2)) >>> 0;

export function setU16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 8;
  bytes[at + 1] = value;
}

export function setU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
}

export const MAC_LENGTH = 6;
export const IPV6_ADDRESS_LENGTH = 16;

/** A view of the 6 bytes (no copy): copy it before keeping it beyond the frame's life. */
export const readMac = (bytes: Uint8Array, at: number): Uint8Array => bytes.subarray(at, at + MAC_LENGTH);
export const readIpv4Address = (bytes: Uint8Array, at: number): number => u32(bytes, at);
export const writeIpv4Address = (bytes: Uint8Array, at: number, address: number): void => setU32(bytes, at, address);

export function readIpv6Address(bytes: Uint8Array, at: number): bigint {
  let value = 0n;
  for (let i = 0; i < IPV6_ADDRESS_LENGTH; i += 4) value = (value << 32n) | BigInt(u32(bytes, at + i));
  return value;
}

export function writeIpv6Address(bytes: Uint8Array, at: number, value: bigint): void {
  for (let i = 0; i < IPV6_ADDRESS_LENGTH; i += 4) setU32(bytes, at + i, Number((value >> BigInt(96 - i * 8)) & 0xffff_ffffn));
}

/** Why a reader refused the bytes. `truncated`: the header is cut short, rather than wrong. */
export interface WireError {
  readonly error: string;
  readonly truncated: boolean;
}

export function isWireError<T extends object>(result: T | WireError): result is WireError {
  return 'error' in result && typeof (result as WireError).truncated === 'boolean';
}

export function truncatedHeader(at: number, end: number, needed: number): WireError {
  return { error: `truncated header (${Math.max(0, end - at)} of ${needed} bytes)`, truncated: true };
}

export function invalid(error: string): WireError {
  return { error, truncated: false };
}
