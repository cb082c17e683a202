import type { EventEmitter } from 'node:events';

/**
 * What every QR/barcode scanner driver emits, serial line mode and USB HID alike, so the lane
 * adapter does not care which one it holds.
 *
 * Scanned codes may be personal (a resident's pass, a phone number in a visitor code): `Scan.text`
 * is handed to the lane and never written to a log. Rejections carry a reason and a length only.
 */
export interface Scan {
  /** The decoded code after framing, prefix/suffix stripping and the control-character check. */
  text: string;
  /** Epoch ms (the driver's clock) when the code's last byte or report arrived. */
  at: number;
  /** AIM symbology identifier (`]Q1` QR, `]E0` EAN-13) when the device reports one (HID POS). */
  symbology?: string;
}

/**
 * Why a code was not turned into a scan:
 * - `too-long`: longer than the configured maximum; the whole code is dropped, not truncated.
 * - `incomplete`: the terminator (or the last HID POS report) never came within the timeout.
 * - `framing`: a configured prefix or suffix is missing.
 * - `encoding`: the bytes are not valid in the configured encoding.
 * - `control-character`: decoded text holds a C0/C1 control or DEL (noise, or a code we cannot
 *   present verbatim; see scan-text.ts).
 * - `unknown-key`: keyboard wedge only: a key with no character in the layout (F-keys, Ctrl+…).
 * - `malformed-report`: a HID report that breaks its format (length byte out of range).
 * - `empty`: a terminator with nothing before it.
 */
export type ScanRejectReason =
  | 'too-long'
  | 'incomplete'
  | 'framing'
  | 'encoding'
  | 'control-character'
  | 'unknown-key'
  | 'malformed-report'
  | 'empty';

export interface ScanRejection {
  reason: ScanRejectReason;
  /** Bytes (serial, HID POS) or key presses (keyboard wedge) of the rejected code. */
  length: number;
}

export interface ScannerEvents {
  scan: [scan: Scan];
  rejected: [rejection: ScanRejection];
  /** The device is open and its codes are read. Fired on every transition, never twice in a row. */
  online: [];
  /** The device is absent or went away; the driver keeps looking for it. Reported once per outage. */
  offline: [reason: string];
  /** The device is present but cannot be used as configured (HID: mode cannot be told). */
  fault: [reason: string];
}

export interface ScannerCounters {
  /** Codes emitted as `scan`. */
  scans: number;
  /** Codes dropped as a repeat within the duplicate window. */
  duplicates: number;
  rejected: number;
  /** Times the device came back after having been online before. */
  reconnects: number;
}

/**
 * A scanner driver. Lifecycle (style H5): the constructor only stores its options; `start()`
 * opens the device and keeps looking for it while absent, resolving after the first attempt
 * with whether it is online (never rejecting); `stop()` releases the device and every timer.
 * A deliberate stop is not an outage: no `offline` follows it.
 */
export interface Scanner extends EventEmitter<ScannerEvents> {
  /** For logs and alarms: a serial path or `hid:vvvv:pppp`. */
  readonly deviceName: string;
  readonly isOnline: boolean;
  readonly counters: Readonly<ScannerCounters>;
  start(): Promise<boolean>;
  stop(): Promise<void>;
}

export function newCounters(): ScannerCounters {
  return { scans: 0, duplicates: 0, rejected: 0, reconnects: 0 };
}
