// One grading in a process of its own (worker.ts starts it): the job comes in as the first
// IPC message, progress and the report or the failure go back, then the process exits, and
// every node worker of the grading with it.
import { gradeSubmission, type GradingJob } from './grade.js';
import { SubmissionError } from './submission.js';
import type { FromGrader } from './worker.js';

const send = (message: FromGrader) => new Promise<void>((resolve) => {
  if (!process.send) return resolve();
  process.send(message, undefined, {}, () => resolve());
});

// The server went away: nobody is waiting for this grading.
process.on('disconnect', () => process.exit(1));

process.once('message', (message: GradingJob & { timeoutMs?: number }) => {
  void (async () => {
    try {
      const report = await gradeSubmission(message, {
        ...(message.timeoutMs ? { timeoutMs: message.timeoutMs } : {}),
        onProgress: (done, total) => { void send({ type: 'progress', done, total }); },
      });
      // maxRSS is in KiB, the peak of the whole process.
      await send({ type: 'done', report, maxRssBytes: process.resourceUsage().maxRSS * 1024 });
    } catch (error) {
      await send({ type: 'failed', submission: error instanceof SubmissionError, message: error instanceof Error ? error.message : String(error) });
    }
    process.exit(0);
  })();
});
