import { NON_SHIFT_BITS, SHIFT_BITS, US_LAYOUT, USAGE } from './hid-usage-us.js';

/**
 * Pure, incremental decoders for the two ways a USB scanner delivers a code over HID
 * (protocols.md §4): input reports in (one per node-hid `data` event), complete codes out.
 * They hold state between reports (keys down, a code begun) but no timers: the caller drops a
 * code left unfinished with `reset()` after its timeout. Output is bytes; decoding to text and
 * the control-character check are shared with the serial driver (scan-text.ts).
 */
export type HidDecodeOutput =
  | { kind: 'code'; bytes: Buffer; symbology?: string }
  | { kind: 'rejected'; reason: 'unknown-key' | 'too-long' | 'malformed-report' | 'empty'; length: number };

export type HidMode = 'pos' | 'keyboard';

export interface HidReportDecoder {
  readonly mode: HidMode;
  /** Never throws, whatever the bytes; reports of another report ID are ignored. */
  push(report: Uint8Array): HidDecodeOutput[];
  /** Whether a code has begun and not ended. */
  readonly pending: boolean;
  /** Bytes or characters held for the code in progress: never more than `maxLength` + 1. */
  readonly heldLength: number;
  /** Drops a begun code; returns its length so far (0: nothing was pending). */
  reset(): number;
}

export interface BootKeyboardOptions {
  /** Longest code in characters (bounded memory: presses past it are only counted). */
  maxLength: number;
  /** Set when the device numbers its reports: byte 0 is then this ID and is skipped. */
  reportId?: number;
  /** Usages that end a code (default Enter and Keypad Enter; add USAGE.TAB for Tab suffixes). */
  terminators?: readonly number[];
}

/**
 * Keyboard-wedge scanners (§4.2): boot keyboard input reports of 8 bytes, `[modifiers,
 * reserved, key1..key6]`, US layout (hid-usage-us.ts).
 *
 * - A key counts on its press: a usage present now and absent from the previous report. A key
 *   held across reports, or a report repeated, adds nothing; the same character twice needs a
 *   release (or the other key) in between, as on any keyboard.
 * - Rollover: several new keys in one report are taken in slot order.
 * - Rollover error (all slots ErrorRollOver, or POSTFail/ErrorUndefined): the report carries no
 *   key state and is ignored; the previous state stands.
 * - Shift (left or right) applies to the keys pressed in the same report.
 * - A key without a character (F-keys, Escape, Ctrl/Alt/GUI + key, Non-US keys) marks the code
 *   `unknown-key`; it is rejected at its terminator instead of being presented with a character
 *   silently missing (which could be another valid code). CapsLock is ignored: its state
 *   lives in the host, and scanners type upper case with Shift.
 */
export class BootKeyboardDecoder implements HidReportDecoder {
  readonly mode = 'keyboard' as const;
  private readonly terminators: ReadonlySet<number>;
  private pressed = new Set<number>();
  private chars: string[] = [];
  private presses = 0;
  private unknownKey = false;

  constructor(private readonly options: BootKeyboardOptions) {
    this.terminators = new Set(options.terminators ?? [USAGE.ENTER, USAGE.KEYPAD_ENTER]);
  }

  get pending(): boolean {
    return this.presses > 0;
  }

  get heldLength(): number {
    return this.chars.length;
  }

  reset(): number {
    const presses = this.presses;
    this.chars = [];
    this.presses = 0;
    this.unknownKey = false;
    return presses;
  }

  push(report: Uint8Array): HidDecodeOutput[] {
    const offset = this.options.reportId === undefined ? 0 : 1;
    if (offset === 1 && report[0] !== this.options.reportId) return [];
    if (report.length !== offset + 8)
      return [{ kind: 'rejected', reason: 'malformed-report', length: report.length }];
    const modifiers = report[offset] ?? 0;
    const keys = [...report.subarray(offset + 2, offset + 8)].filter((k) => k !== 0);
    if (keys.some((k) => k === USAGE.ERROR_ROLLOVER || k === USAGE.POST_FAIL || k === USAGE.ERROR_UNDEFINED))
      return [];
    const out: HidDecodeOutput[] = [];
    for (const key of keys) if (!this.pressed.has(key)) this.press(key, modifiers, out);
    this.pressed = new Set(keys);
    return out;
  }

  private press(usage: number, modifiers: number, out: HidDecodeOutput[]): void {
    if (usage === USAGE.CAPS_LOCK || (usage >= 0xe0 && usage <= 0xe7)) return;
    if (this.terminators.has(usage) && (modifiers & NON_SHIFT_BITS) === 0) {
      out.push(this.end());
      return;
    }
    this.presses++;
    const entry = US_LAYOUT.get(usage);
    const shifted = (modifiers & SHIFT_BITS) !== 0;
    const char = (modifiers & NON_SHIFT_BITS) !== 0 ? undefined : shifted ? entry?.[1] : entry?.[0];
    if (char === undefined) this.unknownKey = true;
    else if (this.chars.length < this.options.maxLength + 1) this.chars.push(char);
  }

  private end(): HidDecodeOutput {
    const length = this.presses;
    const unknown = this.unknownKey;
    const text = this.chars.join('');
    this.reset();
    if (length === 0) return { kind: 'rejected', reason: 'empty', length: 0 };
    if (unknown) return { kind: 'rejected', reason: 'unknown-key', length };
    if (length > this.options.maxLength) return { kind: 'rejected', reason: 'too-long', length };
    return { kind: 'code', bytes: Buffer.from(text, 'latin1') };
  }
}

/** Offsets of the HID POS scanned-data report as documented by Access-IS for Honeywell-style scanners (§4.1). */
export const POS_REPORT = {
  LENGTH: 64,
  REPORT_ID: 0x02,
  /** Byte 1: valid data bytes in this report. */
  COUNT: 1,
  /** Bytes 2–4: AIM symbology identifier `]` + 2 characters. */
  AIM: 2,
  DATA: 5,
  /** 56 data bytes, 5–60. */
  MAX_DATA: 56,
  /** Byte 63, bit 0: Decode Data Continued — more reports of this code follow. */
  FLAGS: 63,
  CONTINUED: 0x01,
} as const;

export interface HidPosOptions {
  /** Longest code in bytes (bounded memory). */
  maxLength: number;
  /** Report ID of the scanned-data report (default 0x02); other reports are ignored. */
  reportId?: number;
}

/**
 * HID POS scanners (usage page 0x8C, §4.1): 64-byte input reports, byte 0 report ID 0x02,
 * byte 1 the count of data bytes (≤ 56), bytes 2–4 the AIM symbology ID, data from byte 5,
 * byte 63 bit 0 "continued". A long code spans reports that are concatenated until the flag
 * is clear. A report whose count exceeds 56 or that is not 64 bytes long is malformed: it and
 * the code it belongs to are dropped. Data bytes are passed on as bytes: HID POS is the mode
 * that carries UTF-8 and binary payloads.
 */
export class HidPosDecoder implements HidReportDecoder {
  readonly mode = 'pos' as const;
  private parts: Buffer[] = [];
  private length = 0;
  private symbology: string | undefined;
  private begun = false;

  constructor(private readonly options: HidPosOptions) {}

  get pending(): boolean {
    return this.begun;
  }

  get heldLength(): number {
    return this.parts.reduce((n, p) => n + p.length, 0);
  }

  reset(): number {
    const length = this.length;
    this.parts = [];
    this.length = 0;
    this.symbology = undefined;
    this.begun = false;
    return length;
  }

  push(report: Uint8Array): HidDecodeOutput[] {
    if (report[0] !== (this.options.reportId ?? POS_REPORT.REPORT_ID)) return [];
    const count = report[POS_REPORT.COUNT] ?? 0;
    if (report.length !== POS_REPORT.LENGTH || count > POS_REPORT.MAX_DATA) {
      const length = this.reset();
      return [{ kind: 'rejected', reason: 'malformed-report', length }];
    }
    if (!this.begun) {
      this.begun = true;
      this.symbology = aimIdentifier(report.subarray(POS_REPORT.AIM, POS_REPORT.AIM + 3));
    }
    this.length += count;
    if (this.length <= this.options.maxLength)
      this.parts.push(Buffer.from(report.subarray(POS_REPORT.DATA, POS_REPORT.DATA + count)));
    if (((report[POS_REPORT.FLAGS] ?? 0) & POS_REPORT.CONTINUED) !== 0) return [];
    const length = this.length;
    const bytes = Buffer.concat(this.parts);
    const symbology = this.symbology;
    this.reset();
    if (length === 0) return [{ kind: 'rejected', reason: 'empty', length }];
    if (length > this.options.maxLength) return [{ kind: 'rejected', reason: 'too-long', length }];
    return [{ kind: 'code', bytes, ...(symbology === undefined ? {} : { symbology }) }];
  }
}

/** `]Q1`-style identifier, or undefined when the scanner leaves the bytes zero or sends something else. */
function aimIdentifier(bytes: Uint8Array): string | undefined {
  if (bytes[0] !== 0x5d) return undefined;
  const id = Buffer.from(bytes).toString('latin1');
  return /^\][\x21-\x7e]{2}$/.test(id) ? id : undefined;
}
