import { assertTimeZone, dayWindow, type LocalDate } from '../util/site-time.js';
import { isZeroCounts, type JournalRangeReader, tallyWindow } from './tally.js';
import type { DailyReport } from './types.js';

export interface DailyReportOptions {
  /** The calendar date in site time. */
  date: LocalDate;
  tz: string;
  siteId: string;
  feverThresholdC: number;
  /** When the report was made (epoch ms), from the caller's clock; reports read none. */
  generatedAt?: number;
}

/**
 * 日报告 / 零报告 (plan 3 §4.(1)): the per-site summary sent upstream every day at a set time,
 * always, even when every count is zero: then `zeroReport` is true and every count, including
 * each deny reason, is an explicit 0. The window is the calendar day in site time (local
 * midnight to local midnight), so a night shift is split between two daily reports; use the
 * shift reports for a per-shift view.
 */
export function dailyReport(journal: JournalRangeReader, options: DailyReportOptions): DailyReport {
  assertTimeZone(options.tz);
  const window = dayWindow(options.date, options.tz);
  const counts = tallyWindow(journal, window, options.feverThresholdC);
  return {
    report: 'daily',
    version: 1,
    siteId: options.siteId,
    date: options.date,
    tz: options.tz,
    window,
    generatedAt: options.generatedAt ?? null,
    zeroReport: isZeroCounts(counts),
    counts,
  };
}
