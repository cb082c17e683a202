/**
 * The worker's heartbeat, an Int32Array over shared memory: cases begun, whether a case has
 * failed (fast-check is shrinking), whether a case's `check` is running right now.
 */
export const HEARTBEAT_SLOTS = { BEGUN: 0, SHRINKING: 1, IN_CHECK: 2 } as const;
export const HEARTBEAT_BYTES = 3 * Int32Array.BYTES_PER_ELEMENT;

/**
 * Tells a worker that is busy from one that is stuck: the worker bumps a shared counter before
 * every case; a counter that has not moved for `hangMs` means one case has run that long. A sync
 * case cannot be interrupted from inside, so the main thread terminates the worker and saves the
 * case as a `hang` reproducer (see `hungCasePath`).
 */
export class Watchdog {
  private last = Number.NaN;
  private since = 0;

  constructor(private readonly hangMs: number) {}

  /** Reads the counter at `now` (ms); true once it has stood still for `hangMs`. */
  stalled(count: number, now: number): boolean {
    if (count !== this.last) {
      this.last = count;
      this.since = now;
      return false;
    }
    return now - this.since >= this.hangMs;
  }
}

/** What the worker's heartbeat says about the case that hung. */
export interface HeartbeatState {
  /** Cases begun (their check called). */
  begun: number;
  /** A case had failed: fast-check is shrinking, and `begun` is no longer the run index. */
  shrinking: boolean;
  /** The hang is inside `check`; otherwise in the arbitrary, generating the next case. */
  inCheck: boolean;
}

/**
 * The fast-check path of the input that hung `check`: `begun` cases were started, so the run
 * index is `begun - 1`. Undefined when no input can be named: while shrinking (shrink runs are
 * not numbered by run index), or when the arbitrary itself hung generating the next input.
 */
export function hungCasePath(state: HeartbeatState): string | undefined {
  if (state.shrinking || !state.inCheck || state.begun < 1) return undefined;
  return String(state.begun - 1);
}
