import type { JournalEntry } from '../journal/events.js';
import { type DutyShift, dutyShiftAt, dutyWindow, rosterOf, sameShift } from './duty-roster.js';

/**
 * The guards on duty now, kept in memory from the journal's `duty` entries as the checkpoint
 * folds them in (Site wires `take`), so a decision can carry its guards without a query.
 * The shift rolls over by the clock: at 08:00, 17:00 and 20:00 the board starts empty.
 */
export class DutyBoard {
  private shift: DutyShift;
  private entries: JournalEntry<'duty'>[] = [];

  constructor(
    private readonly timezone: string,
    private readonly now: () => number,
  ) {
    this.shift = dutyShiftAt(now(), timezone);
  }

  take(entry: JournalEntry): void {
    if (entry.type !== 'duty') return;
    this.rollOver();
    const duty = entry as JournalEntry<'duty'>;
    if (duty.payload.date === this.shift.date && duty.payload.shift === this.shift.shift)
      this.entries.push(duty);
  }

  /** Guard ids on duty now, in the order they came on duty. */
  guards(): string[] {
    return this.roster().guards.map((g) => g.guard);
  }

  roster() {
    this.rollOver();
    return rosterOf(this.entries, this.shift, dutyWindow(this.shift, this.timezone).from);
  }

  private rollOver(): void {
    const current = dutyShiftAt(this.now(), this.timezone);
    if (sameShift(current, this.shift)) return;
    this.shift = current;
    this.entries = [];
  }
}
