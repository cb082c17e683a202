import type { Clock } from '../shared/clock.js';

/** Tolerance for a contact that reports open just after the release ends (relay and hinge lag). */
const FORCED_GRACE_MS = 1000;

export interface DoorContactOptions {
  /** How long the door may stay open after its release before DOOR_HELD_OPEN. */
  heldOpenMs: number;
  clock: Clock;
  /** The site's fire alarm: every lock is released, so no door is forced or held open. */
  fireActive: () => boolean;
  alarm: (code: 'DOOR_FORCED_OPEN' | 'DOOR_HELD_OPEN', detail: Record<string, number>) => void;
}

/**
 * A door's contact against its lock: opened while locked (past a grace after the last release)
 * is DOOR_FORCED_OPEN, critical; still open when the release and the hold time have run out is
 * DOOR_HELD_OPEN, a warning. The fire alarm excuses both.
 */
export class DoorContact {
  private releasedUntil = 0;
  private open = false;
  private heldTimer: unknown;

  constructor(private readonly options: DoorContactOptions) {}

  /** The lock was released for `durationMs` from now: the door may open without being forced. */
  released(durationMs: number): void {
    this.releasedUntil = Math.max(this.releasedUntil, this.options.clock.now() + durationMs);
  }

  /** The contact as found on (re)connecting: a door found open was not forced by the gateway's absence. */
  found(open: boolean): void {
    this.open = open;
  }

  changed(open: boolean): void {
    if (open === this.open) return;
    const { clock, fireActive, alarm, heldOpenMs } = this.options;
    this.open = open;
    this.stop();
    if (!open) return;
    const now = clock.now();
    if (!fireActive() && now > this.releasedUntil + FORCED_GRACE_MS) {
      alarm('DOOR_FORCED_OPEN', {});
      return;
    }
    const deadline = Math.max(now, this.releasedUntil) + heldOpenMs;
    this.heldTimer = clock.setTimeout(() => {
      this.heldTimer = undefined;
      if (this.open && !fireActive()) alarm('DOOR_HELD_OPEN', { heldMs: heldOpenMs });
    }, deadline - now);
  }

  /** Drops the held-open timer. */
  stop(): void {
    if (this.heldTimer !== undefined) this.options.clock.clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
  }
}
