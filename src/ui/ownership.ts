// One tab runs a lab at a time. Two tabs on one lab would each run its own cluster
// and each save over the other's; progress is merged (store.ts), but a cluster cannot be.
/**
 * One tab runs a lab at a time: it holds the lab's Web Lock. Another tab on the same lab
 * can ask it (on a BroadcastChannel) to hand over: the owner saves, stops its cluster
 * and lets go, and the asking tab starts from that save. Where the browser has no Web
 * Locks (a page not served from a secure origin), every tab runs its own.
 */
export class LabOwnership {
  private constructor(private readonly release: () => void, private readonly channel: BroadcastChannel | undefined) {}

  private static lockName = (lab: string) => `podwire-lab:${lab}`;
  /** Labs this tab holds, until they are let go: leaving a lab and coming back must wait for its last save, not count as another tab. */
  private static heldHere = new Map<string, Promise<void>>();
  private static channelFor = (lab: string) => (typeof BroadcastChannel === 'function' ? new BroadcastChannel(`podwire-lab:${lab}`) : undefined);

  /**
   * Own the lab. With `wait`, wait for the owner to let go (and after `stealAfterMs`,
   * take the lock from an owner that never answers); without, undefined if another tab has it.
   * `onAsked` runs when another tab asks for the lab.
   */
  static async claim(lab: string, options: { wait?: boolean; stealAfterMs?: number; onAsked: () => void }): Promise<LabOwnership | undefined> {
    await LabOwnership.heldHere.get(lab);
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    const listen = (ownership: LabOwnership) => {
      if (ownership.channel) ownership.channel.onmessage = (event: MessageEvent<{ type?: string }>) => { if (event.data?.type === 'take-over') options.onAsked(); };
      return ownership;
    };
    if (!locks) return listen(new LabOwnership(() => undefined, LabOwnership.channelFor(lab)));
    return new Promise<LabOwnership | undefined>((resolve, reject) => {
      let release!: () => void;
      const held = new Promise<void>((r) => { release = r; });
      const granted = async (lock: Lock | null) => {
        if (!lock) return resolve(undefined);
        const here = held.then(() => { if (LabOwnership.heldHere.get(lab) === here) LabOwnership.heldHere.delete(lab); });
        LabOwnership.heldHere.set(lab, here);
        resolve(listen(new LabOwnership(release, LabOwnership.channelFor(lab))));
        await held;
      };
      const name = LabOwnership.lockName(lab);
      if (!options.wait) {
        locks.request(name, { ifAvailable: true }, granted).catch(reject);
        return;
      }
      const waiting = new AbortController();
      const steal = options.stealAfterMs === undefined ? undefined : setTimeout(() => {
        waiting.abort();
        locks.request(name, { steal: true }, granted).catch(reject);
      }, options.stealAfterMs);
      locks.request(name, { signal: waiting.signal }, (lock) => { clearTimeout(steal); return granted(lock); }).catch((error: unknown) => {
        if ((error as Error).name !== 'AbortError') reject(error);
      });
    });
  }

  /** Ask the tab that owns the lab to save and let go. */
  static askForIt(lab: string): void {
    const channel = LabOwnership.channelFor(lab);
    channel?.postMessage({ type: 'take-over' });
    channel?.close();
  }

  letGo(): void {
    this.channel?.close();
    this.release();
  }
}
