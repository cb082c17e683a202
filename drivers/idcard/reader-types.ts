// What an ID-card reader session (reader-session.ts) takes, tells and counts.
import type { Logger } from 'pino';
import type { HalfDuplexLine } from '../line/half-duplex-line.js';
import type { Clock } from '../shared/clock.js';
import type { SamStatusInfo } from './status-words.js';
import type { IdCardText } from './text-block.js';
import type { SamTiming } from './timing.js';

/**
 * `starting` until the first probe; `online` polls for cards; `offline` (no reply, or the line
 * is down) and `fault` (the SAM answers but is unusable: self-test failed, not authorised) are
 * probed with SAM status until it answers 0x90.
 */
export type ReaderState = 'starting' | 'online' | 'offline' | 'fault';

/** Link and read health of one reader (style H19). */
export interface ReaderCounters {
  /** Requests sent, resends included. */
  commands: number;
  /** Response frames received with a good check. */
  replies: number;
  timeouts: number;
  /** Responses damaged on the line (bad check) or not fitting their command. */
  corrupt: number;
  /** Sends of the same request after a timeout, damage, or SW3 0x10/0x11. */
  resends: number;
  /** Replies heard while the session listened on after a timeout or after a reply that did not fit. */
  lateReplies: number;
  /** Responses with an error SW3 (not counting "no card" and "no content"). */
  statusErrors: number;
  reads: number;
  readFailures: number;
  removals: number;
  offlineTransitions: number;
  faults: number;
}

export interface ReaderStatus {
  state: ReaderState;
  /** A card was read (or given up on) and has not been taken away since. */
  cardPresent: boolean;
  lastReplyAt?: number;
  counters: ReaderCounters;
}

/** One successful read. Holds personal data: it must not leave the driver (see idcard-adapter.ts). */
export interface IdCardRead {
  card: IdCardText;
  /** Hex of the 8-byte serial from select card; all zeros on SAMs that do not report it. */
  serial: string;
  at: number;
  /** find → select → read sequences it took. */
  attempts: number;
}

export interface ReadFailure {
  /** The status that ended the last attempt, when the SAM gave one. */
  status?: SamStatusInfo;
  detail: string;
  attempts: number;
}

export interface ReaderSessionEvents {
  online: [];
  offline: [reason: string];
  /** Reachable but unusable; the session keeps probing. */
  fault: [status: SamStatusInfo];
  /** A card placed on the reader was read: once per presentation. */
  read: [read: IdCardRead];
  /** A card placed on the reader could not be read after the bounded retries: once per presentation. */
  readFailed: [failure: ReadFailure];
  /** The card that was read (or failed) has been taken away. */
  removed: [];
}

export interface ReaderSessionOptions {
  /** The reader's serial line; the session is its only user. */
  line: HalfDuplexLine;
  timing?: Partial<SamTiming>;
  clock?: Clock;
  /** Debug lines (resends with their attempt number) and refused commands. Never card contents. */
  log?: Logger;
}
