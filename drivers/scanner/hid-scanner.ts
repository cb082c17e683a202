import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../shared/clock.js';
import type { HidDeviceHandle, HidDeviceInfo, HidDeviceSource } from './hid-device-source.js';
import {
  BootKeyboardDecoder,
  type HidDecodeOutput,
  type HidMode,
  HidPosDecoder,
  type HidReportDecoder,
} from './hid-reports.js';
import { DuplicateFilter, decodeScanBytes, type ScanEncoding } from './scan-text.js';
import {
  newCounters,
  type Scanner,
  type ScannerCounters,
  type ScannerEvents,
  type ScanRejection,
} from './scanner.js';

export const HID_USAGE_PAGE = { GENERIC_DESKTOP: 0x01, POS_SCANNER: 0x8c } as const;
const USAGE_KEYBOARD = 0x06;

export interface HidScannerMatch {
  vendorId: number;
  productId: number;
  /** Tells two scanners of one model apart; survives replugging, unlike a hidraw path. */
  serialNumber?: string;
  /** Exact platform path; on Linux hidraw numbers can change on replug, so prefer the serial. */
  path?: string;
}

export interface HidScannerOptions {
  source: HidDeviceSource;
  match: HidScannerMatch;
  /** `auto` (default) tells the mode from the interface's usage page; HID POS wins if both exist. */
  mode?: 'auto' | HidMode;
  /** Report ID of HID POS scanned-data reports (default 0x02). */
  posReportId?: number;
  /** Set when a keyboard-mode interface numbers its reports. */
  keyboardReportId?: number;
  /** Longest code (bytes in POS mode, characters in keyboard mode; default 1024). */
  maxLength?: number;
  /** A code begun but not ended (no Enter, no last POS report) is dropped after this (default 300 ms). */
  partialTimeoutMs?: number;
  encoding?: ScanEncoding;
  duplicateWindowMs?: number;
  /** Enumeration interval while the scanner is missing (default 2000 ms; see hid-device-source.ts). */
  pollIntervalMs?: number;
  clock?: Clock;
  log?: Logger;
}

/**
 * A USB scanner through HID (protocols.md §4.1–4.3), in HID POS or keyboard-wedge mode.
 *
 * Hot-plug: node-hid has no plug events, and a failed read is the only sign of an unplug. So
 * while the scanner is online nothing is polled; its read error (or a close) takes it offline,
 * and from then on `devices()` is polled every `pollIntervalMs` until a matching interface is
 * back, which is opened by its (possibly new) path. `offline` is reported once per outage.
 *
 * Keyboard wedge on Linux: reading hidraw does not stop the kernel's keyboard driver from
 * typing the code into the console as well; on Windows and macOS the OS owns keyboards and
 * node-hid cannot read them at all (node-hid README). Prefer HID POS or serial mode.
 */
export class HidScanner extends EventEmitter<ScannerEvents> implements Scanner {
  readonly counters: ScannerCounters = newCounters();
  readonly deviceName: string;
  private readonly clock: Clock;
  private readonly duplicates: DuplicateFilter;
  private running = false;
  private handle: HidDeviceHandle | undefined;
  private decoder: HidReportDecoder | undefined;
  private pollTimer: unknown;
  private partialTimer: unknown;
  private reported: 'online' | 'offline' | 'fault' | undefined;
  private reportedReason = '';
  private everOnline = false;
  private attaching: Promise<void> | undefined;

  constructor(private readonly options: HidScannerOptions) {
    super();
    const hex = (n: number) => n.toString(16).padStart(4, '0');
    this.deviceName = `hid:${hex(options.match.vendorId)}:${hex(options.match.productId)}`;
    this.clock = options.clock ?? systemClock;
    this.duplicates = new DuplicateFilter(options.duplicateWindowMs ?? 1000);
  }

  get isOnline(): boolean {
    return this.handle !== undefined;
  }

  /** The mode of the open interface, if any. */
  get mode(): HidMode | undefined {
    return this.decoder?.mode;
  }

  async start(): Promise<boolean> {
    if (this.running) return this.isOnline;
    this.running = true;
    await this.attach();
    return this.isOnline;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.clearTimer('poll');
    this.clearTimer('partial');
    await this.attaching;
    const handle = this.handle;
    this.handle = undefined;
    this.decoder = undefined;
    this.reported = undefined;
    await handle?.close();
  }

  /** One enumeration: open the matching interface, or schedule the next look. */
  private attach(): Promise<void> {
    this.attaching ??= this.tryAttach().finally(() => {
      this.attaching = undefined;
    });
    return this.attaching;
  }

  private async tryAttach(): Promise<void> {
    if (!this.running || this.handle) return;
    let found: { info: HidDeviceInfo; mode: HidMode } | { fault: string } | undefined;
    try {
      const devices = await this.options.source.devices();
      if (!this.running) return;
      found = this.choose(devices);
    } catch (error) {
      if (!this.running) return;
      this.setState('offline', `enumeration failed: ${(error as Error).message}`);
      return this.schedulePoll();
    }
    if (found === undefined) {
      this.setState('offline', 'not connected');
      return this.schedulePoll();
    }
    if ('fault' in found) {
      this.setState('fault', found.fault);
      return this.schedulePoll();
    }
    const path = found.info.path ?? '';
    let handle: HidDeviceHandle;
    try {
      handle = await this.options.source.open(path);
    } catch (error) {
      if (!this.running) return;
      this.setState('offline', `cannot open ${path}: ${(error as Error).message}`);
      return this.schedulePoll();
    }
    if (!this.running) {
      await handle.close();
      return;
    }
    this.handle = handle;
    this.decoder = this.newDecoder(found.mode);
    handle.onError((error) => void this.onLost(handle, error));
    handle.onData((report) => this.onReport(handle, report));
    if (this.everOnline) this.counters.reconnects++;
    this.everOnline = true;
    this.options.log?.info({ device: this.deviceName, path, mode: found.mode }, 'scanner online');
    this.setState('online', '');
  }

  /** The matching interface to use: POS before keyboard in `auto` mode, other pages never. */
  private choose(
    devices: HidDeviceInfo[],
  ): { info: HidDeviceInfo; mode: HidMode } | { fault: string } | undefined {
    const { match } = this.options;
    const matching = devices.filter(
      (d) =>
        d.vendorId === match.vendorId &&
        d.productId === match.productId &&
        d.path !== undefined &&
        (match.serialNumber === undefined || d.serialNumber === match.serialNumber) &&
        (match.path === undefined || d.path === match.path),
    );
    if (matching.length === 0) return undefined;
    const configured = this.options.mode ?? 'auto';
    const withMode = matching.map((info) => ({
      info,
      mode: configured === 'auto' ? modeOf(info) : configured,
    }));
    const usable = withMode.filter((d): d is { info: HidDeviceInfo; mode: HidMode } => d.mode !== undefined);
    const chosen = usable.find((d) => d.mode === 'pos') ?? usable[0];
    if (chosen) return chosen;
    const pages = matching.map((d) => (d.usagePage === undefined ? '?' : `0x${d.usagePage.toString(16)}`));
    return {
      fault: `cannot tell HID POS from keyboard (usage pages ${pages.join(', ')}); configure the mode`,
    };
  }

  private newDecoder(mode: HidMode): HidReportDecoder {
    const maxLength = this.options.maxLength ?? 1024;
    if (mode === 'pos') {
      const reportId = this.options.posReportId;
      return new HidPosDecoder(reportId === undefined ? { maxLength } : { maxLength, reportId });
    }
    const reportId = this.options.keyboardReportId;
    return new BootKeyboardDecoder(reportId === undefined ? { maxLength } : { maxLength, reportId });
  }

  private onReport(handle: HidDeviceHandle, report: Buffer): void {
    const decoder = this.decoder;
    if (handle !== this.handle || !decoder) return;
    for (const output of decoder.push(report)) this.onOutput(output);
    this.clearTimer('partial');
    if (decoder.pending)
      this.partialTimer = this.clock.setTimeout(() => {
        this.partialTimer = undefined;
        const length = decoder.reset();
        if (length > 0) this.reject({ reason: 'incomplete', length });
      }, this.options.partialTimeoutMs ?? 300);
  }

  private onOutput(output: HidDecodeOutput): void {
    if (output.kind === 'rejected') {
      this.reject({ reason: output.reason, length: output.length });
      return;
    }
    const decoded = decodeScanBytes(output.bytes, this.options.encoding ?? 'utf-8');
    if (!decoded.ok) {
      this.reject({ reason: decoded.reason, length: output.bytes.length });
      return;
    }
    const at = this.clock.now();
    if (this.duplicates.isDuplicate(decoded.text, at)) {
      this.counters.duplicates++;
      this.options.log?.debug('repeat of the previous code within the duplicate window dropped');
      return;
    }
    this.counters.scans++;
    this.emit('scan', {
      text: decoded.text,
      at,
      ...(output.symbology ? { symbology: output.symbology } : {}),
    });
  }

  private async onLost(handle: HidDeviceHandle, error: Error): Promise<void> {
    if (handle !== this.handle) return;
    this.handle = undefined;
    this.decoder = undefined;
    this.clearTimer('partial');
    await handle.close();
    if (!this.running) return;
    this.setState('offline', error.message);
    this.schedulePoll();
  }

  private schedulePoll(): void {
    if (!this.running || this.pollTimer !== undefined) return;
    this.pollTimer = this.clock.setTimeout(() => {
      this.pollTimer = undefined;
      void this.attach();
    }, this.options.pollIntervalMs ?? 2000);
  }

  private setState(state: 'online' | 'offline' | 'fault', reason: string): void {
    if (this.reported === state && (state !== 'fault' || this.reportedReason === reason)) return;
    this.reported = state;
    this.reportedReason = reason;
    if (state === 'online') this.emit('online');
    else {
      this.options.log?.warn({ device: this.deviceName, reason }, `scanner ${state}`);
      this.emit(state, reason);
    }
  }

  private reject(rejection: ScanRejection): void {
    this.counters.rejected++;
    const fields = { device: this.deviceName, reason: rejection.reason, length: rejection.length };
    if (rejection.reason === 'too-long') this.options.log?.error(fields, 'over-long code discarded');
    else if (rejection.reason === 'empty') this.options.log?.debug(fields, 'empty code ignored');
    else this.options.log?.warn(fields, 'scanned code rejected');
    this.emit('rejected', rejection);
  }

  private clearTimer(which: 'poll' | 'partial'): void {
    const timer = which === 'poll' ? this.pollTimer : this.partialTimer;
    if (timer !== undefined) this.clock.clearTimeout(timer);
    if (which === 'poll') this.pollTimer = undefined;
    else this.partialTimer = undefined;
  }
}

/** HID POS by its usage page; a keyboard by Generic Desktop / Keyboard; anything else: unknown. */
function modeOf(info: HidDeviceInfo): HidMode | undefined {
  if (info.usagePage === HID_USAGE_PAGE.POS_SCANNER) return 'pos';
  if (info.usagePage === HID_USAGE_PAGE.GENERIC_DESKTOP && info.usage === USAGE_KEYBOARD) return 'keyboard';
  return undefined;
}
