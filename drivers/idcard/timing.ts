import { wireTimeMs } from '../line/wire-time.js';
import { maxReplyLength, type SamCommand } from './messages.js';

/**
 * Every timing constant of the ID-card reader session in one place (style H12). The SAM answers
 * find and select within tens of milliseconds; a read takes most of a second (radio exchange
 * with the card, mutual authentication, 1295 bytes back). Reply deadlines are the SAM's
 * processing budget plus the reply's own wire time at the line's baud rate (1295 bytes take
 * 112 ms at 115200 baud but 1.35 s at 9600).
 */
export interface SamTiming {
  /** Pause between find-card polls. A person expects a read within a second of placing the card. */
  pollIntervalMs: number;
  /** Processing budget of find, select, status and the other short commands. */
  shortProcessingMs: number;
  /** Processing budget of the read commands (card authentication and transfer). */
  readProcessingMs: number;
  /** Sends of one command when the reply is missing, damaged, or the SAM saw our frame damaged. */
  commandAttempts: number;
  /** find → select → read sequences per presentation before the read is reported failed. */
  readAttempts: number;
  /** Consecutive no-card answers that mean the card was taken away (one can be a radio glitch). */
  removalAfterMisses: number;
  /** An online reader with no valid reply for this long is offline. Must exceed the longest read. */
  offlineAfterMs: number;
  /** An offline or faulty reader is probed (SAM status) this often. */
  reconnectIntervalMs: number;
}

export const DEFAULT_SAM_TIMING: SamTiming = {
  pollIntervalMs: 300,
  shortProcessingMs: 200,
  readProcessingMs: 1500,
  commandAttempts: 3,
  readAttempts: 3,
  removalAfterMisses: 2,
  offlineAfterMs: 3000,
  reconnectIntervalMs: 1000,
};

/** How long to wait for `command`'s reply after the request left the wire. */
export function replyTimeoutMs(timing: SamTiming, command: SamCommand, baudRate: number): number {
  const read = command.type === 'read-base' || command.type === 'read-base-fingerprint';
  const processing = read ? timing.readProcessingMs : timing.shortProcessingMs;
  return processing + wireTimeMs(maxReplyLength(command), baudRate);
}
