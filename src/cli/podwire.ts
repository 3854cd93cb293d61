// podwire: the headless command line.
//
//   podwire labs                                      list the labs
//   podwire check <lab> [--step N] [--seed S] [--solution | --apply node=file ...] [--json]
//                                                     set the lab up, apply the reference solution
//                                                     or your commands, and grade it
//   podwire grade <lab> [--seed S] [--solution | --apply node=file ...] [--report out.json] [--junit out.xml]
//   podwire walk <lab> --from POD|NODE[/POD] --to ADDR[:PORT] [--tcp | --dns NAME] [--solution [--step N]] [--seed S] [--json]
//                                                     follow one packet through the lab's real kernels, hop by hop
//   podwire class create|export ...                  a class on the class server's database (src/cli/class.ts)
//   podwire grader                                   grade submissions for class servers on DATABASE_URL
//   podwire kube serve [--port N]                    the Kubernetes API server (src/kube) for a real kubectl
//
// Exit codes: 0 every check passed, 1 a check failed, 2 bad usage or a malformed lab,
// 3 the harness or a node failed (the cluster did not come up, the setup failed, or a
// node crashed, hung or answered garbage during a check).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { findLab, loadLabs } from '../lab/load.js';
import { LabError } from '../lab/parse.js';
import { instantiateLab } from '../lab/variables.js';
import type { Lab, NodeCommands } from '../lab/types.js';
import { nodeFailures, toJson, toJunit, toText } from '../harness/report.js';
import { withLab } from '../harness/run-lab.js';
import { parseTarget, walkJson, walkText, WalkError } from '../harness/walk.js';
import { classCommand, graderCommand } from './class.js';
import { kubeCommand } from './kube.js';

const USAGE = `usage:
  podwire labs
  podwire check <lab> [--step N] [--seed S] [--solution | --apply NODE=FILE ...] [--json]
  podwire grade <lab> [--seed S] [--solution | --apply NODE=FILE ...] [--report out.json] [--junit out.xml]
  podwire walk <lab> --from SOURCE --to ADDR[:PORT] [--tcp | --dns NAME] [--solution [--step N]] [--seed S] [--json]
                     set the lab up (and apply its reference solution, of steps 1 to N with
                     --step), send one ping (or a TCP SYN, or a DNS query for NAME) and print
                     the path it took and its answer's
  podwire class create|export ...   (see: podwire class --help)
  podwire grader                    grade class submissions from DATABASE_URL (PODWIRE_GRADERS at once)
  podwire kube serve [--port N]     serve the Kubernetes API for a real kubectl; prints a kubeconfig path

  --solution         apply the lab's reference solution of each step before grading it
  --apply NODE=FILE  run the commands in FILE on NODE (as typed in its terminal) before
                     grading; repeat it for more nodes
  --seed S           the lab's variant for seed S (a class student's is CLASS_ID:STUDENT_ID);
                     without it, the lab's default values

exit codes: 0 all passed, 1 a check failed, 2 bad usage or a malformed lab,
            3 the harness or a node failed`;

export const EXIT = { passed: 0, failed: 1, usage: 2, harness: 3 } as const;

class UsageError extends Error {}

/** --apply node1=cmds.sh, repeatable: each node's commands from a file. */
function commandsFrom(lab: Lab, specs: string[]): NodeCommands {
  const nodes = lab.topology.nodes.map((n) => n.name);
  const commands: NodeCommands = {};
  for (const spec of specs) {
    const match = /^([^=]+)=(.+)$/.exec(spec);
    if (!match) throw new UsageError(`--apply takes NODE=FILE, not '${spec}'`);
    const [, node, file] = match as unknown as [string, string, string];
    if (!nodes.includes(node)) throw new UsageError(`lab ${lab.id} has no node '${node}' (it has: ${nodes.join(', ')})`);
    if (commands[node] !== undefined) throw new UsageError(`--apply names ${node} twice`);
    try {
      commands[node] = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--apply ${node}=${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
  }
  return commands;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'class') return classCommand(argv.slice(1));
  if (argv[0] === 'grader') return graderCommand(argv.slice(1));
  if (argv[0] === 'kube') return kubeCommand(argv.slice(1));
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      step: { type: 'string' }, seed: { type: 'string' }, solution: { type: 'boolean' }, apply: { type: 'string', multiple: true },
      from: { type: 'string' }, to: { type: 'string' }, tcp: { type: 'boolean' }, dns: { type: 'string' },
      json: { type: 'boolean' }, report: { type: 'string' }, junit: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, labName, ...extra] = positionals;
  if (values.help || !command) { process.stdout.write(`${USAGE}\n`); return command ? EXIT.passed : EXIT.usage; }
  if (command === 'labs') {
    for (const lab of loadLabs()) process.stdout.write(`${lab.id.padEnd(24)} ${lab.level.padEnd(13)} ${String(lab.minutes).padStart(3)} min  ${lab.steps.length} steps  ${lab.title}\n`);
    return EXIT.passed;
  }
  if (command === 'walk') return walkCommand(labName, extra, values);
  if (command !== 'check' && command !== 'grade') throw new UsageError(`unknown command '${command}'`);
  if (!labName) throw new UsageError(`'${command}' needs a lab (see: podwire labs)`);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const step = values.step === undefined ? undefined : Number(values.step);
  if (step !== undefined && !Number.isInteger(step)) throw new UsageError(`--step takes a step number, not '${values.step}'`);
  if (values.solution && values.apply?.length) throw new UsageError('--solution and --apply exclude each other: grade the reference solution or your commands');
  const lab = instantiateLab(findLab(labName), values.seed);
  const chosen = Object.entries(lab.values);
  if (values.seed !== undefined && chosen.length) process.stderr.write(`podwire: lab ${lab.id} for seed '${values.seed}': ${chosen.map(([name, value]) => `${name}=${value}`).join(', ')}\n`);
  if (step !== undefined && (step < 1 || step > lab.steps.length)) throw new UsageError(`lab ${lab.id} has steps 1 to ${lab.steps.length}; there is no step ${step}`);
  const commands = values.apply?.length ? commandsFrom(lab, values.apply) : undefined;

  const log = (message: string) => process.stderr.write(`podwire: ${message}\n`);
  const report = await withLab(lab, (run) => run.grade({
    ...(step ? { step } : {}), solution: values.solution ?? false, ...(commands ? { commands } : {}), onProgress: log,
  }), { onStatus: log });
  if (command === 'grade') {
    if (values.report) writeFileSync(values.report, toJson(report));
    if (values.junit) writeFileSync(values.junit, toJunit([report]));
  }
  process.stdout.write(values.json ? toJson(report) : toText(report));
  const failed = nodeFailures(report);
  for (const check of failed) log(`the harness could not judge '${check.name}' on ${check.node}: ${check.error}`);
  if (failed.length) return EXIT.harness;
  return report.passed === report.total ? EXIT.passed : EXIT.failed;
}

/** podwire walk: the lab set up (with its solution, if asked), then one probe followed. */
async function walkCommand(labName: string | undefined, extra: string[], values: { from?: string | undefined; to?: string | undefined; tcp?: boolean | undefined; dns?: string | undefined; solution?: boolean | undefined; step?: string | undefined; seed?: string | undefined; json?: boolean | undefined }): Promise<number> {
  if (!labName) throw new UsageError("'walk' needs a lab (see: podwire labs)");
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (!values.from || !values.to) throw new UsageError('walk needs --from (a pod or a node) and --to (an address, address:port or name)');
  if (values.tcp && values.dns !== undefined) throw new UsageError('--tcp and --dns exclude each other');
  try {
    parseTarget(values.to); // a destination that is not one fails before any node starts
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // A lab's later steps change the path (kube-proxy's chains, masquerading): --step N walks
  // the cluster as step N of the lab leaves it, e.g. as its "follow the packet" step sees it.
  const step = values.step === undefined ? undefined : Number(values.step);
  if (step !== undefined && !values.solution) throw new UsageError('--step in walk says how many steps of the reference solution to apply: it needs --solution');
  const lab = instantiateLab(findLab(labName), values.seed);
  if (step !== undefined && (!Number.isInteger(step) || step < 1 || step > lab.steps.length)) throw new UsageError(`lab ${lab.id} has steps 1 to ${lab.steps.length}; there is no step ${values.step}`);
  const log = (message: string) => process.stderr.write(`podwire: ${message}\n`);
  const request = { from: values.from, to: values.to, probe: values.tcp ? 'tcp' : values.dns !== undefined ? 'dns' : 'icmp', ...(values.dns ? { query: values.dns } : {}) } as const;
  try {
    const walk = await withLab(lab, async (run) => {
      if (values.solution) await run.applySolutions(step ?? lab.steps.length);
      return run.walk(request);
    }, { onStatus: log });
    process.stdout.write(values.json ? `${JSON.stringify(walkJson(walk), null, 2)}\n` : walkText(walk));
    return walk.outcome === 'answered' ? EXIT.passed : EXIT.failed;
  } catch (error) {
    if (error instanceof WalkError) throw new UsageError(error.message);
    throw error;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`podwire: ${message}\n`);
  if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
  const usage = error instanceof UsageError || error instanceof LabError || /^unknown lab /.test(message);
  // Anything else (the cluster did not come up, a setup script failed, a node died) is the harness's failure, not the learner's.
  process.exit(usage ? EXIT.usage : EXIT.harness);
});
