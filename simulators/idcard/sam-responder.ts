import { encodeResponse } from '../../drivers/idcard/framing/codec.js';
import { SamFrameParser } from '../../drivers/idcard/framing/parser.js';
import { decodeCommand, type SamCommand } from '../../drivers/idcard/messages.js';
import { wireTimeMs } from '../../drivers/line/wire-time.js';
import { type Clock, systemClock } from '../../drivers/shared/clock.js';
import type { ByteTransport } from '../../drivers/transport/byte-transport.js';
import { chance, type RandomSource, randomBytesFrom, randomInt } from '../shared/random.js';
import type { SamModel } from './sam-model.js';

/** How long the simulated SAM works on a command before it starts to answer. */
export interface SamProcessing {
  /** Find, select, status, SAM id, reset, baud. */
  shortMs: number;
  /** The read commands (radio exchange and authentication with the card). */
  readMs: number;
}

export const DEFAULT_SAM_PROCESSING: SamProcessing = { shortMs: 15, readMs: 500 };

export interface SamResponderOptions {
  /** The line's baud rate: replies are held for their wire time at this rate. */
  baudRate: number;
  processing?: Partial<SamProcessing>;
  clock?: Clock;
  /** Draws the noise fault; pass `seededRandom(n)` for repeatable runs. */
  random?: RandomSource;
}

/**
 * The SAM's side of the wire: parses requests from a ByteTransport, asks the model, writes the
 * responses. A pty or an in-memory pipe moves bytes at memory speed, so each reply is held back
 * until a real line would have delivered its last byte: the request's wire time, then the
 * processing time, then the reply's wire time at the baud rate. Replies go out in request order.
 */
export class SamResponder {
  /** Writes that failed because the transport was gone (the host sees silence, as on a real line). */
  failedWrites = 0;
  private readonly parser = new SamFrameParser('request');
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly processing: SamProcessing;
  private busyUntil = 0;

  constructor(
    private readonly transport: ByteTransport,
    private readonly model: SamModel,
    private readonly options: SamResponderOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.processing = { ...DEFAULT_SAM_PROCESSING, ...options.processing };
  }

  /** Subscribes to the transport; call once. */
  attach(): void {
    this.transport.onData((bytes) => this.onBytes(bytes));
    this.transport.onClose(() => {
      this.parser.reset();
      this.busyUntil = 0;
    });
  }

  private onBytes(bytes: Buffer): void {
    for (const event of this.parser.push(bytes)) {
      if (event.kind === 'frame') {
        const command = decodeCommand(event.frame);
        const response = this.model.answer(command);
        const processingMs = this.processingMs(command) + this.model.extraDelayMs(command);
        if (response) this.send(event.packet.length, encodeResponse(response), processingMs);
      } else if (event.kind === 'bad-check') {
        const response = this.model.answerDamaged();
        if (response) this.send(event.length, encodeResponse(response), this.processing.shortMs);
      }
    }
  }

  private processingMs(command: SamCommand | undefined): number {
    const read = command?.type === 'read-base' || command?.type === 'read-base-fingerprint';
    return read ? this.processing.readMs : this.processing.shortMs;
  }

  private send(requestLength: number, reply: Buffer, processingMs: number): void {
    const now = this.clock.now();
    const baud = this.options.baudRate;
    const bytes = this.applyNoise(reply);
    const start = Math.max(now + wireTimeMs(requestLength, baud), this.busyUntil) + processingMs;
    const done = start + wireTimeMs(bytes.length, baud);
    this.busyUntil = done;
    this.clock.setTimeout(() => {
      this.transport.write(bytes).catch(() => {
        this.failedWrites++;
      });
    }, done - now);
  }

  /** The noise fault: line noise before the reply, and a damaged byte in it, each by chance. */
  private applyNoise(reply: Buffer): Buffer {
    const fault = this.model.fault;
    if (fault.kind !== 'noise') return reply;
    const out = Buffer.from(reply);
    if (chance(this.random, fault.probability)) {
      const at = randomInt(this.random, 0, out.length - 1);
      out[at] = (out[at] ?? 0) ^ (1 << randomInt(this.random, 0, 7));
    }
    if (!chance(this.random, fault.probability)) return out;
    return Buffer.concat([randomBytesFrom(this.random, randomInt(this.random, 1, 16)), out]);
  }
}
