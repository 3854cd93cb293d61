// The DNS message header (RFC 1035 §4.1.1) and uncompressed names. Questions and records are
// read by src/net/decode/dns.ts, which follows compression pointers.
//
//   0 id | 2 flags | 4 questions | 6 answers | 8 authorities | 10 additionals | 12 questions…

import { setU16, setU32, truncatedHeader, u16, type WireError } from './bytes.js';

export const DNS_ID = 0;
export const DNS_FLAGS = 2;
export const DNS_QUESTION_COUNT = 4;
export const DNS_ANSWER_COUNT = 6;
export const DNS_AUTHORITY_COUNT = 8;
export const DNS_ADDITIONAL_COUNT = 10;
export const DNS_HEADER_LENGTH = 12;
/** DNS over TCP puts a 2-byte length in front of the message. */
export const DNS_TCP_LENGTH_PREFIX = 2;

/** In the flags word. */
export const DNS_FLAG_RESPONSE = 0x8000;
export const DNS_OPCODE_SHIFT = 11;
export const DNS_FLAG_AUTHORITATIVE = 0x0400;
export const DNS_FLAG_TRUNCATED = 0x0200;
export const DNS_FLAG_RECURSION_DESIRED = 0x0100;
export const DNS_FLAG_RECURSION_AVAILABLE = 0x0080;
export const DNS_RCODE_MASK = 0x000f;

/** In a question: type then class after the name. In a record: type, class, TTL, data length, data. */
export const DNS_RECORD_TYPE = 0;
export const DNS_RECORD_CLASS = 2;
export const DNS_RECORD_TTL = 4;
export const DNS_RECORD_DATA_LENGTH = 8;
export const DNS_RECORD_DATA = 10;
export const DNS_QUESTION_FIXED_LENGTH = 4;
/** A label length with these bits set is a pointer to an earlier name. */
export const DNS_POINTER = 0xc0;

export const DNS_TYPE_A = 1;
export const DNS_CLASS_IN = 1;

export interface DnsHeader {
  readonly id: number;
  readonly flags: number;
  readonly questionCount: number;
  readonly answerCount: number;
  readonly authorityCount: number;
  readonly additionalCount: number;
}

export function readDnsHeader(bytes: Uint8Array, at = 0, end = bytes.length): DnsHeader | WireError {
  if (end - at < DNS_HEADER_LENGTH) return truncatedHeader(at, end, DNS_HEADER_LENGTH);
  return {
    id: u16(bytes, at + DNS_ID),
    flags: u16(bytes, at + DNS_FLAGS),
    questionCount: u16(bytes, at + DNS_QUESTION_COUNT),
    answerCount: u16(bytes, at + DNS_ANSWER_COUNT),
    authorityCount: u16(bytes, at + DNS_AUTHORITY_COUNT),
    additionalCount: u16(bytes, at + DNS_ADDITIONAL_COUNT),
  };
}

export function buildDnsHeader(header: Partial<DnsHeader> & { readonly id: number }): Uint8Array {
  const bytes = new Uint8Array(DNS_HEADER_LENGTH);
  setU16(bytes, DNS_ID, header.id);
  setU16(bytes, DNS_FLAGS, header.flags ?? 0);
  setU16(bytes, DNS_QUESTION_COUNT, header.questionCount ?? 0);
  setU16(bytes, DNS_ANSWER_COUNT, header.answerCount ?? 0);
  setU16(bytes, DNS_AUTHORITY_COUNT, header.authorityCount ?? 0);
  setU16(bytes, DNS_ADDITIONAL_COUNT, header.additionalCount ?? 0);
  return bytes;
}

/** "a.example" as length-prefixed labels ending in the root's 0; ASCII names only. */
export function encodeDnsName(name: string): Uint8Array {
  const labels = name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.');
  const out: number[] = [];
  for (const label of labels) out.push(label.length, ...Array.from(label, (c) => c.charCodeAt(0) & 0xff));
  out.push(0);
  return Uint8Array.from(out);
}

/** A pointer to the name at `offset` from the message start (0xc00c is the first question's). */
export const dnsNamePointer = (offset: number): Uint8Array => Uint8Array.of(DNS_POINTER | (offset >>> 8), offset & 0xff);

export function buildDnsQuestion(name: Uint8Array, type: number, dnsClass = DNS_CLASS_IN): Uint8Array {
  const question = new Uint8Array(name.length + DNS_QUESTION_FIXED_LENGTH);
  question.set(name, 0);
  setU16(question, name.length + DNS_RECORD_TYPE, type);
  setU16(question, name.length + DNS_RECORD_CLASS, dnsClass);
  return question;
}

export interface DnsRecordSpec {
  /** Encoded: encodeDnsName(...) or dnsNamePointer(...). */
  readonly name: Uint8Array;
  readonly type: number;
  readonly class?: number;
  readonly ttl: number;
  readonly data: Uint8Array;
}

export function buildDnsRecord(record: DnsRecordSpec): Uint8Array {
  const fixed = record.name.length;
  const bytes = new Uint8Array(fixed + DNS_RECORD_DATA + record.data.length);
  bytes.set(record.name, 0);
  setU16(bytes, fixed + DNS_RECORD_TYPE, record.type);
  setU16(bytes, fixed + DNS_RECORD_CLASS, record.class ?? DNS_CLASS_IN);
  setU32(bytes, fixed + DNS_RECORD_TTL, record.ttl);
  setU16(bytes, fixed + DNS_RECORD_DATA_LENGTH, record.data.length);
  bytes.set(record.data, fixed + DNS_RECORD_DATA);
  return bytes;
}
