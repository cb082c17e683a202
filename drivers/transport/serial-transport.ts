import { SerialPortStream } from '@serialport/stream';
import { type ByteTransport, TransportError } from './byte-transport.js';
import { HangupAwareBinding } from './hangup-aware-binding.js';

export interface SerialTransportOptions {
  /** A tty: `/dev/ttyUSB0`, `/dev/serial/by-id/…`, or one end of a socat pty pair. */
  path: string;
  baudRate: number;
}

/**
 * A serial line through `serialport` (8N1, no flow control: RS-485 adapters switch direction
 * themselves). Unplugging the adapter, or the pty's peer going away, surfaces as `onClose`
 * with an error; serialport reports that on the next read or write, so a line that is polled
 * notices within one poll, and a device that only talks (a scanner) notices at once: its
 * pending read ends in a hang-up (`HangupAwareBinding`).
 */
export class SerialTransport implements ByteTransport {
  readonly name: string;
  private port: SerialPortStream | undefined;
  private readonly dataListeners: ((bytes: Buffer) => void)[] = [];
  private readonly closeListeners: ((error?: Error) => void)[] = [];

  constructor(private readonly options: SerialTransportOptions) {
    this.name = options.path;
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  async open(): Promise<void> {
    if (this.port?.isOpen) return;
    const port = new SerialPortStream({
      binding: HangupAwareBinding,
      path: this.options.path,
      baudRate: this.options.baudRate,
      dataBits: 8,
      stopBits: 1,
      parity: 'none',
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => {
        if (err)
          reject(
            new TransportError(`cannot open ${this.name}: ${err.message}`, this.name, true, { cause: err }),
          );
        else resolve();
      });
    });
    this.port = port;
    // 'error' without a listener would throw from the emitter; errors reach the owner via close.
    port.on('error', () => {});
    port.on('data', (bytes: Buffer) => {
      for (const l of this.dataListeners) l(bytes);
    });
    let closed = false;
    port.on('close', (err?: Error) => {
      if (closed) return;
      closed = true;
      // A port replaced by a newer one closes late: its close is not the new port's.
      if (this.port !== port) return;
      this.port = undefined;
      for (const l of this.closeListeners) l(err ?? undefined);
    });
  }

  write(bytes: Buffer): Promise<void> {
    return this.send(bytes, true);
  }

  handOff(bytes: Buffer): Promise<void> {
    return this.send(bytes, false);
  }

  private send(bytes: Buffer, drain: boolean): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.reject(new TransportError(`${this.name} is not open`, this.name, true));
    return new Promise((resolve, reject) => {
      port.write(bytes, (err) => {
        if (err) {
          reject(
            new TransportError(`write to ${this.name} failed: ${err.message}`, this.name, true, {
              cause: err,
            }),
          );
          return;
        }
        if (!drain) {
          resolve();
          return;
        }
        port.drain((drainErr) => {
          if (drainErr)
            reject(new TransportError(`drain ${this.name}: ${drainErr.message}`, this.name, true));
          else resolve();
        });
      });
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  onData(listener: (bytes: Buffer) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }
}
