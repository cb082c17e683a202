import { EventEmitter } from 'node:events';
import { wireTimeMs } from '../../drivers/line/wire-time.js';
import { decodeAdu, decodeRequest, describeRequest, requestLengthAt } from '../../drivers/modbus/codec.js';
import { BROADCAST_UNIT, OFFSET } from '../../drivers/modbus/constants.js';
import { FrameScanner } from '../../drivers/modbus/frame-scanner.js';
import { encodeRefusal, encodeResponse } from '../../drivers/modbus/responses.js';
import { type Clock, systemClock } from '../../drivers/shared/clock.js';
import type { ByteTransport } from '../../drivers/transport/byte-transport.js';
import { type RandomSource, randomBytesFrom, randomInt } from '../shared/random.js';
import { TimerSet } from '../shared/timer-set.js';
import type { RelayBoardModel } from './board-model.js';
import { respond } from './board-responder.js';

/**
 * Hosts simulated relay boards (one Modbus unit each) on one ByteTransport: a serial port, one
 * end of a socat pty pair, or a MemoryBus endpoint, possibly shared with other simulators (an
 * OSDP BusSimulator on the same transport hears the same bytes and answers its own packets).
 * Requests are found in the byte stream by unit, function and CRC (frame-scanner.ts), so OSDP
 * traffic and noise in between are skipped. A broadcast (unit 0) write reaches every board and
 * is not answered.
 *
 * Pacing, as in simulators/osdp/bus-simulator.ts: a pty moves bytes at memory speed, so the
 * line is modelled at `baud` (8N1). A request counts as received its wire time after its bytes
 * arrived; the board then applies it (the coil log's time and loop state are taken here),
 * waits `turnaroundMs`, and its reply is written when its last byte would leave the board.
 * Timers run on the injected clock.
 *
 * Faults: a board's `silent` fault drops everything addressed to it; bus `noise` writes random
 * bursts while the line is idle; `corruptReplies` flips one byte of a reply with that probability
 * (the master then sees a bad CRC). Randomness comes from the injected source (seed it in tests).
 */
export interface BarrierBusOptions {
  transport: ByteTransport;
  boards: readonly RelayBoardModel[];
  /** Line speed for the pacing model (default 9600, what these boards ship with). */
  baud?: number;
  /** Idle time between the end of a request and the start of the reply (default 2 ms). */
  turnaroundMs?: number;
  /** Bytes of an incomplete candidate are dropped after this much quiet (default 20 ms). */
  interCharacterTimeoutMs?: number;
  clock?: Clock;
  random?: RandomSource;
}

export interface BarrierBusCounters {
  rxBytes: number;
  txBytes: number;
  /** Requests addressed to a hosted board (or broadcast) with a good CRC. */
  requests: number;
  replies: number;
  exceptions: number;
  /** Candidates whose CRC failed: damaged requests, or other traffic that looked like one. */
  rejected: number;
  silenced: number;
  corrupted: number;
  noiseBytes: number;
  writeErrors: number;
}

export interface BarrierBusEvents {
  request: [info: { unit: number; request: string; at: number }];
  reply: [info: { unit: number; bytes: number; exception: boolean; startedAt: number; finishedAt: number }];
  noise: [info: { bytes: number; at: number }];
  writeError: [info: { error: Error; at: number }];
}

export interface BusNoise {
  /** Bursts per second on average (Poisson), written only while the line is idle. */
  ratePerSecond: number;
  /** Bytes per burst: 1..maxBytes (default 8). */
  maxBytes?: number;
  /** Probability that a reply has one byte flipped (default 0). */
  corruptReplies?: number;
}

export class BarrierBusSimulator extends EventEmitter<BarrierBusEvents> {
  readonly counters: BarrierBusCounters = {
    rxBytes: 0,
    txBytes: 0,
    requests: 0,
    replies: 0,
    exceptions: 0,
    rejected: 0,
    silenced: 0,
    corrupted: 0,
    noiseBytes: 0,
    writeErrors: 0,
  };
  readonly baud: number;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly byUnit = new Map<number, RelayBoardModel>();
  private readonly scanner: FrameScanner;
  private readonly timers: TimerSet;
  private noise: BusNoise | undefined;
  private noiseTimer: unknown;
  private quietTimer: unknown;
  private rxFreeAt = 0;
  private txFreeAt = 0;
  private running = false;
  private subscribed = false;
  private openedTransport = false;

  constructor(private readonly options: BarrierBusOptions) {
    super();
    for (const board of options.boards) {
      if (board.unit < 1 || board.unit > 247) throw new RangeError(`unit ${board.unit} is not in 1..247`);
      if (this.byUnit.has(board.unit)) throw new RangeError(`unit ${board.unit} is hosted twice`);
      this.byUnit.set(board.unit, board);
    }
    this.baud = options.baud ?? 9600;
    this.clock = options.clock ?? systemClock;
    this.timers = new TimerSet(this.clock, () => this.running);
    this.random = options.random ?? Math.random;
    this.scanner = new FrameScanner((data, at) => {
      const unit = data[at + OFFSET.UNIT];
      if (unit === undefined || (unit !== BROADCAST_UNIT && !this.byUnit.has(unit))) return undefined;
      return requestLengthAt(data, at);
    });
  }

  get boards(): readonly RelayBoardModel[] {
    return this.options.boards;
  }

  board(unit: number): RelayBoardModel | undefined {
    return this.byUnit.get(unit);
  }

  /** Opens the transport if nobody has, and starts answering. */
  async start(): Promise<void> {
    if (this.running) return;
    const transport = this.options.transport;
    if (!transport.isOpen) {
      await transport.open();
      this.openedTransport = true;
    }
    if (!this.subscribed) {
      this.subscribed = true;
      transport.onData((bytes) => this.onData(bytes));
    }
    this.running = true;
    this.scheduleNoise();
  }

  /** Cancels pending replies and noise; closes the transport only if start() opened it. */
  async stop(): Promise<void> {
    this.running = false;
    this.timers.clear();
    this.noiseTimer = this.quietTimer = undefined;
    this.scanner.reset();
    if (this.openedTransport) await this.options.transport.close();
    this.openedTransport = false;
  }

  setNoise(noise: BusNoise | undefined): void {
    if (
      noise &&
      !(noise.ratePerSecond >= 0 && (noise.corruptReplies ?? 0) >= 0 && (noise.corruptReplies ?? 0) <= 1)
    )
      throw new RangeError('noise rate must be >= 0 and corruptReplies a probability');
    this.noise = noise;
    this.timers.cancel(this.noiseTimer);
    this.noiseTimer = undefined;
    this.scheduleNoise();
  }

  private onData(bytes: Buffer): void {
    if (!this.running) return;
    this.counters.rxBytes += bytes.length;
    const arrived = this.clock.now();
    for (const event of this.scanner.push(bytes)) {
      if (event.kind === 'rejected') this.counters.rejected++;
      else this.onFrame(event.frame, arrived);
    }
    this.timers.cancel(this.quietTimer);
    this.quietTimer = undefined;
    if (this.scanner.pending() > 0) {
      this.quietTimer = this.timers.schedule(this.options.interCharacterTimeoutMs ?? 20, () =>
        this.scanner.reset(),
      );
    }
  }

  private onFrame(frame: Buffer, arrived: number): void {
    this.counters.requests++;
    const receivedAt = Math.max(arrived, this.rxFreeAt) + wireTimeMs(frame.length, this.baud);
    this.rxFreeAt = receivedAt;
    this.timers.schedule(receivedAt - this.clock.now(), () => this.handle(frame));
  }

  private handle(frame: Buffer): void {
    const adu = decodeAdu(frame);
    const targets = adu.unit === BROADCAST_UNIT ? [...this.byUnit.values()] : [this.byUnit.get(adu.unit)];
    for (const board of targets) {
      if (!board) continue;
      if (board.faults.silent) {
        this.counters.silenced++;
        continue;
      }
      const decoded = decodeRequest({ ...adu, unit: board.unit });
      const now = this.clock.now();
      let reply: Buffer;
      if (decoded.kind === 'exception') {
        reply = encodeRefusal(board.unit, decoded);
      } else {
        this.emit('request', { unit: board.unit, request: describeRequest(decoded.request), at: now });
        reply = encodeResponse(decoded.request, respond(board, decoded.request));
      }
      if (adu.unit !== BROADCAST_UNIT) this.reply(board.unit, reply, now);
    }
  }

  private reply(unit: number, reply: Buffer, now: number): void {
    const exception = ((reply[OFFSET.FUNCTION] ?? 0) & 0x80) !== 0;
    if (exception) this.counters.exceptions++;
    let bytes = reply;
    if (this.noise?.corruptReplies && this.random() < this.noise.corruptReplies) {
      bytes = Buffer.from(reply);
      const at = randomInt(this.random, 0, bytes.length - 1);
      bytes[at] = (bytes[at] ?? 0) ^ randomInt(this.random, 1, 255);
      this.counters.corrupted++;
    }
    const startedAt = Math.max(now + (this.options.turnaroundMs ?? 2), this.txFreeAt);
    const finishedAt = startedAt + wireTimeMs(bytes.length, this.baud);
    this.txFreeAt = finishedAt;
    this.timers.schedule(finishedAt - now, () => {
      this.options.transport.write(bytes).then(
        () => {
          this.counters.replies++;
          this.counters.txBytes += bytes.length;
          this.emit('reply', { unit, bytes: bytes.length, exception, startedAt, finishedAt });
        },
        (error: unknown) => this.writeFailed(error),
      );
    });
  }

  private scheduleNoise(): void {
    const noise = this.noise;
    if (!noise || noise.ratePerSecond <= 0 || !this.running || this.noiseTimer !== undefined) return;
    const gap = (-Math.log(1 - this.random()) / noise.ratePerSecond) * 1000;
    this.noiseTimer = this.timers.schedule(gap, () => {
      this.noiseTimer = undefined;
      this.burst(noise);
      this.scheduleNoise();
    });
  }

  /** Only while the line is idle: noise that collides with a reply is the master's business to survive, not ours to cause. */
  private burst(noise: BusNoise): void {
    const now = this.clock.now();
    if (this.rxFreeAt > now || this.txFreeAt > now || this.scanner.pending() > 0) return;
    const bytes = randomBytesFrom(this.random, randomInt(this.random, 1, noise.maxBytes ?? 8));
    this.txFreeAt = now + wireTimeMs(bytes.length, this.baud);
    this.counters.noiseBytes += bytes.length;
    this.emit('noise', { bytes: bytes.length, at: now });
    this.options.transport.write(bytes).catch((error: unknown) => this.writeFailed(error));
  }

  private writeFailed(error: unknown): void {
    this.counters.writeErrors++;
    this.emit('writeError', { error: error as Error, at: this.clock.now() });
  }
}
