import { EventEmitter } from 'node:events';
import type { BoardIo } from '../../drivers/barrier/board-io.js';
import type { GuardedWrite, ModbusBoardEvents, WriteGuard } from '../../drivers/modbus/board-session.js';
import { ModbusError } from '../../drivers/modbus/errors.js';
import type { Clock } from '../../drivers/shared/clock.js';
import type { RelayBoardModel } from '../../simulators/barrier/board-model.js';

/**
 * A Clock whose time moves only in `advance()`, which fires due timers in order and lets every
 * promise chain they start run to its end before the next timer (one macrotask turn each), so
 * async drivers see time exactly as with real timers, thousands of times faster.
 */
export class SteppingClock implements Clock {
  private time = 0;
  private seq = 0;
  private readonly timers = new Map<number, { due: number; callback: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { due: this.time + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    await settle();
    for (;;) {
      let next: [number, { due: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (!next || entry[1].due < next[1].due) next = entry;
      if (!next || next[1].due > until) break;
      this.timers.delete(next[0]);
      this.time = Math.max(this.time, next[1].due);
      next[1].callback();
      await settle();
    }
    this.time = until;
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What the binding did, in order: every read sample and every write as the board applied it. */
export type IoOp =
  | { op: 'read'; at: number; fresh: boolean; values: readonly boolean[] }
  | { op: 'write'; at: number; address: number; value: boolean; ok: boolean };

export interface ModelBoardIoOptions {
  /** Poll period of the inputs (as the Modbus session's pollIntervalMs). */
  pollMs: number;
  /** Time a read or write spends on the line before it reaches the board (and again back). */
  latencyMs: number;
  offlineAfterMs: number;
  /** How long a silent board keeps a request waiting before it fails. */
  timeoutMs: number;
  /** Called where the board samples its inputs: for a poll (`fresh` false) or a read asked for. */
  onRead?: (fresh: boolean) => void;
}

/**
 * A BoardIo bound straight to a RelayBoardModel: the ModbusBoardSession's contract (polls, inputs
 * events on change, fresh reads, writes that fail with ModbusError, offline after silence) with
 * no bytes, so a property test can run thousands of barrier scenarios. A request reaches the board
 * `latencyMs` after it is made, and its answer comes back `latencyMs` later; a silent board
 * answers nothing. The board's own `silent` fault is honoured; `dead: 'exception'` is the model's.
 */
export class ModelBoardIo extends EventEmitter<ModbusBoardEvents> implements BoardIo {
  readonly ops: IoOp[] = [];
  online = false;
  inputs: readonly boolean[] | undefined;
  private lastAnswer = 0;
  private pollTimer: unknown;
  private running = false;

  constructor(
    readonly name: string,
    private readonly model: RelayBoardModel,
    private readonly clock: Clock,
    private readonly options: ModelBoardIoOptions,
  ) {
    super();
  }

  start(): void {
    this.running = true;
    this.lastAnswer = this.clock.now();
    this.poll();
  }

  stop(): void {
    this.running = false;
    if (this.pollTimer !== undefined) this.clock.clearTimeout(this.pollTimer);
  }

  readInputs(): Promise<readonly boolean[]> {
    if (!this.online) return Promise.reject(new ModbusError('offline', 'offline'));
    return this.request(() => this.sample(true)).then((values) => {
      this.take(values);
      return values;
    });
  }

  writeCoil(address: number, on: boolean): Promise<void> {
    if (!this.online) return Promise.reject(new ModbusError('offline', 'offline'));
    return this.request(() => {
      const result = this.model.writeCoils(address, [on]);
      this.ops.push({ op: 'write', at: this.clock.now(), address, value: on, ok: 'ok' in result });
      if ('exception' in result)
        throw new ModbusError(`exception ${result.exception}`, 'exception', result.exception);
    });
  }

  /** Read at the board, the reading back at the master, the guard, the write at the board. */
  async writeCoilIf(address: number, on: boolean, guard: WriteGuard): Promise<GuardedWrite> {
    const values = await this.readInputs();
    const refusal = guard(values);
    if (refusal !== undefined) return { written: false, refusal };
    await this.writeCoil(address, on);
    return { written: true };
  }

  private request<T>(atBoard: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.clock.setTimeout(() => {
        if (this.model.faults.silent) {
          this.clock.setTimeout(
            () => reject(new ModbusError('no reply', 'no-reply')),
            this.options.timeoutMs,
          );
          return;
        }
        let result: T;
        try {
          result = atBoard();
        } catch (error) {
          this.clock.setTimeout(() => reject(error), this.options.latencyMs);
          return;
        }
        this.clock.setTimeout(() => {
          this.lastAnswer = this.clock.now();
          resolve(result);
        }, this.options.latencyMs);
      }, this.options.latencyMs);
    });
  }

  private sample(fresh: boolean): boolean[] {
    const values = this.model.inputs().slice(0, 8);
    this.ops.push({ op: 'read', at: this.clock.now(), fresh, values });
    this.options.onRead?.(fresh);
    return values;
  }

  private poll(): void {
    if (!this.running) return;
    this.pollTimer = this.clock.setTimeout(() => this.poll(), this.options.pollMs);
    if (this.model.faults.silent) {
      const silentFor = this.clock.now() - this.lastAnswer;
      if (this.online && silentFor > this.options.offlineAfterMs) {
        this.online = false;
        this.inputs = undefined;
        this.emit('offline', `no valid reply for ${silentFor} ms`);
      }
      return;
    }
    this.lastAnswer = this.clock.now();
    const values = this.sample(false);
    if (!this.online) {
      this.online = true;
      this.emit('online');
    }
    this.take(values);
  }

  private take(values: readonly boolean[]): void {
    const before = this.inputs;
    this.inputs = values;
    if (!before || before.some((v, i) => v !== values[i])) this.emit('inputs', values);
  }
}
