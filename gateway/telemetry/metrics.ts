/**
 * The gateway's Prometheus metrics, in a registry of their own (never prom-client's global one,
 * so two gateways in one process, or a test, never share series).
 *
 * Contract
 * - Passes: `gatewarden_decisions_total{lane,outcome,reason}` and
 *   `gatewarden_decision_latency_seconds{lane}` count the decisions appended to the journal by
 *   this process, from the journal's `append` listener (registered by the constructor, removed by
 *   `stop()`); the replay of older entries and entries other processes append are not counted.
 *   `reason` is the first deny code of a refusal, the grant code of a grant ('none' if missing).
 * - `gatewarden_card_to_unlock_seconds{lane}`: from the request's `at` to when an unlocking or
 *   raising decision was handed to the lane's actuators (`dispatched`, hooked to the lane port).
 * - Everything else is read at scrape time (prom-client `collect`): device link state and error
 *   counters, the sink's cursors and counters (only when a sink is given), the journal's size.
 *   Values kept by others as running totals since start are exposed as counters set to that total.
 * - Process metrics (`collectDefaultMetrics`) with the `gatewarden_` prefix, unless turned off.
 *   prom-client cannot unregister their GC observer and event-loop histogram: build one per process.
 */
import { statSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DeviceState } from '../devices/device-module.js';
import type { AnyJournalEntry } from '../journal/journal.js';
import type { Decision } from '../rules/types.js';
import type { Site } from '../site.js';
import type { InfluxSink } from './influx-sink.js';

export interface GatewayMetricsOptions {
  /** What is read from the site: the database (its file size), the journal, the clock. */
  site: Pick<Site, 'db' | 'journal' | 'now'> & Partial<Pick<Site, 'checkpoint'>>;
  /** Device states with their link counters, read at each scrape. */
  devices?: () => DeviceState[];
  sink?: Pick<InfluxSink, 'status'>;
  /** Node.js process metrics (default true). */
  defaultMetrics?: boolean;
}

/** Decisions take microseconds (in-memory registry lookups); the top buckets catch a stalled event loop. */
export const DECISION_LATENCY_BUCKETS = [
  5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2,
] as const;
/** Read to actuation includes the journal's fsync: milliseconds, seconds when something is wrong. */
export const CARD_TO_UNLOCK_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2,
] as const;

/**
 * Device link counters that count failures (PdCounters, ModbusBoardCounters, ReaderCounters).
 * `busy` (an OSDP reader asking to be polled again) and the success counts are left out.
 */
export const DEVICE_ERROR_COUNTERS: ReadonlySet<string> = new Set([
  'timeouts',
  'corrupt',
  'naks',
  'retries',
  'resends',
  'crcErrors',
  'exceptions',
  'malformed',
  'writeFailures',
  'secureFailures',
  'statusErrors',
  'readFailures',
  'faults',
  'offlineTransitions',
]);

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly decisions: Counter<'lane' | 'outcome' | 'reason'>;
  private readonly latency: Histogram<'lane'>;
  private readonly cardToUnlock: Histogram<'lane'>;

  constructor(private readonly options: GatewayMetricsOptions) {
    const registers = [this.registry];
    const { site } = options;
    this.decisions = new Counter({
      name: 'gatewarden_decisions_total',
      help: 'Pass decisions made by this gateway process since it started, by lane, outcome (granted, refused) and first reason code.',
      labelNames: ['lane', 'outcome', 'reason'],
      registers,
    });
    this.latency = new Histogram({
      name: 'gatewarden_decision_latency_seconds',
      help: 'Time the pass rules took for one decision (without journaling), by lane.',
      labelNames: ['lane'],
      buckets: [...DECISION_LATENCY_BUCKETS],
      registers,
    });
    this.cardToUnlock = new Histogram({
      name: 'gatewarden_card_to_unlock_seconds',
      help: "Time from a credential's read to its unlocking or raising decision handed to the lane's actuators (journaled first), by lane.",
      labelNames: ['lane'],
      buckets: [...CARD_TO_UNLOCK_BUCKETS],
      registers,
    });
    this.deviceMetrics(registers);
    if (options.sink !== undefined) this.sinkMetrics(options.sink, registers);
    new Gauge({
      name: 'gatewarden_journal_entries',
      help: 'Entries in the journal (its newest seq), whichever process appended them.',
      registers,
      collect() {
        this.set(site.journal.lastSeq());
      },
    });
    new Gauge({
      name: 'gatewarden_journal_bytes',
      help: 'Size of the SQLite database file holding the journal, plus its write-ahead log; 0 in memory.',
      registers,
      collect() {
        this.set(databaseBytes(site.db));
      },
    });
    const checkpoint = site.checkpoint;
    if (checkpoint !== undefined) {
      new Gauge({
        name: 'gatewarden_journal_held_entries',
        help: 'Entries decided while the journal could not take appends (disk full), held (in memory and the spill file) until it can (docs/journal.md); 0 normally.',
        registers,
        collect() {
          this.set(checkpoint.journalStatus().held);
        },
      });
      new Gauge({
        name: 'gatewarden_journal_held_volatile_entries',
        help: 'Of the held entries, those in memory only (no spill file, or it failed): lost if the gateway crashes now; 0 normally.',
        registers,
        collect() {
          this.set(checkpoint.journalStatus().volatile);
        },
      });
      new Gauge({
        name: 'gatewarden_journal_refusing',
        help: '1 while the held entries are at their bound and the lanes refuse with JOURNAL_UNAVAILABLE, else 0.',
        registers,
        collect() {
          this.set(checkpoint.journalStatus().refusing ? 1 : 0);
        },
      });
    }
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'gatewarden_' });
    site.journal.on('append', (entry) => this.appended(entry), this);
  }

  /** Removes the journal listener; the registry keeps answering with what it counted. */
  stop(): void {
    this.options.site.journal.removeListeners(this);
  }

  /** The lane port's dispatch observer: a decision left for the lane's actuators. */
  readonly dispatched = (laneId: string, decision: Decision, requestAt: number): void => {
    if (!decision.actions.some((a) => a.type === 'unlock' || a.type === 'raise_barrier')) return;
    const seconds = Math.max(0, this.options.site.now() - requestAt) / 1000;
    this.cardToUnlock.observe({ lane: laneId }, seconds);
  };

  private appended(entry: AnyJournalEntry): void {
    if (entry.type !== 'decision') return;
    const { request, decision, latencyUs } = entry.payload;
    const lane = request.laneId;
    this.decisions.inc({
      lane,
      outcome: decision.allow ? 'granted' : 'refused',
      reason: decisionReason(decision),
    });
    if (latencyUs !== undefined) this.latency.observe({ lane }, latencyUs / 1e6);
  }

  private deviceMetrics(registers: Registry[]): void {
    const devices = this.options.devices;
    if (devices === undefined) return;
    new Gauge({
      name: 'gatewarden_device_online',
      help: 'Whether the gateway talks to the device: 1 online, 0 offline.',
      labelNames: ['device'],
      registers,
      collect() {
        this.reset();
        for (const d of devices()) this.set({ device: d.deviceId }, d.online ? 1 : 0);
      },
    });
    new Counter({
      name: 'gatewarden_device_errors_total',
      help:
        'Error counts of each device link (timeouts, damaged replies, retries, offline transitions, ...) by counter name, ' +
        'as the driver keeps them since the gateway started; read at scrape time.',
      labelNames: ['device', 'counter'],
      registers,
      collect() {
        this.reset();
        for (const d of devices()) {
          for (const [counter, value] of Object.entries(d.counters ?? {})) {
            if (DEVICE_ERROR_COUNTERS.has(counter)) this.inc({ device: d.deviceId, counter }, value);
          }
        }
      },
    });
  }

  private sinkMetrics(sink: Pick<InfluxSink, 'status'>, registers: Registry[]): void {
    new Gauge({
      name: 'gatewarden_sink_lag_entries',
      help: 'Journal entries not yet delivered by the sink cursor (of any type).',
      labelNames: ['sink'],
      registers,
      collect() {
        this.reset();
        for (const c of sink.status().cursors) this.set({ sink: c.name }, c.lag);
      },
    });
    new Gauge({
      name: 'gatewarden_sink_lag_seconds',
      help: "Age of the sink cursor's oldest undelivered entry, in seconds; 0 when caught up.",
      labelNames: ['sink'],
      registers,
      collect() {
        this.reset();
        for (const c of sink.status().cursors) this.set({ sink: c.name }, c.lagSeconds);
      },
    });
    new Counter({
      name: 'gatewarden_sink_points_sent_total',
      help: 'Points the InfluxDB server acknowledged since the gateway started; read at scrape time.',
      registers,
      collect() {
        this.reset();
        this.inc(sink.status().pointsSent);
      },
    });
    new Counter({
      name: 'gatewarden_sink_write_failures_total',
      help: 'Failed InfluxDB writes (retried) since the gateway started; read at scrape time.',
      registers,
      collect() {
        this.reset();
        this.inc(sink.status().writeFailures);
      },
    });
    new Gauge({
      name: 'gatewarden_sink_dead_letters',
      help: 'Points the InfluxDB server refused for their content, kept in the dead-letter table.',
      registers,
      collect() {
        this.set(sink.status().deadLetters);
      },
    });
    new Gauge({
      name: 'gatewarden_sink_connected',
      help: 'Whether the last InfluxDB write succeeded: 1 yes, 0 no (or none yet).',
      registers,
      collect() {
        this.set(sink.status().connected ? 1 : 0);
      },
    });
  }
}

/** The first deny code of a refusal, the grant code of a grant. */
export function decisionReason(decision: Decision): string {
  const effect = decision.allow ? 'grant' : 'deny';
  return decision.reasons.find((r) => r.effect === effect)?.code ?? 'none';
}

/** The database file and its -wal file, in bytes; 0 for an in-memory database. */
export function databaseBytes(db: Pick<Site['db'], 'name' | 'memory'>): number {
  if (db.memory) return 0;
  let bytes = 0;
  for (const path of [db.name, `${db.name}-wal`])
    bytes += statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  return bytes;
}
