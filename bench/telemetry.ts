/**
 * Benchmark of the InfluxDB sink against a real local influxd (started here on loopback ports
 * of its own, in a temporary folder that is removed; the same harness as the tests).
 *
 * 1. Throughput: N journal entries (passes and readings) delivered by the sink from its cursors,
 *    against the bare `influx` writePoints of the same number of equivalent points in the same
 *    run, alternating, in batches of the same size. The sink runs twice a round: as the gateway
 *    runs it (entries appended with the journal's telemetry renderer installed, so the worker
 *    reads prerendered lines: prerender.ts) and on a journal appended without it (the CLI's
 *    entries, or a journal from before the column: read, parse, map, render in the worker).
 * 2. Append cost of the renderer: µs per decision entry, and durable appends (one fsync each)
 *    with and without it, alternating; journal bytes per entry with and without the column.
 * 3. Backlog drain: the journal of a 10-minute outage at a site's peak load (generated directly:
 *    the sink reads the journal either way), drained at the default replay rate while the live
 *    load goes on; reported as outage length / drain time ("× real time"), with the age of live
 *    points when they reached InfluxDB during the drain (entries appended with the renderer).
 *
 * Run: npm run bench:telemetry   Options: --entries N (default 200000), --rounds R (default 3),
 *      --rate entries/s of the peak load (default 40), --outage seconds (default 600)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { InfluxDB, type IPoint } from 'influx';
import { pino } from 'pino';
import { openDatabase } from '../gateway/db.js';
import { type AnyJournalEntry, type AppendItem, Journal } from '../gateway/journal/journal.js';
import type { Decision } from '../gateway/rules/types.js';
import { WorkerBatchSource } from '../gateway/telemetry/batch-worker-source.js';
import { InfluxSink } from '../gateway/telemetry/influx-sink.js';
import { InfluxWriter, type PointWriter } from '../gateway/telemetry/influx-writer.js';
import { PointMapper } from '../gateway/telemetry/points.js';
import { telemetryRenderer } from '../gateway/telemetry/prerender.js';
import { cachedPseudonym } from '../gateway/telemetry/pseudonym.js';
import { type Influxd, startInfluxd } from '../test/integration/helpers/influxd.js';
import { machineLine, reportFigure } from './figures.js';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '40' },
    outage: { type: 'string', default: '600' },
  },
});
const ENTRIES = Number(values.entries);
const ROUNDS = Number(values.rounds);
const PEAK_RATE = Number(values.rate);
const OUTAGE_S = Number(values.outage);
const BATCH = 5000;
const LANES = ['north-ped-in', 'north-ped-out', 'north-vehicle-in', 'north-vehicle-out'];

function item(i: number, at: number): AppendItem {
  const laneId = LANES[i % LANES.length] as string;
  if (i % 2 === 1) {
    return {
      type: 'reading',
      at,
      payload: {
        gateId: 'north',
        laneId,
        reading: { at, celsius: 36 + (i % 15) / 10, mask: true },
        source: 'cam-1',
      },
    };
  }
  const allow = i % 10 !== 0;
  const decision: Decision = {
    allow,
    reasons: allow
      ? [{ effect: 'grant', code: 'RESIDENT' }]
      : [{ effect: 'deny', code: 'UNKNOWN_CREDENTIAL' }],
    subject: { kind: 'person', id: `p-${i % 20000}`, personKind: 'resident', householdId: `h-${i % 7000}` },
    direction: i % 4 < 2 ? 'in' : 'out',
    actions: [{ type: 'unlock', durationMs: 5000 }],
  };
  return {
    type: 'decision',
    at,
    payload: {
      gateId: 'north',
      request: { at, laneId, shift: 'day', credential: { kind: 'card', value: `C${i}` } },
      decision,
      latencyUs: 6.5,
    },
  };
}

const PSEUDONYM_KEY = randomBytes(32);
const SITE = { siteId: 'bench', feverThresholdC: 37.3 };
const mapper = () => new PointMapper({ ...SITE, pseudonym: cachedPseudonym(PSEUDONYM_KEY) });

/** The journal as the gateway has it: with the sink's renderer installed (telemetry.ts), or without. */
function openJournal(path: string, prerender: boolean) {
  const db = openDatabase(path);
  const journal = Journal.open(db);
  if (prerender) journal.setTelemetryRenderer(telemetryRenderer(mapper()));
  return { db, journal };
}

function fillJournal(journal: Journal, n: number, at: (i: number) => number): void {
  for (let from = 0; from < n; from += 10_000) {
    const items: AppendItem[] = [];
    for (let i = from; i < Math.min(n, from + 10_000); i++) items.push(item(i, at(i)));
    journal.appendMany(items);
  }
}

function writerFor(url: string, database: string): InfluxWriter {
  return new InfluxWriter({
    url,
    database,
    createDatabase: true,
    batchSize: BATCH,
    flushSeconds: 1,
    timeoutSeconds: 60,
    retry: { initialSeconds: 0.5, maxSeconds: 5 },
    replayPointsPerSecond: 20_000,
  });
}

/** Records, for points of entries past `afterSeq`, how old their event was when InfluxDB acknowledged them. */
class AgeRecorder implements PointWriter {
  readonly agesMs: number[] = [];
  private readonly seen = new Set<number>();
  constructor(
    private readonly inner: PointWriter,
    private readonly afterSeq: number,
  ) {}
  async write(lines: readonly string[]): Promise<void> {
    await this.inner.write(lines);
    const now = Date.now();
    for (const line of lines) {
      const seq = Number(/[ ,]seq=(\d+)i/.exec(line)?.[1] ?? 0);
      const ns = line.slice(line.lastIndexOf(' ') + 1);
      // The first acknowledgement only: a live entry is sent again when the cursor reaches it.
      if (seq > this.afterSeq && !this.seen.has(seq)) {
        this.seen.add(seq);
        this.agesMs.push(now - Number(ns.slice(0, -6)));
      }
    }
  }

  createDatabase(): Promise<void> {
    return this.inner.createDatabase();
  }
}

/** As the gateway builds it (telemetry.ts): batches read and rendered in the worker thread. */
function sinkFor(
  journal: Journal,
  db: ReturnType<typeof openDatabase>,
  writer: PointWriter,
  rate: number,
  inWorker = true,
) {
  return new InfluxSink({
    journal,
    db,
    writer,
    mapper: mapper(),
    ...(inWorker
      ? { source: new WorkerBatchSource({ databasePath: db.name, ...SITE, pseudonymKey: PSEUDONYM_KEY }) }
      : {}),
    batchSize: BATCH,
    flushMs: 1000,
    retry: { initialMs: 500, maxMs: 5000 },
    replayPointsPerSecond: rate,
    createDatabase: true,
    log: pino({ level: 'silent' }),
    alarm: () => undefined,
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 2));
}

/** The same points as the sink sends, as plain IPoints for the package's own writePoints. */
function barePoints(n: number, t0: number): IPoint[] {
  const points: IPoint[] = [];
  for (let i = 0; i < n; i++) {
    const at = t0 + i;
    const lane = LANES[i % LANES.length] as string;
    points.push(
      i % 2 === 1
        ? {
            measurement: 'temperature',
            tags: { fever: 'false', gate: 'north', lane, mask: 'yes', site: 'bench', source: 'cam-1' },
            fields: { celsius: 36 + (i % 15) / 10, seq: i + 1 },
            timestamp: `${at}000000`,
          }
        : {
            measurement: 'pass',
            tags: {
              credential: 'card',
              direction: 'in',
              gate: 'north',
              lane,
              outcome: 'granted',
              reason: 'RESIDENT',
              shift: 'day',
              site: 'bench',
              subject_kind: 'resident',
            },
            fields: { decide_us: 6.5, reasons: 'RESIDENT', seq: i + 1, subject: 'x7', replayed: true },
            timestamp: `${at}000000`,
          },
    );
  }
  return points;
}

async function drain(influxd: Influxd, dir: string, mode: 'worker' | 'inline') {
  const { db, journal } = openJournal(join(dir, `outage-${mode}.db`), true);
  const now = Date.now();
  const backlog = Math.round(OUTAGE_S * PEAK_RATE);
  fillJournal(journal, backlog, (i) => now - OUTAGE_S * 1000 + Math.floor((i * 1000) / PEAK_RATE));
  const recorder = new AgeRecorder(writerFor(influxd.url, `outage-${mode}`), backlog);
  const sink = sinkFor(journal, db, recorder, 20_000, mode === 'worker');
  // How long a card read would have waited for the event loop while the backlog drained.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const started = performance.now();
  sink.start();
  // Live load from the moment the sink runs (what was journaled before is the backlog).
  let liveIndex = backlog;
  const live = setInterval(() => {
    journal.appendMany([item(liveIndex++, Date.now())]);
  }, 1000 / PEAK_RATE);
  // Drained: both cursors past the backlog (decisions are the even items, readings the odd).
  await until(() => sink.priority.position >= backlog - 1 && sink.bulk.position >= backlog - 1);
  const drainS = (performance.now() - started) / 1000;
  loopDelay.disable();
  clearInterval(live);
  await until(() => sink.priority.lag() === 0 && sink.bulk.lag() === 0);
  await sink.stop();
  const replayed = await influxd.series(
    'SELECT count("seq") FROM "pass" WHERE "replayed" = true',
    `outage-${mode}`,
  );
  db.close();
  const ages = [...recorder.agesMs].sort((a, b) => a - b);
  const pct = (q: number) => ages[Math.min(ages.length - 1, Math.floor(q * ages.length))] ?? 0;
  const ms = (ns: number) => Number((ns / 1e6).toFixed(1));
  return {
    batches: mode,
    outageSeconds: OUTAGE_S,
    peakEntriesPerSecond: PEAK_RATE,
    backlogEntries: backlog,
    replayRateLimitPointsPerSecond: 20_000,
    drainSeconds: Number(drainS.toFixed(2)),
    timesRealTime: Math.round(OUTAGE_S / drainS),
    replayedPassesMarked: Number(replayed[0]?.count ?? 0),
    liveEntriesDuringDrain: liveIndex - backlog,
    liveAgeAtAckMs: { p50: pct(0.5), p99: pct(0.99), max: ages.at(-1) ?? 0 },
    eventLoopDelayMs: {
      p50: ms(loopDelay.percentile(50)),
      p99: ms(loopDelay.percentile(99)),
      max: ms(loopDelay.max),
    },
  };
}

/** Entries/s of one sink run over a journal of ENTRIES entries (filled before the clock starts). */
async function sinkRound(influxd: Influxd, path: string, database: string, t0: number, prerender: boolean) {
  const { db, journal } = openJournal(path, prerender);
  fillJournal(journal, ENTRIES, (i) => t0 + i);
  const sink = sinkFor(journal, db, writerFor(influxd.url, database), 10_000_000);
  const started = performance.now();
  sink.start();
  await until(() => sink.priority.lag() === 0 && sink.bulk.lag() === 0);
  const rate = ENTRIES / ((performance.now() - started) / 1000);
  await sink.stop();
  const bytes =
    (db.pragma('page_count', { simple: true }) as number) *
    (db.pragma('page_size', { simple: true }) as number);
  db.close();
  return { rate, bytesPerEntry: bytes / ENTRIES };
}

/**
 * What the renderer adds to a decision's append: the renderer alone, µs per decision entry; and
 * durable appends (one transaction and fsync each, as at a gate) with and without it, in
 * alternating blocks so that the disk's and the machine's mood falls on both alike.
 */
function appendCost(dir: string) {
  const render = telemetryRenderer(mapper());
  const entries: AnyJournalEntry[] = [];
  for (let i = 0; i < 20_000; i += 2) {
    const { type, at, payload } = item(i, Date.UTC(2026, 0, 1) + i);
    entries.push({ seq: i + 1, at, type, payload, hash: '', prevHash: '' } as AnyJournalEntry);
  }
  for (const e of entries.slice(0, 2000)) render(e); // warm up
  // CPU time of this thread rather than wall time: less at the mercy of other processes' load.
  const cpu = process.cpuUsage();
  for (const e of entries) render(e);
  const spent = process.cpuUsage(cpu);
  const renderUs = (spent.user + spent.system) / entries.length;

  const { db, journal } = openJournal(join(dir, 'append.db'), false);
  const withRenderer = telemetryRenderer(mapper());
  const ms = { with: [] as number[], without: [] as number[] };
  const BLOCK = 250;
  let i = 0;
  for (let block = 0; block < 16; block++) {
    const on = block % 2 === 0;
    journal.setTelemetryRenderer(on ? withRenderer : undefined);
    const started = performance.now();
    for (let n = 0; n < BLOCK; n++, i += 2) {
      const { type, at, payload } = item(i, Date.now());
      journal.append(type, at, payload as never);
    }
    (on ? ms.with : ms.without).push((performance.now() - started) / BLOCK);
  }
  db.close();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    rendererUsPerDecision: Number(renderUs.toFixed(2)),
    durableAppendMs: {
      withRenderer: Number(mean(ms.with).toFixed(3)),
      without: Number(mean(ms.without).toFixed(3)),
    },
    appendsEach: ms.with.length * BLOCK,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-telemetry-'));
  const machine = machineLine();
  const loadAtStart = loadavg()[0] ?? 0;
  const influxd = await startInfluxd();
  const results: Record<string, unknown> = {};
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const bare: number[] = [];
  const ours: number[] = [];
  const plain: number[] = [];
  try {
    // 1. Throughput, alternating: bare, the sink as the gateway runs it, the sink without the column.
    const bytes = { prerendered: 0, plain: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = Date.UTC(2026, 0, 1) + round * 86_400_000;
      const client = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: `bare${round}` });
      await client.createDatabase(`bare${round}`);
      const points = barePoints(ENTRIES, t0);
      const started = performance.now();
      for (let i = 0; i < points.length; i += BATCH)
        await client.writePoints(points.slice(i, i + BATCH), { precision: 'n' });
      bare.push(ENTRIES / ((performance.now() - started) / 1000));

      const a = await sinkRound(influxd, join(dir, `sink${round}.db`), `sink${round}`, t0, true);
      ours.push(a.rate);
      bytes.prerendered = a.bytesPerEntry;
      const b = await sinkRound(influxd, join(dir, `plain${round}.db`), `plain${round}`, t0, false);
      plain.push(b.rate);
      bytes.plain = b.bytesPerEntry;
      console.error(
        `round ${round + 1}: bare ${Math.round(bare[round] ?? 0)} points/s, sink ${Math.round(a.rate)} points/s, sink without the column ${Math.round(b.rate)} points/s (load ${loadavg()[0]?.toFixed(1)})`,
      );
    }
    results.throughput = {
      entries: ENTRIES,
      batch: BATCH,
      barePointsPerSecond: bare.map(Math.round),
      sinkPointsPerSecond: ours.map(Math.round),
      sinkWithoutColumnPointsPerSecond: plain.map(Math.round),
      medianRatio: Number((median(ours) / median(bare)).toFixed(3)),
      medianRatioWithoutColumn: Number((median(plain) / median(bare)).toFixed(3)),
      journalBytesPerEntry: { prerendered: Math.round(bytes.prerendered), without: Math.round(bytes.plain) },
    };

    // 2. What the renderer costs a decision's append.
    results.append = appendCost(dir);

    // 3. Backlog of an outage at peak load, drained at the default replay rate with live load on:
    //    as the gateway runs it (worker thread), and inline on the event loop for comparison.
    results.drain = await drain(influxd, dir, 'worker');
    results.drainInline = await drain(influxd, dir, 'inline');
  } finally {
    await influxd.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  const loadAtEnd = loadavg()[0] ?? 0;
  console.log(
    JSON.stringify({ machine, loadAverage1m: { start: loadAtStart, end: loadAtEnd }, ...results }, null, 2),
  );

  const bench = 'telemetry';
  const load = `load average ${loadAtStart.toFixed(1)} at the start, ${loadAtEnd.toFixed(1)} at the end`;
  const ratio = median(ours) / median(bare);
  reportFigure({
    bench,
    figure: 'sink ÷ bare influx writePoints (median of rounds, alternating in one run)',
    value: Number(ratio.toFixed(2)),
    unit: '×',
    target: '≥ 0.9× bare',
    met: ratio >= 0.9,
    note: `${ENTRIES.toLocaleString('en-US')} points, batches of ${BATCH}, ${ROUNDS} rounds; without the prerendered column ${(median(plain) / median(bare)).toFixed(2)}×; ${load}`,
  });
  reportFigure({
    bench,
    figure: 'sink throughput, points/s (median)',
    value: Math.round(median(ours)),
    target: '≥ 50,000',
    met: median(ours) >= 50_000,
    note: `bare client ${Math.round(median(bare))} points/s in the same run; ${load}`,
  });
  const drained = results.drain as { timesRealTime: number; drainSeconds: number };
  reportFigure({
    bench,
    figure: 'backlog drain of a 10-minute outage, × real time',
    value: drained.timesRealTime,
    unit: '×',
    target: '≥ 20×',
    met: drained.timesRealTime >= 20,
    note: `${Math.round(OUTAGE_S * PEAK_RATE)} entries at ${PEAK_RATE}/s, replay ceiling 20,000 points/s; ${load}`,
  });
  const append = results.append as ReturnType<typeof appendCost>;
  reportFigure({
    bench,
    figure: 'telemetry renderer per decision append, CPU',
    value: append.rendererUsPerDecision,
    unit: 'µs',
    note: `durable append ${append.durableAppendMs.withRenderer} ms with it, ${append.durableAppendMs.without} ms without (${append.appendsEach} each, alternating)`,
  });
  console.log(machine);
}

await main();
