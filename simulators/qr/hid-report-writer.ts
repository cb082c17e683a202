import { POS_REPORT } from '../../drivers/scanner/hid-reports.js';
import { MODIFIER, US_KEY_FOR_CHAR, USAGE } from '../../drivers/scanner/hid-usage-us.js';

/**
 * The report bytes a USB scanner sends for a code (protocols.md §4.1, §4.2), for the fake HID
 * device and for tests. Keyboard reports use the US layout table of the driver
 * (drivers/scanner/hid-usage-us.ts); the fixtures in test/fixtures/scanner pin that table to
 * the specification independently.
 */
export interface KeyboardTypingOptions {
  /**
   * `release` (default): every key press is followed by an all-zero release report, as most
   * scanners type. `rollover`: the next key is pressed while the previous is still down
   * (`[a]`, `[a b]`, `[b c]`, …), with a release only where a key still down comes again.
   */
  style?: 'release' | 'rollover';
  /** Send each press report this many times (a held key, or a scanner that repeats reports). */
  repeat?: number;
  /** Press Shift in a report of its own before a shifted key, as some scanners do. */
  shiftFirst?: boolean;
  /** Use right Shift instead of left. */
  rightShift?: boolean;
  /** Usage that ends the code (default Enter 0x28); `null` sends none. */
  terminator?: number | null;
  /** Prefix every report with this report ID (9-byte reports). */
  reportId?: number;
}

const RELEASE = Buffer.alloc(8);

/** Boot keyboard reports typing `text` (printable ASCII only; throws RangeError otherwise). */
export function keyboardReports(text: string, options: KeyboardTypingOptions = {}): Buffer[] {
  const shiftBit = options.rightShift ? MODIFIER.RIGHT_SHIFT : MODIFIER.LEFT_SHIFT;
  const keys = [...text].map((c) => {
    const key = US_KEY_FOR_CHAR.get(c);
    if (!key)
      throw new RangeError(`character U+${c.codePointAt(0)?.toString(16)} cannot be typed on a US layout`);
    return { usage: key.usage, modifiers: key.shift ? shiftBit : 0 };
  });
  const terminator = options.terminator === undefined ? USAGE.ENTER : options.terminator;
  if (terminator !== null) keys.push({ usage: terminator, modifiers: 0 });
  const reports: Buffer[] = [];
  const send = (report: Buffer, times = 1) => {
    for (let i = 0; i < times; i++) reports.push(report);
  };
  // Keys in the last report sent: a key pressed again must first leave it, or it is not new.
  let down: number[] = [];
  for (const { usage, modifiers } of keys) {
    const held = down.at(-1);
    const rollover = options.style === 'rollover' && held !== undefined && !down.includes(usage);
    if (!rollover && down.length > 0) send(RELEASE);
    const keep = rollover && held !== undefined ? [held] : [];
    if (options.shiftFirst && modifiers !== 0) send(report(modifiers, keep));
    down = [...keep, usage];
    send(report(modifiers, down), options.repeat ?? 1);
  }
  if (down.length > 0) send(RELEASE);
  return options.reportId === undefined
    ? reports
    : reports.map((r) => Buffer.concat([Buffer.of(options.reportId ?? 0), r]));
}

/** `[modifiers, reserved 0, key1..key6]`. */
function report(modifiers: number, keys: number[]): Buffer {
  const r = Buffer.alloc(8);
  r[0] = modifiers;
  keys.slice(0, 6).forEach((k, i) => {
    r[2 + i] = k;
  });
  return r;
}

export interface PosReportOptions {
  /** AIM identifier, 3 characters (default `]Q1`, QR Code); `null` leaves the bytes zero. */
  symbology?: string | null;
  reportId?: number;
  /** Data bytes per report (default and maximum 56). */
  chunk?: number;
}

/** HID POS scanned-data reports carrying `data`, split across reports with the continued flag. */
export function posReports(data: Buffer | string, options: PosReportOptions = {}): Buffer[] {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const chunk = Math.min(options.chunk ?? POS_REPORT.MAX_DATA, POS_REPORT.MAX_DATA);
  if (!(chunk >= 1)) throw new RangeError(`chunk ${chunk} < 1`);
  const symbology = options.symbology === undefined ? ']Q1' : options.symbology;
  const reports: Buffer[] = [];
  for (let at = 0; at === 0 || at < bytes.length; at += chunk) {
    const part = bytes.subarray(at, at + chunk);
    const r = Buffer.alloc(POS_REPORT.LENGTH);
    r[0] = options.reportId ?? POS_REPORT.REPORT_ID;
    r[POS_REPORT.COUNT] = part.length;
    if (symbology !== null) r.write(symbology.slice(0, 3), POS_REPORT.AIM, 'latin1');
    part.copy(r, POS_REPORT.DATA);
    if (at + chunk < bytes.length) r[POS_REPORT.FLAGS] = POS_REPORT.CONTINUED;
    reports.push(r);
  }
  return reports;
}
