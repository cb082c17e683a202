import type { Logger } from 'pino';
import { ModbusError } from '../modbus/errors.js';
import type { AlarmLatch } from '../shared/alarm-latch.js';
import { type Clock, sleep } from '../shared/clock.js';
import type { CoilRole } from './barrier-types.js';
import type { BoardIo } from './board-io.js';

/**
 * The barrier's relays on its board: one queue of actuations run strictly one after another (two
 * contacts are never closed at once, and a check made at the start of an action still holds when
 * its write goes out), OPEN and STOP pulses, releases, and the RELAY_FAILURE alarm for a write the
 * board refused or did not acknowledge. Closing CLOSE is deliberately not here: only the adapter's
 * guarded `lower()` does that (through BoardIo.writeCoilIf).
 */
export class BarrierRelays {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly io: BoardIo,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly alarms: AlarmLatch,
    private readonly pulseMs: number,
    /** Told of every closure that happened (the ON write acknowledged). */
    private readonly onClosure: (role: CoilRole, reason: string) => void,
  ) {}

  /** Queues an actuation after those already queued; a throw is logged, never propagated. */
  enqueue(action: () => Promise<unknown>): void {
    this.chain = this.chain.then(action).then(
      () => undefined,
      (error: unknown) => this.log.error({ err: error }, 'barrier actuation failed'),
    );
  }

  /** Resolves once every queued actuation has finished. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Coil on, `pulseMs`, coil off. Resolves whether the closure happened (the ON write was acknowledged). */
  async pulse(coil: number, role: Exclude<CoilRole, 'close'>, reason: string): Promise<boolean> {
    if (!(await this.write(coil, true, reason))) return false;
    this.closed(coil, role, reason);
    await sleep(this.clock, this.pulseMs);
    await this.release(coil, reason);
    return true;
  }

  /** A closure made elsewhere (the guarded CLOSE) is reported the same way. */
  closed(coil: number, role: CoilRole, reason: string): void {
    this.alarms.clear(`relay-${coil}`);
    this.log.info({ role, reason }, 'barrier contact pulsed');
    this.onClosure(role, reason);
  }

  /** Coil off. Resolves whether the board acknowledged it. */
  release(coil: number, reason: string): Promise<boolean> {
    return this.write(coil, false, reason);
  }

  /** Logs a failed write; anything but the board being offline (DEVICE_OFFLINE's business) is a relay failure. */
  failed(coil: number, on: boolean, reason: string, error: unknown): void {
    const failure = error instanceof ModbusError ? error.reason : 'error';
    this.log.warn({ err: error, coil, on, reason }, 'relay write failed');
    if (failure === 'offline' || failure === 'stopped' || failure === 'line-down') return;
    const detail = { coil, state: on ? 'on' : 'off', failure, error: (error as Error).message };
    this.alarms.raise(`relay-${coil}`, 'RELAY_FAILURE', 'critical', detail);
  }

  private async write(coil: number, on: boolean, reason: string): Promise<boolean> {
    try {
      await this.io.writeCoil(coil, on);
      this.alarms.clear(`relay-${coil}`);
      return true;
    } catch (error) {
      this.failed(coil, on, reason, error);
      return false;
    }
  }
}
