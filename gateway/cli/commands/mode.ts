import { Argument, type Command } from 'commander';
import { SITE_MODES, type SiteMode } from '../../domain/model.js';
import { type GlobalOptions, operatorName, print, withSite } from '../io.js';

const MODE_NAMES: Record<SiteMode, string> = {
  open: '开放 open: residents by card or plate, visitors registered at the gate',
  closed: '封闭 closed: only the primary gate; temperature, mask, household quota, escorted visitors',
  lockdown: '封控 lockdown: nobody in or out but on-duty staff and emergency overrides',
};

export function registerMode(program: Command, globals: () => GlobalOptions): void {
  const mode = program.command('mode').description('The site mode: open, closed or lockdown');
  mode
    .command('get')
    .description('Print the current site mode')
    .action(async () => {
      await withSite(globals(), (site) => {
        site.checkpoint.start();
        print(`${site.checkpoint.mode}  ${MODE_NAMES[site.checkpoint.mode]}`);
      });
    });
  mode
    .command('set')
    .description(
      'Switch the site mode (journaled with operator, shift and reason); a running gateway follows the journal',
    )
    .addArgument(new Argument('<mode>', 'the new mode').choices(SITE_MODES))
    .requiredOption('--reason <text>', 'why (journaled)')
    .option('--operator <name>', 'who switches (journaled)')
    .action(async (to: SiteMode, options: { reason: string; operator?: string }) => {
      await withSite(globals(), (site) => {
        site.checkpoint.start();
        const from = site.checkpoint.mode;
        if (from === to) {
          print(`already ${to}`);
          return;
        }
        const entry = site.checkpoint.setMode(to, operatorName(options.operator), options.reason);
        print(`mode ${from} → ${to} (journal #${entry.seq})\n${MODE_NAMES[to]}`);
      });
    });
}
