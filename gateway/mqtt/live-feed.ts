/**
 * The live feed: every journal entry, as it is appended, onto the local tree (local-topics.ts)
 * of a MessageBus (the embedded broker, or any broker through a ClientBus). Streams (passes,
 * refusals, temperatures, alarms) go out at QoS 0; states (mode, fire, devices, gates, daily
 * counters, the gateway's status) retained at QoS 1, so a client that connects later sees the
 * present.
 *
 * Contract
 * - The journal is the source of truth and the feed never stands in its way: the append listener
 *   only queues the entry (mapping and publishing run on the next turn of the event loop, after
 *   the caller has acted on its decision); it never throws, never waits, and a bus that throws
 *   or rejects is logged (once per run of failures) and counted (`stats`), never retried here.
 *   A missed stream message stays in the journal; a lost state is published again (below).
 * - Lossy under pressure: above `maxInFlight` unsettled publishes, messages are dropped and
 *   counted. When a retained state was dropped or refused, every state is published again a
 *   few seconds later (on one timer, never in a loop), so the retained present is right in the end.
 * - Live only, no cursor: after a restart the states are rebuilt from the journal (`start`),
 *   and the streams carry on with the next entry. Entries other processes append (the CLI) are
 *   picked up by `follow()` (call it on the gateway's follow timer) or with the next append.
 * - Lifecycle (style H5): the constructor only stores; `start()` rebuilds the states, publishes
 *   them with the gateway's birth and listens; `stop()` publishes `offline` and lets go.
 */
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../drivers/shared/clock.js';
import type { AnyJournalEntry, Journal } from '../journal/journal.js';
import { childLogger } from '../logging.js';
import type { MessageBus } from './bus.js';
import { type LiveLayout, type LiveLayoutConfig, liveLayout } from './live-feed-layout.js';
import { streamMessages } from './live-feed-messages.js';
import { cachedLivePseudonym } from './live-feed-privacy.js';
import { type LiveFeedStats, LivePublisher } from './live-feed-publisher.js';
import { LiveState, type StateKey } from './live-feed-state.js';
import { type LocalMessage, type LocalTopics, localMessage, localTopics } from './local-topics.js';

export type { LiveFeedStats } from './live-feed-publisher.js';

export interface LiveFeedOptions {
  journal: Pick<Journal, 'on' | 'removeListeners' | 'read' | 'iterate' | 'iterateRange' | 'lastSeq'>;
  config: LiveLayoutConfig;
  bus: MessageBus;
  log: Logger;
  /** The site's pseudonym key (`site.key`); subjects go out as keyed pseudonyms. */
  pseudonymKey: Buffer;
  now?: () => number;
  timers?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** First topic level; default `gatewarden` (the broker's `liveTopicRoot`). */
  root?: string;
  /** Shown in the gateway's birth message. */
  version?: string;
  /** Unsettled publishes above which messages are dropped; default 1000. */
  maxInFlight?: number;
  /** Appended entries held for the next drain; beyond, they are read back from the journal. Default 10 000. */
  maxQueued?: number;
  /** Longest wait for the `offline` status at stop; default 2000 ms. */
  stopWaitMs?: number;
}

/** Journal entries read per page when following other processes' appends. */
const FOLLOW_PAGE = 500;
/** Default of `maxQueued`. */
const MAX_QUEUED = 10_000;
/** Wait before states lost to a failing or lagging bus are published again. */
const REPUBLISH_MS = 5000;
/** Timer for a deadline that is already past (a bug): late, but never a tight loop. */
const PAST_DEADLINE_MS = 1000;
/** Longest timer: a clock that jumps is noticed within this. */
const MAX_TIMER_MS = 3_600_000;

export class LiveFeed {
  readonly layout: LiveLayout;
  readonly topics: LocalTopics;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly timers: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  private readonly pseudonym: (id: string) => string;
  private readonly publisher: LivePublisher;
  private state: LiveState | undefined;
  private lastSeq = 0;
  private timer: unknown;
  private republishTimer: unknown;
  private readonly queue: AnyJournalEntry[] = [];
  private drainScheduled = false;
  /** Entries were appended while the queue was full: read them from the journal at the drain. */
  private missed = false;

  constructor(private readonly options: LiveFeedOptions) {
    this.layout = liveLayout(options.config);
    this.topics = localTopics(this.layout.siteId, options.root);
    this.log = childLogger(options.log, 'mqtt:live');
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? systemClock;
    this.pseudonym = cachedLivePseudonym(options.pseudonymKey);
    this.publisher = new LivePublisher({
      bus: options.bus,
      log: this.log,
      maxInFlight: options.maxInFlight ?? 1000,
      onStateLost: () => this.oweStates(),
    });
  }

  get stats(): LiveFeedStats {
    return this.publisher.stats;
  }

  /** Rebuilds the states, publishes them and the birth, and follows the journal from its head. */
  start(): void {
    if (this.state !== undefined) return;
    const now = this.now();
    const state = new LiveState(this.layout, now);
    const head = this.options.journal.lastSeq();
    state.rebuild(this.options.journal, head, now);
    state.tick(now);
    this.state = state;
    this.lastSeq = head;
    this.options.journal.on('append', (entry) => this.onAppend(entry), this);
    this.publishStates();
    this.arm();
    this.log.info({ base: this.topics.base, throughSeq: head }, `live tree on the bus at ${this.topics.all}`);
  }

  /** Publishes the entries appended since the last one seen (by another process, say). */
  follow(): void {
    if (this.state === undefined) return;
    for (;;) {
      const page = this.options.journal.read(this.lastSeq, FOLLOW_PAGE);
      for (const entry of page) this.handle(entry);
      if (page.length < FOLLOW_PAGE) break;
    }
    this.arm();
  }

  /** Publishes what is queued now, and resolves once every publish handed to the bus has settled (tests, stop). */
  async flush(): Promise<void> {
    do {
      if (this.drainScheduled) this.drain();
      await this.publisher.flush();
    } while (this.drainScheduled);
  }

  async stop(): Promise<void> {
    if (this.state === undefined) return;
    this.options.journal.removeListeners(this);
    if (this.drainScheduled) this.drain();
    this.timers.clearTimeout(this.timer);
    this.timers.clearTimeout(this.republishTimer);
    this.republishTimer = undefined;
    this.state = undefined;
    const offline = this.publisher.send(this.status('offline'));
    let waited: unknown;
    const timeout = new Promise<void>((resolve) => {
      waited = this.timers.setTimeout(resolve, this.options.stopWaitMs ?? 2000);
    });
    await Promise.race([offline, timeout]);
    this.timers.clearTimeout(waited);
  }

  /**
   * The append listener: only queues the entry. The work (mapping, publishing) runs on the next
   * turn of the event loop, so it never delays the caller of `append`, who may be about to open
   * a gate. Above `MAX_QUEUED` entries the rest are not queued: the drain finds the gap and reads
   * them back from the journal.
   */
  private onAppend(entry: AnyJournalEntry): void {
    if (this.queue.length < (this.options.maxQueued ?? MAX_QUEUED)) this.queue.push(entry);
    else this.missed = true;
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  /** Publishes the queued entries in order; a gap (another process, a full queue) is read from the journal. */
  private drain(): void {
    this.drainScheduled = false;
    const queued = this.queue.splice(0);
    for (const entry of queued) {
      if (entry.seq <= this.lastSeq) continue;
      if (entry.seq > this.lastSeq + 1) this.follow();
      else this.handle(entry);
    }
    if (this.missed) {
      this.missed = false;
      this.follow();
    }
    this.arm();
  }

  private handle(entry: AnyJournalEntry): void {
    const state = this.state;
    if (state === undefined || entry.seq <= this.lastSeq) return;
    this.lastSeq = entry.seq;
    const now = this.now();
    const where = { seq: entry.seq, type: entry.type };
    let messages: LocalMessage[] = [];
    try {
      messages = streamMessages(entry, {
        topics: this.topics,
        layout: this.layout,
        pseudonym: this.pseudonym,
      });
    } catch (err) {
      this.publisher.stats.skipped++;
      this.log.error({ err, ...where }, 'journal entry not fit for the live stream; skipped');
    }
    try {
      messages.push(...state.messages(state.apply(entry, now), this.topics, now));
    } catch (err) {
      this.publisher.stats.skipped++;
      this.log.error({ err, ...where }, 'journal entry not fit for the live states; skipped');
    }
    for (const message of messages) void this.publisher.send(message);
  }

  private publishStates(keys?: Iterable<StateKey>): void {
    const state = this.state;
    if (state === undefined) return;
    const now = this.now();
    void this.publisher.send(this.status('online'));
    for (const message of state.messages(keys ?? state.allKeys(), this.topics, now))
      void this.publisher.send(message);
  }

  private status(state: 'online' | 'offline'): LocalMessage {
    const version = this.options.version;
    const payload = { state, at: this.now(), ...(version === undefined ? {} : { version }) };
    return localMessage('gateway/status', this.topics.gatewayStatus(), payload);
  }

  /**
   * A retained state was dropped or refused: every state goes out again after `REPUBLISH_MS`
   * (later still while the bus is behind). One timer at most, so a failing bus is never looped on.
   */
  private oweStates(): void {
    if (this.republishTimer !== undefined || this.state === undefined) return;
    this.republishTimer = this.timers.setTimeout(() => {
      this.republishTimer = undefined;
      const { maxInFlight = 1000 } = this.options;
      if (this.publisher.inFlight > maxInFlight / 2) this.oweStates();
      else this.publishStates();
    }, REPUBLISH_MS);
  }

  /** Sets the timer for the next release end or day roll. */
  private arm(): void {
    const state = this.state;
    if (state === undefined) return;
    this.timers.clearTimeout(this.timer);
    const wait = state.nextDeadline() - this.now();
    // A deadline already past would make the timer spin; it cannot be after a tick, but never loop tight.
    const delay = wait > 0 ? Math.min(MAX_TIMER_MS, wait) : PAST_DEADLINE_MS;
    this.timer = this.timers.setTimeout(() => this.onTimer(), delay);
  }

  private onTimer(): void {
    const state = this.state;
    if (state === undefined) return;
    try {
      const now = this.now();
      for (const message of state.messages(state.tick(now), this.topics, now))
        void this.publisher.send(message);
    } catch (err) {
      this.log.error({ err }, 'live state timer failed');
    }
    this.arm();
  }
}
