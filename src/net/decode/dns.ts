// DNS messages (UDP, or TCP with its 2-byte length prefix). Compression pointers must point
// strictly backwards, which guarantees termination on hostile input without a visited set.

import {
  DNS_FLAG_AUTHORITATIVE,
  DNS_FLAG_RECURSION_AVAILABLE,
  DNS_FLAG_RECURSION_DESIRED,
  DNS_FLAG_RESPONSE,
  DNS_FLAG_TRUNCATED,
  DNS_HEADER_LENGTH,
  DNS_OPCODE_SHIFT,
  DNS_POINTER,
  DNS_QUESTION_FIXED_LENGTH,
  DNS_RCODE_MASK,
  DNS_RECORD_CLASS,
  DNS_RECORD_DATA,
  DNS_RECORD_DATA_LENGTH,
  DNS_RECORD_TTL,
  DNS_RECORD_TYPE,
  DNS_TCP_LENGTH_PREFIX,
  isWireError,
  readDnsHeader,
} from '../wire/index.js';
import { hex, ipv4Text, ipv6Text, truncatedHeader, u16, u32, u8 } from './read.js';
import type { LayerBase, MalformedLayer } from './types.js';

export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly typeName: string;
  /** DNS class (1 = IN); for OPT records this is the UDP payload size. */
  readonly class: number;
}

export interface DnsRecord extends DnsQuestion {
  readonly ttl: number;
  /** Presentation form of the RDATA: an address, a name, or "<N bytes>". */
  readonly data: string;
}

export interface DnsLayer extends LayerBase {
  readonly protocol: 'dns';
  readonly overTcp: boolean;
  readonly id: number;
  readonly isResponse: boolean;
  readonly opcode: number;
  readonly authoritative: boolean;
  /** TC bit: the server truncated the answer (distinct from a truncated capture). */
  readonly truncatedResponse: boolean;
  readonly recursionDesired: boolean;
  readonly recursionAvailable: boolean;
  readonly rcode: number;
  readonly rcodeName: string;
  readonly questionCount: number;
  readonly answerCount: number;
  readonly authorityCount: number;
  readonly additionalCount: number;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
  /** Set when the records stop making sense; everything decoded before that point is kept. */
  readonly error?: string;
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  41: 'OPT',
  65: 'HTTPS',
  255: 'ANY',
};

const RCODE_NAMES: readonly string[] = ['No error', 'Format error', 'Server failure', 'No such name', 'Not implemented', 'Refused'];

export function dnsTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

const MAX_NAME_LENGTH = 255;
const MAX_POINTER_JUMPS = 64;

type NameResult = { readonly name: string; readonly next: number } | { readonly error: string };

/** Reads a possibly compressed name; `message` is where the DNS header starts (pointer origin). */
function readName(bytes: Uint8Array, message: number, start: number, end: number): NameResult {
  const labels: string[] = [];
  let at = start;
  let next = -1;
  let encodedLength = 0;
  let jumps = 0;
  let segmentStart = start;
  for (;;) {
    if (at >= end) return { error: 'name runs past the message' };
    const length = u8(bytes, at);
    if (length === 0) {
      if (next < 0) next = at + 1;
      break;
    }
    const labelType = length & DNS_POINTER;
    if (labelType === DNS_POINTER) {
      if (at + 1 >= end) return { error: 'compression pointer cut off' };
      const target = message + (((length & 0x3f) << 8) | u8(bytes, at + 1));
      if (target >= segmentStart || ++jumps > MAX_POINTER_JUMPS) return { error: 'compression pointer loop' };
      if (next < 0) next = at + 2;
      segmentStart = target;
      at = target;
      continue;
    }
    if (labelType !== 0) return { error: `unsupported label type ${hex(labelType, 2)}` };
    if (at + 1 + length > end) return { error: 'label runs past the message' };
    encodedLength += length + 1;
    if (encodedLength > MAX_NAME_LENGTH) return { error: 'name longer than 255 bytes' };
    let label = '';
    for (let i = at + 1; i <= at + length; i++) {
      const c = u8(bytes, i);
      label += c > 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\${c.toString().padStart(3, '0')}`;
    }
    labels.push(label);
    at += 1 + length;
  }
  return { name: labels.length > 0 ? labels.join('.') : '<Root>', next };
}

function readCharacterStrings(bytes: Uint8Array, start: number, end: number): string {
  const parts: string[] = [];
  for (let at = start; at < end; ) {
    const length = u8(bytes, at);
    const stop = Math.min(end, at + 1 + length);
    let text = '';
    for (let i = at + 1; i < stop; i++) text += String.fromCharCode(u8(bytes, i));
    parts.push(JSON.stringify(text));
    at = stop;
  }
  return parts.join(' ');
}

function formatRecordData(bytes: Uint8Array, message: number, messageEnd: number, type: number, start: number, length: number): string {
  const end = start + length;
  const nameAt = (at: number): string => {
    const result = readName(bytes, message, at, messageEnd);
    return 'error' in result ? `<${result.error}>` : result.name;
  };
  if (type === 1 && length === 4) return ipv4Text(bytes, start);
  if (type === 28 && length === 16) return ipv6Text(bytes, start);
  if ((type === 2 || type === 5 || type === 12) && length > 0) return nameAt(start);
  if (type === 15 && length >= 3) return `${u16(bytes, start)} ${nameAt(start + 2)}`;
  if (type === 33 && length >= 7) {
    return `${u16(bytes, start)} ${u16(bytes, start + 2)} ${u16(bytes, start + 4)} ${nameAt(start + 6)}`;
  }
  if (type === 16) return readCharacterStrings(bytes, start, end);
  if (type === 6 && length > 0) {
    const primary = readName(bytes, message, start, messageEnd);
    if ('error' in primary) return `<${primary.error}>`;
    const mailbox = readName(bytes, message, primary.next, messageEnd);
    if ('error' in mailbox || mailbox.next + 20 > end) return primary.name;
    return `${primary.name} ${mailbox.name} ${u32(bytes, mailbox.next)}`;
  }
  return `<${length} bytes>`;
}

interface Cursor {
  at: number;
  error?: string;
}

function readQuestions(bytes: Uint8Array, message: number, end: number, count: number, cursor: Cursor): DnsQuestion[] {
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < count && cursor.error === undefined; i++) {
    const name = readName(bytes, message, cursor.at, end);
    if ('error' in name) cursor.error = `question ${i + 1}: ${name.error}`;
    else if (name.next + DNS_QUESTION_FIXED_LENGTH > end) cursor.error = `question ${i + 1}: cut off`;
    else {
      const type = u16(bytes, name.next + DNS_RECORD_TYPE);
      questions.push({ name: name.name, type, typeName: dnsTypeName(type), class: u16(bytes, name.next + DNS_RECORD_CLASS) });
      cursor.at = name.next + DNS_QUESTION_FIXED_LENGTH;
    }
  }
  return questions;
}

function readRecords(bytes: Uint8Array, message: number, end: number, count: number, section: string, cursor: Cursor): DnsRecord[] {
  const records: DnsRecord[] = [];
  for (let i = 0; i < count && cursor.error === undefined; i++) {
    const name = readName(bytes, message, cursor.at, end);
    if ('error' in name) {
      cursor.error = `${section} ${i + 1}: ${name.error}`;
      break;
    }
    const fixed = name.next;
    const dataLength = u16(bytes, fixed + DNS_RECORD_DATA_LENGTH);
    if (fixed + DNS_RECORD_DATA + dataLength > end) {
      cursor.error = `${section} ${i + 1}: cut off`;
      break;
    }
    const type = u16(bytes, fixed + DNS_RECORD_TYPE);
    records.push({
      name: name.name,
      type,
      typeName: dnsTypeName(type),
      class: u16(bytes, fixed + DNS_RECORD_CLASS),
      ttl: u32(bytes, fixed + DNS_RECORD_TTL),
      data: formatRecordData(bytes, message, end, type, fixed + DNS_RECORD_DATA, dataLength),
    });
    cursor.at = fixed + DNS_RECORD_DATA + dataLength;
  }
  return records;
}

/** Decodes a DNS message at offset; with overTcp the message starts after a 2-byte length. */
export function decodeDns(bytes: Uint8Array, offset = 0, end = bytes.length, overTcp = false): DnsLayer | MalformedLayer {
  let message = offset;
  let messageEnd = end;
  if (overTcp) {
    if (end - offset < DNS_TCP_LENGTH_PREFIX) return truncatedHeader('dns', offset, end, DNS_TCP_LENGTH_PREFIX + DNS_HEADER_LENGTH);
    message = offset + DNS_TCP_LENGTH_PREFIX;
    messageEnd = Math.min(end, message + u16(bytes, offset));
  }
  const header = readDnsHeader(bytes, message, messageEnd);
  if (isWireError(header)) return truncatedHeader('dns', offset, end, message - offset + DNS_HEADER_LENGTH);
  const { id, flags } = header;
  const isResponse = (flags & DNS_FLAG_RESPONSE) !== 0;
  const rcode = flags & DNS_RCODE_MASK;
  const counts = [header.questionCount, header.answerCount, header.authorityCount, header.additionalCount] as const;
  const cursor: Cursor = { at: message + DNS_HEADER_LENGTH };
  const questions = readQuestions(bytes, message, messageEnd, counts[0], cursor);
  const answers = readRecords(bytes, message, messageEnd, counts[1], 'answer', cursor);
  const authorities = readRecords(bytes, message, messageEnd, counts[2], 'authority', cursor);
  const additionals = readRecords(bytes, message, messageEnd, counts[3], 'additional', cursor);
  const rcodeName = RCODE_NAMES[rcode] ?? `RCODE ${rcode}`;
  const opcode = (flags >>> DNS_OPCODE_SHIFT) & 0x0f;

  const parts = [`${opcode === 0 ? 'Standard query' : `Opcode ${opcode}`}${isResponse ? ' response' : ''} ${hex(id, 4)}`];
  if (isResponse && rcode !== 0) parts.push(rcodeName);
  for (const q of questions) parts.push(`${q.typeName} ${q.name}`);
  for (const a of answers) parts.push(a.type === 5 ? `CNAME ${a.data}` : `${a.typeName} ${a.data}`);
  return {
    protocol: 'dns',
    offset,
    headerLength: cursor.at - offset,
    overTcp,
    id,
    isResponse,
    opcode,
    authoritative: (flags & DNS_FLAG_AUTHORITATIVE) !== 0,
    truncatedResponse: (flags & DNS_FLAG_TRUNCATED) !== 0,
    recursionDesired: (flags & DNS_FLAG_RECURSION_DESIRED) !== 0,
    recursionAvailable: (flags & DNS_FLAG_RECURSION_AVAILABLE) !== 0,
    rcode,
    rcodeName,
    questionCount: counts[0],
    answerCount: counts[1],
    authorityCount: counts[2],
    additionalCount: counts[3],
    questions,
    answers,
    authorities,
    additionals,
    summary: parts.join(' ') + (cursor.error === undefined ? '' : ` [Malformed: ${cursor.error}]`),
    ...(cursor.error === undefined ? {} : { error: cursor.error }),
    ...(overTcp && message + u16(bytes, offset) > end ? { truncated: true } : {}),
  };
}
