// The harness side of the guest agent protocol (see images/rootfs/usr/local/sbin/podwire-agent).
// It knows nothing of v86 or workers: it writes bytes out and is fed the bytes that come back.

const encoder = new TextEncoder();
const decoder = new TextDecoder();
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

/** The guest did not answer at all: it is hung, or the agent is gone. */
export class AgentTimeoutError extends Error {
  constructor(readonly node: string, readonly seconds: number, what: string) {
    super(`node ${node} did not answer within ${seconds} s (${what})`);
    this.name = 'AgentTimeoutError';
  }
}

/** Escaped bytes per request line; the guest tty holds far more, this keeps acks frequent. */
const CHUNK = 2048;
/** How long past a command's own timeout we wait before calling the guest hung. */
const GRACE_SECONDS = 5;
/** A reply line longer than this is cut; it would be a runaway command's output. */
const MAX_LINE = 64 << 20;

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

interface Waiter { resolve(fields: Uint8Array[]): void }

export class AgentClient {
  private nextId = 1;
  private pending = new Map<string, Waiter>();
  private readyWaiters: (() => void)[] = [];
  private line = new Uint8Array(4096);
  private lineLength = 0;
  /** One request at a time: the agent runs them in order, and so do we. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly nodeName: string, private readonly write: (bytes: Uint8Array) => void) {}

  /** A byte from the guest's agent serial port. */
  feed(byte: number): void {
    if (byte === 10) {
      this.onLine(this.line.subarray(0, this.lineLength));
      this.lineLength = 0;
      return;
    }
    if (this.lineLength === this.line.length) {
      if (this.line.length >= MAX_LINE) return;
      const bigger = new Uint8Array(this.line.length * 2);
      bigger.set(this.line);
      this.line = bigger;
    }
    this.line[this.lineLength++] = byte;
  }

  private onLine(line: Uint8Array): void {
    const fields: Uint8Array[] = [];
    let start = 0;
    for (let i = 0; i <= line.length; i++) {
      if (i === line.length || line[i] === 32) { fields.push(line.subarray(start, i)); start = i + 1; }
    }
    const kind = String.fromCharCode(...fields[0]!.subarray(0, 8));
    if (kind === 'READY') {
      for (const ready of this.readyWaiters.splice(0)) ready();
      return;
    }
    if ((kind === 'A' || kind === 'R') && fields[1]) {
      const key = `${kind} ${String.fromCharCode(...fields[1])}`;
      const waiter = this.pending.get(key);
      if (waiter) { this.pending.delete(key); waiter.resolve(fields); }
    }
  }

  private expect(kind: 'A' | 'R', id: string, seconds: number, what: string): Promise<Uint8Array[]> {
    return new Promise((resolve, reject) => {
      const key = `${kind} ${id}`;
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new AgentTimeoutError(this.nodeName, seconds, what));
      }, seconds * 1000);
      this.pending.set(key, { resolve: (fields) => { clearTimeout(timer); resolve(fields); } });
    });
  }

  /** Resolves when the agent announces itself after a cold boot. */
  waitForReady(seconds: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new AgentTimeoutError(this.nodeName, seconds, 'waiting for the agent to start')), seconds * 1000);
      this.readyWaiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const run = this.queue.then(() => this.run(command, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(command: string, options: ExecOptions): Promise<ExecResult> {
    const timeout = Math.max(1, Math.ceil(options.timeout ?? 30));
    const id = `${this.nextId++}`;
    const what = `running: ${command.length > 60 ? `${command.slice(0, 57)}...` : command}`;
    const send = async (kind: 'C' | 'I', pieces: string[]) => {
      for (const piece of pieces) {
        const acked = this.expect('A', id, GRACE_SECONDS * 2, what);
        this.write(utf8.encode(`${kind} ${id} ${piece}\n`));
        await acked;
      }
    };
    // A short command is one X line and one round trip; longer ones send C pieces first.
    const pieces = escapeForAgent(command, CHUNK);
    const last = pieces.pop()!;
    await send('C', pieces);
    if (options.stdin) await send('I', escapeForAgent(options.stdin, CHUNK));
    const reply = this.expect('R', id, timeout + GRACE_SECONDS, what);
    this.write(utf8.encode(`X ${id} ${timeout} ${last}\n`));
    const fields = await reply;
    const exitCode = Number(String.fromCharCode(...fields[2]!));
    return {
      stdout: unescapeFromAgent(fields[3] ?? new Uint8Array()),
      stderr: unescapeFromAgent(fields[4] ?? new Uint8Array()),
      exitCode,
      timedOut: exitCode === 124,
    };
  }

  /** Forget requests in flight, e.g. after the guest was reset or restored. */
  abandonAll(): void {
    this.pending.clear();
    this.lineLength = 0;
  }
}
