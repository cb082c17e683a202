import type { Logger } from 'pino';
import type { Clock } from '../../../drivers/shared/clock.js';
import type { Db } from '../../db.js';
import { dailyReport } from '../../reports/daily-report.js';
import type { JournalRangeReader } from '../../reports/tally.js';
import { addDays, localDate, zonedToEpoch } from '../../util/site-time.js';
import type { MessageBus } from '../bus.js';
import { type UpstreamTopicBase, upstreamTopics } from './topics.js';

export interface DailyReportsOptions {
  db: Db;
  journal: JournalRangeReader;
  bus: MessageBus;
  /** The upstream link: reports go out only while it is up, and are checked on each connection. */
  link: { readonly connected: boolean; onConnected?(listener: () => void): () => void };
  base: UpstreamTopicBase;
  tz: string;
  feverThresholdC: number;
  /** Site time `HH:MM` after which the previous day's report is due. */
  sendAt: string;
  /** Most days caught up after an outage (the oldest are given up, logged). */
  backfillDays: number;
  clock: Clock;
  log: Logger;
  /** How often it checks what is due; default one minute. */
  checkEveryMs?: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS upstream_daily_reports (
    date TEXT PRIMARY KEY,
    published_at INTEGER NOT NULL
  );
`;

/**
 * 日报告 / 零报告 upstream: every day after `sendAt` (site time) the previous day's report goes to
 * `<base>/report/daily` at QoS 1, retained, even when every count is zero (then `zeroReport`).
 * A day counts as sent only once the broker acknowledged it, and that is kept in the database, so
 * a restart sends nothing twice and an outage (of the link or of the gateway) is caught up, oldest
 * day first, up to `backfillDays` back. The first start sends yesterday's only.
 */
export class DailyReports {
  private timer: unknown;
  private offConnected: (() => void) | undefined;
  private running = false;
  private checking = false;
  private readonly lastDate;
  private readonly record;

  constructor(private readonly options: DailyReportsOptions) {
    options.db.exec(SCHEMA);
    this.lastDate = options.db.prepare<[], { date: string }>(
      'SELECT date FROM upstream_daily_reports ORDER BY date DESC LIMIT 1',
    );
    this.record = options.db.prepare<[string, number]>(
      'INSERT OR IGNORE INTO upstream_daily_reports (date, published_at) VALUES (?, ?)',
    );
  }

  start(): void {
    this.running = true;
    this.offConnected = this.options.link.onConnected?.(() => void this.check());
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    this.offConnected?.();
    this.options.clock.clearTimeout(this.timer);
  }

  /** The dates whose report is due and not yet sent, oldest first. */
  due(now = this.options.clock.now()): string[] {
    const { tz, sendAt, backfillDays } = this.options;
    const today = localDate(now, tz);
    const newest = now >= zonedToEpoch(today, sendAt, tz) ? addDays(today, -1) : addDays(today, -2);
    const last = this.lastDate.get()?.date;
    const oldest = addDays(newest, -(backfillDays - 1));
    let from = last === undefined ? newest : addDays(last, 1);
    if (from < oldest) {
      this.options.log.warn({ from, oldest }, 'daily reports older than the backfill window are not sent');
      from = oldest;
    }
    const dates: string[] = [];
    for (let d = from; d <= newest; d = addDays(d, 1)) dates.push(d);
    return dates;
  }

  /** Sends what is due; resolves when done or when the link failed (the next check retries). */
  async check(): Promise<void> {
    if (this.checking || !this.options.link.connected) return;
    this.checking = true;
    const { bus, base, tz, feverThresholdC, clock, log } = this.options;
    try {
      for (const date of this.due()) {
        const report = dailyReport(this.options.journal, {
          date,
          tz,
          siteId: base.siteId,
          feverThresholdC,
          generatedAt: clock.now(),
        });
        await bus.publish(upstreamTopics.dailyReport(base), JSON.stringify(report), { qos: 1, retain: true });
        this.record.run(date, clock.now());
        log.info({ date, zeroReport: report.zeroReport }, 'daily report sent upstream');
      }
    } catch (err) {
      log.warn({ err }, 'daily report not sent; retried at the next check');
    } finally {
      this.checking = false;
    }
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.options.clock.setTimeout(() => {
      void this.check().finally(() => this.schedule(this.options.checkEveryMs ?? 60_000));
    }, ms);
  }
}
