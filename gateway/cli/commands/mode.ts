import { Argument, type Command } from 'commander';
import { SITE_MODES, type SiteMode } from '../../domain/model.js';
import { label, MODE_LABELS } from '../../reports/labels.js';
import { type GlobalOptions, operatorName, print, withSite } from '../io.js';

/** What each mode means at the gate; the mode's name comes from the reports' labels. */
const MODE_EFFECTS: Record<SiteMode, string> = {
  open: 'residents by card or plate, visitors registered at the gate',
  closed: 'only the primary gate; temperature, mask, household quota, escorted visitors',
  lockdown: 'nobody in or out but on-duty staff and emergency overrides',
};

const describeMode = (mode: SiteMode) => `${label(MODE_LABELS[mode])}: ${MODE_EFFECTS[mode]}`;

export function registerMode(program: Command, globals: () => GlobalOptions): void {
  const mode = program.command('mode').description('The site mode: open, closed or lockdown');
  mode
    .command('get')
    .description('Print the current site mode')
    .action(async () => {
      await withSite(globals(), (site) => {
        site.checkpoint.start();
        print(`${site.checkpoint.mode}  ${describeMode(site.checkpoint.mode)}`);
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
        print(`mode ${from} → ${to} (journal #${entry.seq})\n${describeMode(to)}`);
      });
    });
}
