// The class server's API as the page sees it: the shapes fixed by the classroom
// contract (issue 13). The page checks nothing here; the server validates what it
// receives, and the page only shows what it gets back.

export interface CreateClassRequest { name: string; labs: string[]; deadline?: string }
export interface CreatedClass {
  classId: string; joinCode: string; instructorSecret: string;
  /** `#/join/<joinCode>`, to put after the site's address. */
  joinPath: string;
  /** `#/teach/<classId>/<secret>`: a secret link, for the instructor only. */
  instructorPath: string;
}

export interface Joined { studentId: string; token: string; classId: string; className: string; labs: string[]; seed: string }
export interface Me { studentId: string; displayName: string; classId: string; className: string; labs: string[]; seed: string; deadline?: string }

export interface CheckResultReport { id: string; passed: boolean; message?: string }
/** One Check attempt, as the page sends it. `id` is made by the page, so sending it twice stores it once. */
export interface CheckReport {
  id: string; lab: string; stepIndex: number; stepId: string; at: number;
  passed: number; total: number; results: CheckResultReport[]; hintsShown: number; timeOnStepMs: number;
}

export type StepStatus = 'attempted' | 'passed' | 'verified';
export interface StepRecord { status: StepStatus; attempts: number; failures: number; firstAt: number; lastAt: number; hintsShown: number; timeOnStepMs: number }
export interface StudentLab { currentStepId?: string; steps: Record<string, StepRecord>; stuck: boolean; stuckReason?: string }
export interface StudentRow { studentId: string; displayName: string; joinedAt: number | string; labs: Record<string, StudentLab> }
export interface ClassInfo { classId: string; name: string; labs: string[]; deadline?: string; createdAt: number | string }
export interface ClassView { class: ClassInfo; students: StudentRow[] }

export interface StepScore { passed: number; total: number; results: { id: string; passed: boolean; message?: string }[] }
export interface SubmissionManifest {
  lab: string; snapshotKey: string; savedAt: number;
  claimed: Record<string, { passed: number; total: number; results: { id: string; passed: boolean }[] }>;
}
export interface Submitted { submissionId: string; position: number }
export type SubmissionStatus = 'queued' | 'grading' | 'done' | 'failed' | 'superseded';
export interface Submission {
  submissionId: string; status: SubmissionStatus; position?: number; progress?: { done: number; total: number };
  error?: string; verified?: Record<string, StepScore>; mismatches?: { stepId: string; id: string }[];
}
