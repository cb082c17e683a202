import type { Command } from 'commander';
import type { GlobalOptions } from '../io.js';

/**
 * `gatewarden start`. The runtime (API server, broker, devices, telemetry) is imported only when
 * the command runs: every other command and every `--help` starts without loading it, which
 * halves their start-up time.
 */
export function registerStart(program: Command, globals: () => GlobalOptions): void {
  program
    .command('start')
    .description('Run the gateway on the configuration until Ctrl-C (SIGINT) or SIGTERM')
    .action(async () => {
      const { startGateway } = await import('./start.js');
      await startGateway(globals());
    });
}
