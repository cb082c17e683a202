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
import type { AlarmCode } from '../journal/events.js';
import type { AnyJournalEntry, Journal } from '../journal/journal.js';
import { DeadLetters } from './dead-letter.js';
import { classify, type PointWriter, type WriteFailure } from './influx-writer.js';
import { type TelemetryPoint, toLine } from './line-protocol.js';
import { BULK_TYPES, type PointMapper, PRIORITY_TYPES } from './points.js';
import type { SampleOutbox } from './sample-outbox.js';

export interface InfluxSinkOptions {
  journal: Journal;
  db: Db;
  writer: PointWriter;
  mapper: PointMapper;
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

interface Item {
  seq: number;
  point: TelemetryPoint;
}

const LIVE_QUEUE_LIMIT = 50_000;

export class InfluxSink {
  readonly priority;
  readonly bulk;
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
    options.journal.on('append', (entry) => this.appended(entry), this);
  }

  start(): void {
    if (this.running !== undefined) return;
    this.stopping = false;
    this.horizon = this.options.journal.lastSeq();
    this.running = this.run();
  }

  /** Stops after the write in flight (if any) settles; nothing is lost, the cursors say where to go on. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.idle.wake();
    this.wait.wake();
    await this.running;
    this.running = undefined;
    this.options.journal.removeListeners(this);
  }

  status(): InfluxSinkStatus {
    const now = this.clock.now();
    const cursor = (c: typeof this.priority, types: readonly AnyJournalEntry['type'][]): SinkCursorStatus => {
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
    return this.priority.position < this.horizon || this.bulk.position < this.horizon;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let worked: boolean;
      try {
        worked = await this.step();
      } catch (err) {
        await this.failed(classify(err));
        continue;
      }
      if (!worked) {
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
      const { entries, throughSeq } = cursor.pendingBatch(this.options.batchSize, types);
      if (throughSeq === cursor.position) continue;
      const started = this.clock.now();
      const sent = await this.deliver(entries);
      cursor.commit(throughSeq);
      if (replaying) await this.pace(sent, started);
      return true;
    }
    return this.sendSamples();
  }

  private async sendSamples(): Promise<boolean> {
    const outbox = this.options.outbox;
    const samples = outbox?.oldest(this.options.batchSize) ?? [];
    if (outbox === undefined || samples.length === 0) return false;
    await this.writeAll(samples.map((s) => ({ seq: 0, point: s.point })));
    outbox.remove(samples.map((s) => s.id));
    return true;
  }

  /** Keeps a backlog to `replayPointsPerSecond`, so live entries get their turn. */
  private async pace(points: number, startedAt: number): Promise<void> {
    const due = (points / this.options.replayPointsPerSecond) * 1000 - (this.clock.now() - startedAt);
    if (due > 0 && !this.stopping) await this.wait.sleep(due);
  }

  /** Maps and writes entries; returns the number of points. */
  private async deliver(entries: readonly AnyJournalEntry[]): Promise<number> {
    const items: Item[] = [];
    for (const entry of entries) {
      try {
        for (const point of this.options.mapper.points(entry, entry.seq <= this.horizon))
          items.push({ seq: entry.seq, point });
      } catch (err) {
        this.deadLetter({ seq: entry.seq, measurement: entry.type, line: '' }, (err as Error).message);
      }
    }
    await this.writeAll(items);
    return items.length;
  }

  private async writeAll(items: readonly Item[], databaseMade = false): Promise<void> {
    if (items.length === 0) return;
    try {
      await this.options.writer.write(items.map((i) => i.point));
      this.pointsSent += items.length;
      this.succeeded();
    } catch (err) {
      const failure = classify(err);
      if (failure.kind === 'not_found' && this.options.createDatabase && !databaseMade) {
        await this.options.writer.createDatabase();
        this.options.log.warn({ sink: 'influx' }, 'database was missing and has been created');
        return this.writeAll(items, true);
      }
      if (failure.kind !== 'refused' && failure.kind !== 'too_large') throw failure;
      if (items.length === 1) {
        const [item] = items as [Item];
        if (failure.kind === 'too_large') throw failure;
        this.deadLetter(
          { seq: item.seq, measurement: item.point.measurement, line: safeLine(item.point) },
          failure.message,
        );
        return;
      }
      const half = items.length >> 1;
      await this.writeAll(items.slice(0, half), databaseMade);
      await this.writeAll(items.slice(half), databaseMade);
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

  private deadLetter(where: { seq: number; measurement: string; line: string }, error: string): void {
    this.options.log.error(
      { sink: 'influx', seq: where.seq, measurement: where.measurement, err: error },
      'point refused; dead-lettered',
    );
    this.deadLetters.add({ sink: 'influx', ...where, error, at: this.clock.now() });
    this.options.alarm('TELEMETRY_DEAD_LETTER', 'warning', {
      sink: 'influx',
      seq: where.seq,
      measurement: where.measurement,
    });
  }
}

function safeLine(point: TelemetryPoint): string {
  try {
    return toLine(point);
  } catch {
    return '';
  }
}
