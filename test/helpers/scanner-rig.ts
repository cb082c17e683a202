import { vi } from 'vitest';
import type { Clock } from '../../drivers/shared/clock.js';
import { type ByteTransport, TransportError } from '../../drivers/transport/byte-transport.js';

/** A clock over the global timers, so `vi.useFakeTimers()` drives scanners and simulators. */
export const timerClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A ByteTransport a test feeds by hand: `push` delivers bytes synchronously, in the chunks
 * given, so a property test controls chunking exactly. `vanish()` closes it as an unplug does.
 */
export class PushTransport implements ByteTransport {
  readonly name = 'push:scanner';
  private open_ = false;
  private readonly data: ((bytes: Buffer) => void)[] = [];
  private readonly closes: ((error?: Error) => void)[] = [];

  get isOpen(): boolean {
    return this.open_;
  }

  async open(): Promise<void> {
    this.open_ = true;
  }

  async write(): Promise<void> {
    throw new TransportError('a scanner port is never written', this.name, false);
  }

  async close(): Promise<void> {
    if (!this.open_) return;
    this.open_ = false;
    for (const l of this.closes) l(undefined);
  }

  onData(listener: (bytes: Buffer) => void): void {
    this.data.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closes.push(listener);
  }

  push(bytes: Uint8Array): void {
    if (!this.open_) throw new Error('push while closed');
    for (const l of this.data) l(Buffer.from(bytes));
  }
}

/**
 * Awaits `work` under `vi.useFakeTimers()`: advances the fake clock in small steps until it
 * settles (a simulator paces its writes with the clock, so awaiting it directly would wait
 * forever). Fails after `limitMs` of fake time.
 */
export async function drive<T>(work: Promise<T>, limitMs = 60_000): Promise<T> {
  let settled = false;
  const watched = work.finally(() => {
    settled = true;
  });
  for (let spent = 0; !settled; spent++) {
    if (spent > limitMs) throw new Error(`still not settled after ${limitMs} ms of fake time`);
    await vi.advanceTimersByTimeAsync(1);
  }
  return watched;
}
