import type { Command } from 'commander';
import { explain } from '../../rules/explain.js';
import { Site } from '../../site.js';
import { type GlobalOptions, printJson, readInput } from '../io.js';
import { readRegistryDocument } from '../registry-files.js';
import { prepareDecide } from '../request-input.js';

interface DecideOptions {
  registry?: string;
  mode?: 'open' | 'closed' | 'lockdown';
}

export function registerDecide(program: Command, globals: () => GlobalOptions): void {
  program
    .command('decide')
    .description(
      'Decide one pass request (JSON from a file or stdin) and print the decision as JSON. Exit 0 = allow, 1 = deny. ' +
        'Nothing is journaled and no gate opens: this is a what-if against the local registry and journal, or a registry file.',
    )
    .argument('[file]', 'request JSON file, or - for standard input', '-')
    .option(
      '--registry <file>',
      'decide against this registry document (YAML/JSON) instead of the local database',
    )
    .option('--mode <mode>', 'decide as if the site were in this mode (open, closed, lockdown)')
    .addHelpText(
      'after',
      `
Request fields: laneId (required), at (epoch ms or ISO 8601, default now), shift, direction,
credential {kind: card|idcard|qr|plate|workcert, value | idNumber, signature, codeId},
purpose: "delivery", override {operator, reason}, temperature {celsius, mask, secondsBefore},
escortedBy [credential...], fireAlarm.

Example:
  echo '{"laneId":"north-ped-in","credential":{"kind":"card","value":"A1B2C3D4"},
         "temperature":{"celsius":36.6,"mask":true}}' | gatewarden decide`,
    )
    .action(async (file: string, options: DecideOptions) => {
      const allowed = decideCommand(globals(), file, options);
      process.exitCode = allowed ? 0 : 1;
    });
}

function decideCommand(globals: GlobalOptions, file: string, options: DecideOptions): boolean {
  const text = readInput(file);
  const fromFile = options.registry !== undefined;
  const site = new Site({
    configPath: globals.config,
    dryRun: true,
    ...(fromFile ? { database: ':memory:' } : {}),
  });
  try {
    if (options.registry !== undefined) {
      site.registry.import(readRegistryDocument(options.registry), { mode: 'replace' });
    } else {
      site.checkpoint.start();
    }
    const input = prepareDecide(
      text,
      file === '-' ? 'stdin' : file,
      site.key,
      site.now(),
      site.config.site.timezone,
    );
    const { checkpoint } = site;
    if (options.mode !== undefined) checkpoint.setMode(options.mode, 'cli', 'decide --mode');
    if (input.fireAlarm) checkpoint.setFire(true, 'decide request');
    if (input.temperature) checkpoint.reading(input.request.laneId, input.temperature, 'decide request');
    for (const escort of input.escorts) {
      checkpoint.present({ laneId: input.request.laneId, at: input.request.at - 2000, credential: escort });
    }
    const { decision } = checkpoint.present(input.request);
    printJson(explain(decision));
    return decision.allow;
  } finally {
    site.close();
  }
}
