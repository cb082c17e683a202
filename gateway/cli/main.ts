#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072 node --max-semi-space-size=2
// The line above (run as `gatewarden`): two malloc arenas instead of up to 8 per core, a fixed
// 128 kB malloc trim threshold and 2 MB V8 semi-spaces keep ~10, ~5 and ~30 MB of memory the
// gateway does not need from its resident set (docs/performance.md "Footprint", "Time zones
// without ICU"); `node dist/gateway/cli/main.js` skips it, so the
// simulated site's launcher (simulators/site/gateway-process.ts) and `npm run gateway` give the
// same settings themselves.
import { Command } from 'commander';
import { GatewardenError } from '../errors.js';
import { COMMANDS, commandNamed, type Register } from './command-table.js';
import { DEFAULT_CONFIG, type GlobalOptions } from './io.js';

const program = new Command('gatewarden')
  .description('Edge gateway for the gates of a residential community under closed management (封闭式管理)')
  .option('-c, --config <file>', 'configuration file', process.env.GATEWARDEN_CONFIG ?? DEFAULT_CONFIG)
  .showHelpAfterError('(add --help for usage)')
  .configureOutput({ outputError: (text, write) => write(`gatewarden: ${text.replace(/^error: /, '')}`) })
  .exitOverride();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
const named = commandNamed(process.argv.slice(2));
const loaders = named === undefined ? Object.values(COMMANDS) : [COMMANDS[named] as () => Promise<Register>];
for (const register of await Promise.all(loaders.map((load) => load()))) register(program, globals);

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
