/** Below this many keys a map is never swept on insert (the timer's `forgetBefore` still runs). */
const MIN_SWEEP = 4096;

/**
 * Keys (person ids, QR code ids) with the time they were last seen, forgetting those older than
 * a window. Sweeps on insert are amortised: one runs only when the map has doubled since the
 * last, so a replay with more keys inside the window than the threshold costs O(1) per insert
 * instead of a sweep of the whole map per insert (which made a long replay quadratic).
 *
 * Contract: `get` may return keys older than the window; readers compare times (as
 * `seenWithinWindow` does).
 */
export class RecentTimes {
  private readonly times = new Map<string, number>();
  private sweepAbove = MIN_SWEEP;

  constructor(private readonly windowMs: number) {}

  get size(): number {
    return this.times.size;
  }

  get(key: string): number | undefined {
    return this.times.get(key);
  }

  /** Whether `key` was seen within the window before `now` (whether or not a sweep ran since). */
  seenWithinWindow(key: string, now: number): boolean {
    const at = this.times.get(key);
    return at !== undefined && at >= now - this.windowMs;
  }

  set(key: string, at: number): void {
    this.times.set(key, at);
    if (this.times.size > this.sweepAbove) {
      this.forgetBefore(at - this.windowMs);
      this.sweepAbove = Math.max(MIN_SWEEP, 2 * this.times.size);
    }
  }

  /** Every key with its time, and the sweep threshold: what `restore` needs to be this again. */
  snapshot(): RecentTimesSnapshot {
    return { times: [...this.times], sweepAbove: this.sweepAbove };
  }

  /** Becomes the times of `snapshot` (this one's window), as if the same keys had been set. */
  restore(snapshot: RecentTimesSnapshot): void {
    this.times.clear();
    for (const [key, at] of snapshot.times) this.times.set(key, at);
    this.sweepAbove = Math.max(MIN_SWEEP, snapshot.sweepAbove);
  }

  /** Forgets keys last seen more than the window before `now`. */
  forgetOlderThanWindow(now: number): void {
    this.forgetBefore(now - this.windowMs);
  }

  private forgetBefore(before: number): void {
    for (const [key, t] of this.times) if (t < before) this.times.delete(key);
  }
}

export interface RecentTimesSnapshot {
  times: [key: string, at: number][];
  sweepAbove: number;
}
