import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * The gateway as a child process: `node <gatewarden> --config <file> start`, exactly what an
 * installation runs. Every line it writes goes to the log file; `onLine` sees each one too (the
 * launcher shows warnings and errors). Ready is when it has said both `dashboard 管理界面: <url>`
 * and `gatewarden ready` on stderr (start.ts prints the first just before the second); before
 * both it says `gatewarden deciding passes`, once its serial devices are up (`decidingAt`).
 *
 * Runs in a process group of its own (`detached`), so that a Ctrl-C at a terminal reaches only
 * the launcher, which stops the gateway first and takes the cables away after. Environment
 * overrides that would point it at another configuration or data folder are removed.
 */
export interface GatewayProcessOptions {
  /** dist/gateway/cli/main.js */
  cli: string;
  configFile: string;
  logFile: string;
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  /** The process ended without being asked to. */
  onCrash: (message: string) => void;
}

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const TAIL_LINES = 15;
/**
 * As `npm run gateway` starts it: 2 MB semi-spaces instead of V8's 16 MB keep the young
 * generation from holding ~30 MB of RSS; the gateway allocates ~1.5 MB/s, so that is about one
 * sub-millisecond scavenge a second (docs/performance.md "Footprint with 100,000 residents").
 */
const SEMI_SPACE_FLAG = '--max-semi-space-size=2';
/**
 * As the `gatewarden` command's first line sets them. Two arenas: glibc otherwise gives each
 * thread that allocates (V8's compiler and GC helpers, libuv's pool) an arena of its own, and
 * keeps what they freed: ~8 MB of the resident set at 100,000 residents. A fixed trim threshold
 * of 128 kB: glibc otherwise raises it (up to 64 MB) each time a large block is freed, and then
 * keeps the free top of its heap; ~4–9 MB at start (docs/performance.md "Time zones without ICU").
 */
const MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072' };

/**
 * Extra Node options for the gateway process alone, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`
 * (which NODE_OPTIONS refuses): for profiling a simulated site or a benchmark's gateway.
 */
function profilingArgs(): string[] {
  return (process.env.GATEWARDEN_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
}

export class GatewayProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private readonly tail: string[] = [];
  private exited: Promise<void> | undefined;
  /** Date.now() when the gateway said it decides passes (its serial devices up), before it is ready. */
  decidingAt: number | undefined;

  constructor(private readonly options: GatewayProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the gateway; resolves with the dashboard URL once it is ready, rejects when it ends first. */
  start(): Promise<{ dashboardUrl: string }> {
    const { GATEWARDEN_CONFIG: _config, GATEWARDEN_DATA_DIR: _data, ...env } = process.env;
    const child = spawn(
      process.execPath,
      [SEMI_SPACE_FLAG, ...profilingArgs(), this.options.cli, '--config', this.options.configFile, 'start'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: { ...MALLOC_ENV, ...env },
      },
    );
    this.child = child;
    const log = createWriteStream(this.options.logFile, { flags: 'w', mode: 0o600 });
    let dashboardUrl: string | undefined;
    let ready = false;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!ready)
          reject(
            new Error(`the gateway was not ready within ${READY_TIMEOUT_MS / 1000} s${this.lastLines()}`),
          );
      }, READY_TIMEOUT_MS);
      const take = (stream: 'stdout' | 'stderr') => (line: string) => {
        log.write(`${line}\n`);
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        this.options.onLine(line, stream);
        const url = /^dashboard 管理界面: (\S+)/.exec(line)?.[1];
        if (url !== undefined) dashboardUrl = url;
        if (this.decidingAt === undefined && line.startsWith('gatewarden deciding passes'))
          this.decidingAt = Date.now();
        if (!ready && line.startsWith('gatewarden ready') && stream === 'stderr') {
          ready = true;
          clearTimeout(timer);
          if (dashboardUrl === undefined) reject(new Error('the gateway is ready but serves no dashboard'));
          else resolve({ dashboardUrl });
        }
      };
      if (child.stdout) createInterface({ input: child.stdout }).on('line', take('stdout'));
      if (child.stderr) createInterface({ input: child.stderr }).on('line', take('stderr'));
      this.exited = new Promise<void>((done) => {
        child.once('error', (err) => {
          clearTimeout(timer);
          reject(new Error(`cannot run the gateway: ${err.message}`));
          done();
        });
        // 'close' comes after the last line of its output, so the tail is complete.
        child.once('close', (code, signal) => {
          clearTimeout(timer);
          const how = signal ?? `code ${code}`;
          if (!ready) reject(new Error(`the gateway exited before it was ready (${how})${this.lastLines()}`));
          else if (!this.stopping) this.options.onCrash(`the gateway exited (${how})${this.lastLines()}`);
          log.end();
          done();
        });
      });
    });
  }

  /** SIGTERM and wait; SIGKILL after 20 s. Resolves with how it ended, or undefined if it was not running. */
  async stop(): Promise<string | undefined> {
    this.stopping = true;
    const child = this.child;
    if (child === undefined || this.exited === undefined) return undefined;
    let how: string | undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const ended = new Promise<string>((r) =>
        child.once('exit', (code, signal) => r(signal ?? `code ${code}`)),
      );
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      how = await ended;
      clearTimeout(kill);
    }
    await this.exited;
    return how;
  }

  private lastLines(): string {
    return this.tail.length === 0 ? '' : `; its last lines:\n  ${this.tail.join('\n  ')}`;
  }
}
