// The one address module: MACs, IPv4 and IPv6 addresses and CIDRs as text ⇄ values, and the
// prefix arithmetic on them. IPv4 travels as an unsigned 32-bit number so masks and comparisons
// stay cheap on the router's path; IPv6 (and "either family") as a bigint. Reading and writing
// addresses inside frames is src/net/wire's job.

// ---------------------------------------------------------------------------------------------
// MAC

/** Parses "aa:bb:cc:dd:ee:ff" (or '-' separated). Throws: a bad MAC here is a configuration bug. */
export function parseMac(text: string): Uint8Array {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new Error(`invalid MAC address: ${JSON.stringify(text)}`);
  }
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatMac(bytes: Uint8Array, offset = 0): string {
  let text = '';
  for (let i = 0; i < 6; i++) {
    const b = bytes[offset + i];
    text += (i === 0 ? '' : ':') + (b === undefined ? '??' : HEX_BYTE[b]);
  }
  return text;
}

/** A 48-bit MAC as an exact JS number: Map keys without string allocation. */
export function macKey(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 8) | bytes[offset + 1]!) * 0x1_0000_0000 +
    (((bytes[offset + 2]! << 24) | (bytes[offset + 3]! << 16) | (bytes[offset + 4]! << 8) | bytes[offset + 5]!) >>> 0)
  );
}

export function macKeyToString(key: number): string {
  const bytes = new Uint8Array(6);
  let rest = key;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return formatMac(bytes);
}

// ---------------------------------------------------------------------------------------------
// IPv4

/** Returns the address as an unsigned 32-bit number, or undefined if the text is not dotted-quad IPv4. */
export function tryParseIpv4(text: string): number | undefined {
  const parts = text.trim().split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function parseIpv4(text: string): number {
  const value = tryParseIpv4(text);
  if (value === undefined) throw new Error(`invalid IPv4 address: ${JSON.stringify(text)}`);
  return value;
}

export function formatIpv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** The netmask of an IPv4 prefix length, e.g. 24 → 0xffffff00. */
export function prefixMask(prefixLength: number): number {
  return prefixLength <= 0 ? 0 : (0xffff_ffff << (32 - Math.min(prefixLength, 32))) >>> 0;
}

/** An IPv4 prefix. `address` may have host bits set ("10.0.1.1/24" is an interface address). */
export interface Cidr {
  readonly address: number;
  readonly prefixLength: number;
}

/** Parses "10.0.1.1/24". Throws on malformed text: CIDRs come from topology config, not the wire. */
export function parseCidr(text: string): Cidr {
  const cidr = tryParseCidr(text);
  if (cidr === undefined) throw new Error(`invalid CIDR: ${JSON.stringify(text)}`);
  return cidr;
}

export function tryParseCidr(text: string): Cidr | undefined {
  const [addressText, prefixText, ...extra] = text.split('/');
  if (extra.length > 0 || prefixText === undefined || !/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) return undefined;
  const address = tryParseIpv4(addressText ?? '');
  return address === undefined ? undefined : { address, prefixLength: Number(prefixText) };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.address)}/${cidr.prefixLength}`;
}

/** The prefix with its host bits cleared: 10.0.1.1/24 → 10.0.1.0/24. */
export function networkOf(cidr: Cidr): Cidr {
  return { address: (cidr.address & prefixMask(cidr.prefixLength)) >>> 0, prefixLength: cidr.prefixLength };
}

export function cidrContains(cidr: Cidr, address: number): boolean {
  const mask = prefixMask(cidr.prefixLength);
  return ((address & mask) >>> 0) === ((cidr.address & mask) >>> 0);
}

// ---------------------------------------------------------------------------------------------
// IPv6

const IPV4_TEXT = /^\d{1,3}(\.\d{1,3}){3}$/;

/** RFC 4291 text (with "::" and an optional IPv4 tail) to a 128-bit value, or undefined. */
export function tryParseIpv6(text: string): bigint | undefined {
  let text6 = text.trim();
  if (!text6.includes(':') || !/^[0-9a-fA-F:.]+$/.test(text6)) return undefined;
  // An IPv4 tail (::ffff:10.0.0.1) becomes two groups.
  const tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text6);
  if (tail) {
    const v4 = tryParseIpv4(tail[1]!);
    if (v4 === undefined) return undefined;
    text6 = `${text6.slice(0, tail.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text6.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function parseIpv6(text: string): bigint {
  const value = tryParseIpv6(text);
  if (value === undefined) throw new Error(`invalid IPv6 address: ${JSON.stringify(text)}`);
  return value;
}

/** RFC 5952 text: lowercase, the longest run of two or more zero groups collapsed to "::". */
export function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - i * 16)) & 0xffffn));
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

// ---------------------------------------------------------------------------------------------
// Either family

/** An address of either family: its value and width in bits. */
export interface IpAddress {
  readonly value: bigint;
  readonly bits: 32 | 128;
}

/** The address as a bigint and its width in bits, or null if it is not an IP address. */
export function parseIp(text: string): IpAddress | null {
  const ip = text.trim();
  if (IPV4_TEXT.test(ip)) {
    const v4 = tryParseIpv4(ip);
    return v4 === undefined ? null : { value: BigInt(v4), bits: 32 };
  }
  const v6 = tryParseIpv6(ip);
  return v6 === undefined ? null : { value: v6, bits: 128 };
}

/** Is ip inside cidr (a.b.c.d/n, x::/n, or a bare address meaning exactly it)? False for anything unparsable. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const address = parseIp(ip.split('/')[0]!);
  const [base, prefixText] = cidr.trim().split('/');
  const network = parseIp(base ?? '');
  if (!address || !network || address.bits !== network.bits) return false;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return false;
  const prefix = prefixText === undefined ? network.bits : Number(prefixText);
  if (prefix > network.bits) return false;
  const shift = BigInt(network.bits - prefix);
  return address.value >> shift === network.value >> shift;
}
