// The controller manager: the controllers of src/kube/controllers run as level-triggered
// passes over the whole API. Any write (a store event) schedules a pass; a pass runs every
// controller in turn, and passes repeat while they still change something (each controller
// writes only what differs, so they converge). Nothing here touches a node: the kubelet's
// PodRuntime does, and it is given.
import type { KubeApi } from '../api.js';
import { reconcileDeployments } from './deployment.js';
import { reconcileEndpoints } from './endpoints.js';
import { collectGarbage } from './gc.js';
import { Kubelet, type PodRuntime } from './kubelet.js';
import { reconcileReplicaSets } from './replicaset.js';
import { schedule } from './scheduler.js';

/**
 * After the events already queued (a macrotask, as Node's setImmediate, which the page lacks):
 * a MessageChannel message where there is one, which browsers do not clamp as they clamp
 * nested setTimeout(0) to 4 ms.
 */
const nextTask: (callback: () => void) => void = (() => {
  if (typeof setImmediate === 'function') return (callback) => { setImmediate(callback); };
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  return (callback) => { queue.push(callback); channel.port2.postMessage(null); };
})();

/** A bound on passes in a row: controllers that fight each other show up as an error, not a hang. */
const MAX_PASSES = 50;

export interface ManagerOptions {
  /** Runs the pods bound to nodes; without one, pods are scheduled but stay Pending. */
  runtime?: PodRuntime | ((api: KubeApi) => PodRuntime);
}

export class ControllerManager {
  private stopWatch: (() => void) | undefined;
  private scheduled = false;
  private running = false;
  private dirty = false;
  private idle: (() => void)[] = [];
  readonly kubelet: Kubelet | undefined;
  readonly errors: string[] = [];

  constructor(private readonly api: KubeApi, options: ManagerOptions = {}) {
    const runtime = typeof options.runtime === 'function' ? options.runtime(api) : options.runtime;
    this.kubelet = runtime ? new Kubelet(runtime, () => this.kick()) : undefined;
  }

  start(): void {
    if (this.stopWatch) return;
    this.stopWatch = this.api.store.watch(undefined, () => { if (this.running) this.dirty = true; else this.kick(); });
    this.kick();
  }

  stop(): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
    this.kubelet?.stop();
  }

  private kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    nextTask(() => { this.scheduled = false; this.run(); });
  }

  /** One round: passes until nothing changes. */
  run(): void {
    this.running = true;
    try {
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        this.dirty = false;
        for (const controller of [collectGarbage, reconcileDeployments, reconcileReplicaSets, schedule, reconcileEndpoints]) {
          try {
            controller(this.api);
          } catch (error) {
            this.errors.push(`${controller.name}: ${(error as Error).message}`);
          }
        }
        this.kubelet?.reconcile(this.api);
        if (!this.dirty) break;
        if (pass === MAX_PASSES - 1) this.errors.push(`controllers did not settle after ${MAX_PASSES} passes`);
      }
    } finally {
      this.running = false;
    }
    if (!this.scheduled && !this.kubelet?.pending) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Resolves when no pass is due and no pod is starting or stopping. */
  async settle(): Promise<void> {
    for (;;) {
      const pending = this.kubelet?.pending;
      if (pending) { await pending; continue; }
      if (this.scheduled || this.running) { await new Promise<void>((resolve) => this.idle.push(resolve)); continue; }
      await new Promise<void>((resolve) => nextTask(resolve));
      if (!this.scheduled && !this.kubelet?.pending) return;
    }
  }
}
