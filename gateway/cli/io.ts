import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewardenError } from '../errors.js';
import type { Site } from '../site.js';

/** The repository (or installed package) root: dist/gateway/cli/io.js → three levels up. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_CONFIG = resolve(PACKAGE_ROOT, 'config/gatewarden.yaml');

export interface GlobalOptions {
  config: string;
}

/**
 * Opens the site (configuration, database, journal, registry). Imported on first use, so that
 * `--help` and bad usage answer without loading the database driver and the schemas.
 */
export async function openSite(options: GlobalOptions, role: { gateway?: boolean } = {}): Promise<Site> {
  const { Site } = await import('../site.js');
  return new Site({ configPath: options.config, ...role });
}

/** Runs `fn` with an open site and always closes it. */
export async function withSite<T>(options: GlobalOptions, fn: (site: Site) => T | Promise<T>): Promise<T> {
  const site = await openSite(options);
  try {
    return await fn(site);
  } finally {
    site.close();
  }
}

/** Reads a file, or standard input for `-` or no file. */
export function readInput(file: string | undefined): string {
  const source = file === undefined || file === '-' ? 0 : file;
  try {
    return readFileSync(source, 'utf8');
  } catch (cause) {
    throw new GatewardenError(
      'USAGE',
      `cannot read ${source === 0 ? 'standard input' : file}: ${(cause as Error).message}`,
    );
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Progress on stderr: a rewritten line on a terminal, a line every 10 % otherwise. */
export function progressReporter(label: string): (done: number, total: number) => void {
  let lastDecile = -1;
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${label}: ${done}/${total} (${pct}%)${done >= total ? '\n' : ''}`);
      return;
    }
    const decile = Math.floor(pct / 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      process.stderr.write(`${label}: ${done}/${total} (${pct}%)\n`);
    }
  };
}

/** Parses an instant given on the command line: ISO 8601, or a date alone meaning local midnight. */
export function parseWhen(text: string, what: string, parse: (t: string) => number | undefined): number {
  const at = parse(text);
  if (at === undefined)
    throw new GatewardenError('USAGE', `${what}: "${text}" is not a date or ISO 8601 instant`);
  return at;
}

export function operatorName(given: string | undefined): string {
  return given ?? process.env.GATEWARDEN_OPERATOR ?? process.env.USER ?? 'cli';
}
