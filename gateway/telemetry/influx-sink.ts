/**
 * Store-and-forward of the journal to InfluxDB.
 *
 * Contract
 * - Source of truth is the journal. Two cursors deliver it: `influx` (passes, refusals, alarms,
 *   mode and device changes: PRIORITY_TYPES) and `influx.bulk` (temperature readings), then the
 *   high-rate samples of the SampleOutbox. Each loop round sends the first of these that has
 *   anything, so after an outage every pass and alarm is through before the bulk readings.
 * - A cursor is committed only after the server acknowledged the batch; a crash between the
 *   two re-sends the batch, and since a point is identified by its tags and its timestamp
 *   (points.ts) the re-sent point overwrites itself: at-least-once delivery, exactly-once data.
 * - Batches hold at most `batchSize` points; new entries wait at most `flushMs` to be batched.
 * - Network errors, timeouts and 5xx: retried with exponential backoff and jitter, same batch.
 *   401/403/404 as well, after a critical `TELEMETRY_REFUSED` alarm (once per episode); a 404
 *   first makes the database when `createDatabase` is set.
 * - 400 (the server refused some content): the batch is split in halves and re-sent until the
 *   refused point is alone; it goes to the dead-letter table with the server's message (and a
 *   `TELEMETRY_DEAD_LETTER` alarm) and the points behind it go on. 413 splits the same way.
 * - Replay: entries that were already in the journal when the sink started, or when a write
 *   first succeeded again after a failure, are marked `replayed=true`. While such a backlog
 *   drains it is sent at most `replayPointsPerSecond`, and entries appended meanwhile go out
 *   live between backlog batches (sent again, harmlessly, when the cursor reaches them).
 */
import type { Logger } from 'pino';
import { type Clock, InterruptibleSleep, systemClock } from '../../drivers/shared/clock.js';
import type { Db } from '../db.js';
import type { SinkCursor } from '../journal/cursor.js';
import type { AlarmCode, JournalEventType } from '../journal/events.js';
import type { AnyJournalEntry, Journal } from '../journal/journal.js';
import {
  type BatchRequest,
  type BatchSource,
  InlineBatchSource,
  measurementOf,
  type PreparedBatch,
  type Rejected,
  type Rendered,
  renderEntries,
} from './batches.js';
import { DeadLetters } from './dead-letter.js';
import { classify, type PointWriter, type WriteFailure } from './influx-writer.js';
import { toLine } from './line-protocol.js';
import { BULK_TYPES, type PointMapper, PRIORITY_TYPES } from './points.js';
import type { SampleOutbox } from './sample-outbox.js';

export interface InfluxSinkOptions {
  journal: Journal;
  db: Db;
  writer: PointWriter;
  /** Maps live entries; and the backlog too unless `source` is given. */
  mapper: PointMapper;
  /** Where batches are read and rendered; default: inline, on this thread. */
  source?: BatchSource;
  outbox?: SampleOutbox;
  batchSize: number;
  flushMs: number;
  retry: { initialMs: number; maxMs: number };
  replayPointsPerSecond: number;
  createDatabase: boolean;
  log: Logger;
  /** Journals an alarm the sink raises. */
  alarm: (code: AlarmCode, severity: 'warning' | 'critical', detail: Record<string, string | number>) => void;
  clock?: Clock;
  random?: () => number;
}

export interface SinkCursorStatus {
  name: string;
  position: number;
  lag: number;
  /** Age of the oldest undelivered entry, in seconds; 0 when caught up. */
  lagSeconds: number;
}

export interface InfluxSinkStatus {
  connected: boolean;
  replaying: boolean;
  pointsSent: number;
  writeFailures: number;
  deadLetters: number;
  lastError: string | undefined;
  cursors: SinkCursorStatus[];
}

/** A batch being read or read while the previous one was written (pipelining). */
interface Prefetched {
  cursor: SinkCursor;
  from: number;
  batch: Promise<PreparedBatch>;
}

const LIVE_QUEUE_LIMIT = 50_000;

export class InfluxSink {
  readonly priority: SinkCursor;
  readonly bulk: SinkCursor;
  readonly deadLetters: DeadLetters;
  private readonly clock: Clock;
  private readonly random: () => number;
  /** Idle wait for new entries: cut short by a full batch's worth of appends, or by stop(). */
  private readonly idle: InterruptibleSleep;
  /** Backoff and pacing waits: cut short only by stop(). */
  private readonly wait: InterruptibleSleep;
  private stopping = false;
  private running: Promise<void> | undefined;
  private appendedSinceIdle = 0;
  /** Entries up to this seq are a backlog: marked replayed, sent at the replay rate. */
  private horizon = 0;
  private live: AnyJournalEntry[] = [];
  /** The next batch of a cursor, read while the previous one was being written. */
  private prefetched: Prefetched | undefined;
  private readonly source: BatchSource;
  private readonly positions = new Map<SinkCursor, number>();
  private consecutiveFailures = 0;
  private refusalAlarmed = false;
  private connected = false;
  private pointsSent = 0;
  private writeFailures = 0;
  private lastError: string | undefined;

  constructor(private readonly options: InfluxSinkOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.idle = new InterruptibleSleep(this.clock);
    this.wait = new InterruptibleSleep(this.clock);
    this.priority = options.journal.cursor('influx');
    this.bulk = options.journal.cursor('influx.bulk');
    this.deadLetters = new DeadLetters(options.db);
    this.source = options.source ?? new InlineBatchSource(options.db, options.journal, options.mapper);
  }

  start(): void {
    if (this.running !== undefined) return;
    this.stopping = false;
    // Only this sink commits its cursors: their positions are kept here, so that the append
    // listener (on the decision path) reads no database.
    this.positions.set(this.priority, this.priority.position);
    this.positions.set(this.bulk, this.bulk.position);
    this.horizon = this.options.journal.lastSeq();
    this.options.journal.on('append', (entry) => this.appended(entry), this);
    this.running = this.run();
  }

  /** Stops after the write in flight (if any) settles; nothing is lost, the cursors say where to go on. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.idle.wake();
    this.wait.wake();
    await this.running;
    this.running = undefined;
    this.prefetched = undefined;
    await this.source.close();
    this.options.writer.close?.();
    this.options.journal.removeListeners(this);
  }

  status(): InfluxSinkStatus {
    const now = this.clock.now();
    const cursor = (c: SinkCursor, types: readonly JournalEventType[]): SinkCursorStatus => {
      const oldest = c.pending(1, types)[0];
      return {
        name: c.name,
        position: c.position,
        lag: c.lag(),
        lagSeconds: oldest ? Math.max(0, (now - oldest.at) / 1000) : 0,
      };
    };
    return {
      connected: this.connected,
      replaying: this.replaying(),
      pointsSent: this.pointsSent,
      writeFailures: this.writeFailures,
      deadLetters: this.deadLetters.count(),
      lastError: this.lastError,
      cursors: [cursor(this.priority, PRIORITY_TYPES), cursor(this.bulk, BULK_TYPES)],
    };
  }

  private appended(entry: AnyJournalEntry): void {
    if (this.replaying() && entry.seq > this.horizon && this.live.length < LIVE_QUEUE_LIMIT)
      this.live.push(entry);
    if (++this.appendedSinceIdle >= this.options.batchSize) this.idle.wake();
  }

  private replaying(): boolean {
    return this.positionOf(this.priority) < this.horizon || this.positionOf(this.bulk) < this.horizon;
  }

  private positionOf(cursor: SinkCursor): number {
    return this.positions.get(cursor) ?? cursor.position;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let worked: boolean;
      try {
        worked = await this.step();
      } catch (err) {
        // Never lets the loop die: a failure here (even of the alarm's journal append) is retried.
        await this.failed(classify(err)).catch((e: unknown) =>
          this.options.log.error({ err: e }, 'telemetry sink: handling a failure failed'),
        );
        continue;
      }
      if (!worked && !this.stopping) {
        this.appendedSinceIdle = 0;
        await this.idle.sleep(this.options.flushMs);
      }
    }
  }

  /** Sends one batch if there is one; false when there was nothing to send. */
  private async step(): Promise<boolean> {
    // After a failure everything already journaled is a backlog.
    if (this.consecutiveFailures > 0) this.horizon = Math.max(this.horizon, this.options.journal.lastSeq());
    const replaying = this.replaying();
    if (!replaying) this.live = [];
    if (replaying && this.live.length > 0) {
      const live = this.live.splice(0, this.options.batchSize);
      await this.deliver(live);
      return true;
    }
    for (const [cursor, types] of [
      [this.priority, PRIORITY_TYPES],
      [this.bulk, BULK_TYPES],
    ] as const) {
      const position = this.positionOf(cursor);
      const batch = await this.batchAt(cursor, types, position);
      if (batch.throughSeq === position) continue;
      const started = this.clock.now();
      const refused: Rejected[] = [];
      const writing = this.writeAll(batch, refused);
      // While the server works on this batch, the next one is read and rendered.
      this.prefetch(cursor, types, batch.throughSeq);
      try {
        await writing;
      } catch (err) {
        this.prefetched = undefined;
        throw err;
      }
      // Only now, with the whole batch acknowledged: a batch retried after a failure would
      // otherwise dead-letter its refused points twice.
      for (const rejected of [...batch.unmappable, ...refused]) this.deadLetter(rejected);
      cursor.commit(batch.throughSeq);
      this.positions.set(cursor, batch.throughSeq);
      if (replaying) await this.pace(batch.lines.length, started);
      return true;
    }
    return this.sendSamples();
  }

  /**
   * The batch after `position`: the prefetched one if it starts there and found entries (an
   * empty prefetch may predate entries appended since: read afresh, so priority stays first).
   */
  private async batchAt(cursor: SinkCursor, types: readonly JournalEventType[], position: number) {
    const ready = this.prefetched;
    this.prefetched = undefined;
    if (ready?.cursor === cursor && ready.from === position) {
      const batch = await ready.batch.catch(() => undefined);
      if (batch !== undefined && batch.throughSeq > position) return batch;
    }
    return this.source.prepare(this.request(types, position));
  }

  private prefetch(cursor: SinkCursor, types: readonly JournalEventType[], from: number): void {
    const batch = this.source.prepare(this.request(types, from));
    // Marked handled here: a prefetch that is dropped (after a failure) must not surface as an
    // unhandled rejection; batchAt reads it again if it is used.
    batch.catch(() => undefined);
    this.prefetched = { cursor, from, batch };
  }

  private request(types: readonly JournalEventType[], from: number): BatchRequest {
    return { types, from, limit: this.options.batchSize, horizon: this.horizon };
  }

  private async sendSamples(): Promise<boolean> {
    const outbox = this.options.outbox;
    const samples = outbox?.oldest(this.options.batchSize) ?? [];
    if (outbox === undefined || samples.length === 0) return false;
    const refused: Rejected[] = [];
    const rendered: Rendered = { seqs: [], lines: [] };
    for (const sample of samples) {
      try {
        rendered.lines.push(toLine(sample.point));
        rendered.seqs.push(0);
      } catch (err) {
        refused.push({
          seq: 0,
          measurement: sample.point.measurement,
          line: '',
          error: (err as Error).message,
        });
      }
    }
    await this.writeAll(rendered, refused);
    for (const rejected of refused) this.deadLetter(rejected);
    outbox.remove(samples.map((s) => s.id));
    return true;
  }

  /** Keeps a backlog to `replayPointsPerSecond`, so live entries get their turn. */
  private async pace(points: number, startedAt: number): Promise<void> {
    const due = (points / this.options.replayPointsPerSecond) * 1000 - (this.clock.now() - startedAt);
    if (due > 0 && !this.stopping) await this.wait.sleep(due);
  }

  /** Maps and writes entries (the live ones during a replay; not committed). */
  private async deliver(entries: readonly AnyJournalEntry[]): Promise<void> {
    const rendered = renderEntries(this.options.mapper, entries, this.horizon);
    // Not committed: what is refused or unmappable here is dead-lettered when the cursor gets there.
    await this.writeAll(rendered, []);
  }

  /** Writes the points, splitting around those the server refuses; those are added to `refused`. */
  private async writeAll(points: Rendered, refused: Rejected[], databaseMade = false): Promise<void> {
    const { seqs, lines } = points;
    if (lines.length === 0) return;
    try {
      await this.options.writer.write(lines);
      this.pointsSent += lines.length;
      this.succeeded();
    } catch (err) {
      const failure = classify(err);
      if (failure.kind === 'not_found' && this.options.createDatabase && !databaseMade) {
        await this.options.writer.createDatabase();
        this.options.log.warn({ sink: 'influx' }, 'database was missing and has been created');
        return this.writeAll(points, refused, true);
      }
      if (failure.kind !== 'refused' && failure.kind !== 'too_large') throw failure;
      if (lines.length === 1) {
        // A single point too large for the server is refused for good, like a bad one.
        const line = lines[0] as string;
        refused.push({ seq: seqs[0] ?? 0, measurement: measurementOf(line), line, error: failure.message });
        return;
      }
      const half = lines.length >> 1;
      await this.writeAll({ seqs: seqs.slice(0, half), lines: lines.slice(0, half) }, refused, databaseMade);
      await this.writeAll({ seqs: seqs.slice(half), lines: lines.slice(half) }, refused, databaseMade);
    }
  }

  private succeeded(): void {
    if (this.consecutiveFailures > 0)
      this.options.log.info(
        { sink: 'influx', failures: this.consecutiveFailures, backlogTo: this.horizon },
        'InfluxDB reachable again; sending the backlog',
      );
    this.consecutiveFailures = 0;
    this.refusalAlarmed = false;
    this.connected = true;
  }

  private async failed(failure: WriteFailure): Promise<void> {
    this.writeFailures++;
    this.consecutiveFailures++;
    this.connected = false;
    this.lastError = failure.message;
    if ((failure.kind === 'unauthorised' || failure.kind === 'not_found') && !this.refusalAlarmed) {
      this.refusalAlarmed = true;
      this.options.alarm('TELEMETRY_REFUSED', 'critical', {
        sink: 'influx',
        status: failure.status ?? 0,
        error: failure.message.slice(0, 200),
      });
    }
    const { initialMs, maxMs } = this.options.retry;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(30, this.consecutiveFailures - 1));
    // Equal jitter: at least half the ceiling, so retries never bunch at zero.
    const delay = ceiling / 2 + this.random() * (ceiling / 2);
    if (this.consecutiveFailures === 1 || this.consecutiveFailures % 20 === 0)
      this.options.log.warn(
        {
          sink: 'influx',
          kind: failure.kind,
          status: failure.status,
          err: failure.message,
          retryInMs: Math.round(delay),
        },
        'InfluxDB write failed; the journal keeps everything and the sink retries',
      );
    if (!this.stopping) await this.wait.sleep(delay);
  }

  private deadLetter(rejected: Rejected): void {
    const { seq, measurement, line, error } = rejected;
    this.options.log.error({ sink: 'influx', seq, measurement, err: error }, 'point refused; dead-lettered');
    this.deadLetters.add({ sink: 'influx', seq, measurement, line, error, at: this.clock.now() });
    this.options.alarm('TELEMETRY_DEAD_LETTER', 'warning', { sink: 'influx', seq, measurement });
  }
}
