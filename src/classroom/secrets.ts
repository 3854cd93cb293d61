// Ids, codes and secrets for the class server. Secrets and tokens leave the server once, in
// the response that creates them; the database keeps only their SHA-256.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `bytes` random bytes as url-safe base64 (16 characters for 12 bytes, 43 for 32). */
function randomCode(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export const newClassId = () => randomCode(12);
export const newJoinCode = () => randomCode(9);
export const newSecret = () => randomCode(32);
export const newStudentId = () => randomCode(12);
export const newSubmissionId = () => randomCode(12);

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Compares a secret given by a client with a stored hash in constant time. */
export function matchesHash(secret: string, hash: string): boolean {
  const given = Buffer.from(sha256(secret), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** The token from `Authorization: Bearer <token>`, or undefined. */
export function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9_-]{8,256})$/.exec(header ?? '');
  return match?.[1];
}
