import type { JournalEntry } from '../journal/events.js';
import { type DutyShift, dutyShiftAt, dutyWindow, type Roster, rosterOf } from './duty-roster.js';

/**
 * The guards on duty now, kept in memory from the journal's `duty` entries as the checkpoint
 * folds them in (Site wires `take`), so every decision can carry its guards without a query:
 * `guards()` is a cached array until the next duty entry or the end of the shift. The shift
 * rolls over by the clock: at 08:00, 17:00 and 20:00 the board starts empty.
 */
export class DutyBoard {
  private shift!: DutyShift;
  private window!: { from: number; to: number };
  private entries: JournalEntry<'duty'>[] = [];
  private cached: { roster: Roster; guards: readonly string[] } | undefined;

  constructor(
    private readonly timezone: string,
    private readonly now: () => number,
  ) {
    this.startShift(now());
  }

  take(entry: JournalEntry): void {
    if (entry.type !== 'duty') return;
    this.rollOver();
    const duty = entry as JournalEntry<'duty'>;
    if (duty.payload.date !== this.shift.date || duty.payload.shift !== this.shift.shift) return;
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
  }

  private startShift(at: number): void {
    this.shift = dutyShiftAt(at, this.timezone);
    this.window = dutyWindow(this.shift, this.timezone);
    this.entries = [];
    this.cached = undefined;
  }
}
