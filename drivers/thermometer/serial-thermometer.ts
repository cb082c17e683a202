import { EventEmitter } from 'node:events';
import { TextDecoder } from 'node:util';
import type { Logger } from 'pino';
import { type FramedLine, LineFramer } from '../scanner/line-framer.js';
import { SerialLineReader } from '../scanner/serial-line-reader.js';
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
 * A handheld thermometer on its own serial / USB-serial port (it never writes): lines read by
 * SerialLineReader (kept open across unplugging, framed, timed out; shared with the serial
 * scanner), each parsed by reading-line.ts into a `reading` or a `refused`.
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
  private readonly reader: SerialLineReader;
  private readonly framer: LineFramer;
  private readonly parse: (line: string) => ParsedLine;
  private readonly decoder = new TextDecoder('utf-8');
  private readonly clock: Clock;

  constructor(private readonly options: SerialThermometerOptions) {
    super();
    this.parse = readingLineParser(options.lines);
    this.clock = options.clock ?? systemClock;
    this.framer = new LineFramer({ terminator: 'lf', maxLength: options.maxLength ?? 64 });
    this.reader = new SerialLineReader(
      {
        transport: options.transport,
        framer: this.framer,
        interCharTimeoutMs: options.interCharTimeoutMs ?? 100,
        reopenIntervalMs: options.reopenIntervalMs ?? 1000,
        clock: this.clock,
        what: 'thermometer',
        ...(options.log ? { log: options.log } : {}),
        normalise: crAsLf,
      },
      {
        line: (line) => this.onLine(line),
        silence: () => {
          const dropped = this.framer.discard();
          if (dropped > 0) this.refuse({ reason: 'incomplete', length: dropped });
        },
        up: () => {
          this.counters.reconnects = this.reader.reopens;
          this.emit('online');
        },
        down: (reason) => {
          this.emit('offline', reason);
        },
      },
    );
  }

  get deviceName(): string {
    return this.options.transport.name;
  }

  get isOnline(): boolean {
    return this.reader.isOnline;
  }

  start(): Promise<boolean> {
    return this.reader.start();
  }

  stop(): Promise<void> {
    return this.reader.stop();
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
}

/** Every CR read as an LF (see the class comment); a copy, the transport's buffer is not touched. */
function crAsLf(bytes: Buffer): Buffer {
  const lf = Buffer.from(bytes);
  for (let i = 0; i < lf.length; i++) if (lf[i] === CR) lf[i] = LF;
  return lf;
}
