// The class server's HTTP API as data: a valibot schema and a TypeScript type for every
// request and response (see /work/helpers/CLASSROOM.md, issue 13). The server validates
// every body with these; the page (src/ui/classroom) imports this file too, so it must
// stay free of Node imports.
import * as v from 'valibot';

/** Byte limits the server enforces; the page can check before it sends. */
export const LIMITS = {
  /** Any JSON body (class creation, join, check report). */
  jsonBody: 64 * 1024,
  /**
   * A submission's zip, unless PODWIRE_MAX_SUBMISSION says otherwise: a gzipped node state
   * is about 40-45 MiB, so this fits a lab's largest cluster (8 nodes).
   */
  submission: 384 * 1024 * 1024,
  nameLength: 120,
  labsPerClass: 50,
  resultsPerReport: 200,
  messageLength: 2000,
} as const;

const LAB_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const STEP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Server-made ids, tokens and codes: url-safe base64 or hex. */
const URL_SAFE = /^[A-Za-z0-9_-]{8,128}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const labId = v.pipe(v.string('a lab id must be a string'), v.regex(LAB_ID, 'a lab id is lower-case letters, digits and dashes'));
const stepId = v.pipe(v.string('a step id must be a string'), v.regex(STEP_ID, 'a step id is letters, digits, dots, dashes and underscores'));
const urlSafe = (what: string) => v.pipe(v.string(`${what} must be a string`), v.regex(URL_SAFE, `${what} is not a valid code`));
const displayText = (what: string) => v.pipe(
  v.string(`${what} must be a string`), v.trim(),
  v.minLength(1, `${what} must not be empty`), v.maxLength(LIMITS.nameLength, `${what} is longer than ${LIMITS.nameLength} characters`),
);
const isoDate = v.pipe(v.string('the deadline must be a date string'), v.isoTimestamp('the deadline must be an ISO-8601 date and time, e.g. 2026-12-24T18:00:00Z'));
const count = (what: string) => v.pipe(v.number(`${what} must be a number`), v.integer(`${what} must be a whole number`), v.minValue(0, `${what} must not be negative`));

/** Every 4xx/5xx body. */
export const ErrorBody = v.object({ error: v.string() });
export type ErrorBody = v.InferOutput<typeof ErrorBody>;

// ---- classes ----

export const CreateClassRequest = v.strictObject({
  name: displayText('the class name'),
  labs: v.pipe(
    v.array(labId, 'labs must be a list of lab ids'),
    v.minLength(1, 'a class needs at least one lab'),
    v.maxLength(LIMITS.labsPerClass, `a class has at most ${LIMITS.labsPerClass} labs`),
    v.check((labs) => new Set(labs).size === labs.length, 'a lab is listed twice'),
  ),
  deadline: v.optional(isoDate),
});
export type CreateClassRequest = v.InferOutput<typeof CreateClassRequest>;

export const CreateClassResponse = v.object({
  classId: v.string(),
  joinCode: v.string(),
  instructorSecret: v.string(),
  /** `#/join/<joinCode>`: append to the site's origin and path. */
  joinPath: v.string(),
  /** `#/teach/<classId>/<instructorSecret>`: a fragment, so no server ever logs the secret. */
  instructorPath: v.string(),
});
export type CreateClassResponse = v.InferOutput<typeof CreateClassResponse>;

// ---- students ----

export const JoinRequest = v.strictObject({
  joinCode: urlSafe('the join code'),
  displayName: displayText('the display name'),
});
export type JoinRequest = v.InferOutput<typeof JoinRequest>;

export const JoinResponse = v.object({
  studentId: v.string(),
  token: v.string(),
  classId: v.string(),
  className: v.string(),
  labs: v.array(v.string()),
  /** The variant seed, `${classId}:${studentId}`. */
  seed: v.string(),
});
export type JoinResponse = v.InferOutput<typeof JoinResponse>;

export const MeResponse = v.object({
  studentId: v.string(),
  displayName: v.string(),
  classId: v.string(),
  className: v.string(),
  labs: v.array(v.string()),
  seed: v.string(),
  deadline: v.optional(v.string()),
});
export type MeResponse = v.InferOutput<typeof MeResponse>;

// ---- check reports ----

export const CheckResultEntry = v.strictObject({
  /** The check's id, or its label when it has none. */
  id: v.pipe(v.string('a result id must be a string'), v.minLength(1, 'a result id must not be empty'), v.maxLength(200, 'a result id is longer than 200 characters')),
  passed: v.boolean('passed must be true or false'),
  message: v.optional(v.pipe(v.string('a message must be a string'), v.maxLength(LIMITS.messageLength, `a message is longer than ${LIMITS.messageLength} characters`))),
});
export type CheckResultEntry = v.InferOutput<typeof CheckResultEntry>;

export const CheckReport = v.pipe(
  v.strictObject({
    /** Made by the page (crypto.randomUUID); sending it again stores nothing new. */
    id: v.pipe(v.string('the report id must be a string'), v.regex(UUID, 'the report id must be a UUID')),
    lab: labId,
    stepIndex: count('stepIndex'),
    stepId,
    /** When the learner pressed Check, epoch milliseconds. */
    at: count('at'),
    passed: count('passed'),
    total: count('total'),
    results: v.pipe(v.array(CheckResultEntry, 'results must be a list'), v.maxLength(LIMITS.resultsPerReport, `a report has at most ${LIMITS.resultsPerReport} results`)),
    hintsShown: count('hintsShown'),
    timeOnStepMs: count('timeOnStepMs'),
  }),
  v.check((r) => r.passed <= r.total, 'passed must not exceed total'),
);
export type CheckReport = v.InferOutput<typeof CheckReport>;

export const ReportStored = v.object({ stored: v.boolean() });
export type ReportStored = v.InferOutput<typeof ReportStored>;

// ---- the instructor's view ----

export const StepStatus = v.picklist(['attempted', 'passed', 'verified']);
export type StepStatus = v.InferOutput<typeof StepStatus>;

export const StepProgress = v.object({
  status: StepStatus,
  attempts: v.number(),
  failures: v.number(),
  firstAt: v.number(),
  lastAt: v.number(),
  hintsShown: v.number(),
  timeOnStepMs: v.number(),
});
export type StepProgress = v.InferOutput<typeof StepProgress>;

export const LabProgress = v.object({
  currentStepId: v.optional(v.string()),
  /** Steps with no record are "not started". */
  steps: v.record(v.string(), StepProgress),
  stuck: v.boolean(),
  stuckReason: v.optional(v.string()),
});
export type LabProgress = v.InferOutput<typeof LabProgress>;

export const StudentRow = v.object({
  studentId: v.string(),
  displayName: v.string(),
  joinedAt: v.number(),
  labs: v.record(v.string(), LabProgress),
});
export type StudentRow = v.InferOutput<typeof StudentRow>;

export const ClassInfo = v.object({
  classId: v.string(),
  name: v.string(),
  labs: v.array(v.string()),
  deadline: v.optional(v.string()),
  createdAt: v.number(),
});
export type ClassInfo = v.InferOutput<typeof ClassInfo>;

export const ClassView = v.object({ class: ClassInfo, students: v.array(StudentRow) });
export type ClassView = v.InferOutput<typeof ClassView>;

/** Stuck: this many failed attempts on the current step... */
export const STUCK_FAILURES = 3;
/** ...or this long on it without passing. */
export const STUCK_MS = 10 * 60 * 1000;

/** The SSE event names on GET /api/classes/:classId/events (data: one StudentRow as JSON). */
export const EVENT_STUDENT = 'student';

// ---- submissions ----

export const StepScore = v.strictObject({
  passed: count('passed'),
  total: count('total'),
  results: v.pipe(v.array(v.strictObject({
    id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
    passed: v.boolean(),
    message: v.optional(v.pipe(v.string(), v.maxLength(LIMITS.messageLength))),
  })), v.maxLength(LIMITS.resultsPerReport)),
});
export type StepScore = v.InferOutput<typeof StepScore>;

// The submission zip itself (manifest.json and states/<node>.gz) is defined in grading/bundle.ts,
// which the page imports too.

/** position: 1 = next to be graded; 0 = its grading has already begun. */
export const SubmissionAccepted = v.object({ submissionId: v.string(), position: v.number() });
export type SubmissionAccepted = v.InferOutput<typeof SubmissionAccepted>;

export const SubmissionState = v.picklist(['queued', 'grading', 'done', 'failed', 'superseded']);
export type SubmissionState = v.InferOutput<typeof SubmissionState>;

export const Mismatch = v.object({ stepId: v.string(), id: v.string() });
export type Mismatch = v.InferOutput<typeof Mismatch>;

export const SubmissionStatus = v.object({
  submissionId: v.string(),
  status: SubmissionState,
  /** 1 = next to be graded; only while queued. */
  position: v.optional(v.number()),
  progress: v.optional(v.object({ done: v.number(), total: v.number() })),
  error: v.optional(v.string()),
  verified: v.optional(v.record(v.string(), StepScore)),
  /** Checks the page claimed passed that the server did not find passing. */
  mismatches: v.optional(v.array(Mismatch)),
});
export type SubmissionStatus = v.InferOutput<typeof SubmissionStatus>;

// ---- helpers both sides use ----

/** The variant seed for a student; the server computes it, never trusts the page. */
export function studentSeed(classId: string, studentId: string): string {
  return `${classId}:${studentId}`;
}

/** The first problem valibot found, as one sentence for `{error}`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0];
  if (!first) return 'the request is malformed';
  const path = v.getDotPath(first);
  return path ? `${path}: ${first.message}` : first.message;
}
