import type { JournalEntry } from '../journal/events.js';
import type { JournalRangeReader } from '../reports/tally.js';
import type { DutyReport } from '../reports/types.js';
import type { TimeWindow } from '../util/site-time.js';
import type { DutyShift } from './duty-roster.js';

/**
 * Who was on duty in one shift, from its journal entries (so it survives a restart): each
 * guard's spells on duty (from log-in or handover to log-out, or open at the shift's end), the
 * handovers with the alarms the incoming guard acknowledged, and the unattended-checkpoint
 * alarms. Entries of other shifts inside the window (none should be) are skipped.
 */
export function dutyReport(journal: JournalRangeReader, shift: DutyShift, window: TimeWindow): DutyReport {
  const spells: DutyReport['spells'] = [];
  const open = new Map<string, DutyReport['spells'][number]>();
  const handovers: DutyReport['handovers'] = [];
  let unattended = 0;
  for (const entry of journal.iterateRange({
    fromAt: window.from,
    toAt: window.to,
    types: ['duty', 'alarm'],
  })) {
    if (entry.type === 'alarm') {
      if ((entry as JournalEntry<'alarm'>).payload.code === 'CHECKPOINT_UNATTENDED') unattended++;
      continue;
    }
    const { action, guard, via, date, shift: id, acknowledged } = (entry as JournalEntry<'duty'>).payload;
    if (date !== shift.date || id !== shift.shift) continue;
    if (action === 'logout') {
      const spell = open.get(guard);
      if (spell !== undefined) spell.until = entry.at;
      open.delete(guard);
      continue;
    }
    if (action === 'handover')
      handovers.push({ guard, at: entry.at, acknowledged: [...(acknowledged ?? [])] });
    if (open.has(guard)) continue;
    const spell = { guard, via, from: entry.at, until: null as number | null };
    spells.push(spell);
    open.set(guard, spell);
  }
  return { spells, handovers, unattendedAlarms: unattended };
}
