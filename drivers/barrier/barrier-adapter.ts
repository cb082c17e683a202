import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Decision } from '../../gateway/rules/types.js';
import type { GuardedWrite, ModbusBoardEvents } from '../modbus/board-types.js';
import { AlarmLatch } from '../shared/alarm-latch.js';
import { type Clock, sleep, systemClock } from '../shared/clock.js';
import type { LanePort } from '../shared/lane-port.js';
import {
  type BarrierConfig,
  type BarrierTiming,
  checkBarrierConfig,
  DEFAULT_BARRIER_TIMING,
} from './barrier-config.js';
import {
  armPosition,
  type BarrierAdapterEvents,
  type BarrierInputs,
  type BarrierStatus,
  parseInputs,
} from './barrier-types.js';
import type { BoardIo } from './board-io.js';
import { BarrierRelays } from './relays.js';

/** The guard's answer when the arm is already down: nothing to do, and nothing to report. */
const ALREADY_DOWN = 'already down';
/** The reason of a raise that reverses an arm coming down on a vehicle. */
const REVERSE = 'vehicle under a lowering arm';

export type { BarrierAdapterEvents, BarrierInputs, BarrierStatus, CoilRole } from './barrier-types.js';

/**
 * A vehicle lane's barrier on a relay/IO board (protocols.md §3.4): raises on an allow decision,
 * lowers once the permitted vehicles have crossed the loop and it has stayed clear for
 * `settleMs`, and keeps the arm up while the fire alarm lasts.
 *
 * Safety: the arm is never commanded down while the loop is occupied. `lower()` is the only
 * code that closes the CLOSE contact, and it (1) refuses while fire, a pending pass, an unknown
 * state or the last known loop say no, then (2) asks the board for `writeCoilIf`: a fresh read of
 * the inputs, (3) the same checks again on that reading, and (4) only then the CLOSE write, as the
 * next request to the board (no poll in between), on the adapter's one actuation queue (no other
 * command of ours in between). What remains is the time from that read to the write reaching the
 * board (≈ 15 ms at 9600 baud, plus any other device's exchange the line runs in between): a car
 * entering the loop inside it cannot be seen by any reading; the next poll sees it and the arm is
 * reversed (STOP, OPEN). Installations should still wire the loop into the gate controller's own
 * safety input, which acts without a bus in between.
 *
 * Alarms: BARRIER_STUCK (a limit not reached within `travelTimeoutMs` of a command: jammed arm,
 * or a dead relay that acknowledges), TAILGATING (the loop occupied with no pass: a car following
 * a permitted one, or forcing the arm; the arm is reversed if it was coming down), RELAY_FAILURE
 * (a coil write refused or unacknowledged), DEVICE_OFFLINE (the board stopped answering). Each
 * is raised once per occurrence, not at every poll.
 *
 * Lifecycle (style H5): the constructor stores; `start()` subscribes to the board; `stop()`
 * removes exactly those listeners and timers and waits for a pulse in progress to finish.
 */
export class BarrierAdapter extends EventEmitter<BarrierAdapterEvents> {
  private readonly timing: BarrierTiming;
  private readonly clock: Clock;
  private readonly removers: (() => void)[] = [];
  private running = false;
  private inputs: BarrierInputs | undefined;
  private commanded: 'up' | 'down' | undefined;
  /** One entry per permitted vehicle that has not crossed yet: its subject id, or a unique key for an unknown one. */
  private pending: string[] = [];
  private anonymous = 0;
  private siteFire = false;
  private lowerQueued = false;
  private raiseQueued = false;
  private readonly relays: BarrierRelays;
  private readonly timers: { lower?: unknown; pass?: unknown; travel?: unknown; retry?: unknown } = {};
  private readonly alarms: AlarmLatch;

  constructor(
    private readonly config: BarrierConfig,
    private readonly io: BoardIo,
    private readonly port: LanePort,
    private readonly log: Logger,
    clock?: Clock,
  ) {
    super();
    this.timing = { ...DEFAULT_BARRIER_TIMING, ...config.timing };
    checkBarrierConfig(config, this.timing);
    this.clock = clock ?? systemClock;
    this.alarms = new AlarmLatch(port, { deviceId: config.deviceId, laneId: config.laneId });
    this.relays = new BarrierRelays(io, this.clock, log, this.alarms, this.timing.pulseMs, (role, reason) =>
      this.emit('command', { role, reason, at: this.clock.now() }),
    );
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.listen('online', () => this.onOnline());
    this.listen('offline', (reason) => this.onOffline(reason));
    this.listen('inputs', (values) => this.onInputs(values));
    if (this.io.online) this.onOnline();
    if (this.io.inputs) this.onInputs(this.io.inputs);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const remove of this.removers.splice(0)) remove();
    for (const key of ['lower', 'pass', 'travel', 'retry'] as const) this.clearTimer(key);
    await this.relays.idle();
  }

  status(): BarrierStatus {
    const status: BarrierStatus = { online: this.io.online, passes: this.passes, fire: this.fireActive() };
    if (this.commanded) status.commanded = this.commanded;
    if (this.inputs) status.inputs = { ...this.inputs };
    return status;
  }

  /**
   * The lane's decision for a vehicle (plate camera, card): raises for a decision carrying
   * `raise_barrier` and counts one pass; a deny changes nothing (the arm stays down). A second
   * decision for a subject whose pass is still pending (a plate camera reporting the same car
   * twice) does not count another pass: that would let the next car through unnoticed.
   */
  onDecision(decision: Decision): void {
    if (!this.running) return;
    if (!decision.allow || !decision.actions.some((a) => a.type === 'raise_barrier')) {
      this.log.info({ reasons: decision.reasons.map((r) => r.code) }, 'vehicle refused; barrier stays down');
      return;
    }
    const subject = decision.subject.kind === 'unknown' ? `unknown-${++this.anonymous}` : decision.subject.id;
    if (!this.pending.includes(subject)) this.pending.push(subject);
    this.restartPassTimer();
    this.clearTimer('lower');
    if (!this.io.online) this.log.warn('vehicle allowed while the board is offline; raising once it is back');
    // A new pass re-sends OPEN when the arm is not confirmed up (a previous raise may have failed).
    if (this.commanded === 'up' && !this.inputs?.up && !this.raiseQueued) this.commanded = undefined;
    this.reconcile();
  }

  /** The site's fire alarm changed (the gateway calls every barrier). */
  setFire(active: boolean): void {
    // Not `fireActive()`: the site's port already shows the new state when it tells us (it
    // records the fire first), so the change is judged against what this adapter knew.
    const before = this.siteFire || this.inputs?.fire === true;
    this.siteFire = active;
    this.fireChanged(before);
  }

  // ---- board events ---------------------------------------------------------------------------

  private onOnline(): void {
    this.alarms.clear('offline');
    this.port.deviceState(this.config.deviceId, 'online', undefined, this.config.laneId);
    // A pulse cut short by an outage may have left a contact closed: open every relay.
    const coils = [this.config.coils.open, this.config.coils.close, this.config.coils.stop];
    for (const coil of coils)
      if (coil !== undefined) this.relays.enqueue(() => this.relays.release(coil, 'resting state'));
  }

  private onOffline(reason: string): void {
    this.inputs = undefined;
    this.commanded = undefined;
    this.clearTimer('lower');
    this.clearTimer('travel');
    this.port.deviceState(this.config.deviceId, 'offline', reason, this.config.laneId);
    this.alarms.raise('offline', 'DEVICE_OFFLINE', 'critical', { reason });
  }

  private onInputs(values: readonly boolean[]): void {
    if (!this.running) return;
    const next = parseInputs(this.config.inputs, values);
    const before = this.inputs;
    const fireBefore = this.fireActive();
    this.inputs = next;
    if (!before) {
      // First reading since (re)connecting: take the arm's position as found, act on it, no edges.
      this.commanded = next.up ? 'up' : next.down ? 'down' : undefined;
      if (next.fire) this.port.fire(true, this.config.deviceId);
      if (!next.loop && !next.down && this.passes === 0) this.scheduleLower(this.timing.settleMs);
      // Passes granted before an outage wait again for their vehicles (whose loop edges were missed).
      if (!next.loop && this.passes > 0) this.restartPassTimer();
      this.reconcile();
      return;
    }
    if (next.fire !== before.fire) {
      this.port.fire(next.fire, this.config.deviceId);
      this.fireChanged(fireBefore);
    }
    if (next.up && !before.up) this.arrived('up');
    if (next.down && !before.down) this.arrived('down');
    if (next.loop && !before.loop) this.loopOccupied();
    if (!next.loop && before.loop) this.loopCleared();
    this.reconcile();
  }

  private loopOccupied(): void {
    this.clearTimer('lower');
    this.clearTimer('pass');
    if (this.passes > 0 || this.fireActive()) return;
    this.log.warn({ commanded: this.commanded }, 'vehicle on the loop without a pass');
    this.alarms.raise('tailgate', 'TAILGATING', 'critical', { arm: armPosition(this.inputs) });
  }

  private loopCleared(): void {
    this.alarms.clear('tailgate');
    this.pending.shift();
    if (this.passes > 0) this.restartPassTimer();
    else if (!this.fireActive()) this.scheduleLower(this.timing.settleMs);
  }

  private fireChanged(before: boolean): void {
    const now = this.fireActive();
    if (now === before) return;
    this.log.warn({ fire: now }, now ? 'fire alarm: barrier up and held' : 'fire alarm over');
    if (!now) {
      this.pending = [];
      this.scheduleLower(this.timing.settleMs);
    }
    this.reconcile();
  }

  private arrived(limit: 'up' | 'down'): void {
    this.alarms.clear(`stuck-${limit}`);
    if (this.commanded === limit) this.clearTimer('travel');
  }

  // ---- decisions ------------------------------------------------------------------------------

  /**
   * Brings the arm where it must be now, from the state as it is (called after every event and
   * after every actuation): up for fire or a pass; reversed if a car is under it on the way
   * down; otherwise on its way down (a lowering scheduled, queued or done), so a lane is never
   * left open by a sequence of events nobody foresaw.
   */
  private reconcile(): void {
    if (!this.running || !this.io.online || !this.inputs) return;
    const inputs = this.inputs;
    if (this.fireActive() || this.passes > 0) {
      if (this.commanded !== 'up' && !this.raiseQueued) this.raise(this.fireActive() ? 'fire' : 'pass');
      return;
    }
    if (inputs.loop) {
      if (this.commanded === 'down' && !inputs.down && !this.raiseQueued) this.raise(REVERSE);
      return;
    }
    const lowering = this.commanded === 'down' || this.lowerQueued || this.timers.lower !== undefined;
    if (!inputs.down && !lowering && !this.raiseQueued) this.scheduleLower(this.timing.settleMs);
  }

  /** OPEN (after STOP when reversing). Re-checked when its turn comes: a pass may have been used meanwhile. */
  private raise(reason: string): void {
    this.clearTimer('lower');
    this.raiseQueued = true;
    const stop = this.config.coils.stop;
    this.relays.enqueue(async () => {
      this.raiseQueued = false;
      if (!this.running) return;
      const wanted = reason === REVERSE ? this.inputs?.loop === true : this.fireActive() || this.passes > 0;
      if (wanted) {
        this.commanded = 'up';
        if (reason === REVERSE && stop !== undefined) await this.relays.pulse(stop, 'stop', reason);
        if (!(await this.relays.pulse(this.config.coils.open, 'open', reason))) {
          if (this.commanded === 'up') this.commanded = undefined;
          // Not at once: a relay that refused will refuse again. The next event or this timer retries.
          this.clearTimer('retry');
          this.timers.retry = this.clock.setTimeout(() => {
            this.timers.retry = undefined;
            this.reconcile();
          }, this.timing.travelTimeoutMs);
          return;
        }
        this.watchTravel('up');
      }
      this.reconcile();
    });
  }

  private scheduleLower(ms: number): void {
    this.clearTimer('lower');
    this.timers.lower = this.clock.setTimeout(() => {
      this.timers.lower = undefined;
      this.lower();
    }, ms);
  }

  /**
   * THE way down: the only code that closes the CLOSE contact (see the class comment for the
   * guard). Called after the settle time, after a pass timed out, after the fire alarm cleared,
   * and again after a lowering that failed.
   */
  private lower(): void {
    if (this.lowerQueued || !this.running) return;
    this.lowerQueued = true;
    const close = this.config.coils.close;
    this.relays.enqueue(async () => {
      this.lowerQueued = false;
      const before = this.refusal(this.inputs);
      if (before) return this.refuse(before);
      let outcome: GuardedWrite;
      try {
        outcome = await this.io.writeCoilIf(close, true, (values) => {
          // On the fresh reading, after onInputs has seen it: the last word before the write.
          const fresh = parseInputs(this.config.inputs, values);
          const refusal = this.refusal(fresh) ?? (fresh.down ? ALREADY_DOWN : undefined);
          if (refusal === undefined || refusal === ALREADY_DOWN) this.commanded = 'down';
          return refusal;
        });
      } catch (error) {
        if (this.commanded === 'down') this.commanded = undefined;
        this.relays.failed(close, true, 'lower', error);
        // A lane must not stay open because one write failed: try again (offline boards are
        // lowered when they come back instead, from their first reading).
        if (this.io.online) this.scheduleLower(this.timing.travelTimeoutMs);
        return;
      }
      if (!outcome.written) {
        if (outcome.refusal !== ALREADY_DOWN) this.refuse(outcome.refusal);
        return this.reconcile();
      }
      this.relays.closed(close, 'close', 'lower');
      await sleep(this.clock, this.timing.pulseMs);
      await this.relays.release(close, 'lower');
      this.watchTravel('down');
      this.reconcile();
    });
  }

  /** Why the arm may not come down on this reading, or undefined when it may. */
  private refusal(inputs: BarrierInputs | undefined): string | undefined {
    if (!this.running) return 'stopped';
    if (!inputs || !this.io.online) return 'board state unknown';
    if (inputs.loop) return 'loop occupied';
    if (this.fireActive() || inputs.fire) return 'fire alarm';
    if (this.passes > 0) return 'a permitted vehicle has not passed';
    return undefined;
  }

  private refuse(reason: string): void {
    this.log.debug({ reason }, 'not lowering');
    this.emit('guard', { reason, at: this.clock.now() });
  }

  // ---- travel ---------------------------------------------------------------------------------

  private watchTravel(limit: 'up' | 'down'): void {
    this.clearTimer('travel');
    const remaining = Math.max(0, this.timing.travelTimeoutMs - this.timing.pulseMs);
    this.timers.travel = this.clock.setTimeout(() => {
      this.timers.travel = undefined;
      const reached = limit === 'up' ? this.inputs?.up : this.inputs?.down;
      if (reached || this.commanded !== limit || !this.io.online) return;
      this.alarms.raise(`stuck-${limit}`, 'BARRIER_STUCK', 'critical', {
        expected: limit,
        arm: armPosition(this.inputs),
        travelTimeoutMs: this.timing.travelTimeoutMs,
      });
      // Not confirmed: the next pass re-sends OPEN; a lane left open is lowered again (every
      // travel timeout, still through the guard) until the arm comes down.
      this.commanded = undefined;
      if (limit === 'down') this.scheduleLower(this.timing.travelTimeoutMs);
    }, remaining);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private get passes(): number {
    return this.pending.length;
  }

  private fireActive(): boolean {
    return this.siteFire || this.inputs?.fire === true || this.port.fireActive();
  }

  private restartPassTimer(): void {
    this.clearTimer('pass');
    this.timers.pass = this.clock.setTimeout(() => {
      this.timers.pass = undefined;
      if (this.passes === 0) return;
      this.log.info({ passes: this.passes }, 'no vehicle came through; lowering');
      this.pending = [];
      this.lower();
    }, this.timing.passTimeoutMs);
  }

  private clearTimer(key: keyof BarrierAdapter['timers']): void {
    const handle = this.timers[key];
    if (handle !== undefined) this.clock.clearTimeout(handle);
    this.timers[key] = undefined;
  }

  private listen<K extends keyof ModbusBoardEvents>(
    event: K,
    listener: (...args: ModbusBoardEvents[K]) => void,
  ): void {
    // EventEmitter<T>'s overloads do not narrow a generic K; the cast keeps the call typed here.
    const plain = this.io as unknown as EventEmitter;
    const wrapped = listener as (...args: unknown[]) => void;
    plain.on(event, wrapped);
    this.removers.push(() => plain.off(event, wrapped));
  }
}
