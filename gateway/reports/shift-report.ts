import type { PatrolRouteConfig } from '../../config/stations-schema.js';
import type { ShiftId } from '../domain/model.js';
import { dutyReport } from '../duty/duty-report.js';
import { patrolReport } from '../patrol/patrol-report.js';
import { assertTimeZone, type LocalDate, shiftWindow } from '../util/site-time.js';
import { isZeroCounts, type JournalRangeReader, tallyWindow } from './tally.js';
import type { ShiftReport } from './types.js';

export interface ShiftReportOptions {
  /** The shift date (see `shiftDate`): a 02:00 entry belongs to the previous date's night shift. */
  date: LocalDate;
  shift: ShiftId;
  /** The site's IANA time zone. */
  tz: string;
  /** The policy's fever threshold; readings at or above it count as fevers. */
  feverThresholdC: number;
  /** The configuration's patrol routes (`config.patrol.routes`); absent: the patrol section lists none. */
  patrolRoutes?: readonly PatrolRouteConfig[];
  /**
   * Epoch ms the report is made at (reports read no clock): patrol rounds not ended by then are
   * pending. Absent: the shift is taken as over, and every round not done is judged.
   */
  asOf?: number;
}

/**
 * The shift handover report: what happened at the checkpoint during one duty shift, counted
 * from the journal entries whose event time falls in the shift's window. Pure apart from
 * reading the journal; produced whether or not anything happened (`zeroReport`).
 */
export function shiftReport(journal: JournalRangeReader, options: ShiftReportOptions): ShiftReport {
  assertTimeZone(options.tz);
  const window = shiftWindow(options.date, options.shift, options.tz);
  const counts = tallyWindow(journal, window, options.feverThresholdC);
  return {
    report: 'shift',
    version: 1,
    date: options.date,
    shift: options.shift,
    tz: options.tz,
    window,
    zeroReport: isZeroCounts(counts),
    counts,
    patrol: patrolReport(journal, {
      routes: options.patrolRoutes ?? [],
      shift: options.shift,
      window,
      asOf: options.asOf ?? window.to,
      tz: options.tz,
    }),
    duty: dutyReport(journal, { date: options.date, shift: options.shift }, window),
  };
}
