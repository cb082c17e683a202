import type { PlannedAction } from './plan.js';
import type { ObservedDecision } from './verdict.js';

/**
 * When each action of a plan is due, and whether it was decided in time for its expectation.
 *
 * Due times count from when the first step is played: a step at scenario time t is due
 * (t − t_first) / speed later. The runner never plays a step before it is due, nor before the
 * previous one has its decision, so the days' quiet hours absorb the time the busy ones took: at
 * a speed where the compressed days are shorter than the actions' own time, the actions set the
 * pace, and the waiting is only where the plan is ahead of them. A step that must keep its gap
 * to the one before (a fault's end: the fault lasts its duration / speed) waits for that too.
 *
 * An action whose expectation depends on when it is decided (`slackMs`: a quota refusal, an
 * exit that a later allowed exit must be a period away from) is checked against the gateway's
 * own time of the decision (the journal entry's `at`): decided more than its slack after it was
 * due, its expectation no longer follows from the plan, and the run says so rather than
 * reporting the gateway wrong. `now` is injectable for tests.
 */
export class Schedule {
  private startedAt: number | undefined;
  private previous: { at: number; playedAt: number } | undefined;

  constructor(
    /** Scenario time of the first step. */
    private readonly firstAt: number,
    private readonly speed: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(speed > 0)) throw new RangeError(`speed: ${speed} is not a positive number`);
  }

  /**
   * Milliseconds to wait before playing the step at scenario time `at` (0 when due or late);
   * with `keepGap`, at least its gap to the previous step / speed. Call it once per step, in order.
   */
  waitMs(at: number, keepGap = false): number {
    const now = this.now();
    this.startedAt ??= now;
    let wait = Math.max(0, this.dueAt(at) - now);
    if (keepGap && this.previous !== undefined)
      wait = Math.max(wait, this.previous.playedAt + (at - this.previous.at) / this.speed - now);
    this.previous = { at, playedAt: now + wait };
    return wait;
  }

  /** When scenario time `at` is due, on this process's clock (the gateway's, on the same machine). */
  dueAt(at: number): number {
    return (this.startedAt ?? this.now()) + (at - this.firstAt) / this.speed;
  }

  /** undefined when the decision came in time for the expectation (or the action has no slack), else why not. */
  lateness(action: PlannedAction, decision: ObservedDecision | undefined): string | undefined {
    if (action.slackMs === undefined || decision?.at === undefined) return undefined;
    const lateMs = (decision.at - this.dueAt(action.at)) * this.speed;
    if (lateMs <= action.slackMs) return undefined;
    return `decided ${minutes(lateMs)} scenario min after its time, but its expectation holds for ${minutes(action.slackMs)}: the machine did not keep up with --speed ${this.speed} (try a lower one)`;
  }
}

function minutes(ms: number): string {
  return (ms / 60_000).toFixed(0);
}
