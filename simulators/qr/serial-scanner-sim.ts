import { EventEmitter } from 'node:events';
import { wireTimeMs } from '../../drivers/line/wire-time.js';
import { KeepOpen } from '../../drivers/scanner/keep-open.js';
import type { Terminator } from '../../drivers/scanner/line-framer.js';
import { type Clock, sleep, systemClock } from '../../drivers/shared/clock.js';
import type { ByteTransport } from '../../drivers/transport/byte-transport.js';
import { type RandomSource, randomInt } from '../shared/random.js';

export type SimTerminator = Exclude<Terminator, 'none'>;

export interface QrSerialSimulatorOptions {
  transport: ByteTransport;
  baudRate: number;
  /** Suffix the scanner sends after each code (default `cr`). */
  terminator?: SimTerminator;
  clock?: Clock;
  random?: RandomSource;
  /** Wait between attempts to open the device while it is absent (default 500 ms). */
  reopenIntervalMs?: number;
}

export interface QrSerialSimulatorEvents {
  link: [state: 'up' | 'down', error?: Error];
}

export interface QrSimCounters {
  scans: number;
  garbage: number;
  bytes: number;
}

/**
 * A serial-mode scanner (protocols.md §4.4) on a ByteTransport: it only talks. Each write is
 * followed by its wire time at `baudRate` (8N1), so successive sends are paced as on a real
 * line even over a pty, which moves bytes at memory speed. Like a scanner plugged into a USB
 * port, it reopens its device by itself when it reappears. Lifecycle: the constructor builds;
 * `start()` opens (retrying in the background); `stop()` closes.
 */
export class QrSerialSimulator extends EventEmitter<QrSerialSimulatorEvents> {
  readonly counters: QrSimCounters = { scans: 0, garbage: 0, bytes: 0 };
  readonly terminator: SimTerminator;
  private readonly link: KeepOpen;
  private readonly clock: Clock;
  private readonly random: RandomSource;

  constructor(private readonly options: QrSerialSimulatorOptions) {
    super();
    this.terminator = options.terminator ?? 'cr';
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

  /** The suffix bytes. */
  terminatorBytes(): Buffer {
    const t = this.terminator;
    if (t === 'cr') return Buffer.of(0x0d);
    if (t === 'lf') return Buffer.of(0x0a);
    if (t === 'crlf') return Buffer.of(0x0d, 0x0a);
    return Buffer.of(t);
  }

  /** A code (UTF-8 when text) and its terminator in one write; resolves with the bytes sent. */
  async scan(code: string | Buffer): Promise<number> {
    const sent = await this.write(Buffer.concat([Buffer.from(code), this.terminatorBytes()]));
    this.counters.scans++;
    return sent;
  }

  /**
   * A code split into `parts` writes, `gapMs` apart (default: each part's wire time, so the
   * bytes are back to back as one burst on the wire).
   */
  async split(code: string | Buffer, parts: number, gapMs?: number): Promise<number> {
    const bytes = Buffer.concat([Buffer.from(code), this.terminatorBytes()]);
    const size = Math.max(1, Math.ceil(bytes.length / Math.max(1, parts)));
    let sent = 0;
    for (let at = 0; at < bytes.length; at += size) {
      if (at > 0 && gapMs !== undefined) await sleep(this.clock, gapMs);
      sent += await this.write(bytes.subarray(at, at + size));
    }
    this.counters.scans++;
    return sent;
  }

  /**
   * Line noise: `n` random bytes then the terminator, never a valid code. No byte is a CR or
   * LF or the terminator byte (so it stays one line), and if chance made every byte printable
   * ASCII the first one is set to DEL, so the driver must reject it.
   */
  async garbage(n: number): Promise<number> {
    const avoid = new Set([0x0a, 0x0d, ...this.terminatorBytes()]);
    const noise = Buffer.alloc(Math.max(1, n));
    for (let i = 0; i < noise.length; i++) {
      let b: number;
      do b = randomInt(this.random, 0, 255);
      while (avoid.has(b));
      noise[i] = b;
    }
    if (noise.every((b) => b >= 0x20 && b < 0x7f)) noise[0] = 0x7f;
    const sent = await this.write(Buffer.concat([noise, this.terminatorBytes()]));
    this.counters.garbage++;
    return sent;
  }

  /** A line of `n` printable bytes (`X`), then the terminator: longer than the driver's maximum when n is. */
  overlong(n: number): Promise<number> {
    return this.write(Buffer.concat([Buffer.alloc(n, 0x58), this.terminatorBytes()]));
  }

  private async write(bytes: Buffer): Promise<number> {
    await this.options.transport.write(bytes);
    this.counters.bytes += bytes.length;
    await sleep(this.clock, wireTimeMs(bytes.length, this.options.baudRate));
    return bytes.length;
  }
}
