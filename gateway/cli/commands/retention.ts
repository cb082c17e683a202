import type { Command } from 'commander';
import { runSiteRetention } from '../../journal/retention-watch.js';
import { formatLocal } from '../../util/site-time.js';
import { type GlobalOptions, print, printJson, withSite } from '../io.js';

/**
 * `gatewarden retention run`: the purge the gateway runs at start and daily (docs/journal.md,
 * Retention), on demand. Prints counts only.
 */
export function registerRetention(program: Command, globals: () => GlobalOptions): void {
  const retention = program
    .command('retention')
    .description('Purge visitors’ identity data and temperature readings past their configured period');

  retention
    .command('run')
    .description(
      'Purge now what is past the periods of `retention` in the configuration (readings a sink has not delivered are kept), journaled as a retention entry',
    )
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await withSite(globals(), (site) => {
        const result = runSiteRetention(site);
        if (options.json) {
          printJson(result);
          return;
        }
        if (result.seqs.length === 0) {
          print('保留期限未配置，未清除任何数据 / no retention period configured: nothing purged');
          return;
        }
        const zone = site.config.site.timezone;
        const r = result.readings;
        if (r !== undefined)
          print(
            `体温记录 / readings before ${formatLocal(r.olderThan, zone)}: ${r.purged} purged, ${r.keptUndelivered} kept (not yet delivered)`,
          );
        const v = result.visitors;
        if (v !== undefined)
          print(`访客身份信息 / visitors ended before ${formatLocal(v.olderThan, zone)}: ${v.purged} purged`);
        if (result.skippedTampered > 0)
          print(
            `${result.skippedTampered} reading(s) fail their hash and were left: run gatewarden journal verify`,
          );
        print(`journal #${result.seqs.join(', #')}`);
      });
    });
}
