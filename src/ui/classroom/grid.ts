// The instructor's grid as plain data: what each cell of students × steps says, time on
// the current step, and "stuck" (3 failed attempts, or 10 minutes, on the current step).
// Kept apart from the Svelte view so that it can be tested without a browser.
import { STUCK_FAILURES, STUCK_MS, type ClassView, type LabProgress, type StepProgress, type StudentRow } from '../../classroom/protocol.js';
import { words, type Words } from '../i18n/words.js';

export type CellState = 'not-started' | StepProgress['status'];
/** `description` is words for the page to say (say()), in the instructor's language. */
export interface Cell { state: CellState; text: string; description: Words; record?: StepProgress }

export function cellFor(lab: LabProgress | undefined, stepId: string): Cell {
  const record = lab?.steps[stepId];
  if (!record) return { state: 'not-started', text: '–', description: words('grid.notStarted') };
  const tries = words('grid.attempts', { count: record.attempts });
  if (record.status === 'verified') return { state: 'verified', text: '✓✓', description: words('grid.verified', { tries }), record };
  if (record.status === 'passed') return { state: 'passed', text: '✓', description: words('grid.passed', { tries }), record };
  return { state: 'attempted', text: `✗ ${record.attempts}`, description: words('grid.notPassed', { tries }), record };
}

/** The current step's record, if the student has checked it. */
function current(lab: LabProgress | undefined): StepProgress | undefined {
  return lab?.currentStepId ? lab.steps[lab.currentStepId] : undefined;
}

/**
 * Time on the current step: the student's own clock at their last Check on it, plus the
 * time since, while the step is not passed (a passed step's clock has stopped).
 */
export function timeOnCurrentStep(lab: LabProgress | undefined, now: number): number | undefined {
  const record = current(lab);
  if (!record) return undefined;
  const running = record.status === 'attempted' ? Math.max(0, now - record.lastAt) : 0;
  return record.timeOnStepMs + running;
}

/**
 * Stuck as the server says (its own sentence), or as the clock says since (the server
 * speaks only when the student checks), in words for the page to say.
 */
export function stuckness(lab: LabProgress | undefined, now: number): { stuck: boolean; reason?: string | Words } {
  if (!lab) return { stuck: false };
  if (lab.stuck) return { stuck: true, reason: lab.stuckReason ?? words('grid.stuck') };
  const record = current(lab);
  if (!record || record.status !== 'attempted') return { stuck: false };
  if (record.failures >= STUCK_FAILURES) return { stuck: true, reason: words('grid.failedAttempts', { count: record.failures }) };
  const time = timeOnCurrentStep(lab, now) ?? 0;
  if (time >= STUCK_MS) return { stuck: true, reason: words('grid.onTheStep', { time: duration(time) }) };
  return { stuck: false };
}

/** The view with one student's row put in (a new student joins; a known one changes). */
export function withStudent(view: ClassView, row: StudentRow): ClassView {
  const at = view.students.findIndex((s) => s.studentId === row.studentId);
  const students = at < 0 ? [...view.students, row] : view.students.map((s, i) => (i === at ? row : s));
  return { ...view, students };
}

/** The steps to show for a lab: the site's own list, else every step a student has a record of. */
export function stepIds(known: string[] | undefined, view: ClassView, lab: string): string[] {
  if (known) return known;
  return [...new Set(view.students.flatMap((s) => Object.keys(s.labs[lab]?.steps ?? {})))];
}

/** A time as the grid shows it: 42 s, 3 min 5 s, 1 h 12 min. */
export function duration(ms: number): Words {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return words('grid.duration.seconds', { seconds });
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return words('grid.duration.minutes', { minutes, seconds: seconds % 60 });
  return words('grid.duration.hours', { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
}
