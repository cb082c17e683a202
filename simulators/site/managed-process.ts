import { type ChildProcess, spawn } from 'node:child_process';

/** How a server started by a test, benchmark or the simulated site is run and found ready. */
export interface ManagedProcessOptions {
  /** For messages: `influxd`, `mosquitto`. */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** True once the process serves (an HTTP ping, a TCP connect); called until it is. */
  probe: () => Promise<boolean>;
  /** What `probe` waits for, for messages: `answering http://…/ping`. */
  readiness: string;
  readyWithinMs: number;
  probeEveryMs: number;
  /** After SIGTERM, before SIGKILL. */
  termGraceMs: number;
  /** Characters of the process's output kept for error messages (default 20,000). */
  outputLimit?: number;
}

/**
 * One external server process (influxd, mosquitto) that can be launched, stopped and launched
 * again: its stdout and stderr kept (the tail) for error messages, `launch()` resolving once the
 * probe succeeds and rejecting — with that output — when the process exits first or the probe
 * never succeeds (the process is then killed), `halt()` resolving once it has exited, SIGKILL
 * following SIGTERM after the grace period.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private alive = false;
  private closed: Promise<void> = Promise.resolve();
  private exit = '';
  private tail = '';

  constructor(private readonly options: ManagedProcessOptions) {}

  get running(): boolean {
    return this.alive;
  }

  /** The last lines the process wrote (stdout and stderr together). */
  get output(): string {
    return this.tail;
  }

  async launch(): Promise<void> {
    const o = this.options;
    const proc = spawn(o.command, o.args, { env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = proc;
    this.alive = true;
    const limit = o.outputLimit ?? 20_000;
    const capture = (chunk: string) => {
      this.tail = (this.tail + chunk).slice(-limit);
    };
    proc.stdout?.setEncoding('utf8').on('data', capture);
    proc.stderr?.setEncoding('utf8').on('data', capture);
    this.closed = new Promise((resolve) => {
      const done = (why: string) => {
        if (this.alive) this.exit = why;
        this.alive = false;
        resolve();
      };
      proc.once('error', (err) => done(`failed to start: ${err.message}`));
      proc.once('close', (code, signal) => done(`exited with code ${code}, signal ${signal}`));
    });
    const deadline = Date.now() + o.readyWithinMs;
    while (!(await o.probe().catch(() => false))) {
      if (!this.alive)
        throw new Error(`${o.name} ${this.exit} before ${o.readiness}; its output:\n${this.tail}`);
      if (Date.now() > deadline) {
        await this.halt('SIGKILL');
        throw new Error(
          `${o.name} was not ${o.readiness} within ${o.readyWithinMs} ms; its output:\n${this.tail}`,
        );
      }
      await new Promise((r) => setTimeout(r, o.probeEveryMs));
    }
  }

  async halt(signal: NodeJS.Signals): Promise<void> {
    const proc = this.child;
    if (!this.alive || proc === undefined) return;
    proc.kill(signal);
    const escalate = setTimeout(() => proc.kill('SIGKILL'), this.options.termGraceMs);
    await this.closed;
    clearTimeout(escalate);
  }
}
