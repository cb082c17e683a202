import type { EventEmitter } from 'node:events';
import type { ReadingRefusal } from './reading-line.js';

/**
 * What a handheld thermometer driver emits, so the lane adapter does not care how the device is
 * attached. A reading is a body temperature with its time and nothing else: no person, no lane
 * (the adapter knows the lane), so it may be logged.
 */
export interface HandheldReading {
  /** °C, within the body range (reading-line.ts). */
  celsius: number;
  /** Epoch ms (the driver's clock, possibly with a fraction) when the line's last byte arrived. */
  at: number;
}

/**
 * Why a line became no reading: the parser's reasons (reading-line.ts), or the framing's:
 * - `too-long`: longer than the driver's maximum line; dropped whole.
 * - `incomplete`: the line's end never came within the inter-character timeout (cut off).
 */
export type LineRefusalReason = ReadingRefusal | 'too-long' | 'incomplete';

export interface LineRefusal {
  reason: LineRefusalReason;
  /** Bytes of the line. */
  length: number;
  /** The decoded line, when it was complete (for a debug log line; a reading is not personal). */
  text?: string;
}

export interface ThermometerEvents {
  reading: [reading: HandheldReading];
  refused: [refusal: LineRefusal];
  /** The device is open and its lines are read. Fired on every transition, never twice in a row. */
  online: [];
  /** The device is absent or went away; the driver keeps looking for it. Reported once per outage. */
  offline: [reason: string];
}

export interface ThermometerCounters {
  /** Lines emitted as `reading`. */
  readings: number;
  /** Lines emitted as `refused` (blank lines and the LF of a CR LF are not lines). */
  refused: number;
  /** Times the device came back after having been online before. */
  reconnects: number;
}

/**
 * A handheld thermometer driver. Lifecycle (style H5): the constructor only stores its options;
 * `start()` opens the device and keeps looking for it while absent, resolving after the first
 * attempt with whether it is online (never rejecting); `stop()` releases the device and every
 * timer. A deliberate stop is not an outage: no `offline` follows it.
 */
export interface Thermometer extends EventEmitter<ThermometerEvents> {
  /** For logs and alarms: a serial path. */
  readonly deviceName: string;
  readonly isOnline: boolean;
  readonly counters: Readonly<ThermometerCounters>;
  /** Refused lines by reason (reasons never seen are absent). */
  readonly refusals: Readonly<Partial<Record<LineRefusalReason, number>>>;
  start(): Promise<boolean>;
  stop(): Promise<void>;
}
