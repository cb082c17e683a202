/**
 * Hands live messages to the bus without ever failing the caller: JSON, QoS 0 for streams and
 * QoS 1 retained for states, a bound on unsettled publishes, and counts of what went wrong.
 * A bus that throws or rejects is logged once per run of failures (and when it recovers), and
 * counted; nothing is retried here (the feed re-publishes lost states on a timer).
 */
import type { Logger } from 'pino';
import type { MessageBus } from './bus.js';
import type { LocalMessage } from './local-topics.js';

export interface LiveFeedStats {
  published: number;
  /** Publishes the bus threw or rejected. */
  failed: number;
  /** Messages dropped above `maxInFlight`. */
  dropped: number;
  /** Entries that could not be mapped (a payload breaking the journal's types). */
  skipped: number;
}

export interface LivePublisherOptions {
  bus: MessageBus;
  log: Logger;
  /** Unsettled publishes above which messages are dropped. */
  maxInFlight: number;
  /** A retained message was dropped or refused: the present on the bus may be wrong. */
  onStateLost: () => void;
}

export class LivePublisher {
  readonly stats: LiveFeedStats = { published: 0, failed: 0, dropped: 0, skipped: 0 };
  private readonly pending = new Set<Promise<void>>();
  private failing = 0;

  constructor(private readonly options: LivePublisherOptions) {}

  /** Publishes not yet settled. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves once every publish handed to the bus so far has settled. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Hands one message to the bus; never throws, and the promise never rejects. */
  send(message: LocalMessage): Promise<void> {
    const { bus, log, maxInFlight } = this.options;
    if (this.pending.size >= maxInFlight) {
      this.stats.dropped++;
      if (message.retain) this.options.onStateLost();
      if (this.stats.dropped === 1 || this.stats.dropped % 1000 === 0)
        log.warn(
          { dropped: this.stats.dropped, inFlight: this.pending.size },
          'bus is behind: live messages dropped',
        );
      return Promise.resolve();
    }
    let publishing: Promise<void>;
    try {
      const payload = JSON.stringify(message.payload);
      publishing = bus.publish(message.topic, payload, {
        qos: message.retain ? 1 : 0,
        retain: message.retain,
      });
    } catch (err) {
      publishing = Promise.reject(err);
    }
    const settled = publishing.then(
      () => this.succeeded(),
      (err: unknown) => this.failed(err, message),
    );
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    return settled;
  }

  private succeeded(): void {
    this.stats.published++;
    if (this.failing > 0) {
      this.options.log.info({ failed: this.failing }, 'bus takes live messages again');
      this.failing = 0;
    }
  }

  private failed(err: unknown, message: LocalMessage): void {
    this.stats.failed++;
    this.failing++;
    if (message.retain) this.options.onStateLost();
    if (this.failing === 1)
      this.options.log.warn(
        { err, topic: message.topic },
        'bus refused a live message; counting until it recovers',
      );
  }
}
