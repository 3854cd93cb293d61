// Readiness probes, the kubelet's prober (pkg/kubelet/prober in kubernetes/kubernetes), without
// the probing itself: what a probe asks for (an HTTP GET, a TCP connect, a command in the pod)
// with the pod's address and named ports resolved, and the state machine of one probe worker.
// Upstream facts kept here:
//   - defaults (pkg/apis/core/v1/defaults.go SetDefaults_Probe, SetDefaults_HTTPGetAction):
//     timeoutSeconds 1, periodSeconds 10, successThreshold 1, failureThreshold 3,
//     initialDelaySeconds 0; httpGet path "/" and scheme HTTP;
//   - a readiness worker starts at Failure (worker.go newWorker: initialValue), so a container
//     with a readiness probe is not ready until a probe succeeds;
//   - the worker probes at once, then every periodSeconds (a ticker: missed ticks are dropped);
//     a tick less than initialDelaySeconds after the container started is skipped;
//   - a result counts in a run of equal results; the state changes only when a run of
//     failures reaches failureThreshold, or a run of successes reaches successThreshold
//     (worker.go doProbe, resultRun);
//   - a probe that errs (a named port no container port has, prober.go runProbe) is thrown
//     away: the state and the run stay as they were;
//   - httpGet goes to the pod's IP unless host is set, succeeds on a status from 200 to 399
//     (pkg/probe/http), tcpSocket succeeds when the connection opens (pkg/probe/tcp), exec
//     when the command exits 0 (pkg/probe/exec); each fails after timeoutSeconds.
import type { Plain } from './common.js';

export type ProbeAction =
  | { type: 'httpGet'; host: string; port: number; path: string; scheme: string; headers: { name: string; value: string }[] }
  | { type: 'tcpSocket'; host: string; port: number }
  | { type: 'exec'; command: string[] };

/** What a probe round reports for one probe: success, failure, or an error (the result is thrown away). */
export interface ProbeOutcome { result: 'success' | 'failure' | 'error'; message: string }

export interface ProbeTiming { initialDelaySeconds: number; periodSeconds: number; timeoutSeconds: number; successThreshold: number; failureThreshold: number }

/** A probe's timing with upstream's defaults. */
export function probeTiming(probe: Plain): ProbeTiming {
  const n = (v: unknown, d: number) => (typeof v === 'number' && v > 0 ? v : d);
  return {
    initialDelaySeconds: typeof probe.initialDelaySeconds === 'number' && probe.initialDelaySeconds > 0 ? probe.initialDelaySeconds : 0,
    periodSeconds: n(probe.periodSeconds, 10),
    timeoutSeconds: n(probe.timeoutSeconds, 1),
    successThreshold: n(probe.successThreshold, 1),
    failureThreshold: n(probe.failureThreshold, 3),
  };
}

/** A port as a probe names it: a number, or a name among the container's ports (probe.ResolveContainerPort). */
export function resolveProbePort(port: unknown, container: Plain): number | string {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(String(port))) return Number(port);
  const found = ((container.ports ?? []) as Plain[]).find((p) => p.name === port);
  return found ? Number(found.containerPort) : `port ${String(port)} not found`;
}

/** The probe's action against a pod at `podIP`, or the error that keeps it from running. */
export function probeAction(probe: Plain, container: Plain, podIP: string): ProbeAction | { error: string } {
  if (probe.httpGet) {
    const port = resolveProbePort(probe.httpGet.port, container);
    if (typeof port === 'string') return { error: port };
    const scheme = String(probe.httpGet.scheme ?? 'HTTP').toUpperCase();
    if (scheme !== 'HTTP') return { error: `scheme ${scheme}: only HTTP probes are run here` };
    const path = String(probe.httpGet.path || '/');
    return { type: 'httpGet', host: probe.httpGet.host || podIP, port, path: path.startsWith('/') ? path : `/${path}`, scheme, headers: (probe.httpGet.httpHeaders ?? []) as { name: string; value: string }[] };
  }
  if (probe.tcpSocket) {
    const port = resolveProbePort(probe.tcpSocket.port, container);
    if (typeof port === 'string') return { error: port };
    return { type: 'tcpSocket', host: probe.tcpSocket.host || podIP, port };
  }
  if (probe.exec) return { type: 'exec', command: (probe.exec.command ?? []) as string[] };
  return { error: 'a probe needs one of httpGet, tcpSocket, exec' };
}

/** One container's readiness worker (worker.go), on a clock in milliseconds. */
export class ReadinessWorker {
  /** The result the kubelet reports: starts at Failure for a new container. */
  ready: boolean;
  private lastResult: 'success' | 'failure' | undefined;
  private resultRun = 0;
  /** Probes run so far (errors included). */
  probes = 0;
  /** The next tick of the worker's ticker. */
  private nextAt: number;

  constructor(readonly timing: ProbeTiming, private readonly startedAt: number, now: number, initial = false) {
    this.ready = initial;
    this.nextAt = now;
  }

  /** Whether a probe is due: the ticker has ticked, and the initial delay is over (else the tick is skipped). */
  due(now: number): boolean {
    if (now < this.nextAt) return false;
    const period = this.timing.periodSeconds * 1000;
    const ticks = Math.floor((now - this.nextAt) / period) + 1;
    this.nextAt += ticks * period;
    return Math.floor((now - this.startedAt) / 1000) >= this.timing.initialDelaySeconds;
  }

  /** When the next tick comes. */
  get next(): number { return this.nextAt; }

  /** Record a probe's result; true when the readiness changed. */
  record(result: ProbeOutcome['result']): boolean {
    this.probes++;
    if (result === 'error') return false;
    if (this.lastResult === result) this.resultRun++;
    else { this.lastResult = result; this.resultRun = 1; }
    if ((result === 'failure' && this.resultRun < this.timing.failureThreshold) || (result === 'success' && this.resultRun < this.timing.successThreshold)) return false;
    const ready = result === 'success';
    const changed = ready !== this.ready;
    this.ready = ready;
    return changed;
  }
}

/**
 * A pod's status with each container's readiness (containerStatuses[].ready) and the conditions
 * ContainersReady and Ready that follow from it (pkg/kubelet/status/generate.go: reason
 * ContainersNotReady, message "containers with unready status: [NAMES]"); undefined when
 * nothing changes. A condition's lastTransitionTime moves only when its status does.
 */
export function withReadiness(status: Plain, ready: ReadonlyMap<string, boolean>, now: string): Plain | undefined {
  const statuses = ((status.containerStatuses ?? []) as Plain[]).map((c) => (ready.has(c.name) && ready.get(c.name) !== c.ready ? { ...c, ready: ready.get(c.name) } : c));
  const unready = statuses.filter((c) => !c.ready).map((c) => c.name as string);
  const conditions = ((status.conditions ?? []) as Plain[]).map((c) => {
    if (c.type !== 'Ready' && c.type !== 'ContainersReady') return c;
    const next: Plain = unready.length
      ? { type: c.type, status: 'False', lastProbeTime: null, lastTransitionTime: c.lastTransitionTime, reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` }
      : { type: c.type, status: 'True', lastProbeTime: null, lastTransitionTime: c.lastTransitionTime };
    if (next.status !== c.status) next.lastTransitionTime = now;
    return next;
  });
  const changed = JSON.stringify(statuses) !== JSON.stringify(status.containerStatuses ?? []) || JSON.stringify(conditions) !== JSON.stringify(status.conditions ?? []);
  return changed ? { ...status, containerStatuses: statuses, conditions } : undefined;
}
