import type { Clock } from '../../drivers/shared/clock.js';

interface Timer {
  due: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock moved by hand, for tests: time starts where the test says (0 by default) and moves
 * only by `advance` or `runNext`; timers fire there, in due order, timers due at the same time
 * in the order they were set. `now` is bound, so it can be handed on alone (`now: clock.now`).
 */
export class ManualClock implements Clock {
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  constructor(public time = 0) {}

  readonly now = (): number => this.time;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { due: this.time + Math.max(0, ms), seq: id, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /** Due time of the earliest timer. */
  nextDue(): number | undefined {
    return this.earliest()?.[1].due;
  }

  /** Fires the earliest timer (moving time to it); false when none is set. */
  runNext(): boolean {
    const next = this.earliest();
    if (!next) return false;
    this.timers.delete(next[0]);
    this.time = Math.max(this.time, next[1].due);
    next[1].callback();
    return true;
  }

  /** Moves time forward by `ms`, firing every timer due on the way (timers they set included). */
  advance(ms: number): void {
    const until = this.time + ms;
    for (let due = this.nextDue(); due !== undefined && due <= until; due = this.nextDue()) this.runNext();
    this.time = until;
  }

  private earliest(): [number, Timer] | undefined {
    let best: [number, Timer] | undefined;
    for (const entry of this.timers) {
      if (!best || entry[1].due < best[1].due || (entry[1].due === best[1].due && entry[1].seq < best[1].seq))
        best = entry;
    }
    return best;
  }
}
