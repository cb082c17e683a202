/**
 * The types a ModbusBoardSession shows to its users (board-session.ts): configuration, counters,
 * status, events, and the guarded write. Kept apart so that users such as the barrier adapter's
 * BoardIo depend on the shape, not on the session.
 */
export interface ModbusBoardConfig {
  /** Server address on the line, 1–247. */
  unit: number;
  /** For logs and status: the board's device id. */
  name: string;
  /** The block of discrete inputs (FC02) polled every cycle: 0-based first address and count. */
  inputs: { address: number; count: number };
}

/** Link health of one board (style H19); every field counts since construction. */
export interface ModbusBoardCounters {
  /** Requests put on the line, resends included. */
  requests: number;
  /** Frames from the board with a good CRC that fit the request, exceptions included. */
  replies: number;
  /** Sends of a request again after a timeout, a damaged reply or a busy board. */
  retries: number;
  /** Requests that got no usable reply in time. */
  timeouts: number;
  /** Timeouts during which a candidate reply with a bad CRC was seen (damage on the line). */
  crcErrors: number;
  /** Exception responses. */
  exceptions: number;
  /** Replies whose CRC held but whose layout did not fit the request. */
  malformed: number;
  polls: number;
  writes: number;
  /** Writes that ended in an exception or without a reply. */
  writeFailures: number;
  offlineTransitions: number;
}

export type BoardState = 'starting' | 'online' | 'offline';

export interface ModbusBoardStatus {
  unit: number;
  name: string;
  state: BoardState;
  /** The last polled discrete inputs; absent until read (and again while offline). */
  inputs?: readonly boolean[];
  lastReplyAt?: number;
  /** From the end of the request on the wire to the complete reply, ms. */
  lastRoundTripMs?: number;
  counters: ModbusBoardCounters;
}

export interface ModbusBoardEvents {
  online: [];
  offline: [reason: string];
  /** The discrete inputs changed, or were read for the first time since the board came online. */
  inputs: [values: readonly boolean[]];
  /** The board refused a request. */
  exception: [info: { request: string; code: number; name: string }];
}

/**
 * Decides, on inputs read fresh from the board, whether a guarded write may go out: undefined
 * lets it go, a string is the reason it does not. Runs synchronously between the read's reply and
 * the write, after `inputs` listeners have seen the reading.
 */
export type WriteGuard = (inputs: readonly boolean[]) => string | undefined;

export type GuardedWrite = { written: true } | { written: false; refusal: string };

export function zeroCounters(): ModbusBoardCounters {
  return {
    requests: 0,
    replies: 0,
    retries: 0,
    timeouts: 0,
    crcErrors: 0,
    exceptions: 0,
    malformed: 0,
    polls: 0,
    writes: 0,
    writeFailures: 0,
    offlineTransitions: 0,
  };
}
