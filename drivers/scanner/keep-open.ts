import { type Clock, systemClock } from '../shared/clock.js';
import type { ByteTransport } from '../transport/byte-transport.js';

export interface KeepOpenOptions {
  /** Wait between attempts to open a transport that is absent or went away. */
  reopenIntervalMs: number;
  clock?: Clock;
}

export type LinkListener = (state: 'up' | 'down', error?: Error) => void;

/**
 * Keeps the transport of a device that owns its port alone open: a serial scanner only
 * listens, so it needs neither HalfDuplexLine's exchange queue nor its idle gaps (which would
 * also count every scanned byte as "unsolicited"); it needs only the reopen half of it.
 * Same behaviour as HalfDuplexLine's reopen: open at `start()`, and whenever the transport
 * closes by itself (adapter unplugged, pty peer gone), retry every `reopenIntervalMs` until it
 * opens again or `stop()`. Listeners hear changes only: a device that stays absent is
 * reported `down` once. A deliberate `stop()` is not reported.
 */
export class KeepOpen {
  reopens = 0;
  private readonly clock: Clock;
  private readonly listeners: LinkListener[] = [];
  private running = false;
  private opening = false;
  private everUp = false;
  private reported: 'up' | 'down' | undefined;
  private timer: unknown;
  private firstAttempt: ((up: boolean) => void) | undefined;

  constructor(
    readonly transport: ByteTransport,
    private readonly options: KeepOpenOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    transport.onClose((error) => {
      if (!this.running) return;
      this.setState('down', error ?? new Error(`${transport.name} closed`));
      this.schedule();
    });
  }

  get isUp(): boolean {
    return this.reported === 'up' && this.transport.isOpen;
  }

  onState(listener: LinkListener): void {
    this.listeners.push(listener);
  }

  /** Resolves after the first attempt with whether the transport is open; never rejects. */
  start(): Promise<boolean> {
    if (this.running) return Promise.resolve(this.isUp);
    this.running = true;
    return new Promise((resolve) => {
      this.firstAttempt = resolve;
      this.attempt();
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.reported = undefined;
    this.settleFirst(false);
    await this.transport.close();
  }

  private attempt(): void {
    if (!this.running || this.opening || this.transport.isOpen) return;
    this.opening = true;
    this.transport.open().then(
      () => {
        this.opening = false;
        if (!this.running) {
          void this.transport.close();
          return;
        }
        if (this.everUp) this.reopens++;
        this.everUp = true;
        this.setState('up');
        this.settleFirst(true);
      },
      (error: unknown) => {
        this.opening = false;
        if (!this.running) return;
        this.setState('down', error instanceof Error ? error : new Error(String(error)));
        this.settleFirst(false);
        this.schedule();
      },
    );
  }

  private schedule(): void {
    if (!this.running || this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.attempt();
    }, this.options.reopenIntervalMs);
  }

  private settleFirst(up: boolean): void {
    const resolve = this.firstAttempt;
    this.firstAttempt = undefined;
    resolve?.(up);
  }

  private setState(state: 'up' | 'down', error?: Error): void {
    if (this.reported === state) return;
    this.reported = state;
    for (const l of this.listeners) l(state, error);
  }
}
