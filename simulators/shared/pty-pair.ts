import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A pseudo-terminal pair from socat standing in for a serial cable: bytes written to `a` come
 * out of `b` and back. The links are symlinks in `dir`, so a test can kill the pair (the cable
 * "unplugged") and start a new one under the same names (plugged back in).
 */
export class PtyPair {
  readonly a: string;
  readonly b: string;
  private child: ChildProcess | undefined;

  constructor(
    readonly dir: string,
    readonly name = 'line',
  ) {
    this.a = join(dir, `${name}-a`);
    this.b = join(dir, `${name}-b`);
  }

  /** Starts socat and resolves once both links exist. */
  async start(): Promise<this> {
    const child = spawn(
      'socat',
      ['-d', '-d', `pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    this.child = child;
    let log = '';
    child.stderr?.on('data', (d) => {
      log += d;
    });
    const deadline = Date.now() + 10_000;
    while (!(existsSync(this.a) && existsSync(this.b))) {
      if (child.exitCode !== null) throw new Error(`socat exited: ${log}`);
      if (Date.now() > deadline) throw new Error(`socat did not create ${this.a} and ${this.b}: ${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this;
  }

  /** Kills socat: both ends vanish, as when a USB adapter is pulled out. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}
