/**
 * A whole telemetry path for integration tests: a real influxd (helpers/influxd.ts), a scratch
 * site whose configuration sends to it, the real `gatewarden start` (the process that holds the
 * sink and that the tests stop or kill), and a load writer (telemetry-load.mjs) appending passes,
 * readings and alarms to the same journal from outside. `dispose()` stops all of it and removes
 * the temporary folders.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { waitFor } from '../../helpers/wait-for.js';
import { CLI, ScratchSite } from './cli.js';
import { type Influxd, startInfluxd } from './influxd.js';

export const DATABASE = 'gw';

export interface JournalRow {
  seq: number;
  at: number;
  type: string;
  payload: string;
}

export class TelemetryRig {
  private gateway: ChildProcess | undefined;
  private loader: ChildProcess | undefined;
  private gatewayOutput = '';
  acknowledged: number[] = [];

  private constructor(
    readonly influxd: Influxd,
    readonly site: ScratchSite,
  ) {}

  static async start(): Promise<TelemetryRig> {
    const influxd = await startInfluxd();
    const site = new ScratchSite(`
telemetry:
  sampleSeconds: 1
  influx:
    url: ${influxd.url}
    database: ${DATABASE}
    flushSeconds: 0.2
    retry: { initialSeconds: 0.1, maxSeconds: 2 }
`);
    return new TelemetryRig(influxd, site);
  }

  get databasePath(): string {
    return join(this.site.dir, 'data', 'gatewarden.db');
  }

  /** Starts `gatewarden start`; resolves once it is ready. */
  async startGateway(): Promise<void> {
    const child = spawn(process.execPath, [CLI, '--config', this.site.config, 'start'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, GATEWARDEN_LOG_LEVEL: 'warn' },
    });
    this.gateway = child;
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
      this.gatewayOutput = (this.gatewayOutput + d).slice(-20_000);
    });
    await waitFor(
      'the gateway to be ready',
      () => stderr.includes('gatewarden ready') || child.exitCode !== null,
      30_000,
    );
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}): ${stderr}`);
  }

  /** Stops the gateway: SIGTERM (clean) or SIGKILL (a crash, nothing flushed). */
  async stopGateway(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.gateway;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.gateway = undefined;
  }

  /** Starts the load writer: one entry every `intervalMs`. */
  async startLoad(intervalMs: number): Promise<void> {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'telemetry-load.mjs'), this.site.config, String(intervalMs), '300'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.loader = child;
    let buffered = '';
    let ready = false;
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') ready = true;
        else this.acknowledged.push(Number(line));
      }
    });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    await waitFor('the load writer', () => ready || child.exitCode !== null, 30_000);
    if (!ready) throw new Error(`load writer exited: ${stderr}`);
  }

  async stopLoad(): Promise<void> {
    const child = this.loader;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  /** Every journal entry, read from the database file (read-only, beside the running gateway). */
  journal(): JournalRow[] {
    const db = new Database(this.databasePath, { readonly: true, fileMustExist: true });
    try {
      return db.prepare<[], JournalRow>('SELECT seq, at, type, payload FROM journal ORDER BY seq').all();
    } finally {
      db.close();
    }
  }

  /** True once both influx cursors reached the journal's last seq. */
  drained(): boolean {
    const db = new Database(this.databasePath, { readonly: true, fileMustExist: true });
    try {
      const last = db.prepare<[], { seq: number }>('SELECT max(seq) AS seq FROM journal').get()?.seq ?? 0;
      const cursors = db
        .prepare<[], { name: string; seq: number }>(
          "SELECT name, seq FROM journal_cursor WHERE name LIKE 'influx%'",
        )
        .all();
      return cursors.length === 2 && cursors.every((c) => c.seq === last);
    } finally {
      db.close();
    }
  }

  async waitDrained(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      'the influx cursors to reach the end of the journal',
      () => this.drained(),
      timeoutMs,
    ).catch((err: unknown) => {
      throw new Error(
        `sink did not drain: ${(err as Error).message}\ngateway output:\n${this.gatewayOutput}`,
      );
    });
  }

  /** Rows of a measurement, oldest first, with `seq` as a number. */
  async points(measurement: string): Promise<Record<string, unknown>[]> {
    return this.influxd.series(`SELECT * FROM "${measurement}" ORDER BY time ASC`, DATABASE);
  }

  get output(): string {
    return this.gatewayOutput;
  }

  async dispose(): Promise<void> {
    await this.stopLoad().catch(() => undefined);
    await this.stopGateway('SIGKILL').catch(() => undefined);
    await this.influxd.dispose();
    this.site.dispose();
  }
}
