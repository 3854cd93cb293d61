// ICMP for IPv4 (RFC 792). Every message has the same 8-byte header; bytes 4–7 mean an echo's
// identifier and sequence, a frag-needed's next-hop MTU (RFC 1191), or nothing. Error messages
// then quote the offending IPv4 header and the first 8 bytes of its payload.
//
//   0 type | 1 code | 2 checksum | 4 identifier (or unused) | 6 sequence (or next-hop MTU) | 8 body

import { internetChecksum } from '../checksum.js';
import { setU16, truncatedHeader, u16, u8, type WireError } from './bytes.js';

export const ICMP_TYPE = 0;
export const ICMP_CODE = 1;
export const ICMP_CHECKSUM = 2;
export const ICMP_IDENTIFIER = 4;
export const ICMP_SEQUENCE = 6;
export const ICMP_NEXT_HOP_MTU = 6;
export const ICMP_HEADER_LENGTH = 8;
/** Where an error message's quoted packet starts. */
export const ICMP_QUOTED = 8;
/** An error quotes the offending header and this much of what follows it. */
export const ICMP_QUOTED_PAYLOAD = 8;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;
export const ICMP_ERROR_TYPES: ReadonlySet<number> = new Set([
  ICMP_DEST_UNREACHABLE,
  ICMP_SOURCE_QUENCH,
  ICMP_REDIRECT,
  ICMP_TIME_EXCEEDED,
  ICMP_PARAMETER_PROBLEM,
]);

/** Destination-unreachable codes. */
export const ICMP_UNREACHABLE_NET = 0;
export const ICMP_UNREACHABLE_HOST = 1;
/** @public Named with its neighbours, though nothing sends it yet. */
export const ICMP_UNREACHABLE_PORT = 3;
export const ICMP_FRAGMENTATION_NEEDED = 4;

export const isEcho = (type: number): boolean => type === ICMP_ECHO_REQUEST || type === ICMP_ECHO_REPLY;
export const isFragmentationNeeded = (type: number, code: number): boolean => type === ICMP_DEST_UNREACHABLE && code === ICMP_FRAGMENTATION_NEEDED;

export interface IcmpHeader {
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  /** Bytes 4–5 and 6–7, whatever the type makes of them. */
  readonly identifier: number;
  readonly sequence: number;
  /** The same bytes as `sequence`, as a frag-needed message means them. */
  readonly nextHopMtu: number;
}

export function readIcmp(bytes: Uint8Array, at = 0, end = bytes.length): IcmpHeader | WireError {
  if (end - at < ICMP_HEADER_LENGTH) return truncatedHeader(at, end, ICMP_HEADER_LENGTH);
  return {
    type: u8(bytes, at + ICMP_TYPE),
    code: u8(bytes, at + ICMP_CODE),
    checksum: u16(bytes, at + ICMP_CHECKSUM),
    identifier: u16(bytes, at + ICMP_IDENTIFIER),
    sequence: u16(bytes, at + ICMP_SEQUENCE),
    nextHopMtu: u16(bytes, at + ICMP_NEXT_HOP_MTU),
  };
}

/** The checksum covers the whole message, so `end` is the IPv4 payload end. */
export function fillIcmpChecksum(bytes: Uint8Array, at: number, end: number): void {
  setU16(bytes, at + ICMP_CHECKSUM, 0);
  setU16(bytes, at + ICMP_CHECKSUM, internetChecksum(bytes, at, end));
}

export interface IcmpSpec {
  readonly type: number;
  readonly code?: number;
  /** Echo request/reply. */
  readonly identifier?: number;
  readonly sequence?: number;
  /** Fragmentation needed. */
  readonly nextHopMtu?: number;
  /** Replaces the computed checksum. */
  readonly checksum?: number;
}

/** Writes the header in front of a body already at `at + 8` up to `end`, then the checksum. */
export function writeIcmp(bytes: Uint8Array, at: number, end: number, spec: IcmpSpec): void {
  bytes[at + ICMP_TYPE] = spec.type;
  bytes[at + ICMP_CODE] = spec.code ?? 0;
  setU16(bytes, at + ICMP_IDENTIFIER, spec.identifier ?? 0);
  setU16(bytes, at + ICMP_SEQUENCE, spec.nextHopMtu ?? spec.sequence ?? 0);
  if (spec.checksum === undefined) fillIcmpChecksum(bytes, at, end);
  else setU16(bytes, at + ICMP_CHECKSUM, spec.checksum);
}

/** `body`: an echo's data, or an error's quoted packet. */
export function buildIcmp(spec: IcmpSpec, body: Uint8Array): Uint8Array {
  const message = new Uint8Array(ICMP_HEADER_LENGTH + body.length);
  message.set(body, ICMP_HEADER_LENGTH);
  writeIcmp(message, 0, message.length, spec);
  return message;
}
