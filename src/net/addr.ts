// Address parsing and formatting shared by the switch, router, decoders and tests.
// IPv4 addresses travel as unsigned 32-bit numbers so comparisons and masks stay cheap.

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

export function readIpv4(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

export function writeIpv4(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = value >>> 16;
  bytes[offset + 2] = value >>> 8;
  bytes[offset + 3] = value;
}

export function prefixMask(prefixLength: number): number {
  return prefixLength <= 0 ? 0 : (0xffff_ffff << (32 - Math.min(prefixLength, 32))) >>> 0;
}

export interface Cidr {
  readonly address: number;
  readonly prefixLength: number;
}

/** Parses "10.0.1.1/24". Throws on malformed text: CIDRs come from topology config, not the wire. */
export function parseCidr(text: string): Cidr {
  const [addressText, prefixText, ...extra] = text.split('/');
  const prefixLength = Number(prefixText);
  if (extra.length > 0 || prefixText === undefined || !/^\d{1,2}$/.test(prefixText) || prefixLength > 32) {
    throw new Error(`invalid CIDR: ${JSON.stringify(text)}`);
  }
  return { address: parseIpv4(addressText ?? ''), prefixLength };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.address)}/${cidr.prefixLength}`;
}
