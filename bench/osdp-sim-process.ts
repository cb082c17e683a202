/**
 * The parent's side of the simulated readers of `bench/osdp-latency.ts` (osdp-sim-child.ts runs
 * them in a process of their own): the messages both ways, and the handle that starts the child,
 * talks to it and knows the offset between its clock and ours.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { systemClock } from '../drivers/shared/clock.js';

export interface SimProcessSettings {
  path: string;
  baud: number;
  turnaroundMs: number;
  pds: { address: number; cuidHex: string; scbkHex?: string }[];
}

export type ToSimProcess =
  | { kind: 'present'; address: number; card: number }
  | { kind: 'ping'; id: number }
  | { kind: 'stop' };

export type FromSimProcess =
  | { kind: 'ready' }
  | { kind: 'presented'; address: number; at: number }
  | { kind: 'raw'; address: number; startedAt: number; finishedAt: number }
  | { kind: 'output'; address: number; active: boolean; at: number }
  | { kind: 'buzzer'; address: number; at: number }
  | { kind: 'pong'; id: number; at: number }
  | { kind: 'stopped' };

const now = systemClock.now;

/** The simulated readers' process (osdp-sim-child.ts), and its clock's offset from ours. */
export class SimProcess {
  /** The simulator's clock minus ours: subtract from its times. */
  offsetMs = 0;
  private constructor(private readonly child: ChildProcess) {}

  static async start(settings: SimProcessSettings): Promise<SimProcess> {
    const child = fork(new URL('./osdp-sim-child.js', import.meta.url), [JSON.stringify(settings)]);
    const sim = new SimProcess(child);
    child.on('exit', (code) => {
      if (code !== 0) {
        console.error(`the simulator process ended with ${code}`);
        process.exit(1);
      }
    });
    await sim.next((m) => m.kind === 'ready');
    await sim.measureOffset();
    return sim;
  }

  post(message: ToSimProcess): void {
    this.child.send(message);
  }

  listen(listener: (message: FromSimProcess) => void): () => void {
    const typed = listener as (message: unknown) => void;
    this.child.on('message', typed);
    return () => this.child.off('message', typed);
  }

  next(match: (message: FromSimProcess) => boolean): Promise<FromSimProcess> {
    return new Promise((resolve) => {
      const off = this.listen((m) => {
        if (!match(m)) return;
        off();
        resolve(m);
      });
    });
  }

  /** NTP's estimate from the round trip with the shortest time, of 50. */
  private async measureOffset(): Promise<void> {
    let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
    for (let id = 0; id < 50; id++) {
      const sent = now();
      this.post({ kind: 'ping', id });
      const pong = await this.next((m) => m.kind === 'pong' && m.id === id);
      const back = now();
      if (pong.kind === 'pong' && back - sent < best.rtt) {
        best = { rtt: back - sent, offset: pong.at - (sent + back) / 2 };
      }
    }
    this.offsetMs = best.offset;
  }

  async stop(): Promise<void> {
    const ended = new Promise((resolve) => this.child.once('exit', resolve));
    this.post({ kind: 'stop' });
    await ended;
  }
}
