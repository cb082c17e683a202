import type { ShiftId } from '../domain/model.js';
import type { Site } from '../site.js';
import { type LocalDate, shiftAt, shiftDate } from '../util/site-time.js';
import { shiftReport } from './shift-report.js';
import type { ShiftReport } from './types.js';

/**
 * The handover report of a shift of this site, as the CLI and the admin API give it: the site's
 * time zone, fever threshold and patrol routes, judged as of now. Default: the current shift.
 */
export function siteShiftReport(site: Site, which: { date?: LocalDate; shift?: ShiftId } = {}): ShiftReport {
  const tz = site.config.site.timezone;
  const now = site.now();
  return shiftReport(site.journal, {
    date: which.date ?? shiftDate(now, tz),
    shift: which.shift ?? shiftAt(now, tz),
    tz,
    feverThresholdC: site.config.policy.feverThresholdC,
    patrolRoutes: site.config.patrol.routes,
    asOf: now,
  });
}
