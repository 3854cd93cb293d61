// A lab worked on for a class: every Check becomes a CheckReport for the class server
// (queued in the outbox, so nothing is lost offline), with the time spent on the step
// and the hints the page has shown for it. What each step last claimed is kept too: a
// submission carries it, so the server can flag a claim its own grading does not find.
import type { StepReport } from '../../harness/report.js';
import type { Lab } from '../../lab/types.js';
import type { SubmissionManifest } from '../../classroom/grading/bundle.js';
import type { CheckReport } from '../../classroom/protocol.js';
import type { Membership } from './client.js';
import { enqueue } from './outbox.js';

/** The server's limits on a result's id and message (longer ones would have the whole report refused). */
const MAX_ID = 200;
const MAX_MESSAGE = 2000;
/** A check's id in a report: its name, or its place in the step when it has none (as the server's grading names it). */
const resultId = (name: string, index: number) => (name || `check ${index + 1}`).slice(0, MAX_ID);

interface StepNotes {
  /** When the learner first had this step in front of them. */
  startedAt: number;
  hintsShown: number;
  last?: SubmissionManifest['claimed'][string];
}

export class ClassReporter {
  private readonly key: string;
  private notes: Record<string, StepNotes>;

  constructor(private readonly lab: Lab, private readonly membership: Membership) {
    this.key = `podwire-class-steps:${membership.classId}:${lab.id}`;
    this.notes = this.read();
  }

  private read(): Record<string, StepNotes> {
    try {
      const parsed = JSON.parse(localStorage.getItem(this.key) ?? '{}') as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as Record<string, StepNotes> : {};
    } catch {
      return {};
    }
  }

  private write(): void {
    try { localStorage.setItem(this.key, JSON.stringify(this.notes)); } catch { /* storage may be off */ }
  }

  private notesFor(stepId: string): StepNotes {
    this.notes[stepId] ??= { startedAt: Date.now(), hintsShown: 0 };
    return this.notes[stepId];
  }

  /** The step is on screen: its clock starts now, unless it started before. */
  stepShown(stepIndex: number): void {
    const step = this.lab.steps[stepIndex];
    if (!step || this.notes[step.id]) return;
    this.notesFor(step.id);
    this.write();
  }

  /** A Check's report: queued for the class server (and sent when it can be). */
  async checked(stepIndex: number, report: StepReport): Promise<CheckReport> {
    const notes = this.notesFor(report.id);
    // The page shows the report's hint under the step: one more hint seen.
    if (report.hint) notes.hintsShown++;
    const results = report.checks.map((c, i) => ({ id: resultId(c.name, i), passed: c.passed, ...(c.passed ? {} : { message: c.message.slice(0, MAX_MESSAGE) }) }));
    notes.last = { passed: report.passed, total: report.total, results: results.map(({ id, passed }) => ({ id, passed })) };
    this.write();
    const now = Date.now();
    const checkReport: CheckReport = {
      id: crypto.randomUUID(), lab: this.lab.id, stepIndex, stepId: report.id, at: now,
      passed: report.passed, total: report.total, results, hintsShown: notes.hintsShown, timeOnStepMs: Math.max(0, now - notes.startedAt),
    };
    await enqueue(this.membership.token, checkReport);
    return checkReport;
  }

  /** What the page claims for each step it has checked, for a submission's manifest. */
  claimed(): SubmissionManifest['claimed'] {
    return Object.fromEntries(Object.entries(this.notes).flatMap(([id, notes]) => notes.last ? [[id, notes.last]] : []));
  }
}
