import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The vehicle lanes' relay boards as a `gatewarden-sim barrier` child process, driven through
 * its console (`car arrive <unit>`) and followed through its event lines (`arm <unit> up`).
 *
 * Why a process of its own, when the other simulators run in the launcher: a Modbus board must
 * answer the gateway's first probe within about 100 ms or the gateway calls it offline (with a
 * DEVICE_OFFLINE alarm) at every start, and the launcher's own event loop is busy exactly then
 * (the cameras' first SOAP exchanges, MQTT clients connecting). A process of its own keeps the
 * board's replies on time. It reads its console from a pipe, so it also ends by itself (end of
 * input) if the launcher is killed.
 */
export interface BarrierProcessOptions {
  /** dist/simulators/cli/main.js */
  cli: string;
  port: string;
  baud: number;
  units: readonly number[];
  onDied: (message: string) => void;
  /** An arm moved: `up`, `down`, `rising`, `falling` or `stopped`. */
  onArm: (unit: number, state: string) => void;
}

const STOP_TIMEOUT_MS = 5000;

export class BarrierProcess {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly arms = new Map<number, string>();
  private readonly tail: string[] = [];
  private stopping = false;

  constructor(private readonly options: BarrierProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the simulator; resolves once it says `ready`, rejects when it ends first. */
  start(): Promise<void> {
    const o = this.options;
    const args = ['barrier', '--port', o.port, '--baud', String(o.baud), '--units', o.units.join(',')];
    const child = spawn(process.execPath, [o.cli, ...args, '--rise-ms', '2000', '--fall-ms', '2500'], {
      detached: true,
    });
    this.child = child;
    for (const unit of o.units) this.arms.set(unit, 'down');
    return new Promise((resolve, reject) => {
      const take = (line: string) => {
        this.tail.push(line);
        if (this.tail.length > 5) this.tail.shift();
        if (line.startsWith('ready ')) resolve();
        const arm = /^arm (\d+) (\S+)$/.exec(line);
        if (arm) {
          this.arms.set(Number(arm[1]), arm[2] ?? '');
          o.onArm(Number(arm[1]), arm[2] ?? '');
        }
      };
      createInterface({ input: child.stdout }).on('line', take);
      createInterface({ input: child.stderr }).on('line', take);
      child.once('error', (err) => reject(new Error(`cannot run the barrier simulator: ${err.message}`)));
      child.once('close', (code, signal) => {
        const message = `the barrier simulator exited (${signal ?? `code ${code}`}): ${this.tail.join(' | ')}`;
        reject(new Error(message));
        if (!this.stopping) o.onDied(message);
      });
    });
  }

  /** Whether the arm of `unit` stands at its up limit. */
  isUp(unit: number): boolean {
    return this.arms.get(unit) === 'up';
  }

  car(unit: number, on: 'arrive' | 'clear'): void {
    this.child?.stdin.write(`car ${on} ${unit}\n`);
  }

  /** `quit` on its console, SIGKILL if it has not ended within 5 s. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const ended = new Promise((r) => child.once('close', r));
    child.stdin.end('quit\n');
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await ended;
    clearTimeout(kill);
  }
}
