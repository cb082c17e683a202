import type {
  HidDeviceHandle,
  HidDeviceInfo,
  HidDeviceSource,
} from '../../drivers/scanner/hid-device-source.js';
import { HID_USAGE_PAGE } from '../../drivers/scanner/hid-scanner.js';
import { type Clock, sleep, systemClock } from '../../drivers/shared/clock.js';
import {
  type KeyboardTypingOptions,
  keyboardReports,
  type PosReportOptions,
  posReports,
} from './hid-report-writer.js';

export interface FakeHidScannerOptions {
  vendorId: number;
  productId: number;
  serialNumber?: string;
  /** Which interface the scanner enumerates as: HID POS (0x8C/0x02) or a boot keyboard (0x01/0x06). */
  mode: 'pos' | 'keyboard';
  /** Enumerate with this usage page/usage instead of the mode's (a vendor-specific interface). */
  usagePage?: number;
  usage?: number;
  /** hidraw number of the first plug-in; every replug takes the next one, as Linux does. */
  firstHidraw?: number;
  /** Spacing of reports (default 1 ms, a full-speed interrupt endpoint's polling interval). */
  reportIntervalMs?: number;
  clock?: Clock;
}

/**
 * A simulated USB scanner for the HID driver (style H3): it emits real report bytes (HID POS
 * or boot keyboard, hid-report-writer.ts) through the handle the driver opened, and can be
 * unplugged and plugged back. Unplugging behaves as node-hid does: the open handle's read
 * fails once (`could not read from HID device`), no data follows, and the device leaves the
 * enumeration; plugging it back lists it under a new `/dev/hidrawN`.
 */
export class FakeHidScanner {
  private plugged = true;
  private hidraw: number;
  private open: FakeHidHandle | undefined;
  private readonly clock: Clock;

  constructor(readonly options: FakeHidScannerOptions) {
    this.hidraw = options.firstHidraw ?? 0;
    this.clock = options.clock ?? systemClock;
  }

  get isPlugged(): boolean {
    return this.plugged;
  }

  get path(): string {
    return `/dev/hidraw${this.hidraw}`;
  }

  /** Whether the driver holds it open now. */
  get isOpen(): boolean {
    return this.open !== undefined && !this.open.closed;
  }

  get info(): HidDeviceInfo {
    const pos = this.options.mode === 'pos';
    return {
      vendorId: this.options.vendorId,
      productId: this.options.productId,
      path: this.path,
      product: pos ? 'Fake HID POS scanner' : 'Fake keyboard-wedge scanner',
      usagePage:
        this.options.usagePage ?? (pos ? HID_USAGE_PAGE.POS_SCANNER : HID_USAGE_PAGE.GENERIC_DESKTOP),
      usage: this.options.usage ?? (pos ? 0x02 : 0x06),
      interface: 0,
      ...(this.options.serialNumber === undefined ? {} : { serialNumber: this.options.serialNumber }),
    };
  }

  /** Scans `text`: its reports in the scanner's mode (keyboard: then Enter). */
  scan(text: string, typing: KeyboardTypingOptions & PosReportOptions = {}): Promise<void> {
    const reports = this.options.mode === 'pos' ? posReports(text, typing) : keyboardReports(text, typing);
    return this.send(reports);
  }

  /**
   * Delivers reports one by one, `reportIntervalMs` apart, to the open handle. Reports sent while
   * nobody has the device open are lost, as with node-hid (it buffers nothing without a reader).
   */
  async send(reports: readonly Buffer[]): Promise<void> {
    for (const report of reports) {
      await sleep(this.clock, this.options.reportIntervalMs ?? 1);
      if (!this.plugged) return;
      this.open?.deliver(Buffer.from(report));
    }
  }

  unplug(): void {
    if (!this.plugged) return;
    this.plugged = false;
    this.open?.fail(new Error('could not read from HID device'));
    this.open = undefined;
  }

  plugIn(): void {
    if (this.plugged) return;
    this.plugged = true;
    this.hidraw++;
  }

  /** @internal FakeHidSource.open */
  attach(): FakeHidHandle {
    this.open?.fail(new Error('opened again'));
    this.open = new FakeHidHandle();
    return this.open;
  }
}

/** HidDeviceHandle contract: one `onError` at most, nothing after it, idempotent `close()`. */
class FakeHidHandle implements HidDeviceHandle {
  closed = false;
  private failed = false;
  private readonly data: ((report: Buffer) => void)[] = [];
  private readonly errors: ((error: Error) => void)[] = [];

  onData(listener: (report: Buffer) => void): void {
    this.data.push(listener);
  }

  onError(listener: (error: Error) => void): void {
    this.errors.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  deliver(report: Buffer): void {
    if (this.closed || this.failed) return;
    for (const l of this.data) l(report);
  }

  fail(error: Error): void {
    if (this.closed || this.failed) return;
    this.failed = true;
    for (const l of this.errors) l(error);
  }
}

/** A HidDeviceSource over fake scanners, counting enumerations (they are costly on real buses). */
export class FakeHidSource implements HidDeviceSource {
  enumerations = 0;
  opens = 0;
  /** Other HID devices on the bus (a keyboard, a mouse), listed but never opened by a scanner driver. */
  readonly others: HidDeviceInfo[] = [];
  private readonly scanners: FakeHidScanner[] = [];

  add(scanner: FakeHidScanner): FakeHidScanner {
    this.scanners.push(scanner);
    return scanner;
  }

  async devices(): Promise<HidDeviceInfo[]> {
    this.enumerations++;
    return [...this.others, ...this.scanners.filter((s) => s.isPlugged).map((s) => s.info)];
  }

  async open(path: string): Promise<HidDeviceHandle> {
    const scanner = this.scanners.find((s) => s.isPlugged && s.path === path);
    if (!scanner) throw new Error(`cannot open device with path ${path}`);
    this.opens++;
    return scanner.attach();
  }
}
