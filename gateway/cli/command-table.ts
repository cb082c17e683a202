import type { Command } from 'commander';
import type { GlobalOptions } from './io.js';

export type Register = (program: Command, globals: () => GlobalOptions) => void;

/**
 * Every command, in the order of the help, each module loaded only when needed: a run of one
 * command loads that command alone (the gateway's start-up and every CLI call are shorter by
 * the others' modules: the ONVIF stack, CSV, QR rendering ...); help, a mistyped command or no
 * command load them all, so the help lists everything and "did you mean" works.
 */
export const COMMANDS: Record<string, () => Promise<Register>> = {
  start: async () => (await import('./commands/start-command.js')).registerStart,
  decide: async () => (await import('./commands/decide.js')).registerDecide,
  registry: async () => (await import('./commands/registry.js')).registerRegistry,
  quarantine: async () => (await import('./commands/quarantine.js')).registerQuarantine,
  visitor: async () => (await import('./commands/visitor.js')).registerVisitor,
  mode: async () => (await import('./commands/mode.js')).registerMode,
  journal: async () => (await import('./commands/journal.js')).registerJournal,
  report: async () => (await import('./commands/report.js')).registerReport,
  telemetry: async () => (await import('./commands/telemetry.js')).registerTelemetry,
  pass: async () => (await import('./commands/pass.js')).registerPass,
  mqtt: async () => (await import('./commands/mqtt.js')).registerMqtt,
  reading: async () => (await import('./commands/reading.js')).registerReading,
  cameras: async () => (await import('./commands/cameras.js')).registerCameras,
  api: async () => (await import('./commands/api.js')).registerApi,
  retention: async () => (await import('./commands/retention.js')).registerRetention,
  keys: async () => (await import('./commands/keys.js')).registerKeys,
};

/** The command named on the command line after the global options, if it is one of ours. */
export function commandNamed(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-c' || arg === '--config') i++;
    else if (arg.startsWith('--config=') || (arg.startsWith('-c') && arg.length > 2)) continue;
    else return Object.hasOwn(COMMANDS, arg) ? arg : undefined;
  }
  return undefined;
}
