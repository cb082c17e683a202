/**
 * Why a request to a board failed (style H14/H15). `retryable` says whether the same request may
 * succeed later without anyone fixing anything: a board that is offline or busy may come back;
 * an exception such as "illegal data address" is a wiring or configuration error and will not.
 */
export type ModbusFailure =
  /** The board is offline (or the session not started): nothing was sent. */
  | 'offline'
  /** No valid reply after every attempt (timeouts, damaged replies). */
  | 'no-reply'
  /** The board answered with an exception. */
  | 'exception'
  /** The serial line is down. */
  | 'line-down'
  /** The session was stopped while the request waited. */
  | 'stopped';

export class ModbusError extends Error {
  constructor(
    message: string,
    readonly reason: ModbusFailure,
    /** The exception code for `exception`. */
    readonly exceptionCode?: number,
  ) {
    super(message);
    this.name = 'ModbusError';
  }

  get retryable(): boolean {
    return this.reason !== 'exception' && this.reason !== 'stopped';
  }
}
