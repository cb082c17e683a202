import type { Clock } from '../../drivers/shared/clock.js';

/**
 * The pending timers of a simulator, so that `clear()` on stop cancels them all. A callback
 * runs only while `active()` says the owner is still running; a negative delay runs at once.
 */
export class TimerSet {
  private readonly handles = new Set<unknown>();

  constructor(
    private readonly clock: Clock,
    private readonly active: () => boolean,
  ) {}

  schedule(ms: number, fn: () => void): unknown {
    const handle = this.clock.setTimeout(
      () => {
        this.handles.delete(handle);
        if (this.active()) fn();
      },
      Math.max(0, ms),
    );
    this.handles.add(handle);
    return handle;
  }

  cancel(handle: unknown): void {
    if (handle === undefined) return;
    this.clock.clearTimeout(handle);
    this.handles.delete(handle);
  }

  clear(): void {
    for (const handle of this.handles) this.clock.clearTimeout(handle);
    this.handles.clear();
  }
}
