import type { DutyConfig } from '../../config/duty-schema.js';
import type { JournalEntry } from '../journal/events.js';
import type { Journal } from '../journal/journal.js';
import type { DutyBoard } from './duty-board.js';
import { dutyShiftAt } from './duty-roster.js';

export interface DutyWatchOptions {
  /** Read for the alarms raised before (a restart); the gateway hands in `Site.entriesIn`, held ones included. */
  journal: Pick<Journal, 'iterateRange'>;
  board: DutyBoard;
  config: DutyConfig;
  timezone: string;
  now: () => number;
  /** Journals the alarm through the checkpoint and folds it in (Site.record, Checkpoint.record). */
  record: (type: 'alarm', at: number, payload: JournalEntry<'alarm'>['payload']) => JournalEntry<'alarm'>;
}

/**
 * Raises `CHECKPOINT_UNATTENDED` when nobody has been on duty for `loginGraceMinutes` of a
 * shift: from its start, or from the log-out that left the checkpoint empty. Once per empty
 * period: the alarm names the period (`emptySince`), and one already journaled for it (before a
 * restart too) is not raised again. Called periodically by the running gateway; reads the
 * clock only through `now`, so tests drive it with a fake one.
 */
export class DutyWatch {
  constructor(private readonly options: DutyWatchOptions) {}

  check(): JournalEntry<'alarm'> | undefined {
    const { config, board, now, timezone } = this.options;
    if (!config.unattendedAlarm) return undefined;
    const at = now();
    const { emptySince } = board.roster();
    if (emptySince === undefined || at - emptySince < config.loginGraceMinutes * 60_000) return undefined;
    if (this.raisedFor(emptySince)) return undefined;
    const { date, shift } = dutyShiftAt(at, timezone);
    const alarm = this.options.record('alarm', at, {
      code: 'CHECKPOINT_UNATTENDED',
      severity: 'critical',
      detail: { date, shift, emptySince },
    });
    return alarm;
  }

  private raisedFor(emptySince: number): boolean {
    // Up to any time, not just now: after the clock was set back, the alarm may be dated ahead of it.
    for (const entry of this.options.journal.iterateRange({
      fromAt: emptySince,
      toAt: Number.MAX_SAFE_INTEGER,
      types: ['alarm'],
    })) {
      const { code, detail } = (entry as JournalEntry<'alarm'>).payload;
      if (code === 'CHECKPOINT_UNATTENDED' && detail?.emptySince === emptySince) return true;
    }
    return false;
  }
}
