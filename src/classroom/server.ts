// The class server (issue 13): the built site, and the HTTP API of src/classroom/protocol.ts
// for instructors and students. Every request is untrusted: a bad one gets a 4xx with
// `{error}` and changes nothing. Secrets travel only in the Authorization header, which the
// log redacts; the links that carry them are fragments, which no server ever sees.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import * as v from 'valibot';
import { ISOLATION_HEADERS, SECURITY_HEADERS, distDir } from '../cli/static-server.js';
import type { Lab } from '../lab/types.js';
import { classView, studentRow, type LabCatalog, type LabOutline } from './db/progress.js';
import { openStore, type ClassRecord, type ClassStore, type StudentRecord } from './db/store.js';
import { postgresEvents, localEvents, type ClassEvents } from './events.js';
import { EXPORT_TYPES, exportClass, type ExportFormat } from './exports.js';
import {
  CheckReport, CreateClassRequest, EVENT_STUDENT, JoinRequest, LIMITS, describeIssues, studentSeed,
  type CreateClassResponse, type JoinResponse, type MeResponse, type StepScore, type SubmissionAccepted, type SubmissionStatus,
} from './protocol.js';
import { graderCount, localQueue, pgBossQueue, type Grade, type GradingQueue, type ReadSubmission } from './queue.js';

export type { ReadSubmission } from './queue.js';
import { bearer, matchesHash, newClassId, newJoinCode, newSecret, newStudentId, newSubmissionId, sha256 } from './secrets.js';


export interface ClassServerOptions {
  store: ClassStore;
  events: ClassEvents;
  catalog: LabCatalog;
  /** Without it, submissions are refused (503): this server grades nothing. */
  grading?: { read: ReadSubmission; queue: GradingQueue };
  /** The built site to serve; false for the API alone. */
  site?: string | false;
  /** When set, creating a class needs `Authorization: Bearer <adminToken>`. */
  adminToken?: string;
  maxSubmissionBytes?: number;
  /** Submissions per student per minute. */
  submissionsPerMinute?: number;
  logger?: boolean;
  now?: () => number;
}

/** A refusal with its status; the message is the `{error}` the client sees. */
export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) { super(message); }
}

/** The lab outlines the server knows, by id. */
export function catalogOf(labs: Lab[]): LabCatalog {
  return new Map(labs.map((lab): [string, LabOutline] => [lab.id, { id: lab.id, title: lab.title, steps: lab.steps.map((s) => ({ id: s.id, title: s.title })) }]));
}

function parse<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, body);
  if (!result.success) throw new HttpError(400, describeIssues(result.issues));
  return result.output;
}

/** Fastify's own refusals, said plainly. */
function plainMessage(error: { code?: string; message: string; statusCode?: number }, limit: number): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return 'the body is not valid JSON';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return 'the body is empty; it must be a JSON object';
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return `the body is larger than this server accepts here (${limit} bytes)`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return 'unsupported Content-Type: send application/json (or application/octet-stream for a submission)';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return 'the Content-Length does not match the body';
    default: return error.message;
  }
}

/** Creates a class (the API and `podwire class create`): its secrets leave here once, and are stored hashed. */
export async function createClass(store: ClassStore, catalog: LabCatalog, body: CreateClassRequest, now: number): Promise<CreateClassResponse> {
  const unknown = body.labs.filter((lab) => !catalog.has(lab));
  if (unknown.length) throw new HttpError(400, `unknown lab${unknown.length > 1 ? 's' : ''} ${unknown.map((l) => `'${l}'`).join(', ')} (this server has: ${[...catalog.keys()].join(', ')})`);
  const classId = newClassId();
  const joinCode = newJoinCode();
  const instructorSecret = newSecret();
  await store.createClass({
    classId, name: body.name, labs: body.labs, ...(body.deadline ? { deadline: body.deadline } : {}),
    joinCodeHash: sha256(joinCode), secretHash: sha256(instructorSecret), createdAt: now,
  });
  return { classId, joinCode, instructorSecret, joinPath: `#/join/${joinCode}`, instructorPath: `#/teach/${classId}/${instructorSecret}` };
}

export async function buildClassServer(options: ClassServerOptions): Promise<FastifyInstance> {
  const { store, events, catalog } = options;
  const now = options.now ?? Date.now;
  const maxSubmission = options.maxSubmissionBytes ?? LIMITS.submission;
  const app = Fastify({
    bodyLimit: LIMITS.jsonBody,
    // Open event streams must not keep a closing server waiting.
    forceCloseConnections: true,
    logger: options.logger ? { redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' } } : false,
  });

  app.addHook('onSend', async (request, reply, payload) => {
    // Isolated as the static server's page is: the nodes share one copy of the base snapshot.
    reply.headers({ ...SECURITY_HEADERS, ...ISOLATION_HEADERS });
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string; error?: unknown }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error(error);
      void reply.code(status).send({ error: 'internal error in the class server' });
      return;
    }
    const limit = request.url.startsWith('/api/submissions') ? maxSubmission : LIMITS.jsonBody;
    const message = typeof error.error === 'string' ? error.error : plainMessage(error, limit);
    void reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler((request, reply) => { void reply.code(404).send({ error: `no such address: ${request.method} ${request.url.split('?')[0]}` }); });

  // JSON and zips only: a text/plain body is refused (415), not read as a string.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxSubmission }, (_request, body, done) => done(null, body));
  await app.register(fastifyRateLimit, { global: false });

  // ---- who is asking ----

  const token = (request: FastifyRequest) => bearer(request.headers.authorization);

  async function instructorOf(request: FastifyRequest, classId: string): Promise<ClassRecord> {
    const cls = await store.classById(classId);
    if (!cls) throw new HttpError(404, 'there is no class with this id');
    const secret = token(request);
    if (!secret) throw new HttpError(401, 'this needs the instructor secret (Authorization: Bearer <secret>)');
    if (!matchesHash(secret, cls.secretHash)) throw new HttpError(403, 'the instructor secret is wrong for this class');
    return cls;
  }

  async function studentOf(request: FastifyRequest): Promise<{ student: StudentRecord; cls: ClassRecord }> {
    const secret = token(request);
    if (!secret) throw new HttpError(401, 'this needs your student token (Authorization: Bearer <token>): join the class first');
    const student = await store.studentByTokenHash(sha256(secret));
    if (!student) throw new HttpError(401, 'this student token is unknown: join the class again');
    const cls = await store.classById(student.classId);
    if (!cls) throw new HttpError(404, 'the class of this student no longer exists');
    return { student, cls };
  }

  const rowOf = async (cls: ClassRecord, studentId: string) => {
    const student = await store.student(cls.classId, studentId);
    if (!student) return undefined;
    const [totals, verified] = await Promise.all([store.stepTotals(cls.classId, studentId), store.latestVerified(cls.classId, studentId)]);
    return studentRow(cls, student, totals, verified, catalog, now());
  };

  const announce = (classId: string, studentId: string) => events.publish(classId, studentId).catch((error: Error) => app.log.warn(`event not sent: ${error.message}`));

  // ---- classes ----

  app.post('/api/classes', async (request, reply) => {
    if (options.adminToken) {
      const given = token(request);
      if (!given) throw new HttpError(401, 'creating a class on this server needs its admin token (Authorization: Bearer <PODWIRE_ADMIN_TOKEN>)');
      if (!matchesHash(given, sha256(options.adminToken))) throw new HttpError(403, 'the admin token is wrong');
    }
    const created = await createClass(store, catalog, parse(CreateClassRequest, request.body), now());
    return reply.code(201).send(created);
  });

  app.get<{ Params: { classId: string } }>('/api/classes/:classId', async (request) => {
    const cls = await instructorOf(request, request.params.classId);
    const [students, totals, verified] = await Promise.all([store.students(cls.classId), store.stepTotals(cls.classId), store.latestVerified(cls.classId)]);
    return classView(cls, students, totals, verified, catalog, now());
  });

  const streams = new Set<FastifyReply>();
  app.addHook('preClose', async () => { for (const reply of streams) reply.raw.end(); });

  app.get<{ Params: { classId: string } }>('/api/classes/:classId/events', async (request, reply) => {
    const cls = await instructorOf(request, request.params.classId);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    raw.write(': connected\n\n');
    streams.add(reply);
    const send = async (studentId: string) => {
      const row = await rowOf(cls, studentId);
      if (row && !raw.writableEnded) raw.write(`event: ${EVENT_STUDENT}\ndata: ${JSON.stringify(row)}\n\n`);
    };
    const unsubscribe = events.subscribe(cls.classId, (studentId) => { void send(studentId).catch((error: Error) => request.log.warn(`event: ${error.message}`)); });
    const ping = setInterval(() => { if (!raw.writableEnded) raw.write(': ping\n\n'); }, 15_000);
    raw.on('close', () => { clearInterval(ping); unsubscribe(); streams.delete(reply); });
  });

  app.get<{ Params: { classId: string; studentId: string }; Querystring: { lab?: string; stepId?: string } }>(
    '/api/classes/:classId/students/:studentId/reports/last',
    async (request) => {
      const cls = await instructorOf(request, request.params.classId);
      const { lab, stepId } = request.query;
      if (typeof lab !== 'string' || typeof stepId !== 'string' || !lab || !stepId) throw new HttpError(400, 'say which report: ?lab=<lab id>&stepId=<step id>');
      if (!await store.student(cls.classId, request.params.studentId)) throw new HttpError(404, 'this class has no such student');
      const report = await store.lastReport(cls.classId, request.params.studentId, lab, stepId);
      if (!report) throw new HttpError(404, 'this student has sent no report for this step');
      return report;
    },
  );

  const FORMATS: Record<string, ExportFormat> = { csv: 'csv', json: 'json', xml: 'junit' };
  app.get<{ Params: { classId: string; format: string } }>('/api/classes/:classId/export.:format', async (request, reply) => {
    const format = FORMATS[request.params.format];
    if (!format) throw new HttpError(404, `no export as .${request.params.format}: there are .csv, .json and .xml (JUnit)`);
    const cls = await instructorOf(request, request.params.classId);
    const body = await exportClass(store, cls, catalog, format, now());
    const filename = `${cls.name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60) || 'class'}.${EXPORT_TYPES[format].extension}`;
    return reply.type(EXPORT_TYPES[format].contentType).header('content-disposition', `attachment; filename="${filename}"`).send(body);
  });

  // ---- students ----

  app.post('/api/join', async (request, reply) => {
    const body = parse(JoinRequest, request.body);
    const cls = await store.classByJoinCodeHash(sha256(body.joinCode));
    if (!cls) throw new HttpError(404, 'no class has this join code: check the link your instructor gave you');
    const studentId = newStudentId();
    const studentToken = newSecret();
    await store.addStudent({ studentId, classId: cls.classId, displayName: body.displayName, tokenHash: sha256(studentToken), joinedAt: now() });
    await announce(cls.classId, studentId);
    const joined: JoinResponse = { studentId, token: studentToken, classId: cls.classId, className: cls.name, labs: cls.labs, seed: studentSeed(cls.classId, studentId) };
    return reply.code(201).send(joined);
  });

  app.get('/api/me', async (request) => {
    const { student, cls } = await studentOf(request);
    const me: MeResponse = {
      studentId: student.studentId, displayName: student.displayName, classId: cls.classId, className: cls.name, labs: cls.labs,
      seed: studentSeed(cls.classId, student.studentId), ...(cls.deadline ? { deadline: cls.deadline } : {}),
    };
    return me;
  });

  app.post('/api/reports', async (request, reply) => {
    const { student, cls } = await studentOf(request);
    const report = parse(CheckReport, request.body);
    if (!cls.labs.includes(report.lab)) throw new HttpError(400, `lab '${report.lab}' is not part of this class (it has: ${cls.labs.join(', ')})`);
    const outline = catalog.get(report.lab);
    if (outline && !outline.steps.some((s) => s.id === report.stepId)) throw new HttpError(400, `lab '${report.lab}' has no step '${report.stepId}'`);
    const stored = await store.addReport(student, report, now());
    if (stored) await announce(cls.classId, student.studentId);
    return reply.code(stored ? 201 : 200).send({ stored });
  });

  // ---- submissions ----

  const perMinute = options.submissionsPerMinute ?? 6;
  app.post<{ Querystring: { lab?: string } }>('/api/submissions', {
    bodyLimit: maxSubmission,
    config: {
      rateLimit: {
        max: perMinute,
        timeWindow: 60_000,
        // Per student (by token), so a class behind one school NAT is not one client.
        keyGenerator: (request: FastifyRequest) => { const t = bearer(request.headers.authorization); return t ? `student:${sha256(t)}` : `ip:${request.ip}`; },
        errorResponseBuilder: (_request: FastifyRequest, context: { after: string }) => ({ statusCode: 429, error: `too many submissions: at most ${perMinute} a minute; try again in ${context.after}` }),
      },
    },
  }, async (request, reply) => {
    const { student, cls } = await studentOf(request);
    if (!options.grading) throw new HttpError(503, 'this class server does not grade submissions');
    const lab = request.query.lab;
    if (typeof lab !== 'string' || !lab) throw new HttpError(400, 'say which lab this is: /api/submissions?lab=<lab id>');
    if (!cls.labs.includes(lab)) throw new HttpError(400, `lab '${lab}' is not part of this class (it has: ${cls.labs.join(', ')})`);
    if (!Buffer.isBuffer(request.body)) throw new HttpError(415, 'send the submission as a zip with Content-Type: application/octet-stream');
    const upload = new Uint8Array(request.body.buffer, request.body.byteOffset, request.body.byteLength);
    let manifest: { lab: string; claimed: Record<string, StepScore> };
    try {
      ({ manifest } = options.grading.read(upload, lab));
    } catch (error) {
      throw new HttpError(400, `this is not a submission this server can grade: ${(error as Error).message}`);
    }
    if (manifest.lab !== lab) throw new HttpError(400, `the zip is a submission for lab '${manifest.lab}', not '${lab}'`);
    const submissionId = newSubmissionId();
    await store.addSubmission({ submissionId, classId: cls.classId, studentId: student.studentId, lab, upload, claimed: manifest.claimed, at: now() });
    await options.grading.queue.enqueue(submissionId);
    const accepted: SubmissionAccepted = { submissionId, position: await store.queuePosition(submissionId) ?? 0 };
    return reply.code(202).send(accepted);
  });

  app.get<{ Params: { submissionId: string } }>('/api/submissions/:submissionId', async (request) => {
    const submission = await store.submission(request.params.submissionId);
    const secret = token(request);
    if (!secret) throw new HttpError(401, 'this needs your student token or the instructor secret (Authorization: Bearer ...)');
    if (!submission) throw new HttpError(404, 'there is no submission with this id');
    const student = await store.studentByTokenHash(sha256(secret));
    const own = student?.studentId === submission.studentId;
    const cls = own ? undefined : await store.classById(submission.classId);
    if (!own && !(cls && matchesHash(secret, cls.secretHash))) throw new HttpError(403, 'only the student who submitted, or the instructor, may see this submission');
    const status: SubmissionStatus = {
      submissionId: submission.submissionId,
      status: submission.status,
      ...(submission.status === 'queued' ? { position: await store.queuePosition(submission.submissionId) ?? 0 } : {}),
      ...(submission.progress ? { progress: submission.progress } : {}),
      ...(submission.error ? { error: submission.error } : {}),
      ...(submission.verified ? { verified: submission.verified } : {}),
      ...(submission.mismatches ? { mismatches: submission.mismatches } : {}),
    };
    return status;
  });

  // ---- the site ----

  if (options.site !== false) {
    const root = options.site ?? distDir;
    if (!existsSync(join(root, 'index.html'))) throw new Error(`${root} has no index.html: build the site first (npx vite build)`);
    await app.register(fastifyStatic, { root, prefix: '/', index: 'index.html', cacheControl: false });
  }
  return app;
}

// ---- a whole class server: store, events, queue and HTTP, from the environment ----

export interface ClassroomConfig {
  /** The folder for the SQLite file (and nothing else); see dataFolder(). */
  dataDir: string;
  /** PostgreSQL instead of SQLite. */
  databaseUrl?: string;
  catalog: LabCatalog;
  /** The grader: unpacks an upload, and grades one. Without it the server grades nothing. */
  grader?: { read: ReadSubmission; grade: Grade };
  graders?: number;
  site?: string | false;
  adminToken?: string;
  maxSubmissionBytes?: number;
  submissionsPerMinute?: number;
  logger?: boolean;
}

export interface Classroom {
  app: FastifyInstance;
  store: ClassStore;
  events: ClassEvents;
  queue?: GradingQueue;
  close(): Promise<void>;
}

/** PODWIRE_DATA, or ~/.local/share/podwire/classroom (XDG_DATA_HOME respected). */
export function dataFolder(env = process.env): string {
  return env.PODWIRE_DATA || join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'podwire', 'classroom');
}

export const sqliteFile = (dataDir: string) => join(dataDir, 'classroom.sqlite');

export async function openClassroom(config: ClassroomConfig): Promise<Classroom> {
  const store = await openStore({ ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}), sqliteFile: sqliteFile(config.dataDir) });
  const events = config.databaseUrl ? await postgresEvents(config.databaseUrl) : localEvents();
  let queue: GradingQueue | undefined;
  if (config.grader) {
    const graders = config.graders ?? graderCount();
    queue = config.databaseUrl
      ? await pgBossQueue(config.databaseUrl, store, events, config.grader.grade, graders)
      : localQueue(store, events, config.grader.grade, graders);
  }
  const app = await buildClassServer({
    store, events, catalog: config.catalog,
    ...(config.grader && queue ? { grading: { read: config.grader.read, queue } } : {}),
    ...(config.site !== undefined ? { site: config.site } : {}),
    ...(config.adminToken ? { adminToken: config.adminToken } : {}),
    ...(config.maxSubmissionBytes ? { maxSubmissionBytes: config.maxSubmissionBytes } : {}),
    ...(config.submissionsPerMinute ? { submissionsPerMinute: config.submissionsPerMinute } : {}),
    ...(config.logger !== undefined ? { logger: config.logger } : {}),
  });
  await queue?.start();
  return {
    app, store, events, ...(queue ? { queue } : {}),
    async close() {
      await app.close();
      await queue?.close();
      await events.close();
      await store.close();
    },
  };
}
