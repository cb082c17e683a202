/**
 * A real InfluxDB 1.x server on loopback, for the simulated site's upstream (upstream.ts), the
 * integration tests (test/integration/helpers/influxd.ts re-exports this) and the benchmarks:
 * `influxd` from PATH (Debian's 1.6.7 build).
 * startInfluxd() writes its own influxdb.conf into a fresh `gw-influxd-*` directory under
 * os.tmpdir() (or into `dir`, if given), keeps meta, data and WAL there, and runs
 * `influxd -config <that file>` listening on 127.0.0.1 only: HTTP on one free port, the RPC
 * (backup) service on another. UDP, Graphite, collectd, OpenTSDB and IFQL stay off, as do usage
 * reporting, the _internal monitor store and continuous queries; INFLUXDB_* variables are not
 * passed to the child, so none of this can be overridden from the environment. dispose() stops
 * the server and removes the directory only if the helper created it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from './managed-process.js';

const HOST = '127.0.0.1';
const READY_MS = 30_000;
const TERM_GRACE_MS = 10_000; // after SIGTERM, before SIGKILL

export interface Influxd {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly running: boolean;
  /**
   * POST /query (form-encoded, `epoch=ns`); returns the parsed JSON, throws on non-2xx. Integers
   * beyond 2^53 (nanosecond times, large `i` fields) come back as bigint, so they stay exact.
   */
  query(q: string, db?: string): Promise<unknown>;
  createDatabase(name: string): Promise<void>;
  /** Rows of results[0] as `{column: value}`, every series concatenated, its tags merged in. */
  series(q: string, db: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  /** Starts again on the same ports and directories; stops first if running. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

interface QueryResult {
  error?: string;
  series?: { tags?: Record<string, string>; columns: string[]; values?: unknown[][] }[];
}

/** Free loopback ports, all held open at once so that they differ. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const listen = (s: Server) => new Promise((ok, fail) => s.once('error', fail).listen(0, HOST, () => ok(s)));
  try {
    await Promise.all(servers.map(listen));
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  }
}

function configToml(dir: string, httpPort: number, rpcPort: number, auth: boolean): string {
  const s = JSON.stringify; // a JSON string is a valid TOML basic string
  const off = ['udp', 'graphite', 'collectd', 'opentsdb'].map((k) => `[[${k}]]\n  enabled = false`);
  // Debian's build knows `reporting-enabled`, not upstream's `reporting-disabled` (ignored if given).
  return `reporting-enabled = false
bind-address = ${s(`${HOST}:${rpcPort}`)}
[meta]
  dir = ${s(join(dir, 'meta'))}
[data]
  dir = ${s(join(dir, 'data'))}
  wal-dir = ${s(join(dir, 'wal'))}
  query-log-enabled = false
[http]
  enabled = true
  bind-address = ${s(`${HOST}:${httpPort}`)}
  auth-enabled = ${auth}
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[ifql]
  enabled = false
[logging]
  level = "warn"
${off.join('\n')}
`;
}

/** Marks a too-large integer: written escaped into the JSON text, read back as a NUL. */
const BIG = { text: '\\u0000bigint:', value: '\u0000bigint:' };

/** JSON.parse, but integer literals that a double cannot hold exactly become bigint. */
function parseJson(text: string): unknown {
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g, (m) =>
    m.startsWith('"') ? m : `"${BIG.text}${m}"`,
  );
  return JSON.parse(marked, (_key, value: unknown) => {
    if (typeof value !== 'string' || !value.startsWith(BIG.value)) return value;
    const n = BigInt(value.slice(BIG.value.length));
    return Number.isSafeInteger(Number(n)) ? Number(n) : n;
  });
}

export interface InfluxdOptions {
  dir?: string;
  /** HTTP authentication on, with this admin user (created at first start; queries use it). */
  admin?: { user: string; password: string };
}

export async function startInfluxd(options: InfluxdOptions = {}): Promise<Influxd> {
  const [httpPort, rpcPort] = (await freePorts(2)) as [number, number];
  const url = `http://${HOST}:${httpPort}`;
  const created = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'gw-influxd-'));
  const configPath = join(dir, 'influxdb.conf');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFLUXDB_')));
  const server = new ManagedProcess({
    name: 'influxd',
    command: 'influxd',
    args: ['-config', configPath],
    env,
    probe: async () => {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      return res.status === 204;
    },
    readiness: `answering ${url}/ping`,
    readyWithinMs: READY_MS,
    probeEveryMs: 50,
    termGraceMs: TERM_GRACE_MS,
  });
  const halt = (signal: NodeJS.Signals) => server.halt(signal);

  try {
    writeFileSync(configPath, configToml(dir, httpPort, rpcPort, options.admin !== undefined));
    await server.launch();
    if (options.admin !== undefined) {
      // 1.x lets the first admin user be created without credentials.
      const { user, password } = options.admin;
      const body = new URLSearchParams({
        q: `CREATE USER "${user}" WITH PASSWORD '${password}' WITH ALL PRIVILEGES`,
      });
      const res = await fetch(`${url}/query`, { method: 'POST', body });
      if (!res.ok) throw new Error(`cannot create the admin user: ${res.status} ${await res.text()}`);
    }
  } catch (err) {
    await halt('SIGKILL');
    if (created) rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  async function query(q: string, db?: string): Promise<unknown> {
    const body = new URLSearchParams({ q, epoch: 'ns' });
    if (db !== undefined) body.set('db', db);
    const headers: Record<string, string> = {};
    if (options.admin !== undefined) {
      const { user, password } = options.admin;
      headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    const res = await fetch(`${url}/query`, { method: 'POST', body, headers });
    const text = await res.text();
    if (!res.ok) throw new Error(`influxd /query answered ${res.status} to ${q}: ${text}`);
    return parseJson(text);
  }

  async function firstResult(q: string, db?: string): Promise<QueryResult> {
    const result = ((await query(q, db)) as { results?: QueryResult[] }).results?.[0] ?? {};
    if (result.error !== undefined) throw new Error(`influxd failed ${q}: ${result.error}`);
    return result;
  }

  return {
    url,
    port: httpPort,
    dir,
    get running() {
      return server.running;
    },
    query,
    async createDatabase(name) {
      await firstResult(`CREATE DATABASE "${name.replace(/["\\]/g, '\\$&')}"`);
    },
    async series(q, db) {
      const result = await firstResult(q, db);
      return (result.series ?? []).flatMap((s) =>
        (s.values ?? []).map((v) => ({
          ...s.tags,
          ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])),
        })),
      );
    },
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    async restart() {
      await halt('SIGTERM');
      await server.launch();
    },
    async dispose() {
      await halt('SIGTERM');
      if (created) rmSync(dir, { recursive: true, force: true });
    },
  };
}
