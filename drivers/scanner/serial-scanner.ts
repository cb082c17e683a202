import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../shared/clock.js';
import type { ByteTransport } from '../transport/byte-transport.js';
import { type FramedLine, LineFramer, type Terminator } from './line-framer.js';
import { DuplicateFilter, decodeScanBytes, type ScanEncoding } from './scan-text.js';
import {
  newCounters,
  type Scanner,
  type ScannerCounters,
  type ScannerEvents,
  type ScanRejection,
} from './scanner.js';
import { SerialLineReader } from './serial-line-reader.js';

export interface SerialScannerOptions {
  /** The scanner's port alone: a `/dev/ttyACM*` (CDC-ACM) or `/dev/ttyUSB*`, or a pty end. */
  transport: ByteTransport;
  /** Default `cr`, the usual factory suffix (protocols.md §4.4). See line-framer.ts. */
  terminator?: Terminator;
  /** Prefix/suffix configured on the scanner (a string is taken as its UTF-8 bytes). */
  prefix?: Buffer | string;
  suffix?: Buffer | string;
  /** Longest code in bytes, prefix and suffix included (default 1024; a QR pass is far shorter). */
  maxLength?: number;
  /**
   * A line that has begun but receives no byte for this long is over (default 100 ms: a scanner
   * sends a code in one burst, at 9600 baud a byte takes about 1 ms).
   */
  interCharTimeoutMs?: number;
  /**
   * What the inter-character timeout does with the partial line: `discard` it as `incomplete`
   * (default: a lost terminator means a possibly truncated code), or `flush` it as a complete
   * code (for scanners configured without a suffix; required with terminator `none`).
   */
  partialLine?: 'discard' | 'flush';
  encoding?: ScanEncoding;
  /** The same code again within this window is one scan (default 1000 ms; 0: off). */
  duplicateWindowMs?: number;
  /** Wait between attempts to reopen the port while it is absent (default 1000 ms). */
  reopenIntervalMs?: number;
  clock?: Clock;
  log?: Logger;
}

/**
 * A serial-mode QR/barcode scanner: lines over a ByteTransport it owns alone (it never writes),
 * read by SerialLineReader (kept open across unplugging, framed, timed out), decoded and de-duplicated by
 * scan-text.ts. Emits ScannerEvents. Logs rejections with reason and length only: the text of
 * a code never reaches a log line, not even a rejected one.
 */
export class SerialScanner extends EventEmitter<ScannerEvents> implements Scanner {
  readonly counters: ScannerCounters = newCounters();
  private readonly reader: SerialLineReader;
  private readonly framer: LineFramer;
  private readonly duplicates: DuplicateFilter;
  private readonly clock: Clock;
  private readonly partialLine: 'discard' | 'flush';
  private readonly encoding: ScanEncoding;

  constructor(private readonly options: SerialScannerOptions) {
    super();
    const terminator = options.terminator ?? 'cr';
    this.partialLine = options.partialLine ?? (terminator === 'none' ? 'flush' : 'discard');
    if (terminator === 'none' && this.partialLine !== 'flush')
      throw new RangeError('terminator none needs partialLine flush: the timeout is what ends a code');
    this.clock = options.clock ?? systemClock;
    this.encoding = options.encoding ?? 'utf-8';
    this.framer = new LineFramer({
      terminator,
      maxLength: options.maxLength ?? 1024,
      ...(options.prefix === undefined ? {} : { prefix: Buffer.from(options.prefix) }),
      ...(options.suffix === undefined ? {} : { suffix: Buffer.from(options.suffix) }),
    });
    this.duplicates = new DuplicateFilter(options.duplicateWindowMs ?? 1000);
    this.reader = new SerialLineReader(
      {
        transport: options.transport,
        framer: this.framer,
        interCharTimeoutMs: options.interCharTimeoutMs ?? 100,
        reopenIntervalMs: options.reopenIntervalMs ?? 1000,
        clock: this.clock,
        what: 'scanner',
        ...(options.log ? { log: options.log } : {}),
      },
      {
        line: (line) => this.onLine(line),
        silence: () => this.onSilence(),
        up: () => {
          this.counters.reconnects = this.reader.reopens;
          this.emit('online');
        },
        // A code cut off by the unplug is not completed by bytes after the replug (the reader dropped it).
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

  /** Bytes of a partial line held now (for tests of the memory bound). */
  get pendingBytes(): number {
    return this.framer.pendingLength;
  }

  start(): Promise<boolean> {
    return this.reader.start();
  }

  stop(): Promise<void> {
    return this.reader.stop();
  }

  private onSilence(): void {
    if (this.partialLine === 'flush') {
      const line = this.framer.flush();
      if (line) this.onLine(line);
      return;
    }
    const dropped = this.framer.discard();
    if (dropped > 0) this.reject({ reason: 'incomplete', length: dropped });
  }

  private onLine(line: FramedLine): void {
    if (line.kind === 'rejected') {
      this.reject({ reason: line.reason, length: line.length });
      return;
    }
    const decoded = decodeScanBytes(line.bytes, this.encoding);
    if (!decoded.ok) {
      this.reject({ reason: decoded.reason, length: line.bytes.length });
      return;
    }
    const at = this.clock.now();
    if (this.duplicates.isDuplicate(decoded.text, at)) {
      this.counters.duplicates++;
      this.options.log?.debug('repeat of the previous code within the duplicate window dropped');
      return;
    }
    this.counters.scans++;
    this.emit('scan', { text: decoded.text, at });
  }

  private reject(rejection: ScanRejection): void {
    this.counters.rejected++;
    const log = this.options.log;
    const fields = { port: this.deviceName, reason: rejection.reason, length: rejection.length };
    if (rejection.reason === 'too-long') log?.error(fields, 'over-long code discarded');
    else if (rejection.reason === 'empty') log?.debug(fields, 'empty line ignored');
    else log?.warn(fields, 'scanned code rejected');
    this.emit('rejected', rejection);
  }
}
