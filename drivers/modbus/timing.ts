import { BITS_PER_CHARACTER, wireTimeMs } from '../line/wire-time.js';
import type { ModbusRequest } from './codec.js';
import { responseLength } from './responses.js';

/**
 * Every timing constant of a Modbus board session in one place (style H12). Relay/IO boards
 * answer within a few milliseconds; the reply deadline is the board's processing budget plus
 * the reply's own wire time at the line's speed, counted from the end of the request on the wire
 * (HalfDuplexLine starts the timer there).
 */
export interface ModbusTiming {
  /** Pause between two polls of the board's discrete inputs. A car crosses a loop in about a second. */
  pollIntervalMs: number;
  /** The board's processing budget before its reply starts (Serial Line V1.02 suggests 1 s as an upper bound; cheap boards answer in < 20 ms). */
  processingMs: number;
  /** Sends of one request when the reply is missing or damaged, or the board is busy. */
  attempts: number;
  /** Wait before sending again after exception 0x05/0x06 (acknowledge, busy). */
  busyRetryMs: number;
  /** An online board with no valid reply for this long is offline. */
  offlineAfterMs: number;
  /** An offline board is probed (one poll, one attempt) this often. */
  reconnectIntervalMs: number;
}

export const DEFAULT_MODBUS_TIMING: ModbusTiming = {
  pollIntervalMs: 100,
  processingMs: 100,
  attempts: 3,
  busyRetryMs: 50,
  offlineAfterMs: 1500,
  reconnectIntervalMs: 1000,
};

/** How long to wait for the reply to `request` after it left the wire. */
export function replyTimeoutMs(timing: ModbusTiming, request: ModbusRequest, baudRate: number): number {
  return timing.processingMs + wireTimeMs(responseLength(request), baudRate);
}

/**
 * The idle gap, in HalfDuplexLine's 10-bit characters, that gives a Modbus line its t3.5
 * silence between frames (Serial Line V1.02 §2.5.1.1): 3.5 eleven-bit characters up to 19200
 * baud, a fixed 1.75 ms above. A line that carries Modbus boards needs at least this as its
 * `idleGapCharacters`, or a board may read two frames as one.
 */
export function modbusIdleGapCharacters(baudRate: number): number {
  const t35Ms = baudRate > 19200 ? 1.75 : (3.5 * 11 * 1000) / baudRate;
  return Math.ceil((t35Ms * baudRate) / (BITS_PER_CHARACTER * 1000));
}
