import type { Logger } from 'pino';
import { type Clock, systemClock } from '../shared/clock.js';
import type { ByteTransport } from '../transport/byte-transport.js';
import { KeepOpen } from './keep-open.js';
import type { FramedLine, LineFramer } from './line-framer.js';

export interface SerialLineReaderOptions {
  /** The device's port alone (it is only read, never written). */
  transport: ByteTransport;
  /** Frames the bytes into lines; the device owns it to flush or discard a partial line. */
  framer: LineFramer;
  /** A line that has begun and then receives no byte for this long is reported as `silence`. */
  interCharTimeoutMs: number;
  /** Wait between attempts to reopen the port while it is absent. */
  reopenIntervalMs: number;
  clock?: Clock;
  /** Rewrites received bytes before framing (e.g. every CR read as LF). */
  normalise?: (bytes: Buffer) => Buffer;
  /** What the device is, for the log lines of its port coming and going ("scanner online"). */
  what: string;
  log?: Logger;
}

export interface SerialLineHandlers {
  line(line: FramedLine): void;
  /** A line began and then fell silent; the framer still holds it (flush or discard it). */
  silence(): void;
  up(): void;
  /** The port went away; a partial line has already been discarded. */
  down(reason: string): void;
}

/**
 * The skeleton every line-at-a-time serial device shares (QR scanners, handheld thermometers):
 * the port kept open across unplugging (KeepOpen), bytes framed into lines, and the
 * inter-character timeout that ends a line whose terminator never came. What a line means is
 * the device's: it gets each framed line, the silences, and the port's ups and downs.
 *
 * Contract: a line cut off by an unplug is discarded before `down`, so bytes after the replug
 * never complete it; after `stop()` nothing is reported.
 */
export class SerialLineReader {
  private readonly link: KeepOpen;
  private readonly clock: Clock;
  private timer: unknown;
  private up = false;

  constructor(
    private readonly options: SerialLineReaderOptions,
    private readonly handlers: SerialLineHandlers,
  ) {
    this.clock = options.clock ?? systemClock;
    this.link = new KeepOpen(options.transport, {
      reopenIntervalMs: options.reopenIntervalMs,
      clock: this.clock,
    });
    this.link.onState((state, error) => this.onLink(state, error));
    options.transport.onData((bytes) => this.onData(bytes));
  }

  get deviceName(): string {
    return this.options.transport.name;
  }

  get isOnline(): boolean {
    return this.up;
  }

  /** How many times the port came back after it went away. */
  get reopens(): number {
    return this.link.reopens;
  }

  /** Resolves after the first attempt to open with whether the port is open; never rejects. */
  start(): Promise<boolean> {
    return this.link.start();
  }

  async stop(): Promise<void> {
    this.clearTimer();
    this.options.framer.discard();
    this.up = false;
    await this.link.stop();
  }

  private onLink(state: 'up' | 'down', error?: Error): void {
    this.up = state === 'up';
    const { log, what } = this.options;
    if (state === 'up') {
      log?.info({ port: this.deviceName }, `${what} online`);
      this.handlers.up();
      return;
    }
    this.clearTimer();
    this.options.framer.discard();
    const reason = error?.message ?? 'closed';
    log?.warn({ port: this.deviceName, reason }, `${what} offline`);
    this.handlers.down(reason);
  }

  private onData(received: Buffer): void {
    const bytes = this.options.normalise ? this.options.normalise(received) : received;
    for (const line of this.options.framer.push(bytes)) this.handlers.line(line);
    this.clearTimer();
    if (this.options.framer.inLine) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.handlers.silence();
      }, this.options.interCharTimeoutMs);
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
