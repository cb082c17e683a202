/**
 * A real Mosquitto broker on loopback, for the simulated site's upstream (upstream.ts), the
 * integration tests (test/integration/helpers/mosquitto.ts re-exports this) and the benchmarks:
 * `/usr/sbin/mosquitto` (Debian) with its own mosquitto.conf in a fresh `gw-mosquitto-*`
 * directory under os.tmpdir() (or in `dir`, if given), listening
 * on one free port of 127.0.0.1 only, without persistence unless the extra lines ask for it.
 *
 *   const broker = await startMosquitto({ config: ['max_packet_size 1024'] });
 *   … mqtt.connect(broker.url) …
 *   await broker.stop();  await broker.start();    // an outage: same port, same directory
 *   await broker.dispose();                         // stop; remove the directory if it made it
 *
 * Anonymous clients are allowed and persistence is off unless the extra lines set
 * `allow_anonymous` or `persistence` themselves. Lines may name files in `dir` (pass `config`
 * as a function of it, and `files` to write them first).
 * Readiness is a TCP connect to the port that succeeds, polled every 20 ms.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from './managed-process.js';

const HOST = '127.0.0.1';
export const MOSQUITTO_BINARY = '/usr/sbin/mosquitto';
const READY_MS = 15_000;
const TERM_GRACE_MS = 5_000;

export interface MosquittoOptions {
  /** Directory for its configuration (and persistence); a fresh temporary one when absent. */
  dir?: string;
  /** Extra mosquitto.conf lines after the listener, or a function of the directory giving them. */
  config?: readonly string[] | ((dir: string) => readonly string[]);
  /** Files written into the directory before the first start (mode 0600), by file name. */
  files?: Readonly<Record<string, string | Buffer>>;
}

export interface Mosquitto {
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly running: boolean;
  /** The last lines mosquitto wrote (for failure messages). */
  output(): string;
  /** Stops it (SIGTERM); `start` brings it back on the same port. */
  stop(): Promise<void>;
  /** Stops it at once (SIGKILL). */
  kill(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** An outage: stops it, waits `ms` on a timer, starts it again. */
  stopFor(ms: number): Promise<void>;
  /** Stops it and removes its directory (only if it made it). */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, HOST, () => ok()));
  const { port } = server.address() as AddressInfo;
  await new Promise((ok) => server.close(ok));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const created = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'gw-mosquitto-'));
  const port = await freePort();
  const extra = typeof options.config === 'function' ? options.config(dir) : (options.config ?? []);
  const mentions = (key: string) => extra.some((line) => line.trim().startsWith(`${key} `));
  const lines = [
    `listener ${port} ${HOST}`,
    ...(mentions('persistence') ? [] : ['persistence false']),
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    ...(mentions('allow_anonymous') ? [] : ['allow_anonymous true']),
    // As root, mosquitto would switch to the `mosquitto` user, who cannot read this directory.
    ...(process.getuid?.() === 0 && !mentions('user') ? ['user root'] : []),
    ...extra,
  ];
  const configPath = join(dir, 'mosquitto.conf');
  writeFileSync(configPath, `${lines.join('\n')}\n`, { mode: 0o600 });
  for (const [name, content] of Object.entries(options.files ?? {}))
    writeFileSync(join(dir, name), content, { mode: 0o600 });

  const server = new ManagedProcess({
    name: 'mosquitto',
    command: MOSQUITTO_BINARY,
    args: ['-c', configPath],
    probe: () => accepts(port),
    readiness: `listening on ${HOST}:${port}`,
    readyWithinMs: READY_MS,
    probeEveryMs: 20,
    termGraceMs: TERM_GRACE_MS,
  });
  const launch = () => server.launch();
  const halt = (signal: NodeJS.Signals) => server.halt(signal);

  try {
    await launch();
  } catch (err) {
    if (created) rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    url: `mqtt://${HOST}:${port}`,
    host: HOST,
    port,
    dir,
    get running() {
      return server.running;
    },
    output: () => server.output,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    start: async () => {
      if (!server.running) await launch();
    },
    async restart() {
      await halt('SIGTERM');
      await launch();
    },
    async stopFor(ms) {
      await halt('SIGTERM');
      await sleep(ms);
      await launch();
    },
    async dispose() {
      await halt('SIGTERM');
      if (created) rmSync(dir, { recursive: true, force: true });
    },
  };
}
