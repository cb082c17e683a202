import type { ShiftId } from '../domain/model.js';
import type { JournalEntry } from '../journal/events.js';
import { type LocalDate, shiftAt, shiftDate, shiftWindow, type TimeWindow } from '../util/site-time.js';

/** One occurrence of a duty shift: the night shift of 2026-11-28 runs into the 29th. */
export interface DutyShift {
  date: LocalDate;
  shift: ShiftId;
}

export interface GuardOnDuty {
  /** A staff person id (logged in by card) or an API user name (on the dashboard). */
  guard: string;
  via: 'card' | 'dashboard';
  /** When this guard came on duty (log-in or handover), epoch ms. */
  since: number;
}

export interface Roster {
  guards: GuardOnDuty[];
  /**
   * Since when nobody has been on duty: the shift's start when nobody has logged in yet, else
   * the log-out that left the checkpoint empty. Absent while someone is on duty.
   */
  emptySince?: number;
  /** Handovers of this shift, in order. */
  handovers: { guard: string; at: number; acknowledged: number }[];
}

export function dutyShiftAt(at: number, timezone: string): DutyShift {
  return { date: shiftDate(at, timezone), shift: shiftAt(at, timezone) };
}

export function dutyWindow(shift: DutyShift, timezone: string): TimeWindow {
  return shiftWindow(shift.date, shift.shift, timezone);
}

export function sameShift(a: DutyShift, b: DutyShift): boolean {
  return a.date === b.date && a.shift === b.shift;
}

/**
 * Who is on duty in `shift`, folded from its `duty` entries in journal order (entries of other
 * shifts are skipped). A log-in or a handover puts a guard on duty (a second log-in keeps the
 * first time); a log-out takes them off. Every shift starts empty: guards of the shift before
 * are not carried over, the incoming guard logs in or takes the handover.
 */
export function rosterOf(
  entries: Iterable<Pick<JournalEntry<'duty'>, 'at' | 'payload'>>,
  shift: DutyShift,
  shiftStart: number,
): Roster {
  const guards = new Map<string, GuardOnDuty>();
  const handovers: Roster['handovers'] = [];
  let emptySince: number | undefined = shiftStart;
  for (const { at, payload } of entries) {
    if (payload.date !== shift.date || payload.shift !== shift.shift) continue;
    if (payload.action === 'logout') {
      if (guards.delete(payload.guard) && guards.size === 0) emptySince = at;
      continue;
    }
    if (payload.action === 'handover')
      handovers.push({ guard: payload.guard, at, acknowledged: payload.acknowledged?.length ?? 0 });
    if (!guards.has(payload.guard))
      guards.set(payload.guard, { guard: payload.guard, via: payload.via, since: at });
    emptySince = undefined;
  }
  const roster: Roster = { guards: [...guards.values()], handovers };
  if (emptySince !== undefined) roster.emptySince = emptySince;
  return roster;
}
