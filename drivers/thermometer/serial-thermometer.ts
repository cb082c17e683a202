import { EventEmitter } from 'node:events';
import { TextDecoder } from 'node:util';
import type { Logger } from 'pino';
import { KeepOpen } from '../scanner/keep-open.js';
import { type FramedLine, LineFramer } from '../scanner/line-framer.js';
import { type Clock, systemClock } from '../shared/clock.js';
import type { ByteTransport } from '../transport/byte-transport.js';
import { type ParsedLine, type ReadingLineOptions, readingLineParser } from './reading-line.js';
import type {
  LineRefusal,
  LineRefusalReason,
  Thermometer,
  ThermometerCounters,
  ThermometerEvents,
} from './thermometer.js';

export interface SerialThermometerOptions {
  /** The thermometer's port alone: a `/dev/ttyUSB*` (CH340, CP210x), `/dev/ttyACM*` (CDC-ACM), or a pty end. */
  transport: ByteTransport;
  /** A custom line format and the unit of unmarked values (reading-line.ts). */
  lines?: ReadingLineOptions;
  /** Longest line in bytes, terminator excluded (default 64: a reading line is far shorter). */
  maxLength?: number;
  /**
   * A line that has begun but receives no byte for this long is cut off and refused as
   * `incomplete` (default 100 ms: a device sends a reading in one burst; a byte takes about
   * 1 ms at 9600 baud). Never completed: a truncated "36.5" would read as 36.
   */
  interCharTimeoutMs?: number;
  /** Wait between attempts to reopen the port while it is absent (default 1000 ms). */
  reopenIntervalMs?: number;
  clock?: Clock;
  log?: Logger;
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * A handheld thermometer on its own serial / USB-serial port (it never writes): lines kept open
 * across unplugging (KeepOpen, shared with the serial scanner), framed by LineFramer, each
 * parsed by reading-line.ts into a `reading` or a `refused`.
 *
 * Line ends: devices end a reading with CR, LF or CR LF and the configuration does not say
 * which, so every CR is read as an LF before framing. A CR LF then ends a line and leaves an
 * empty one, which is dropped silently with any other blank line (not counted as refused).
 *
 * Text: bytes are decoded as UTF-8 without failing: a Latin-1 `°` or a GBK `℃` turns into
 * U+FFFD, which the parser reads as a degree sign.
 */
export class SerialThermometer extends EventEmitter<ThermometerEvents> implements Thermometer {
  readonly counters: ThermometerCounters = { readings: 0, refused: 0, reconnects: 0 };
  readonly refusals: Partial<Record<LineRefusalReason, number>> = {};
  private readonly link: KeepOpen;
  private readonly framer: LineFramer;
  private readonly parse: (line: string) => ParsedLine;
  private readonly decoder = new TextDecoder('utf-8');
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private timer: unknown;
  private online = false;

  constructor(private readonly options: SerialThermometerOptions) {
    super();
    this.parse = readingLineParser(options.lines);
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.interCharTimeoutMs ?? 100;
    this.framer = new LineFramer({ terminator: 'lf', maxLength: options.maxLength ?? 64 });
    this.link = new KeepOpen(options.transport, {
      reopenIntervalMs: options.reopenIntervalMs ?? 1000,
      clock: this.clock,
    });
    this.link.onState((state, error) => this.onLink(state, error));
    options.transport.onData((bytes) => this.onData(bytes));
  }

  get deviceName(): string {
    return this.options.transport.name;
  }

  get isOnline(): boolean {
    return this.online;
  }

  start(): Promise<boolean> {
    return this.link.start();
  }

  async stop(): Promise<void> {
    this.clearTimer();
    this.framer.discard();
    this.online = false;
    await this.link.stop();
  }

  private onLink(state: 'up' | 'down', error?: Error): void {
    this.online = state === 'up';
    if (state === 'up') {
      this.counters.reconnects = this.link.reopens;
      this.options.log?.info({ port: this.deviceName }, 'thermometer online');
      this.emit('online');
      return;
    }
    // A line cut off by the unplug is not completed by bytes after the replug.
    this.clearTimer();
    this.framer.discard();
    const reason = error?.message ?? 'closed';
    this.options.log?.warn({ port: this.deviceName, reason }, 'thermometer offline');
    this.emit('offline', reason);
  }

  private onData(bytes: Buffer): void {
    const lf = Buffer.from(bytes);
    for (let i = 0; i < lf.length; i++) if (lf[i] === CR) lf[i] = LF;
    for (const line of this.framer.push(lf)) this.onLine(line);
    this.clearTimer();
    if (this.framer.inLine) this.timer = this.clock.setTimeout(() => this.onSilence(), this.timeoutMs);
  }

  private onSilence(): void {
    this.timer = undefined;
    const dropped = this.framer.discard();
    if (dropped > 0) this.refuse({ reason: 'incomplete', length: dropped });
  }

  private onLine(line: FramedLine): void {
    if (line.kind === 'rejected') {
      // No prefix or suffix is configured, so `framing` cannot happen; `empty` is a blank line.
      if (line.reason === 'too-long') this.refuse({ reason: 'too-long', length: line.length });
      return;
    }
    const text = this.decoder.decode(line.bytes);
    const parsed = this.parse(text);
    if ('refused' in parsed) {
      if (parsed.refused === 'empty') return;
      this.refuse({ reason: parsed.refused, length: line.bytes.length, text });
      return;
    }
    this.counters.readings++;
    this.emit('reading', { celsius: parsed.celsius, at: this.clock.now() });
  }

  private refuse(refusal: LineRefusal): void {
    this.counters.refused++;
    this.refusals[refusal.reason] = (this.refusals[refusal.reason] ?? 0) + 1;
    this.emit('refused', refusal);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
