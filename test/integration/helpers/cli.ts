import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const CLI = join(ROOT, 'dist/gateway/cli/main.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A scratch site for CLI tests: the default configuration with its data directory moved to a
 * temporary folder, removed by `dispose()`. The CLI is the compiled one (`npm test` builds first).
 */
export class ScratchSite {
  readonly dir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
  readonly config = join(this.dir, 'gatewarden.yaml');

  constructor(extraYaml = '') {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does) first`);
    const base = readFileSync(join(ROOT, 'config/gatewarden.yaml'), 'utf8')
      .replace('$schema: ./schema.json', `$schema: ${join(ROOT, 'config/schema.json')}`)
      .replace('dataDir: ../data', `dataDir: ${join(this.dir, 'data')}`)
      // Tests run in parallel: each broker on ports of its own.
      .replace('port: 1883', 'port: 0')
      .replace('websocket: { port: 9001 }', 'websocket: { port: 0 }')
      .replace('  port: 8080\n', '  port: 0\n');
    writeFileSync(this.config, base + extraYaml);
  }

  run(args: readonly string[], input?: string, env: Record<string, string> = {}): CliResult {
    const r = spawnSync(process.execPath, [CLI, '--config', this.config, ...args], {
      input: input ?? '',
      encoding: 'utf8',
      env: { ...process.env, GATEWARDEN_OPERATOR: 'test-op', ...env },
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Starts `gatewarden start`; resolves once it printed its ready line. */
  start(): Promise<{ stop: (signal?: NodeJS.Signals) => Promise<CliResult>; stderr: () => string }> {
    const child = spawn(process.execPath, [CLI, '--config', this.config, 'start'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GATEWARDEN_LOG_LEVEL: 'info' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    const exited = new Promise<CliResult>((done) => {
      child.on('exit', (status) => done({ status, stdout, stderr }));
    });
    return new Promise((ready, fail) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (stderr.includes('gatewarden ready')) {
          ready({
            stop: (signal = 'SIGTERM') => {
              child.kill(signal);
              return exited;
            },
            stderr: () => stderr,
          });
        }
      });
      void exited.then((r) => fail(new Error(`gateway exited before ready (${r.status}): ${r.stderr}`)));
    });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
