import { writeFileSync } from 'node:fs';
import { Argument, type Command, Option } from 'commander';
import { stringify } from 'yaml';
import { GatewardenError } from '../../errors.js';
import { ROSTER_KINDS, type RosterKind, readRosterFiles } from '../../registry/csv.js';
import { SECTIONS, type Section } from '../../registry/document.js';
import { type GlobalOptions, operatorName, print, printJson, progressReporter, withSite } from '../io.js';
import { readRegistryDocument } from '../registry-files.js';

interface ImportOptions {
  roster?: RosterKind;
  replace?: boolean;
  operator?: string;
}

export function registerRegistry(program: Command, globals: () => GlobalOptions): void {
  const registry = program
    .command('registry')
    .description('Import, export and list the registry (households, persons, credentials, ...)');

  registry
    .command('import')
    .description(
      'Import a registry document (YAML/JSON) or CSV rosters. All or nothing: any bad row is reported with file, line and field, and nothing is written.',
    )
    .argument('<files...>', 'registry documents (.yaml, .yml, .json) or CSV rosters (.csv, with --roster)')
    .addOption(new Option('--roster <kind>', 'what the CSV files list').choices(ROSTER_KINDS))
    .option('--replace', 'make the registry exactly the import (default: merge by id)')
    .option('--operator <name>', 'who imports (journaled)')
    .action(async (files: string[], options: ImportOptions) => {
      await withSite(globals(), (site) => {
        const csv = files.filter((f) => f.toLowerCase().endsWith('.csv'));
        const documents = files.filter((f) => !f.toLowerCase().endsWith('.csv'));
        if (csv.length > 0 && options.replace) {
          // A roster lists only residents, staff or vehicles: replacing the registry with it would
          // silently delete quarantine orders and visitor registrations.
          throw new GatewardenError('USAGE', '--replace takes only full registry documents, not CSV rosters');
        }
        if (csv.length > 0 && options.roster === undefined) {
          throw new GatewardenError('USAGE', 'CSV files need --roster residents|staff|vehicles');
        }
        const fragments = [
          ...documents.map(readRegistryDocument),
          ...readRosterFiles(
            csv.map((path) => ({ path, roster: options.roster as RosterKind })),
            { key: site.key, timeZone: site.config.site.timezone, onProgress: progressReporter('reading') },
          ),
        ];
        const mode = options.replace ? 'replace' : 'merge';
        const counts = site.registry.import(fragments, { mode, onProgress: progressReporter('writing') });
        site.recordOperator('registry.import', operatorName(options.operator), {
          files: files.length,
          mode,
          persons: counts.persons,
          credentials: counts.credentials,
        });
        print(
          `imported (${mode}): ${counts.households} households, ${counts.persons} persons, ${counts.credentials} credentials, ` +
            `${counts.vehicles} vehicles, ${counts.visitors} visitor registrations, ${counts.quarantineOrders} quarantine orders`,
        );
      });
    });

  registry
    .command('export')
    .description(
      'Export the registry as a document that imports back. Never contains ID numbers; names only with --names.',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .option('--names', 'include names (personal data: handle the file accordingly)')
    .action(async (options: { format: 'yaml' | 'json'; output?: string; names?: boolean }) => {
      await withSite(globals(), (site) => {
        const doc = site.registry.export({ includeNames: options.names ?? false });
        const text = options.format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc);
        if (options.output) writeFileSync(options.output, text, { mode: 0o600 });
        else process.stdout.write(text);
      });
    });

  registry
    .command('list')
    .description('List one section of the registry, masked (no names, ID numbers masked).')
    .addArgument(new Argument('<section>', 'what to list').choices([...SECTIONS, 'counts']))
    .option('-n, --limit <n>', 'rows to show', '50')
    .option('--offset <n>', 'rows to skip', '0')
    .option('--json', 'print JSON')
    .action(async (section: string, options: { limit: string; offset: string; json?: boolean }) => {
      await withSite(globals(), (site) => {
        if (section === 'counts') {
          printJson(site.registry.counts());
          return;
        }
        const rows = site.registry.list(section as Section, {
          limit: Number(options.limit),
          offset: Number(options.offset),
        });
        if (options.json) printJson(rows);
        else
          for (const row of rows)
            print(
              Object.entries(row)
                .map(([k, v]) => `${k}=${v}`)
                .join('  '),
            );
      });
    });
}
