/**
 * The journal to the upstream broker, from the sink cursor `mqtt.upstream` (journal/cursor.ts).
 *
 * Delivery contract
 * - Every entry goes to `<base>/journal/<type>` with QoS 1 (journal-message.ts), in strict seq
 *   order: a batch is published in seq order on the one connection, and a batch starts only
 *   after the one before it was committed. Backlogs keep that order too (no priority lanes):
 *   readers see each gateway's journal in the order it was written.
 * - The cursor is committed only after every message of the batch was acknowledged (PUBACK).
 *   Within a batch up to `inFlight` messages await their PUBACK at once (a sliding window,
 *   capped by the broker's Receive Maximum); one batch in flight at a time.
 * - The journal is the only store. Nothing is published while the link is down, and when the
 *   connection drops the connection fails every publish that was not acknowledged (it drops
 *   MQTT.js's in-memory queue: see connection.ts), so the batch fails here and is published
 *   again from the committed cursor after the reconnection. MQTT.js therefore never re-sends
 *   a message that the replay sends as well, and a crash loses nothing that was not committed.
 * - Delivery is at-least-once: what was sent but not acknowledged before a failure or a crash
 *   is sent again (at most one batch). Upstream drops duplicates by (gateway, seq).
 * - A refused publish (MQTT 5 PUBACK with a reason code ≥ 0x80, e.g. 0x87 not authorised by
 *   the broker's ACL) fails the batch too; it is retried with backoff and never skipped, so a
 *   misconfigured ACL delays the journal but cannot lose it.
 */
import type { Logger } from 'pino';
import { type Clock, InterruptibleSleep, systemClock } from '../../../drivers/shared/clock.js';
import type { SinkCursor } from '../../journal/cursor.js';
import type { AnyJournalEntry, Journal } from '../../journal/journal.js';
import type { MessageBus } from '../bus.js';
import { Backoff, type BackoffPolicy } from './backoff.js';
import { encodeJournalMessage } from './journal-message.js';
import type { UpstreamTopicBase } from './topics.js';

export const UPSTREAM_CURSOR = 'mqtt.upstream';

/** What the publisher needs to know of the connection it publishes on. */
export interface PublishLink {
  /** Publishing happens only while this is true. */
  readonly connected: boolean;
  /** MQTT 5 Receive Maximum announced by the broker, if any: the most unacknowledged QoS 1 messages it takes. */
  readonly receiveMaximum: number | undefined;
}

export interface JournalPublisherOptions {
  journal: Journal;
  bus: MessageBus;
  link: PublishLink;
  base: UpstreamTopicBase;
  batchSize: number;
  inFlight: number;
  /** Checks for entries appended by other processes (appends here wake the publisher at once). */
  pollMs: number;
  /** Waits after a failed batch while connected (a refused publish). */
  retry: BackoffPolicy;
  log: Logger;
  clock?: Clock;
  random?: () => number;
}

export interface JournalPublisherStatus {
  cursor: string;
  /** Last seq acknowledged upstream and committed. */
  position: number;
  lastSeq: number;
  lag: number;
  /** Age of the oldest entry not yet acknowledged, in seconds; 0 when caught up. */
  lagSeconds: number;
  published: number;
  failedBatches: number;
  lastError: string | undefined;
}

class LinkDown extends Error {
  constructor() {
    super('the upstream connection is down');
  }
}

export class JournalPublisher {
  readonly cursor: SinkCursor;
  private readonly clock: Clock;
  /** Waits for work: woken by appends, by the link coming up and by stop(). */
  private readonly idle: InterruptibleSleep;
  /** Backoff after a refused batch: woken only by stop(). */
  private readonly pause: InterruptibleSleep;
  private readonly backoff: Backoff;
  private running: Promise<void> | undefined;
  private stopping = false;
  private position = 0;
  private published = 0;
  private failedBatches = 0;
  private lastError: string | undefined;

  constructor(private readonly options: JournalPublisherOptions) {
    this.clock = options.clock ?? systemClock;
    this.idle = new InterruptibleSleep(this.clock);
    this.pause = new InterruptibleSleep(this.clock);
    this.backoff = new Backoff(options.retry, options.random);
    this.cursor = options.journal.cursor(UPSTREAM_CURSOR);
  }

  start(): void {
    if (this.running !== undefined) return;
    this.stopping = false;
    // Only this publisher commits the cursor: its position is kept here.
    this.position = this.cursor.position;
    this.options.journal.on('append', () => this.idle.wake(), this);
    this.running = this.run();
  }

  /** Wakes the loop at once: the link came up, or there is something new to send. */
  wake(): void {
    this.idle.wake();
  }

  /**
   * Stops after the batch in flight settles: acknowledged, or failed because the connection
   * went down (stop the connection to cut a stuck batch short). The cursor says where to go on.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.idle.wake();
    this.pause.wake();
    await this.running;
    this.running = undefined;
    this.options.journal.removeListeners(this);
  }

  status(): JournalPublisherStatus {
    const position = this.cursor.position;
    const oldest = this.cursor.pending(1)[0];
    const lastSeq = this.options.journal.lastSeq();
    return {
      cursor: UPSTREAM_CURSOR,
      position,
      lastSeq,
      lag: lastSeq - position,
      lagSeconds: oldest ? Math.max(0, (this.clock.now() - oldest.at) / 1000) : 0,
      published: this.published,
      failedBatches: this.failedBatches,
      lastError: this.lastError,
    };
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        if (await this.step()) continue;
        // Idle, or no link: an append, the reconnection or stop() cuts the wait short.
        await this.idle.sleep(this.options.pollMs);
      } catch (err) {
        const retryInMs = this.failed(err);
        // A refused batch waits out its backoff: appends must not turn it into a busy retry.
        if (retryInMs !== undefined && !this.stopping) await this.pause.sleep(retryInMs);
      }
    }
  }

  /** Publishes and commits one batch; false when there is nothing to do (or no link). */
  private async step(): Promise<boolean> {
    if (!this.options.link.connected) return false;
    const from = this.position;
    const batch = this.cursor.batchAfter(from, this.options.batchSize);
    if (batch.throughSeq === from) return false;
    await this.publishAll(batch.entries);
    this.cursor.commit(batch.throughSeq);
    this.position = batch.throughSeq;
    this.published += batch.entries.length;
    if (this.backoff.failures > 0) {
      this.options.log.info({ position: this.position }, 'upstream journal publishing resumed');
      this.backoff.reset();
      this.lastError = undefined;
    }
    return true;
  }

  /**
   * Publishes in seq order with up to `window` messages awaiting their PUBACK; resolves once
   * all were acknowledged, rejects on the first failure (sending no more after it).
   */
  private async publishAll(entries: readonly AnyJournalEntry[]): Promise<void> {
    const { bus, link, base } = this.options;
    const window = Math.max(
      1,
      Math.min(this.options.inFlight, link.receiveMaximum ?? Number.POSITIVE_INFINITY),
    );
    let next = 0;
    let failure: unknown;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < entries.length) {
        if (!link.connected) throw new LinkDown();
        const entry = entries[next++] as AnyJournalEntry;
        const { topic, payload } = encodeJournalMessage(entry, base);
        try {
          await bus.publish(topic, payload, { qos: 1 });
        } catch (err) {
          failure ??= err;
          throw err;
        }
      }
    };
    const workers = Array.from({ length: Math.min(window, entries.length) }, worker);
    const results = await Promise.allSettled(workers);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected !== undefined) throw failure ?? rejected.reason;
  }

  /** Records a failed batch; returns the backoff before the next try, none when the link is down. */
  private failed(err: unknown): number | undefined {
    this.failedBatches++;
    this.lastError = err instanceof Error ? err.message : String(err);
    if (err instanceof LinkDown || !this.options.link.connected) {
      // The connection reconnects with its own backoff and wakes the publisher when it is up.
      this.options.log.debug(
        { position: this.position },
        'upstream link down: the batch is sent again later',
      );
      return undefined;
    }
    const delay = this.backoff.next();
    const failures = this.backoff.failures;
    if (failures === 1 || failures % 20 === 0)
      this.options.log.warn(
        { err, position: this.position, failures, retryInMs: Math.round(delay) },
        'upstream broker did not acknowledge a journal batch; the journal keeps it and it is sent again',
      );
    return delay;
  }
}
