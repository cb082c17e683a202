import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { HalfDuplexLine } from '../line/half-duplex-line.js';
import { type Clock, InterruptibleSleep, sleep, systemClock } from '../shared/clock.js';
import {
  type BoardState,
  type GuardedWrite,
  type ModbusBoardConfig,
  type ModbusBoardCounters,
  type ModbusBoardEvents,
  type ModbusBoardStatus,
  type WriteGuard,
  zeroCounters,
} from './board-types.js';
import { describeRequest, encodeRequest, type ModbusRequest } from './codec.js';
import { exceptionIsTransient, MAX_UNIT, MIN_UNIT } from './constants.js';
import { ModbusError, type ModbusFailure } from './errors.js';
import { ModbusReplyCollector } from './reply-collector.js';
import type { ModbusReply } from './responses.js';
import { DEFAULT_MODBUS_TIMING, type ModbusTiming, replyTimeoutMs } from './timing.js';

export type {
  BoardState,
  GuardedWrite,
  ModbusBoardConfig,
  ModbusBoardCounters,
  ModbusBoardEvents,
  ModbusBoardStatus,
  WriteGuard,
} from './board-types.js';

export interface ModbusBoardSessionOptions {
  /** The board's RS-485 line, shared with whatever else is on it. */
  line: HalfDuplexLine;
  board: ModbusBoardConfig;
  timing?: Partial<ModbusTiming>;
  clock?: Clock;
  /** Debug lines for resends (with the attempt number) and exceptions. */
  log?: Logger;
}

/** A queued piece of work for the board: one request, or a guarded read-then-write. */
interface Job {
  run: () => Promise<void>;
  fail: (error: ModbusError) => void;
}

type Outcome =
  | { kind: 'reply'; reply: ModbusReply }
  | { kind: 'failed'; reason: ModbusFailure; detail: string };

/**
 * The master side of one Modbus RTU relay/IO board: polls its discrete inputs, runs queued
 * requests (coil writes, on-demand reads) ahead of polls, resends a request a bounded number of
 * times, and tells online from offline by silence. Every exchange goes through the line's
 * HalfDuplexLine, so boards and other devices on the same RS-485 pair never talk over each
 * other. One session per board; several sessions share one line.
 *
 * Requests to a board that is not online fail at once (`offline`): a relay pulse that arrives
 * seconds late is worse than none. Lifecycle (style H5): the constructor stores; `start()`
 * subscribes to the line and runs the loop; `stop()` ends it and fails what is queued.
 */
export class ModbusBoardSession extends EventEmitter<ModbusBoardEvents> {
  readonly counters: ModbusBoardCounters = zeroCounters();
  readonly timing: ModbusTiming;
  private readonly clock: Clock;
  private state: BoardState = 'starting';
  private running = false;
  private subscribed = false;
  private readonly queue: Job[] = [];
  private readonly nap: InterruptibleSleep;
  private loopDone: Promise<void> = Promise.resolve();
  private latest: readonly boolean[] | undefined;
  private lastReplyAt = 0;
  private lastRoundTripMs: number | undefined;
  private nextPollAt = 0;

  constructor(private readonly options: ModbusBoardSessionOptions) {
    super();
    const { unit, inputs } = options.board;
    if (!Number.isInteger(unit) || unit < MIN_UNIT || unit > MAX_UNIT) {
      throw new RangeError(`board ${options.board.name}: unit ${unit} is not in ${MIN_UNIT}..${MAX_UNIT}`);
    }
    if (!(Number.isInteger(inputs.count) && inputs.count >= 1 && inputs.count <= 2000)) {
      throw new RangeError(`board ${options.board.name}: input count ${inputs.count} is not in 1..2000`);
    }
    this.timing = { ...DEFAULT_MODBUS_TIMING, ...options.timing };
    this.clock = options.clock ?? systemClock;
    this.nap = new InterruptibleSleep(this.clock);
  }

  get name(): string {
    return this.options.board.name;
  }

  get online(): boolean {
    return this.state === 'online';
  }

  /** The last polled discrete inputs, undefined until read and while offline. */
  get inputs(): readonly boolean[] | undefined {
    return this.latest;
  }

  start(): void {
    if (this.running) return;
    if (!this.subscribed) {
      // HalfDuplexLine has no way to remove a state listener: subscribe once per session.
      this.subscribed = true;
      this.options.line.onState((state) => {
        if (state === 'down' && this.running) this.goOffline('line down');
        this.nap.wake();
      });
    }
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.nap.wake();
    await this.loopDone;
    this.failQueued('stopped', `board ${this.name}: session stopped`);
  }

  status(): ModbusBoardStatus {
    const status: ModbusBoardStatus = {
      unit: this.options.board.unit,
      name: this.name,
      state: this.state,
      counters: { ...this.counters },
    };
    if (this.latest) status.inputs = this.latest;
    if (this.lastReplyAt > 0) status.lastReplyAt = this.lastReplyAt;
    if (this.lastRoundTripMs !== undefined) status.lastRoundTripMs = this.lastRoundTripMs;
    return status;
  }

  /** Reads the polled input block now, ahead of the next poll; updates `inputs` (and emits on change). */
  async readInputs(): Promise<readonly boolean[]> {
    const reply = await this.submit(this.pollRequest());
    if (reply.kind !== 'bits') throw this.refusal('read inputs', reply);
    this.takeInputs(reply.values);
    return reply.values;
  }

  /** FC05. Resolves once the board has echoed the write. */
  async writeCoil(address: number, on: boolean): Promise<void> {
    const unit = this.options.board.unit;
    await this.write({ fn: 'write-single-coil', unit, address, value: on });
  }

  /** FC0F: several coils in one request. */
  async writeCoils(address: number, values: readonly boolean[]): Promise<void> {
    const unit = this.options.board.unit;
    await this.write({ fn: 'write-multiple-coils', unit, address, values });
  }

  /**
   * Reads the polled inputs and, if `guard` allows it on that reading, writes the coil as the very
   * next request to this board: no poll or other request of this session comes in between, so the
   * write acts on a reading one exchange old. (Other devices on the line may still take their turn
   * between the two; HalfDuplexLine serialises exchanges, not sequences of them.)
   */
  writeCoilIf(address: number, on: boolean, guard: WriteGuard): Promise<GuardedWrite> {
    const unit = this.options.board.unit;
    const write: ModbusRequest = { fn: 'write-single-coil', unit, address, value: on };
    return this.enqueue(async () => {
      const values = await this.perform(this.pollRequest(), 'read inputs');
      if (values.kind !== 'bits') throw this.refusal('read inputs', values);
      this.takeInputs(values.values);
      const refusal = guard(values.values);
      if (refusal !== undefined) return { written: false, refusal };
      this.counters.writes++;
      const reply = await this.perform(write, describeRequest(write)).catch((error: unknown) => {
        this.counters.writeFailures++;
        throw error;
      });
      if (reply.kind !== 'written') {
        this.counters.writeFailures++;
        throw this.refusal(describeRequest(write), reply);
      }
      return { written: true };
    });
  }

  /** Any request, queued ahead of polls; rejects with ModbusError. Exceptions resolve as replies. */
  submit(request: ModbusRequest): Promise<ModbusReply> {
    try {
      encodeRequest(request); // a request no board would accept is the caller's bug: fail it here
    } catch (error) {
      return Promise.reject(error);
    }
    return this.enqueue(() => this.perform(request, describeRequest(request)));
  }

  /** Queues `work` ahead of polls; fails at once when the board is not online. */
  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (!this.running || this.state !== 'online') {
      const reason = this.running ? 'offline' : 'stopped';
      return Promise.reject(new ModbusError(`board ${this.name} is ${reason}`, reason));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({
        run: () => work().then(resolve, reject),
        fail: reject,
      });
      this.nap.wake();
    });
  }

  /** One request with the session's attempts: the reply (an exception too), or ModbusError. */
  private async perform(request: ModbusRequest, what: string): Promise<ModbusReply> {
    const outcome = await this.transact(request, this.timing.attempts);
    if (outcome.kind === 'reply') return outcome.reply;
    throw new ModbusError(`board ${this.name}: ${what}: ${outcome.detail}`, outcome.reason);
  }

  private async write(request: ModbusRequest): Promise<void> {
    this.counters.writes++;
    let reply: ModbusReply;
    try {
      reply = await this.submit(request);
    } catch (error) {
      this.counters.writeFailures++;
      throw error;
    }
    if (reply.kind === 'written') return;
    this.counters.writeFailures++;
    throw this.refusal(describeRequest(request), reply);
  }

  private refusal(what: string, reply: ModbusReply): ModbusError {
    if (reply.kind === 'exception') {
      return new ModbusError(`board ${this.name}: ${what}: ${reply.name}`, 'exception', reply.code);
    }
    return new ModbusError(`board ${this.name}: ${what}: unexpected ${reply.kind} reply`, 'no-reply');
  }

  private pollRequest(): ModbusRequest {
    const { unit, inputs } = this.options.board;
    return { fn: 'read-discrete-inputs', unit, address: inputs.address, quantity: inputs.count };
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const now = this.clock.now();
      if (!this.options.line.isUp) {
        if (this.state === 'starting') this.goOffline('line down');
        await this.nap.sleep(Math.max(1, this.timing.reconnectIntervalMs));
      } else if (this.state === 'online') {
        const job = this.queue.shift();
        if (job) await job.run();
        else if (now >= this.nextPollAt) await this.poll(this.timing.attempts);
        else await this.nap.sleep(Math.max(1, this.nextPollAt - now));
      } else if (now >= this.nextPollAt) {
        // Starting or offline: one poll is the probe; any valid reply brings the board online.
        // The first probe gets every attempt: a board that misses one reply while the gateway is
        // still busy starting is not offline (an alarm at every start otherwise). Reconnect
        // probes send once: the board was silent already.
        await this.poll(this.state === 'starting' ? this.timing.attempts : 1);
        if (!this.isOnline()) this.nextPollAt = this.clock.now() + this.timing.reconnectIntervalMs;
      } else {
        await this.nap.sleep(Math.max(1, this.nextPollAt - now));
      }
    }
  }

  /** A method, not `this.state === …`: TypeScript keeps a property's narrowing across an await. */
  private isOnline(): boolean {
    return this.state === 'online';
  }

  private async poll(attempts: number): Promise<void> {
    this.counters.polls++;
    const outcome = await this.transact(this.pollRequest(), attempts);
    this.nextPollAt = this.clock.now() + this.timing.pollIntervalMs;
    if (outcome.kind === 'reply' && outcome.reply.kind === 'bits') this.takeInputs(outcome.reply.values);
    else if (outcome.kind === 'failed' && this.state === 'starting') this.goOffline(outcome.detail);
  }

  /**
   * One request with up to `attempts` sends: sent again after a timeout, a damaged or malformed
   * reply, or exception 0x05/0x06. Any valid frame from the board (an exception too) proves it
   * is there. When every send failed, silence may make the board offline.
   */
  private async transact(request: ModbusRequest, attempts: number): Promise<Outcome> {
    const line = this.options.line;
    const bytes = encodeRequest(request);
    const timeout = replyTimeoutMs(this.timing, request, line.baudRate);
    let problem = 'no reply';
    for (let attempt = 1; attempt <= attempts && this.running; attempt++) {
      if (attempt > 1) {
        this.counters.retries++;
        this.options.log?.debug({ request: describeRequest(request), attempt, problem }, 'resending');
      }
      this.counters.requests++;
      const collector = new ModbusReplyCollector(request);
      const result = await line.exchange({ bytes, collector, replyTimeoutMs: timeout });
      // `sent` and `withdrawn` do not happen here (a collector, no commit gate).
      if (result.status === 'line-down' || result.status === 'sent' || result.status === 'withdrawn') {
        return { kind: 'failed', reason: 'line-down', detail: 'line down' };
      }
      if (result.status === 'timeout') {
        this.counters.timeouts++;
        if (collector.damaged > 0) this.counters.crcErrors++;
        problem = collector.damaged > 0 ? 'damaged reply (CRC)' : 'no reply';
        continue;
      }
      const reply = result.reply;
      if (reply.kind === 'malformed') {
        this.counters.malformed++;
        problem = `malformed reply: ${reply.reason}`;
        continue;
      }
      this.counters.replies++;
      this.lastReplyAt = this.clock.now();
      this.lastRoundTripMs = result.repliedAt - result.sentAt;
      this.goOnline();
      if (reply.kind !== 'exception') return { kind: 'reply', reply };
      this.counters.exceptions++;
      const label = describeRequest(request);
      this.options.log?.debug({ request: label, code: reply.code, attempt }, reply.name);
      this.emit('exception', { request: label, code: reply.code, name: reply.name });
      if (!exceptionIsTransient(reply.code) || attempt === attempts) return { kind: 'reply', reply };
      problem = reply.name;
      await sleep(this.clock, this.timing.busyRetryMs);
    }
    if (!this.running) return { kind: 'failed', reason: 'stopped', detail: 'stopped' };
    this.checkSilence();
    return { kind: 'failed', reason: 'no-reply', detail: `${problem} after ${attempts} attempt(s)` };
  }

  private takeInputs(values: readonly boolean[]): void {
    const before = this.latest;
    this.latest = values;
    const same =
      before !== undefined && before.length === values.length && before.every((v, i) => v === values[i]);
    if (!same) this.emit('inputs', values);
  }

  private checkSilence(): void {
    const silent = this.clock.now() - this.lastReplyAt;
    if (this.state === 'online' && silent > this.timing.offlineAfterMs) {
      this.goOffline(`no valid reply for ${Math.round(silent)} ms`);
    }
  }

  private goOnline(): void {
    if (this.state === 'online') return;
    this.state = 'online';
    this.emit('online');
  }

  private goOffline(reason: string): void {
    if (this.state === 'offline') return;
    if (this.state === 'online') this.counters.offlineTransitions++;
    this.state = 'offline';
    this.latest = undefined;
    this.nextPollAt = this.clock.now() + this.timing.reconnectIntervalMs;
    this.failQueued('offline', `board ${this.name} went offline: ${reason}`);
    this.emit('offline', reason);
  }

  private failQueued(reason: ModbusFailure, message: string): void {
    for (const job of this.queue.splice(0)) job.fail(new ModbusError(message, reason));
  }
}
