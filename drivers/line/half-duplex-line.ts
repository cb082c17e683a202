import { type Clock, sleep, systemClock } from '../shared/clock.js';
import type { ByteTransport } from '../transport/byte-transport.js';
import { wireTimeMs } from './wire-time.js';

/**
 * Collects the reply to one request from the bytes that arrive after it. `push` must not
 * throw; it returns the reply once complete and ignores bytes that belong to someone else
 * (another device's late reply, noise).
 */
export interface ReplyCollector<T> {
  push(bytes: Buffer): T | undefined;
}

export interface ExchangeRequest<T> {
  bytes: Buffer;
  /** Absent for a request that gets no reply (a broadcast). */
  collector?: ReplyCollector<T>;
  /** How long to wait for the reply after the request has left the wire. */
  replyTimeoutMs: number;
  /**
   * Commit-gated request, for packets that end in a check byte and tolerate a pause before it
   * (OSDP: 20 ms between characters; not Modbus RTU, whose frame ends at a pause of 1.5
   * characters): all but the last byte is handed to the OS, `commit` runs while they go out,
   * and the last byte follows only when it returns true. Otherwise (false, or a throw) that
   * byte goes out spoiled, so the device discards the packet for its check and acts on
   * nothing, and the exchange ends `withdrawn` (after the device's answer to the spoiled
   * packet, or the reply timeout, so the line is quiet again). At 9600 baud a 30-byte packet
   * takes 31 ms on the wire: a commit shorter than that delays nothing. Called once, only when
   * the bytes reach the OS.
   */
  commit?: () => boolean;
}

export type ExchangeResult<T> =
  | { status: 'reply'; reply: T; sentAt: number; repliedAt: number }
  | { status: 'sent'; sentAt: number }
  | { status: 'timeout'; sentAt: number }
  | { status: 'withdrawn'; sentAt: number }
  | { status: 'line-down'; error: Error };

export interface LineCounters {
  exchanges: number;
  timeouts: number;
  txBytes: number;
  rxBytes: number;
  /** Bytes that arrived while no exchange was waiting: noise or replies after their timeout. */
  unsolicitedBytes: number;
  reopens: number;
}

export interface HalfDuplexLineOptions {
  baudRate: number;
  /** Idle characters the line is left quiet between exchanges (OSDP asks for at least 2). */
  idleGapCharacters?: number;
  /** Wait between attempts to reopen a transport that failed or vanished. */
  reopenIntervalMs?: number;
  clock?: Clock;
}

/** Never notified: `Atomics.wait` on it is a precise sleep of the thread. */
const FINE_WAIT = new Int32Array(new SharedArrayBuffer(4));

type LineListener = (state: 'up' | 'down', error?: Error) => void;

/**
 * The one owner of a half-duplex line (RS-485): every device protocol on the line talks
 * through `exchange`, which runs strictly one request/reply at a time, in call order, with
 * the idle gap between them. That is what keeps several devices — OSDP readers, Modbus
 * boards — from talking over each other. The line reopens its transport by itself when it
 * fails and reports up/down to its listeners; exchanges while down return `line-down` at once.
 */
export class HalfDuplexLine {
  readonly counters: LineCounters = {
    exchanges: 0,
    timeouts: 0,
    txBytes: 0,
    rxBytes: 0,
    unsolicitedBytes: 0,
    reopens: 0,
  };
  private readonly clock: Clock;
  private readonly listeners: LineListener[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private collecting: ((bytes: Buffer) => void) | undefined;
  private running = false;
  private up = false;
  private everUp = false;
  private reported: 'up' | 'down' | undefined;
  private lastActivity = 0;

  constructor(
    readonly transport: ByteTransport,
    private readonly options: HalfDuplexLineOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    transport.onData((bytes) => {
      this.counters.rxBytes += bytes.length;
      this.lastActivity = this.clock.now();
      if (this.collecting) this.collecting(bytes);
      else this.counters.unsolicitedBytes += bytes.length;
    });
    transport.onClose((error) => {
      if (!this.up) return;
      this.setState('down', error);
      if (this.running) void this.reopenLoop();
    });
  }

  get isUp(): boolean {
    return this.up;
  }

  get baudRate(): number {
    return this.options.baudRate;
  }

  onState(listener: LineListener): void {
    this.listeners.push(listener);
  }

  /**
   * Opens the transport and keeps reopening it in the background whenever it fails, until
   * `stop()`. Resolves after the first attempt with whether the line is up; never rejects.
   */
  start(): Promise<boolean> {
    this.running = true;
    return new Promise((resolve) => void this.reopenLoop(resolve));
  }

  /** Closes the line for good. A deliberate close is not an outage: no `down` is reported. */
  async stop(): Promise<void> {
    this.running = false;
    this.reported = 'down';
    this.up = false;
    await this.transport.close();
  }

  /** Milliseconds `bytes` take on this line. */
  wireTimeMs(bytes: number): number {
    return wireTimeMs(bytes, this.options.baudRate);
  }

  exchange<T>(request: ExchangeRequest<T>): Promise<ExchangeResult<T>> {
    return this.inTurn(() => this.run(request));
  }

  /**
   * Listens without sending, in turn with the exchanges: resolves with the first reply
   * `collector` completes, or undefined once the line has been quiet for `ms` (at most `4 × ms`
   * on a line that never goes quiet). For protocols whose replies carry no sequence number (the
   * ID-card SAM): after a timeout the late reply is taken here rather than for the resend's, and
   * a resend goes out on a line known to be quiet.
   */
  listen<T>(collector: ReplyCollector<T>, ms: number): Promise<T | undefined> {
    return this.inTurn(() => this.runListen(collector, ms));
  }

  /** Runs `job` after every exchange and listen queued before it, one at a time. */
  private inTurn<R>(job: () => Promise<R>): Promise<R> {
    const run = this.tail.then(job);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private runListen<T>(collector: ReplyCollector<T>, ms: number): Promise<T | undefined> {
    if (!this.up) return Promise.resolve(undefined);
    const start = this.clock.now();
    const limit = start + 4 * ms;
    return new Promise((resolve) => {
      let timer: unknown;
      const finish = (reply: T | undefined) => {
        this.clock.clearTimeout(timer);
        this.collecting = undefined;
        resolve(reply);
      };
      const wait = () => {
        const left = Math.min(Math.max(start, this.lastActivity) + ms, limit) - this.clock.now();
        if (left <= 0) finish(undefined);
        else timer = this.clock.setTimeout(wait, left);
      };
      this.collecting = (bytes) => {
        const reply = collector.push(bytes);
        if (reply !== undefined) finish(reply);
      };
      wait();
    });
  }

  private async run<T>(request: ExchangeRequest<T>): Promise<ExchangeResult<T>> {
    if (!this.up) return { status: 'line-down', error: new Error(`${this.transport.name} is down`) };
    await this.untilQuiet(request.commit !== undefined);
    this.counters.exchanges++;
    this.counters.txBytes += request.bytes.length;
    const collector = request.collector;
    let settle: ((result: ExchangeResult<T>) => void) | undefined;
    const outcome = new Promise<ExchangeResult<T>>((resolve) => {
      settle = resolve;
    });
    // Registered before the write so a fast reply is never missed.
    let sentAt = this.clock.now();
    if (collector) {
      this.collecting = (bytes) => {
        const reply = collector.push(bytes);
        if (reply !== undefined) settle?.({ status: 'reply', reply, sentAt, repliedAt: this.clock.now() });
      };
    }
    let lastByteAt: number;
    let committed = true;
    try {
      if (request.commit) {
        const gated = await this.writeGated(request.bytes, request.commit);
        committed = gated.committed;
        lastByteAt = gated.lastHandedAt + this.wireTimeMs(1);
      } else {
        await this.transport.write(request.bytes);
        lastByteAt = 0;
      }
    } catch (error) {
      this.collecting = undefined;
      this.writeFailed(error as Error);
      return { status: 'line-down', error: error as Error };
    }
    // A pty takes the bytes at memory speed; the line is busy for their wire time regardless,
    // and a last byte held back past the rest's wire time ends the packet later.
    sentAt = Math.max(this.clock.now(), sentAt + this.wireTimeMs(request.bytes.length), lastByteAt);
    this.lastActivity = sentAt;
    if (!collector) return committed ? { status: 'sent', sentAt } : { status: 'withdrawn', sentAt };
    const timer = this.clock.setTimeout(
      () => settle?.({ status: 'timeout', sentAt }),
      sentAt - this.clock.now() + request.replyTimeoutMs,
    );
    const result = await outcome;
    this.clock.clearTimeout(timer);
    this.collecting = undefined;
    if (!committed) return { status: 'withdrawn', sentAt };
    if (result.status === 'timeout') this.counters.timeouts++;
    return result;
  }

  /**
   * Waits out the idle gap after the last byte heard. Checked again after each wait: a timer can
   * fire up to a millisecond early (libuv counts from the time cached when the loop last woke),
   * and at 9600 baud the gap is only 2 ms. The end is fixed first, so noise heard meanwhile
   * cannot hold the request back for ever. Timers count whole milliseconds, so a wait can end
   * up to ~1 ms late; for a commit-gated request (a door waits for it) the last one or two
   * milliseconds are waited out blocking (`Atomics.wait`, to a fraction of a millisecond; once
   * per pass, not per poll), on the system clock only (an injected clock would not move).
   */
  private async untilQuiet(precise: boolean): Promise<void> {
    const quietUntil = this.lastActivity + this.idleGapMs();
    const fine = precise && this.clock === systemClock;
    for (let left = quietUntil - this.clock.now(); left > 0; left = quietUntil - this.clock.now()) {
      // A blocking wait of a fraction of a millisecond: neither a busy loop nor setImmediate
      // turn by turn, which both made garbage enough for a scavenge inside many passes.
      if (fine && left < 2) Atomics.wait(FINE_WAIT, 0, 0, left);
      // Whole milliseconds: a fake clock may count nothing finer.
      else await sleep(this.clock, Math.max(1, fine ? Math.floor(left - 1) : left));
    }
  }

  /** See ExchangeRequest.commit: whether the packet went out whole, and when its last byte did. */
  private async writeGated(
    bytes: Buffer,
    commit: () => boolean,
  ): Promise<{ committed: boolean; lastHandedAt: number }> {
    const head = bytes.subarray(0, bytes.length - 1);
    await (this.transport.handOff ? this.transport.handOff(head) : this.transport.write(head));
    let committed = false;
    try {
      committed = commit() === true;
    } catch {
      // The committer reports its own failure; here it only means the packet must not complete.
    }
    const last = bytes[bytes.length - 1] as number;
    const lastHandedAt = this.clock.now();
    await this.transport.write(Buffer.from([committed ? last : last ^ 0xff]));
    return { committed, lastHandedAt };
  }

  /**
   * A write that fails means the link is gone, even before (or without) the transport's close
   * event: the line goes down at once and reopens after the interval. Without this, a session
   * that retries at once would find the line still "up", fail the next write at once, and spin
   * in promise callbacks that never let the close event (or any timer) run.
   */
  private writeFailed(error: Error): void {
    if (!this.up) return;
    this.setState('down', error);
    void this.transport.close();
    if (this.running) void this.reopenLoop(undefined, true);
  }

  private idleGapMs(): number {
    return this.wireTimeMs(this.options.idleGapCharacters ?? 2);
  }

  private async reopenLoop(firstAttempt?: (up: boolean) => void, waitFirst = false): Promise<void> {
    if (waitFirst) await sleep(this.clock, this.options.reopenIntervalMs ?? 1000);
    while (this.running && !this.up) {
      try {
        await this.transport.open();
        if (this.everUp) this.counters.reopens++;
        this.everUp = true;
        this.setState('up');
        firstAttempt?.(true);
        return;
      } catch (error) {
        this.setState('down', error as Error);
        firstAttempt?.(false);
        firstAttempt = undefined;
        await sleep(this.clock, this.options.reopenIntervalMs ?? 1000);
      }
    }
  }

  /** Tells the listeners about changes only: a device that stays absent is reported once. */
  private setState(state: 'up' | 'down', error?: Error): void {
    const up = state === 'up';
    if (this.reported === state) return;
    this.reported = state;
    this.up = up;
    for (const l of this.listeners) l(state, error);
  }
}
