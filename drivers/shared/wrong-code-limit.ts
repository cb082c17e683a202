/**
 * The limit on wrong codes typed at one keypad: `maxWrong` refused codes within `windowMs` lock
 * the keypad for `lockMs`, during which nothing typed there is presented. Without it a keypad
 * is an unlimited guessing machine for numeric pass codes: at one try a second, one of 1,000
 * registered six-digit codes is hit in about 17 minutes. With the default limit that takes
 * hours, and the first lock raises an alarm the guard sees. An accepted code clears the count.
 * Pure: the caller passes the time, so tests need no clock.
 */
export interface WrongCodePolicy {
  maxWrong: number;
  windowMs: number;
  lockMs: number;
}

/** Access controllers commonly lock a keypad after 3–5 wrong entries for a minute or more. */
export const DEFAULT_WRONG_CODE_POLICY: WrongCodePolicy = { maxWrong: 5, windowMs: 60_000, lockMs: 60_000 };

export class WrongCodeLimit {
  /** Times of the refused codes within the window, oldest first. */
  private wrong: number[] = [];
  private lockedUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly policy: WrongCodePolicy = DEFAULT_WRONG_CODE_POLICY) {}

  /** Whether codes typed now are to be ignored. */
  locked(now: number): boolean {
    return now < this.lockedUntil;
  }

  /** Until when the keypad is locked (meaningful while `locked`). */
  get until(): number {
    return this.lockedUntil;
  }

  /** Counts a refused code; true when this one locked the keypad. */
  refused(now: number): boolean {
    this.wrong = this.wrong.filter((at) => now - at < this.policy.windowMs);
    this.wrong.push(now);
    if (this.wrong.length < this.policy.maxWrong) return false;
    this.wrong = [];
    this.lockedUntil = now + this.policy.lockMs;
    return true;
  }

  accepted(): void {
    this.wrong = [];
  }

  /** Locks until `until` (a lock found in the journal at start): a restart does not lift it. */
  restoreLock(until: number): void {
    this.lockedUntil = Math.max(this.lockedUntil, until);
  }
}
