import { InvalidArgumentError } from 'commander';
import { sleep, systemClock } from '../../drivers/shared/clock.js';
import { runLines } from './line-source.js';

/** A console command's outcome (the simulators' controls.ts): what to print, wait or stop. */
export interface ConsoleResult {
  output: string;
  waitMs?: number;
  quit?: boolean;
}

/** A simulator of one serial device that reports its line's state (`link` up/down). */
export interface LinkedSimulator {
  on(event: 'link', listener: (state: string, error?: Error) => void): unknown;
  off(event: 'link', listener: (state: string, error?: Error) => void): unknown;
  start(): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Runs a serial device simulator from the command line until `quit`, the end of its script or
 * SIGINT/SIGTERM: prints its link changes and `ready`, reads console lines (stdin with
 * `prompt`, or `script`), runs each through `control` (errors to stderr, waits on the system
 * clock), stops the simulator once and exits 0.
 */
export async function runSerialConsole(options: {
  sim: LinkedSimulator;
  ready: string;
  prompt: string;
  script?: string;
  control: (line: string) => Promise<ConsoleResult>;
}): Promise<void> {
  const { sim } = options;
  const print = (line: string): void => {
    if (line !== '') process.stdout.write(`${line}\n`);
  };
  const onLink = (state: string, error?: Error) => print(`link ${state}${error ? ` ${error.message}` : ''}`);
  sim.on('link', onLink);
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      sim.off('link', onLink);
      await sim.stop();
    })();
    return stopping;
  };
  const onSignal = (): void => {
    void shutdown().then(() => process.exit(0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await sim.start();
  print(options.ready);
  const input = { input: process.stdin, output: process.stdout, prompt: options.prompt };
  await runLines(
    options.script === undefined ? input : { ...input, script: options.script },
    async (line) => {
      const result = await options.control(line);
      if (result.output.startsWith('error:')) process.stderr.write(`${result.output}\n`);
      else print(result.output);
      if (result.waitMs !== undefined) await sleep(systemClock, result.waitMs);
      return result.quit ? 'quit' : undefined;
    },
  );
  await shutdown();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exit(0);
}

/** Parses a whole number option in min..max, or says which option and what range. */
export function integerIn(value: string, what: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}`);
  }
  return n;
}
