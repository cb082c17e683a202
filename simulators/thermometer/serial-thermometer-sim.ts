import { EventEmitter } from 'node:events';
import { wireTimeMs } from '../../drivers/line/wire-time.js';
import { KeepOpen } from '../../drivers/scanner/keep-open.js';
import { type Clock, sleep, systemClock } from '../../drivers/shared/clock.js';
import type { ByteTransport } from '../../drivers/transport/byte-transport.js';
import { chance, type RandomSource, randomInt } from '../shared/random.js';
import {
  type DeviceStatus,
  formatReadingLine,
  formatStatusLine,
  type ReadingFormat,
} from './reading-formats.js';

export type LineEnd = 'cr' | 'lf' | 'crlf';

export interface ThermometerSimulatorOptions {
  transport: ByteTransport;
  baudRate: number;
  /** How readings are printed unless a call says otherwise (default `plain`). */
  format?: ReadingFormat;
  /** What ends each line (default `crlf`). */
  lineEnd?: LineEnd;
  /** Chance (0–1) that a garbage line goes out before each line (default 0). */
  noise?: number;
  clock?: Clock;
  random?: RandomSource;
  /** Wait between attempts to open the device while it is absent (default 500 ms). */
  reopenIntervalMs?: number;
}

export interface ThermometerSimulatorEvents {
  link: [state: 'up' | 'down', error?: Error];
}

export interface ThermometerSimCounters {
  /** Body readings sent. */
  readings: number;
  /** Surface-mode readings sent. */
  surface: number;
  /** Lo / Hi / Err displays sent. */
  status: number;
  /** Garbage lines sent (asked for, or injected as noise). */
  garbage: number;
  bytes: number;
}

const LINE_ENDS: Readonly<Record<LineEnd, Buffer>> = {
  cr: Buffer.of(0x0d),
  lf: Buffer.of(0x0a),
  crlf: Buffer.of(0x0d, 0x0a),
};

/**
 * A handheld thermometer on a serial port (an IR forehead gun or a module behind a CH340): it
 * only talks, one line per measurement. Each write is followed by its wire time at `baudRate`
 * (8N1), so successive lines are paced as on a real line even over a pty. Like a device
 * plugged into a USB port, it reopens its port by itself when it reappears. Lifecycle: the
 * constructor builds; `start()` opens (retrying in the background); `stop()` closes.
 */
export class ThermometerSerialSimulator extends EventEmitter<ThermometerSimulatorEvents> {
  readonly counters: ThermometerSimCounters = { readings: 0, surface: 0, status: 0, garbage: 0, bytes: 0 };
  format: ReadingFormat;
  readonly lineEnd: LineEnd;
  private readonly link: KeepOpen;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly noise: number;

  constructor(private readonly options: ThermometerSimulatorOptions) {
    super();
    this.format = options.format ?? 'plain';
    this.lineEnd = options.lineEnd ?? 'crlf';
    this.noise = options.noise ?? 0;
    if (!(this.noise >= 0 && this.noise <= 1)) throw new RangeError(`noise ${this.noise} is not in 0..1`);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.link = new KeepOpen(options.transport, {
      reopenIntervalMs: options.reopenIntervalMs ?? 500,
      clock: this.clock,
    });
    this.link.onState((state, error) => this.emit('link', state, error));
  }

  get isUp(): boolean {
    return this.link.isUp;
  }

  get transportName(): string {
    return this.options.transport.name;
  }

  start(): Promise<boolean> {
    return this.link.start();
  }

  stop(): Promise<void> {
    return this.link.stop();
  }

  /** A body reading, printed in `format` (default: the simulator's); resolves with the bytes sent. */
  async measure(celsius: number, options: { format?: ReadingFormat } = {}): Promise<number> {
    const sent = await this.line(formatReadingLine(celsius, options.format ?? this.format, 'body'));
    this.counters.readings++;
    return sent;
  }

  /** A surface-mode reading: not a body temperature, so the driver must refuse it. */
  async surface(celsius: number, options: { format?: ReadingFormat } = {}): Promise<number> {
    const sent = await this.line(formatReadingLine(celsius, options.format ?? this.format, 'surface'));
    this.counters.surface++;
    return sent;
  }

  /** The device's `Lo`, `Hi` or `Err` display. */
  async status(status: DeviceStatus, options: { format?: ReadingFormat } = {}): Promise<number> {
    const sent = await this.line(formatStatusLine(status, options.format ?? this.format));
    this.counters.status++;
    return sent;
  }

  /** Any text as one line (for formats the presets do not cover). */
  async line(text: string): Promise<number> {
    let sent = 0;
    if (chance(this.random, this.noise)) sent += await this.garbage(randomInt(this.random, 1, 16));
    return sent + (await this.write(Buffer.concat([Buffer.from(text, 'utf8'), LINE_ENDS[this.lineEnd]])));
  }

  /**
   * Line noise: `n` random bytes then the line end, never a reading. No byte is a CR or LF (so
   * it stays one line), and unless chance put a control character in, the first byte is DEL,
   * so the driver must refuse the line.
   */
  async garbage(n: number): Promise<number> {
    const noise = Buffer.alloc(Math.max(1, n));
    for (let i = 0; i < noise.length; i++) {
      let b: number;
      do b = randomInt(this.random, 0, 255);
      while (b === 0x0a || b === 0x0d);
      noise[i] = b;
    }
    if (!noise.some((b) => (b < 0x20 && b !== 0x09) || b === 0x7f)) noise[0] = 0x7f;
    const sent = await this.write(Buffer.concat([noise, LINE_ENDS[this.lineEnd]]));
    this.counters.garbage++;
    return sent;
  }

  private async write(bytes: Buffer): Promise<number> {
    await this.options.transport.write(bytes);
    this.counters.bytes += bytes.length;
    await sleep(this.clock, wireTimeMs(bytes.length, this.options.baudRate));
    return bytes.length;
  }
}
