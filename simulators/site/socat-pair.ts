import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

/**
 * One socat pseudo-terminal pair standing in for a serial cable of the simulated site: the
 * gateway opens one link, a simulator the other. Unlike simulators/shared/pty-pair.ts (made for
 * tests that pull the cable on purpose), the site needs to hear when socat dies on its own, so
 * that a broken cable stops the whole site with a clear message instead of a silent device.
 *
 * socat runs in a process group of its own (`detached`): a Ctrl-C typed at a terminal reaches
 * only the launcher, which stops the gateway before it takes the cables away. Stale links left
 * by a killed run are removed before starting.
 */
export class SocatPair {
  private child: ChildProcess | undefined;
  private stopping = false;
  private log = '';

  constructor(
    readonly gatewayEnd: string,
    readonly simEnd: string,
    private readonly onDied: (message: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts socat; resolves once both links exist, rejects when socat fails or takes over 10 s. */
  async start(): Promise<void> {
    for (const link of [this.gatewayEnd, this.simEnd]) rmSync(link, { force: true });
    const child = spawn(
      'socat',
      ['-d', '-d', `pty,raw,echo=0,link=${this.gatewayEnd}`, `pty,raw,echo=0,link=${this.simEnd}`],
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    this.child = child;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.log = (this.log + text).slice(-2000);
    });
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    child.once('exit', (code, signal) => {
      if (!this.stopping)
        this.onDied(`socat for ${this.gatewayEnd} exited (${signal ?? `code ${code}`}): ${this.lastLog()}`);
    });
    const deadline = Date.now() + 10_000;
    while (!(existsSync(this.gatewayEnd) && existsSync(this.simEnd))) {
      const failed = await Promise.race([
        spawnError,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 20)),
      ]);
      if (failed !== undefined) {
        this.stopping = true;
        throw new Error(
          (failed as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'socat is not installed: run scripts/bootstrap (or apt-get install socat)'
            : `socat did not start: ${failed.message}`,
        );
      }
      if (child.exitCode !== null) throw new Error(`socat exited at once: ${this.lastLog()}`);
      if (Date.now() > deadline) throw new Error(`socat made no ${this.gatewayEnd}: ${this.lastLog()}`);
    }
  }

  /** Stops socat (SIGTERM, then SIGKILL after 3 s) and removes its links. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(kill);
    }
    for (const link of [this.gatewayEnd, this.simEnd]) rmSync(link, { force: true });
  }

  private lastLog(): string {
    return this.log.trim().split('\n').slice(-3).join(' | ') || 'no output';
  }
}
