import { Argument, type Command, Option } from 'commander';
import { SHIFT_IDS, type ShiftId } from '../../domain/model.js';
import { GatewardenError } from '../../errors.js';
import { dailyReport } from '../../reports/daily-report.js';
import { renderJson, renderText } from '../../reports/render.js';
import { siteShiftReport } from '../../reports/site-shift-report.js';
import { addDays, localDate } from '../../util/site-time.js';
import { type GlobalOptions, withSite } from '../io.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function registerReport(program: Command, globals: () => GlobalOptions): void {
  const report = program
    .command('report')
    .description('Shift handover and daily reports (日报告、零报告), from the journal');

  report
    .command('shift')
    .description(
      'The handover report of one duty shift (day 08–17, evening 17–20, night 20–08). Default: the current shift.',
    )
    .option('--date <YYYY-MM-DD>', 'the date the shift starts on (site time)')
    .addOption(new Option('--shift <shift>', 'which shift').choices(SHIFT_IDS))
    .option('--json', 'print JSON')
    .action(async (options: { date?: string; shift?: ShiftId; json?: boolean }) => {
      await withSite(globals(), (site) => {
        const r = siteShiftReport(site, {
          ...(options.date === undefined ? {} : { date: checkDate(options.date) }),
          ...(options.shift === undefined ? {} : { shift: options.shift }),
        });
        process.stdout.write(options.json ? `${renderJson(r)}\n` : renderText(r));
      });
    });

  report
    .command('daily')
    .description(
      'The daily report of one day (site time), produced even when every count is zero. Default: yesterday.',
    )
    .addArgument(new Argument('[date]', 'YYYY-MM-DD, or "today"'))
    .option('--json', 'print JSON')
    .action(async (date: string | undefined, options: { json?: boolean }) => {
      await withSite(globals(), (site) => {
        const tz = site.config.site.timezone;
        const today = localDate(site.now(), tz);
        const day = date === undefined ? addDays(today, -1) : date === 'today' ? today : checkDate(date);
        const r = dailyReport(site.journal, {
          date: day,
          tz,
          siteId: site.config.site.id,
          feverThresholdC: site.config.policy.feverThresholdC,
          generatedAt: site.now(),
        });
        process.stdout.write(options.json ? `${renderJson(r)}\n` : renderText(r));
      });
    });
}

function checkDate(date: string): string {
  if (!DATE.test(date)) throw new GatewardenError('USAGE', `"${date}" is not a date (YYYY-MM-DD)`);
  return date;
}
