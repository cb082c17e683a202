import { EventEmitter } from 'node:events';
import { EXCEPTION } from '../../drivers/modbus/constants.js';
import type { Clock } from '../../drivers/shared/clock.js';
import { type ArmMotion, BarrierArm } from './arm-model.js';

/**
 * A cheap Modbus RTU relay/IO board (protocols.md §3.3 conventions: coils 0..N-1 are relays,
 * discrete inputs 0..N-1 opto inputs) wired to one vehicle barrier: three relays pulse the gate
 * controller's OPEN, CLOSE and STOP contacts, and four inputs read the loop detector, the arm's
 * up and down limit switches and the fire-alarm panel. No protocol here (board-responder.ts
 * maps requests onto it); the bus simulator owns the line.
 *
 * A relay acts on the controller when its coil turns on (a contact closure); turning it off does
 * nothing. Every coil write is logged with the loop state at that moment, which is what the
 * safety tests check: no CLOSE closure while a car is on the loop. `hazards` counts the moments
 * the arm was moving down with a car on the loop (what a real controller's own safety input, off
 * here unless `interlock`, would have prevented).
 *
 * Faults: `stuck` (the arm does not move), `dead` relays (`ack`: writes are acknowledged and read
 * back but the contacts never close; `exception`: writes answer 0x04 server device failure),
 * `silent` (the board answers nothing; see bus-simulator.ts).
 */
export interface BarrierWiring {
  coils: { open: number; close: number; stop?: number };
  inputs: { loop: number; upLimit: number; downLimit: number; fire?: number };
}

export const STANDARD_WIRING: BarrierWiring = {
  coils: { open: 0, close: 1, stop: 2 },
  inputs: { loop: 0, upLimit: 1, downLimit: 2, fire: 3 },
};

export type DeadRelay = 'off' | 'ack' | 'exception';

export interface BoardFaults {
  stuck: boolean;
  dead: DeadRelay;
  silent: boolean;
}

export interface RelayBoardOptions {
  unit: number;
  clock: Clock;
  coilCount?: number;
  inputCount?: number;
  wiring?: BarrierWiring;
  /** Arm travel times (default 3 s up, 4 s down). */
  riseMs?: number;
  fallMs?: number;
  /** The gate controller ignores CLOSE and reverses while the loop is occupied (default off). */
  interlock?: boolean;
  /** Coil writes kept in `coilLog` (default 10 000; the oldest go first). */
  logLimit?: number;
}

export type CoilRole = 'open' | 'close' | 'stop';

export interface CoilWrite {
  at: number;
  address: number;
  value: boolean;
  role?: CoilRole;
  /** Whether a car was on the loop when the write reached the board. */
  loopOccupied: boolean;
  /** Whether the relay closed a contact (false for a dead relay or a coil turned off). */
  acted: boolean;
}

export interface RelayBoardEvents {
  coil: [write: CoilWrite];
  arm: [info: { unit: number; motion: ArmMotion; position: number; at: number }];
  loop: [info: { unit: number; occupied: boolean; at: number }];
  hazard: [info: { unit: number; at: number; cause: 'close on car' | 'car under falling arm' }];
}

export type Access<T> = { ok: T } | { exception: number };

export class RelayBoardModel extends EventEmitter<RelayBoardEvents> {
  readonly unit: number;
  readonly arm: BarrierArm;
  readonly wiring: BarrierWiring;
  readonly coilLog: CoilWrite[] = [];
  readonly counters = { coilWrites: 0, closures: 0, hazards: 0, cars: 0 };
  faults: BoardFaults = { stuck: false, dead: 'off', silent: false };
  private readonly coils: boolean[];
  private readonly extraInputs: boolean[];
  private cars = 0;
  private fire = false;

  constructor(private readonly options: RelayBoardOptions) {
    super();
    this.unit = options.unit;
    this.wiring = options.wiring ?? STANDARD_WIRING;
    this.coils = new Array<boolean>(options.coilCount ?? 8).fill(false);
    this.extraInputs = new Array<boolean>(options.inputCount ?? 8).fill(false);
    this.arm = new BarrierArm({
      riseMs: options.riseMs ?? 3000,
      fallMs: options.fallMs ?? 4000,
      clock: options.clock,
    });
    this.arm.on('motion', (m) => {
      this.emit('arm', { unit: this.unit, ...m });
      if (m.motion === 'falling' && this.loopOccupied) this.hazard('close on car');
    });
  }

  get loopOccupied(): boolean {
    return this.cars > 0;
  }

  get fireActive(): boolean {
    return this.fire;
  }

  /** A car drives onto the loop (several may be on it at once: a car and a trailer, a queue). */
  carArrive(): void {
    this.cars++;
    this.counters.cars++;
    if (this.cars === 1) this.loopChanged();
  }

  /** A car leaves the loop; a no-op when the loop is empty. */
  carClear(): void {
    if (this.cars === 0) return;
    this.cars--;
    if (this.cars === 0) this.loopChanged();
  }

  setFire(active: boolean): void {
    this.fire = active;
  }

  setInput(index: number, active: boolean): void {
    if (index < 0 || index >= this.extraInputs.length) throw new RangeError(`no input ${index}`);
    this.extraInputs[index] = active;
  }

  setFaults(faults: Partial<BoardFaults>): void {
    this.faults = { ...this.faults, ...faults };
    if (faults.stuck !== undefined) this.arm.setStuck(faults.stuck);
  }

  readInputs(address: number, quantity: number): Access<boolean[]> {
    if (address + quantity > this.extraInputs.length) return { exception: EXCEPTION.ILLEGAL_DATA_ADDRESS };
    const all = this.inputs();
    return { ok: all.slice(address, address + quantity) };
  }

  readCoils(address: number, quantity: number): Access<boolean[]> {
    if (address + quantity > this.coils.length) return { exception: EXCEPTION.ILLEGAL_DATA_ADDRESS };
    return { ok: this.coils.slice(address, address + quantity) };
  }

  /** Several coils at once are applied in address order, as boards do. */
  writeCoils(address: number, values: readonly boolean[]): Access<true> {
    if (address + values.length > this.coils.length) return { exception: EXCEPTION.ILLEGAL_DATA_ADDRESS };
    if (this.faults.dead === 'exception') return { exception: EXCEPTION.SERVER_DEVICE_FAILURE };
    for (const [i, value] of values.entries()) this.setCoil(address + i, value);
    return { ok: true };
  }

  /** Every discrete input as the board reads it now. */
  inputs(): boolean[] {
    const values = [...this.extraInputs];
    const w = this.wiring.inputs;
    values[w.loop] = this.loopOccupied;
    values[w.upLimit] = this.arm.upLimit;
    values[w.downLimit] = this.arm.downLimit;
    if (w.fire !== undefined) values[w.fire] = this.fire;
    return values;
  }

  coilStates(): readonly boolean[] {
    return [...this.coils];
  }

  dispose(): void {
    this.arm.dispose();
  }

  private setCoil(address: number, value: boolean): void {
    const role = this.roleOf(address);
    const rising = value && !this.coils[address];
    this.coils[address] = value;
    const acted = rising && this.faults.dead === 'off';
    const write: CoilWrite = {
      at: this.options.clock.now(),
      address,
      value,
      loopOccupied: this.loopOccupied,
      acted,
    };
    if (role) write.role = role;
    this.counters.coilWrites++;
    this.coilLog.push(write);
    if (this.coilLog.length > (this.options.logLimit ?? 10_000)) this.coilLog.shift();
    this.emit('coil', write);
    if (!acted || role === undefined) return;
    this.counters.closures++;
    if (role === 'open') this.arm.open();
    else if (role === 'stop') this.arm.stop();
    else if (!(this.options.interlock && this.loopOccupied)) this.arm.close();
  }

  private roleOf(address: number): CoilRole | undefined {
    const c = this.wiring.coils;
    if (address === c.open) return 'open';
    if (address === c.close) return 'close';
    if (address === c.stop) return 'stop';
    return undefined;
  }

  private loopChanged(): void {
    const at = this.options.clock.now();
    this.emit('loop', { unit: this.unit, occupied: this.loopOccupied, at });
    if (!this.loopOccupied || this.arm.motion !== 'falling') return;
    this.hazard('car under falling arm');
    if (this.options.interlock) this.arm.open();
  }

  private hazard(cause: 'close on car' | 'car under falling arm'): void {
    this.counters.hazards++;
    this.emit('hazard', { unit: this.unit, at: this.options.clock.now(), cause });
  }
}
