/**
 * The byte pipe a driver or simulator owns: a serial port, one end of a pseudo-terminal pair,
 * an in-memory pipe or a TCP socket. Drivers see only this, so a test or a simulator stands in
 * for hardware by handing in another implementation.
 *
 * Contract:
 * - `open()` resolves once bytes can flow; it rejects (TransportError, `disconnected: true`)
 *   when the device is absent. Opening an open transport is a no-op.
 * - `write(bytes)` resolves when the bytes have been handed to the OS (serial: drained). While
 *   the transport is closed or after it failed it rejects with `disconnected: true`; it never
 *   queues behind a broken link.
 * - `onData` receives at least one byte per call, in order, chunked however the OS delivered it.
 * - `onClose` fires once per open when the link goes away, whether `close()` was called
 *   (`error` undefined) or the device vanished (a USB adapter unplugged, the pty's peer gone).
 *   The owner decides whether and when to `open()` again.
 * - `close()` is idempotent and never rejects.
 */
export interface ByteTransport {
  /** Where the bytes go, for logs and alarms: a device path, `memory:<name>`, `tcp:host:port`. */
  readonly name: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  write(bytes: Buffer): Promise<void>;
  /**
   * Like `write`, but resolves once the OS has taken the bytes, without waiting for them to
   * leave the wire (no drain): the caller can work while they go out. Absent where `write`
   * already resolves then.
   */
  handOff?(bytes: Buffer): Promise<void>;
  close(): Promise<void>;
  onData(listener: (bytes: Buffer) => void): void;
  onClose(listener: (error?: Error) => void): void;
}

/** A transport failed; `disconnected` says the link itself is gone (reopen later), not one write. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly transport: string,
    readonly disconnected: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}
