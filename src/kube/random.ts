// Randomness for object names and uids, from Web Crypto: globalThis.crypto is the same object in
// Node 20+ and in the page, so src/kube runs on either host. randomUUID needs a secure context in
// the page (https or localhost); getRandomValues does not, so a v4 UUID is built from it there.

// (src/kube imports nothing of net's decoders, whose bytesToHex this is.)
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Hex digits from N random bytes. */
export function randomHex(bytes: number): string {
  return hex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** A random (version 4) UUID, as metadata.uid. */
export function randomUUID(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40; // version 4
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const digits = hex(b);
  return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`;
}
