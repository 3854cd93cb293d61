// podwire: the headless command line.
//
//   podwire labs                                   list the labs
//   podwire check <lab> [--step N] [--solution]    set the lab up, optionally apply the
//                                                  reference solution, and grade it
//   podwire grade <lab> [--solution] --report out.json --junit out.xml
//
// Exit codes: 0 every check passed, 1 a check failed, 2 bad usage or a malformed
// lab, 3 the cluster could not be brought up or set up.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { findLab, loadLabs } from '../lab/load.js';
import { LabError } from '../lab/parse.js';
import { SetupError } from '../harness/grader.js';
import { toJson, toJunit, toText } from '../harness/report.js';
import { runLab } from '../harness/run-lab.js';

const USAGE = `usage:
  podwire labs
  podwire check <lab> [--step N] [--solution] [--json]
  podwire grade <lab> [--solution] [--report out.json] [--junit out.xml]`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: { step: { type: 'string' }, solution: { type: 'boolean' }, json: { type: 'boolean' }, report: { type: 'string' }, junit: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, labName, ...extra] = positionals;
  if (values.help || !command) { process.stdout.write(`${USAGE}\n`); return command ? 0 : 2; }
  if (command === 'labs') {
    for (const lab of loadLabs()) process.stdout.write(`${lab.id.padEnd(24)} ${lab.level.padEnd(13)} ${String(lab.minutes).padStart(3)} min  ${lab.steps.length} steps  ${lab.title}\n`);
    return 0;
  }
  if (command !== 'check' && command !== 'grade') throw new UsageError(`unknown command '${command}'`);
  if (!labName) throw new UsageError(`'${command}' needs a lab (see: podwire labs)`);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const step = values.step === undefined ? undefined : Number(values.step);
  if (step !== undefined && !Number.isInteger(step)) throw new UsageError(`--step takes a step number, not '${values.step}'`);
  const lab = findLab(labName);
  if (step !== undefined && (step < 1 || step > lab.steps.length)) throw new UsageError(`lab ${lab.id} has steps 1 to ${lab.steps.length}; there is no step ${step}`);

  const report = await runLab(lab, { ...(step ? { step } : {}), solution: values.solution ?? false, onProgress: (m) => process.stderr.write(`podwire: ${m}\n`) });
  if (command === 'grade') {
    if (values.report) writeFileSync(values.report, toJson(report));
    if (values.junit) writeFileSync(values.junit, toJunit([report]));
  }
  process.stdout.write(values.json ? toJson(report) : toText(report));
  return report.passed === report.total ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`podwire: ${message}\n`);
  if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
  const usage = error instanceof UsageError || error instanceof LabError || /^unknown lab /.test(message);
  process.exit(usage ? 2 : error instanceof SetupError ? 3 : 3);
});
