// IPv4 and IPv6 addresses as numbers, enough to ask whether an address is in a prefix.

/** The address as a bigint and its width in bits, or null if it is not an IP address. */
export function parseIp(text: string): { value: bigint; bits: 32 | 128 } | null {
  const ip = text.trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
    const octets = ip.split('.').map(Number);
    if (octets.some((o) => o > 255)) return null;
    return { value: octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n), bits: 32 };
  }
  if (!ip.includes(':') || !/^[0-9a-fA-F:.]+$/.test(ip)) return null;
  let text6 = ip;
  // An IPv4 tail (::ffff:10.0.0.1) becomes two groups.
  const tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text6);
  if (tail) {
    const v4 = parseIp(tail[1]!);
    if (!v4) return null;
    text6 = `${text6.slice(0, tail.index)}${(v4.value >> 16n).toString(16)}:${(v4.value & 0xffffn).toString(16)}`;
  }
  const halves = text6.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return { value: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n), bits: 128 };
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
