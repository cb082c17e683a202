import { EventEmitter } from 'node:events';
import type { Clock } from '../../drivers/shared/clock.js';

/**
 * A barrier arm driven by a gate controller's dry-contact inputs (protocols.md §3.4): a closure
 * on OPEN starts it rising, on CLOSE falling, on STOP it halts where it is. It takes `riseMs`
 * to go from fully down to fully up and `fallMs` back, and moves from wherever it is (a reversal
 * half way down takes half the rise time). Its limit switches close at the ends of travel.
 *
 * `stuck` freezes it (a jammed gearbox, a broken arm, the motor breaker tripped): contacts are
 * ignored and the limits show wherever it stopped. Position is computed from the clock when
 * asked; a timer only announces arrival at an end.
 */
export type ArmMotion = 'still' | 'rising' | 'falling';

export interface ArmOptions {
  riseMs: number;
  fallMs: number;
  clock: Clock;
  /** 0 = down (default), 1 = up. */
  initialPosition?: number;
}

export interface ArmEvents {
  /** The arm started moving, stopped, or reached an end (`position` 0 or 1). */
  motion: [info: { motion: ArmMotion; position: number; at: number }];
}

export class BarrierArm extends EventEmitter<ArmEvents> {
  private motion_: ArmMotion = 'still';
  private from: number;
  private since: number;
  private stuck_ = false;
  private arrival: unknown;

  constructor(private readonly options: ArmOptions) {
    super();
    if (!(options.riseMs > 0 && options.fallMs > 0)) throw new RangeError('arm travel times must be > 0 ms');
    this.from = Math.min(1, Math.max(0, options.initialPosition ?? 0));
    this.since = options.clock.now();
  }

  get motion(): ArmMotion {
    return this.motion_;
  }

  get stuck(): boolean {
    return this.stuck_;
  }

  /** 0 = down … 1 = up, now. */
  position(): number {
    const elapsed = this.options.clock.now() - this.since;
    if (this.motion_ === 'rising') return Math.min(1, this.from + elapsed / this.options.riseMs);
    if (this.motion_ === 'falling') return Math.max(0, this.from - elapsed / this.options.fallMs);
    return this.from;
  }

  get upLimit(): boolean {
    return this.position() >= 1;
  }

  get downLimit(): boolean {
    return this.position() <= 0;
  }

  open(): void {
    if (!this.stuck_ && this.position() < 1) this.move('rising');
  }

  close(): void {
    if (!this.stuck_ && this.position() > 0) this.move('falling');
  }

  stop(): void {
    if (!this.stuck_ && this.motion_ !== 'still') this.move('still');
  }

  /** Jams the arm where it is now, or frees it (it stays still until the next contact). */
  setStuck(stuck: boolean): void {
    if (stuck && this.motion_ !== 'still') this.move('still');
    this.stuck_ = stuck;
  }

  dispose(): void {
    if (this.arrival !== undefined) this.options.clock.clearTimeout(this.arrival);
    this.arrival = undefined;
  }

  private move(motion: ArmMotion): void {
    const clock = this.options.clock;
    this.from = this.position();
    this.since = clock.now();
    this.motion_ = motion;
    this.dispose();
    this.emit('motion', { motion, position: this.from, at: this.since });
    if (motion === 'still') return;
    const remaining = motion === 'rising' ? 1 - this.from : this.from;
    const travel = motion === 'rising' ? this.options.riseMs : this.options.fallMs;
    this.arrival = clock.setTimeout(() => {
      this.arrival = undefined;
      this.from = motion === 'rising' ? 1 : 0;
      this.since = clock.now();
      this.motion_ = 'still';
      this.emit('motion', { motion: 'still', position: this.from, at: this.since });
    }, remaining * travel);
  }
}
