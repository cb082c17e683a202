import type { Command } from 'commander';
import { DeadLetters } from '../../telemetry/dead-letter.js';
import { SampleOutbox } from '../../telemetry/sample-outbox.js';
import { formatLocal } from '../../util/site-time.js';
import { type GlobalOptions, print, printJson, withSite } from '../io.js';

/**
 * What a technician asks of the telemetry without the gateway's logs: how far each sink is
 * behind, what waits to be sent, and which points the server refused (with its message). Reads
 * the database only; safe beside a running gateway.
 */
export function registerTelemetry(program: Command, globals: () => GlobalOptions): void {
  const telemetry = program
    .command('telemetry')
    .description('Delivery of the journal to InfluxDB: cursors, samples waiting, refused points');

  telemetry
    .command('status')
    .description('How far each sink cursor is behind the journal, and what else waits')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      await withSite(globals(), (site) => {
        const status = {
          journal: site.journal.lastSeq(),
          cursors: site.journal.cursors(),
          samplesWaiting: new SampleOutbox(site.db, {
            budgetBytes: Number.POSITIVE_INFINITY,
            onThinned: () => {},
          }).size(),
          deadLetters: new DeadLetters(site.db).count(),
          influx: site.config.telemetry.influx?.url ?? null,
        };
        if (options.json) return printJson(status);
        print(`journal: #${status.journal}; InfluxDB: ${status.influx ?? 'not configured'}`);
        for (const c of status.cursors)
          print(
            `  ${c.name.padEnd(14)} at #${c.position}, ${c.lag} behind, last moved ${formatLocal(c.updatedAt, site.config.site.timezone)}`,
          );
        print(`samples waiting: ${status.samplesWaiting.samples} (${status.samplesWaiting.bytes} bytes)`);
        print(
          `refused points: ${status.deadLetters}${status.deadLetters > 0 ? ' (gatewarden telemetry refused)' : ''}`,
        );
      });
    });

  telemetry
    .command('refused')
    .description('Points the server refused (HTTP 400), with its message: kept, never retried')
    .option('-n, --lines <n>', 'how many, oldest first', '100')
    .option('--json', 'one JSON object per line')
    .action(async (options: { lines: string; json?: boolean }) => {
      await withSite(globals(), (site) => {
        for (const letter of new DeadLetters(site.db).list(Math.max(1, Number(options.lines) || 100))) {
          if (options.json) process.stdout.write(`${JSON.stringify(letter)}\n`);
          else
            print(
              `#${letter.seq}  ${formatLocal(letter.at, site.config.site.timezone)}  ${letter.measurement}  ${letter.error}\n    ${letter.line}`,
            );
        }
      });
    });
}
