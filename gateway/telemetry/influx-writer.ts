/**
 * Writes points to an InfluxDB 1.x HTTP API through the `influx` package, and says why a
 * write failed in terms the sink acts on (`WriteFailure.kind`).
 *
 * Retries are the sink's, not the package's: its pool is set to no retries and no host backoff.
 * (With its defaults a single-host pool disables the host after one failure and answers
 * "No host available" without trying, for a backoff of its own; the sink would then not know
 * whether the server is back.)
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { InfluxDB, type IPoolOptions } from 'influx';
import type { InfluxConfig } from '../../config/telemetry-schema.js';
import { GatewardenError } from '../errors.js';
import { readSecretFile } from '../util/key-file.js';
import { asInfluxPoint } from './line-protocol.js';

export type WriteFailureKind =
  /** Network error, timeout or 5xx: retry later, same points. */
  | 'unavailable'
  /** 400: the server refused the content (bad type, unparseable line). Retrying cannot help. */
  | 'refused'
  /** 413: the request is too large; smaller batches may pass. */
  | 'too_large'
  /** 401 / 403: credentials or permissions. */
  | 'unauthorised'
  /** 404: the database does not exist. */
  | 'not_found';

export class WriteFailure extends Error {
  constructor(
    readonly kind: WriteFailureKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WriteFailure';
  }
}

/** Where points go; the sink depends on this, tests may hand in another. */
export interface PointWriter {
  /** Sends rendered lines (line-protocol.ts); resolves once the server acknowledged them all; rejects with a WriteFailure. */
  write(lines: readonly string[]): Promise<void>;
  /** Creates the database (after a `not_found`); rejects with a WriteFailure. */
  createDatabase(): Promise<void>;
  /** Releases connections; the writer is not used afterwards. */
  close?(): void;
}

type BackoffStrategy = NonNullable<IPoolOptions['backoff']>;
const NO_BACKOFF: BackoffStrategy = {
  getDelay: () => 0,
  next: () => NO_BACKOFF,
  reset: () => NO_BACKOFF,
};

export class InfluxWriter implements PointWriter {
  readonly client: InfluxDB;
  private readonly database: string;
  private readonly retentionPolicy: string | undefined;
  /**
   * Keep-alive: a request on a connected socket leaves at once, so the server works on a batch
   * while the sink reads the next one (without it, the connect waits for the event loop).
   */
  private readonly agent: HttpAgent;

  constructor(config: InfluxConfig) {
    const url = new URL(config.url);
    this.database = config.database;
    this.retentionPolicy = config.retentionPolicy;
    const password = config.passwordFile === undefined ? undefined : readPassword(config.passwordFile);
    const https = url.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.client = new InfluxDB({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || (https ? 443 : 80)),
      protocol: https ? 'https' : 'http',
      options: { agent: this.agent },
      path: url.pathname.replace(/\/$/, ''),
      database: config.database,
      ...(config.username === undefined ? {} : { username: config.username }),
      ...(password === undefined ? {} : { password }),
      pool: { maxRetries: 0, requestTimeout: config.timeoutSeconds * 1000, backoff: NO_BACKOFF },
    });
  }

  async write(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const options = this.retentionPolicy === undefined ? {} : { retentionPolicy: this.retentionPolicy };
    try {
      await this.client.writePoints(lines.map(asInfluxPoint), { precision: 'n', ...options });
    } catch (err) {
      throw classify(err);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  async createDatabase(): Promise<void> {
    try {
      await this.client.createDatabase(this.database);
    } catch (err) {
      throw classify(err);
    }
  }
}

/** The package's errors: RequestError (3xx/4xx, with `res`), ServiceNotAvailableError (5xx, timeout), network errors. */
export function classify(err: unknown): WriteFailure {
  if (err instanceof WriteFailure) return err;
  const status = (err as { res?: { statusCode?: number } }).res?.statusCode;
  const message = err instanceof Error ? err.message : String(err);
  if (status === undefined || status >= 500) return new WriteFailure('unavailable', message, status);
  if (status === 400) return new WriteFailure('refused', serverError(message), status);
  if (status === 413) return new WriteFailure('too_large', message, status);
  if (status === 401 || status === 403) return new WriteFailure('unauthorised', message, status);
  if (status === 404) return new WriteFailure('not_found', message, status);
  return new WriteFailure('unavailable', message, status);
}

/** InfluxDB answers `{"error":"..."}`; the package prefixes "A 400 Bad Request error occurred: ". */
function serverError(message: string): string {
  const body = message.replace(/^A \d+ [^:]*: /, '');
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : body;
  } catch {
    return body;
  }
}

function readPassword(path: string): string {
  const secret = readSecretFile(path, 'InfluxDB password file');
  if (secret === undefined)
    throw new GatewardenError('CONFIG_UNREADABLE', `InfluxDB password file ${path} does not exist`);
  return secret.toString('utf8').trim();
}
