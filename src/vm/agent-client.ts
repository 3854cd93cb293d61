// The harness side of the guest agent protocol (see images/rootfs/usr/local/sbin/podwire-agent).
// It knows nothing of v86 or workers: it writes bytes out and is fed the bytes that come back.

const encoder = new TextEncoder();
// Bad UTF-8 from a guest becomes U+FFFD rather than an error; a leading BOM is kept as sent.
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8 = { encode: (s: string) => encoder.encode(s), decode: (b: Uint8Array) => decoder.decode(b) };

export interface ExecOptions {
  /** Seconds the command may run inside the guest before it is killed (exit 124). */
  timeout?: number;
  stdin?: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The guest killed the command because it ran past its timeout. */
  timedOut: boolean;
}

export type NodeFailureReason = 'timeout' | 'crashed' | 'malformed' | 'stopped';

/**
 * A node, not a check, failed: it did not answer, crashed, sent bytes that are not
 * the agent's protocol, or was stopped under a request. The harness tells these
 * apart from a check that failed (the CLI exits 3 for them, not 1).
 */
export class NodeFailure extends Error {
  constructor(readonly node: string, readonly reason: NodeFailureReason, message: string) {
    super(message);
    this.name = 'NodeFailure';
  }
}

/** True for a NodeFailure, also one whose class was lost on the way (it keeps name and reason). */
export function isNodeFailure(error: unknown): error is NodeFailure {
  if (error instanceof NodeFailure) return true;
  const candidate = error as { node?: unknown; reason?: unknown } | null;
  return typeof candidate?.node === 'string' && ['timeout', 'crashed', 'malformed', 'stopped'].includes(candidate.reason as string);
}

/** The guest did not answer at all: it is hung, or the agent is gone. */
export class AgentTimeoutError extends NodeFailure {
  constructor(node: string, readonly seconds: number, readonly what: string) {
    super(node, 'timeout', `node ${node} did not answer within ${seconds} s (${what})`);
    this.name = 'AgentTimeoutError';
  }
}

/** A NodeFailure as plain data, to cross a worker boundary (which keeps only an Error's message). */
export interface NodeFailureData {
  reason: NodeFailureReason;
  message: string;
  seconds?: number;
  what?: string;
}

export function nodeFailureToData(failure: NodeFailure): NodeFailureData {
  return failure instanceof AgentTimeoutError
    ? { reason: failure.reason, message: failure.message, seconds: failure.seconds, what: failure.what }
    : { reason: failure.reason, message: failure.message };
}

export function nodeFailureFromData(node: string, data: NodeFailureData): NodeFailure {
  if (data.reason === 'timeout' && data.seconds !== undefined && data.what !== undefined) return new AgentTimeoutError(node, data.seconds, data.what);
  return new NodeFailure(node, data.reason, data.message);
}

/** The agent channel carried something that is not the agent's protocol. */
export function malformedReply(node: string, detail: string): NodeFailure {
  return new NodeFailure(node, 'malformed', `${node}'s agent sent a malformed reply (${detail})`);
}

/** Escaped bytes per request line; the guest tty holds far more, this keeps acks frequent. */
const CHUNK = 2048;
/** How long past a command's own timeout we wait before calling the guest hung. */
const GRACE_SECONDS = 5;
/**
 * The longest reply line we take, in escaped bytes: far above any command's output the
 * harness asks for, and a bound on what a guest can make the host hold.
 */
export const MAX_REPLY_LINE = 8 << 20;
/** The line buffer starts this small and goes back to it after a long line. */
const INITIAL_LINE = 4096;
/** An id is a decimal counter, an exit code at most 255: anything longer is not the agent's. */
const MAX_ID_DIGITS = 12;
const MAX_EXIT_DIGITS = 3;

const BACKSLASH = 92;

/**
 * Text to the agent's line-safe form, cut into pieces of at most `size` characters:
 * printable ASCII and inner spaces stay, a backslash doubles, every other byte
 * becomes \xHH. A space at either end of a piece is escaped too, because bash's
 * read would trim it.
 */
export function escapeForAgent(text: string, size = Infinity): string[] {
  const pieces: string[] = [];
  let piece = '';
  const finish = () => pieces.push(piece.replace(/^ /, '\\x20').replace(/ $/, '\\x20'));
  for (const byte of utf8.encode(text)) {
    const token = byte === BACKSLASH ? '\\\\'
      : byte >= 32 && byte < 127 ? String.fromCharCode(byte)
      : `\\x${byte.toString(16).padStart(2, '0')}`;
    if (piece.length + token.length > size - 6) { finish(); piece = ''; }
    piece += token;
  }
  finish();
  return pieces;
}

/** The agent's reply escapes (\\, \n, \s) back to text. */
export function unescapeFromAgent(bytes: Uint8Array): string {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte !== BACKSLASH || i + 1 === bytes.length) { out[n++] = byte; continue; }
    const next = bytes[++i]!;
    out[n++] = next === 110 ? 10 : next === 115 ? 32 : next;
  }
  return utf8.decode(out.subarray(0, n));
}

const NEWLINE = 10;
const SPACE = 32;

/** A few bytes of a bad line as printable text, for an error message. */
export function preview(bytes: Uint8Array, size = 40): string {
  let text = '';
  for (let i = 0; i < Math.min(bytes.length, size); i++) {
    const byte = bytes[i]!;
    text += byte >= 32 && byte < 127 && byte !== BACKSLASH ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return bytes.length > size ? `${text}...` : text;
}

/** Short ASCII bytes as text, or null when they are longer than `max` or not all digits/letters. */
function shortToken(bytes: Uint8Array | undefined, max: number, digitsOnly: boolean): string | null {
  if (!bytes || bytes.length === 0 || bytes.length > max) return null;
  let text = '';
  for (const byte of bytes) {
    const digit = byte >= 48 && byte <= 57;
    const upper = byte >= 65 && byte <= 90;
    if (!digit && (digitsOnly || !upper)) return null;
    text += String.fromCharCode(byte);
  }
  return text;
}

/** What the agent said to the request in flight. */
type Reply = { kind: 'A' } | { kind: 'R'; exitCode: number; stdout: Uint8Array; stderr: Uint8Array };

/** The request in flight: the reply it waits for, and how to settle it. */
interface Waiter {
  kind: 'A' | 'R';
  id: string;
  resolve(reply: Reply): void;
  reject(failure: NodeFailure): void;
}

/**
 * The client end of the agent channel. The guest's root can write anything to ttyS1,
 * so every byte is untrusted: lines are bounded, fields are checked before use, and
 * a bad line fails the request in flight with a NodeFailure; feed() never throws.
 */
export class AgentClient {
  private nextId = 1;
  private waiter: Waiter | null = null;
  private readyWaiters: { resolve(): void; reject(failure: NodeFailure): void }[] = [];
  private line = new Uint8Array(INITIAL_LINE);
  private lineLength = 0;
  /** The current line passed MAX_REPLY_LINE: its bytes are dropped up to the next newline. */
  private overflowing = false;
  /** Once set (a crash, a stop), every request fails with it at once. */
  private failure: NodeFailure | null = null;
  /** One request at a time: the agent runs them in order, and so do we. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly nodeName: string, private readonly write: (bytes: Uint8Array) => void) {}

  /** A byte from the guest's agent serial port. */
  feed(byte: number): void {
    try {
      this.take(byte);
    } catch (error) {
      // Nothing above should throw; if it does, the guest's bytes still must not reach the emulator's loop.
      this.lineLength = 0;
      this.failRequest(malformedReply(this.nodeName, `the host could not read it: ${(error as Error).message}`));
    }
  }

  /** Bytes from the agent serial port, as feed() would take them one by one. */
  feedBytes(bytes: Uint8Array): void {
    for (const byte of bytes) this.feed(byte);
  }

  private take(byte: number): void {
    if (byte === NEWLINE) {
      // The end of a line that was too long is not a line of its own. (A request sent
      // meanwhile will get its answer on the next line, or time out if it was swallowed.)
      if (this.overflowing) this.overflowing = false;
      else this.onLine(this.line.subarray(0, this.lineLength));
      this.lineLength = 0;
      if (this.line.length > INITIAL_LINE) this.line = new Uint8Array(INITIAL_LINE);
      return;
    }
    if (this.overflowing) return;
    if (this.lineLength === this.line.length) {
      if (this.line.length >= MAX_REPLY_LINE) {
        this.overflowing = true;
        this.lineLength = 0;
        this.line = new Uint8Array(INITIAL_LINE);
        this.failRequest(malformedReply(this.nodeName, `a line longer than ${MAX_REPLY_LINE >> 20} MB`));
        return;
      }
      const bigger = new Uint8Array(Math.min(this.line.length * 2, MAX_REPLY_LINE));
      bigger.set(this.line);
      this.line = bigger;
    }
    this.line[this.lineLength++] = byte;
  }

  private onLine(line: Uint8Array): void {
    const fields: Uint8Array[] = [];
    let start = 0;
    for (let i = 0; i <= line.length; i++) {
      if (i === line.length || line[i] === SPACE) { fields.push(line.subarray(start, i)); start = i + 1; }
    }
    const kind = shortToken(fields[0], 5, false);
    if (kind === 'READY') {
      for (const ready of this.readyWaiters.splice(0)) ready.resolve();
      // A new agent forgets what the old one was running: that request is lost.
      this.failRequest(new NodeFailure(this.nodeName, 'crashed', `${this.nodeName}'s agent restarted while running a command (was it killed?)`));
      return;
    }
    const id = shortToken(fields[1], MAX_ID_DIGITS, true);
    if ((kind !== 'A' && kind !== 'R') || id === null) {
      this.failRequest(malformedReply(this.nodeName, `a line that is not the agent's: "${preview(line)}"; did something else write to /dev/ttyS1?`));
      return;
    }
    const waiter = this.waiter;
    // A reply to a request we gave up on (it timed out) is late, not wrong.
    if (!waiter || waiter.id !== id) return;
    if (kind !== waiter.kind) {
      this.failRequest(malformedReply(this.nodeName, `"${kind}" to request ${id}, which waits for "${waiter.kind}"`));
      return;
    }
    if (kind === 'A') {
      if (fields.length !== 2) this.failRequest(malformedReply(this.nodeName, `an acknowledgement with ${fields.length} fields: "${preview(line)}"`));
      else this.settle(waiter, { kind: 'A' });
      return;
    }
    const exit = shortToken(fields[2], MAX_EXIT_DIGITS, true);
    if (fields.length !== 5 || exit === null || Number(exit) > 255) {
      this.failRequest(malformedReply(this.nodeName, `a result that is not "R <id> <exit 0-255> <stdout> <stderr>": "${preview(line)}"`));
      return;
    }
    // Copies: the line buffer is reused for the next line before the result is read.
    this.settle(waiter, { kind: 'R', exitCode: Number(exit), stdout: fields[3]!.slice(), stderr: fields[4]!.slice() });
  }

  private settle(waiter: Waiter, reply: Reply): void {
    this.waiter = null;
    waiter.resolve(reply);
  }

  /** Fail the request in flight, if there is one. */
  private failRequest(failure: NodeFailure): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(failure);
  }

  /**
   * The node is gone (crashed, stopped): fail the request in flight and everything
   * after it at once with this failure, rather than letting each one time out.
   */
  fail(failure: NodeFailure): void {
    this.failure ??= failure;
    this.failRequest(failure);
    for (const ready of this.readyWaiters.splice(0)) ready.reject(failure);
  }

  /** Why this client fails every request, or null while it works. */
  get failed(): NodeFailure | null {
    return this.failure;
  }

  private expect(kind: 'A' | 'R', id: string, seconds: number, what: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.failure) { reject(this.failure); return; }
      const timer = setTimeout(() => {
        if (this.waiter === waiter) this.waiter = null;
        reject(new AgentTimeoutError(this.nodeName, seconds, what));
      }, seconds * 1000);
      const waiter: Waiter = {
        kind,
        id,
        resolve: (reply) => { clearTimeout(timer); resolve(reply); },
        reject: (failure) => { clearTimeout(timer); reject(failure); },
      };
      this.waiter = waiter;
    });
  }

  /** Resolves when the agent announces itself after a cold boot. */
  waitForReady(seconds: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.failure) { reject(this.failure); return; }
      const timer = setTimeout(() => reject(new AgentTimeoutError(this.nodeName, seconds, 'waiting for the agent to start')), seconds * 1000);
      this.readyWaiters.push({
        resolve: () => { clearTimeout(timer); resolve(); },
        reject: (failure) => { clearTimeout(timer); reject(failure); },
      });
    });
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const run = this.queue.then(() => this.run(command, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.failure) throw this.failure;
    const timeout = Math.max(1, Math.ceil(options.timeout ?? 30));
    const id = `${this.nextId++}`;
    const what = `running: ${command.length > 60 ? `${command.slice(0, 57)}...` : command}`;
    const send = async (kind: 'C' | 'I', pieces: string[]) => {
      for (const piece of pieces) {
        const acked = this.expect('A', id, GRACE_SECONDS * 2, what);
        this.write(utf8.encode(`${kind} ${id} ${timeout} ${piece}\n`));
        await acked;
      }
    };
    // A short command is one X line and one round trip; longer ones send C pieces first.
    const pieces = escapeForAgent(command, CHUNK);
    const last = pieces.pop()!;
    await send('C', pieces);
    if (options.stdin) await send('I', escapeForAgent(options.stdin, CHUNK));
    const result = this.expect('R', id, timeout + GRACE_SECONDS, what);
    this.write(utf8.encode(`X ${id} ${timeout} ${last}\n`));
    const reply = await result;
    if (reply.kind !== 'R') throw malformedReply(this.nodeName, 'an acknowledgement instead of a result');
    return {
      stdout: unescapeFromAgent(reply.stdout),
      stderr: unescapeFromAgent(reply.stderr),
      exitCode: reply.exitCode,
      timedOut: reply.exitCode === 124,
    };
  }

  /** Forget the request in flight, e.g. after the guest was reset or restored; it fails with `failure`. */
  abandonAll(failure = new NodeFailure(this.nodeName, 'stopped', `node ${this.nodeName} was stopped`)): void {
    this.fail(failure);
    this.lineLength = 0;
    this.overflowing = false;
  }
}
