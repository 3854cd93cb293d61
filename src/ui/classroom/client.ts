// The page's client for the class server: typed calls to its HTTP API, and where the
// page keeps its credentials. Every call authenticates with `Authorization: Bearer`;
// no secret or token ever goes into a URL (a server, a proxy or a history would keep it).
// A refusal (4xx) comes back as an ApiError carrying the server's own sentence.
import type {
  CheckReport, ClassView, CreateClassRequest, CreateClassResponse, JoinResponse, MeResponse, StudentRow, SubmissionAccepted, SubmissionStatus,
} from '../../classroom/protocol.js';
import { english, errorWords, words, WordsError, type WordValue, type Words } from '../i18n/words.js';

/** A refusal or failure from the class server, with its own explanation (or the page's words when it gave none). */
export class ApiError extends Error {
  readonly words: Words | undefined;
  constructor(said: string | Words, readonly status: number) {
    super(typeof said === 'string' ? said : english(said));
    this.words = typeof said === 'string' ? undefined : said;
    this.name = 'ApiError';
  }
}

/** The server cannot be reached at all (offline, or it is down): worth trying again later. */
class Unreachable extends WordsError {
  constructor(cause: unknown) {
    super(words('classClient.unreachable'), { cause });
    this.name = 'Unreachable';
  }
}

/** The API's address, beside the page (the class server serves the site and the API together). */
function apiUrl(path: string): string {
  return new URL(`api/${path}`, document.baseURI).toString();
}

interface RequestOptions {
  token?: string;
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
  signal?: AbortSignal;
}

async function send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.contentType) {
    headers['content-type'] = options.contentType;
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path), { method, headers, body, signal: options.signal, cache: 'no-store', credentials: 'omit' });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new Unreachable(error);
  }
  if (!response.ok) throw new ApiError(await errorText(response), response.status);
  return response;
}

/** The server's `{error}` sentence, or what the page can say without one. */
async function errorText(response: Response): Promise<string | Words> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof parsed.error === 'string' && parsed.error) return parsed.error;
    if (typeof parsed.message === 'string' && parsed.message) return parsed.message;
  } catch { /* not JSON */ }
  return words('classClient.answered', { status: `${response.status}${response.statusText ? ` ${response.statusText}` : ''}` });
}

async function call<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
  return (await send(method, path, options)).json() as Promise<T>;
}

const segment = encodeURIComponent;

export const api = {
  createClass: (request: CreateClassRequest, adminToken?: string) => call<CreateClassResponse>('POST', 'classes', { json: request, token: adminToken }),
  join: (joinCode: string, displayName: string) => call<JoinResponse>('POST', 'join', { json: { joinCode, displayName } }),
  me: (token: string) => call<MeResponse>('GET', 'me', { token }),
  /** Stored, or already stored before (the report's id makes a resend harmless). */
  report: async (token: string, report: CheckReport) => (await call<{ stored: boolean }>('POST', 'reports', { token, json: report })).stored,
  classView: (classId: string, secret: string, signal?: AbortSignal) => call<ClassView>('GET', `classes/${segment(classId)}`, { token: secret, signal }),
  lastReport: (classId: string, secret: string, studentId: string, lab: string, stepId: string) =>
    call<CheckReport>('GET', `classes/${segment(classId)}/students/${segment(studentId)}/reports/last?lab=${segment(lab)}&stepId=${segment(stepId)}`, { token: secret }),
  /** An export as a file's contents: csv, json or xml (JUnit). */
  exportFile: async (classId: string, secret: string, format: 'csv' | 'json' | 'xml') =>
    (await send('GET', `classes/${segment(classId)}/export.${format}`, { token: secret })).blob(),
  submit: (token: string, lab: string, zip: Uint8Array) =>
    call<SubmissionAccepted>('POST', `submissions?lab=${segment(lab)}`, { token, body: zip as Uint8Array<ArrayBuffer>, contentType: 'application/octet-stream' }),
  submission: (token: string, submissionId: string) => call<SubmissionStatus>('GET', `submissions/${segment(submissionId)}`, { token }),
};

/**
 * The class's live events, read with fetch (EventSource cannot send Authorization):
 * `onStudent` gets each changed student row. The stream reconnects with backoff until
 * `signal` aborts; `onConnection` says whether it is live, and is the moment to reload
 * the whole view (events sent while it was down are not sent again).
 */
export async function followClass(classId: string, secret: string, handlers: {
  onStudent: (row: StudentRow) => void;
  /** `note` says why it is not live: words for the page to say (say()), or the server's own sentence. */
  onConnection: (live: boolean, note?: WordValue) => void;
}, signal: AbortSignal): Promise<void> {
  const FIRST_RETRY_MS = 1_000;
  const MAX_RETRY_MS = 30_000;
  let delay = FIRST_RETRY_MS;
  while (!signal.aborted) {
    try {
      const response = await send('GET', `classes/${segment(classId)}/events`, { token: secret, signal });
      if (!response.body) throw new WordsError(words('classClient.noBody'));
      handlers.onConnection(true);
      delay = FIRST_RETRY_MS;
      await readEvents(response.body, (event, data) => {
        if (event !== 'student') return;
        try {
          handlers.onStudent(JSON.parse(data) as StudentRow);
        } catch {
          console.warn('podwire: an event the page could not read', data.slice(0, 200));
        }
      });
      handlers.onConnection(false, words('classClient.streamEnded'));
    } catch (error) {
      if (signal.aborted) return;
      // A wrong secret or an unknown class will not get better by trying again.
      if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429) {
        handlers.onConnection(false, errorWords(error));
        return;
      }
      handlers.onConnection(false, words('classClient.reconnecting', { error: errorWords(error) }));
    }
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, delay);
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve(undefined); }, { once: true });
    });
    delay = Math.min(MAX_RETRY_MS, delay * 2);
  }
}

/** Server-sent events from a byte stream: each `event:`/`data:` block, comments (`: ping`) skipped. */
export async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: string, data: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length) onEvent(event, data.join('\n'));
    }
  }
}

// Where the page keeps what lets it speak for someone. Instructor secrets: per class, in
// sessionStorage and localStorage (so the link works again without carrying the secret).
// Student memberships: one per class joined, in localStorage.

const SECRET_KEY = (classId: string) => `podwire-teach:${classId}`;

export function keepInstructorSecret(classId: string, secret: string): void {
  for (const storage of [sessionStorage, localStorage]) {
    try { storage.setItem(SECRET_KEY(classId), secret); } catch { /* storage may be off */ }
  }
}

export function instructorSecret(classId: string): string | undefined {
  for (const storage of [sessionStorage, localStorage]) {
    try {
      const secret = storage.getItem(SECRET_KEY(classId));
      if (secret) return secret;
    } catch { /* storage may be off */ }
  }
  return undefined;
}

/** The classes this browser teaches (their secrets are kept here). */
export function taughtClasses(): string[] {
  const ids = new Set<string>();
  for (const storage of [sessionStorage, localStorage]) {
    try {
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        if (key?.startsWith('podwire-teach:')) ids.add(key.slice('podwire-teach:'.length));
      }
    } catch { /* storage may be off */ }
  }
  return [...ids];
}

export interface Membership extends JoinResponse { displayName: string; joinedAt: number; joinCode?: string }
const MEMBERSHIPS_KEY = 'podwire-classes';

export function memberships(): Membership[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(MEMBERSHIPS_KEY) ?? '[]') as unknown;
    return Array.isArray(parsed) ? parsed.filter((m): m is Membership => typeof m?.token === 'string' && typeof m?.classId === 'string' && Array.isArray(m?.labs)) : [];
  } catch {
    return [];
  }
}

export function keepMembership(membership: Membership): void {
  const others = memberships().filter((m) => m.classId !== membership.classId);
  localStorage.setItem(MEMBERSHIPS_KEY, JSON.stringify([...others, membership]));
}

/** The class this browser works on a lab for: the one joined last that has the lab. */
export function classForLab(labId: string): Membership | undefined {
  return memberships().filter((m) => m.labs.includes(labId)).sort((a, b) => b.joinedAt - a.joinedAt)[0];
}
