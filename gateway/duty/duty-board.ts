import type { JournalEntry } from '../journal/events.js';
import { type DutyShift, dutyShiftAt, dutyWindow, type Roster, rosterOf } from './duty-roster.js';

/**
 * The guards on duty now, kept in memory from the journal's `duty` entries as the checkpoint
 * folds them in (Site wires `take`), so every decision can carry its guards without a query:
 * `guards()` is a cached array until the next duty entry or the end of the shift. The shift
 * rolls over by the clock: at 08:00, 17:00 and 20:00 the board starts empty, or, with `load`,
 * with the duty entries the journal already has for the new shift: a clock set forward across
 * a shift's end and back again finds its guards still on duty instead of an empty checkpoint
 * (and a false CHECKPOINT_UNATTENDED).
 */
export class DutyBoard {
  private shift!: DutyShift;
  private window!: { from: number; to: number };
  private entries: JournalEntry<'duty'>[] = [];
  private cached: { roster: Roster; guards: readonly string[] } | undefined;

  /**
   * `load`: the journal's duty entries timed in a window, read at each rollover (not at
   * construction: the start's replay feeds the first shift through `take`).
   */
  constructor(
    private readonly timezone: string,
    private readonly now: () => number,
    private readonly load?: (window: { from: number; to: number }) => Iterable<JournalEntry>,
  ) {
    this.startShift(now());
  }

  take(entry: JournalEntry): void {
    if (entry.type !== 'duty') return;
    this.rollOver();
    const duty = entry as JournalEntry<'duty'>;
    if (duty.payload.date !== this.shift.date || duty.payload.shift !== this.shift.shift) return;
    // Loaded already at a rollover (seq 0: held, never in the journal, so never loaded).
    if (duty.seq > 0 && this.entries.some((e) => e.seq === duty.seq)) return;
    this.entries.push(duty);
    this.cached = undefined;
  }

  /** Guard ids on duty now, in the order they came on duty (the same array until a change). */
  guards(): readonly string[] {
    return this.current().guards;
  }

  roster(): Roster {
    return this.current().roster;
  }

  private current() {
    this.rollOver();
    if (this.cached === undefined) {
      const roster = rosterOf(this.entries, this.shift, this.window.from);
      this.cached = { roster, guards: roster.guards.map((g) => g.guard) };
    }
    return this.cached;
  }

  private rollOver(): void {
    const at = this.now();
    if (at >= this.window.from && at < this.window.to) return;
    this.startShift(at);
    this.loadShift();
  }

  private startShift(at: number): void {
    this.shift = dutyShiftAt(at, this.timezone);
    this.window = dutyWindow(this.shift, this.timezone);
    this.entries = [];
    this.cached = undefined;
  }

  private loadShift(): void {
    for (const entry of this.load?.(this.window) ?? []) {
      if (entry.type !== 'duty') continue;
      const duty = entry as JournalEntry<'duty'>;
      if (duty.payload.date === this.shift.date && duty.payload.shift === this.shift.shift)
        this.entries.push(duty);
    }
  }
}
