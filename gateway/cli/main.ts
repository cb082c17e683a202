#!/usr/bin/env node
import { Command } from 'commander';
import { GatewardenError } from '../errors.js';
import { registerApi } from './commands/api.js';
import { registerCameras } from './commands/cameras.js';
import { registerDecide } from './commands/decide.js';
import { registerJournal } from './commands/journal.js';
import { registerKeys } from './commands/keys.js';
import { registerMode } from './commands/mode.js';
import { registerMqtt } from './commands/mqtt.js';
import { registerPass } from './commands/pass.js';
import { registerQuarantine } from './commands/quarantine.js';
import { registerReading } from './commands/reading.js';
import { registerRegistry } from './commands/registry.js';
import { registerReport } from './commands/report.js';
import { registerRetention } from './commands/retention.js';
import { registerStart } from './commands/start-command.js';
import { registerTelemetry } from './commands/telemetry.js';
import { registerVisitor } from './commands/visitor.js';
import { DEFAULT_CONFIG, type GlobalOptions } from './io.js';

const program = new Command('gatewarden')
  .description('Edge gateway for the gates of a residential community under closed management (封闭式管理)')
  .option('-c, --config <file>', 'configuration file', process.env.GATEWARDEN_CONFIG ?? DEFAULT_CONFIG)
  .showHelpAfterError('(add --help for usage)')
  .configureOutput({ outputError: (text, write) => write(`gatewarden: ${text.replace(/^error: /, '')}`) })
  .exitOverride();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
registerStart(program, globals);
registerDecide(program, globals);
registerRegistry(program, globals);
registerQuarantine(program, globals);
registerVisitor(program, globals);
registerMode(program, globals);
registerJournal(program, globals);
registerReport(program, globals);
registerTelemetry(program, globals);
registerPass(program, globals);
registerMqtt(program, globals);
registerReading(program, globals);
registerCameras(program, globals);
registerApi(program, globals);
registerRetention(program, globals);
registerKeys(program, globals);

/**
 * Exit codes: 0 success (and allow, for `decide`), 1 deny or a failed check, 2 an error. Errors
 * print as one line (plus one line per problem); a stack trace only with GATEWARDEN_DEBUG=1.
 */
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = (err as { code?: string }).code;
  if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help')
    process.exit(0);
  if (typeof code === 'string' && code.startsWith('commander.')) process.exit(2);
  const message = err instanceof GatewardenError ? err.describe() : (err as Error).message;
  process.stderr.write(`gatewarden: ${message}\n`);
  if (process.env.GATEWARDEN_DEBUG === '1') process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(2);
}
