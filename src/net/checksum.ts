// RFC 1071 Internet checksum, used for IPv4 headers, ICMP messages and (with a pseudo-header sum
// as `initial`) UDP and TCP.

/** Ones'-complement sum of 16-bit big-endian words, folded to 16 bits (not yet inverted). */
export function onesComplementSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  return ~onesComplementSum(bytes, start, end, initial) & 0xffff;
}

/** A region whose embedded checksum is correct sums to 0xffff. */
export function checksumIsValid(bytes: Uint8Array, start: number, end: number): boolean {
  return onesComplementSum(bytes, start, end) === 0xffff;
}
