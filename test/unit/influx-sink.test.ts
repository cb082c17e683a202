/**
 * The InfluxDB sink (gateway/telemetry/influx-sink.ts) over a real journal in memory and a
 * fake PointWriter: catch-up and cursors, priority before bulk, `replayed`, retries and their
 * backoff, refusals (dead letters, alarms once per episode), a missing database, entries that
 * cannot be mapped, stop() during a backoff, live entries during a paced replay, and the
 * samples of the outbox. The same sink against a real influxd: test/integration/telemetry-*.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../drivers/shared/clock.js';
import { type Db, openDatabase } from '../../gateway/db.js';
import type { AlarmCode, JournalEventMap } from '../../gateway/journal/events.js';
import { Journal } from '../../gateway/journal/journal.js';
import { InfluxSink, type InfluxSinkOptions } from '../../gateway/telemetry/influx-sink.js';
import { type PointWriter, WriteFailure } from '../../gateway/telemetry/influx-writer.js';
import { type FieldValue, type TelemetryPoint, toLine } from '../../gateway/telemetry/line-protocol.js';
import { PointMapper } from '../../gateway/telemetry/points.js';
import { SampleOutbox } from '../../gateway/telemetry/sample-outbox.js';
import { parseLine } from '../helpers/line-protocol-parser.js';
import { waitFor } from '../helpers/wait-for.js';

const AT = Date.UTC(2026, 10, 28, 1, 0, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A point's entry seq (the `seq` field); 0 for a sample, which has none. */
const seqOf = (p: TelemetryPoint): number => Number(p.fields.seq ?? 0n);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const ascending = (a: number, b: number) => a - b;

/** A sent line as a point again (through the reference parser, so every line must parse). */
function pointOf(line: string): TelemetryPoint {
  const parsed = parseLine(line);
  const fields: Record<string, FieldValue> = {};
  for (const [key, field] of Object.entries(parsed.fields)) fields[key] = field.value;
  return { measurement: parsed.measurement, tags: parsed.tags, fields, timestampNs: parsed.timestamp ?? '' };
}

/** Records every write (as points parsed back from the lines sent) and answers as told. */
class FakeWriter implements PointWriter {
  /** Every call, in order, with the clock's time. */
  readonly attempts: { points: TelemetryPoint[]; at: number }[] = [];
  /** The points of every write that succeeded, in order. */
  readonly written: TelemetryPoint[][] = [];
  /** Return a failure to make this write fail. */
  failWith: ((points: readonly TelemetryPoint[], attempt: number) => WriteFailure | undefined) | undefined;
  /** Called at each write, before it answers. */
  onWrite: ((points: readonly TelemetryPoint[]) => void) | undefined;
  onCreate: (() => void) | undefined;
  /** When set, a write answers only once this settles (a write in flight). */
  hold: Promise<void> | undefined;
  creates = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async write(lines: readonly string[]): Promise<void> {
    const copy = lines.map(pointOf);
    this.attempts.push({ points: copy, at: this.now() });
    this.onWrite?.(copy);
    await this.hold;
    const failure = this.failWith?.(copy, this.attempts.length);
    if (failure !== undefined) throw failure;
    this.written.push(copy);
  }

  async createDatabase(): Promise<void> {
    this.creates++;
    this.onCreate?.();
  }

  /** Seqs of the points written successfully, in the order written. */
  writtenSeqs(): number[] {
    return this.written.flat().map(seqOf);
  }
}

/** Virtual time: a timer fires after 1 real ms and moves the clock by its whole delay. */
class VirtualClock implements Clock {
  t = AT;
  now(): number {
    return this.t;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    return setTimeout(() => {
      this.t += ms;
      callback();
    }, 1);
  }
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as NodeJS.Timeout);
  }
}

interface Rig {
  db: Db;
  journal: Journal;
  writer: FakeWriter;
  sink: InfluxSink;
  mapper: PointMapper;
  alarms: { code: AlarmCode; severity: string; detail: Record<string, string | number> }[];
}

const rigs: Rig[] = [];

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.sink.stop();
    r.db.close();
  }
});

function rig(options: Partial<InfluxSinkOptions> & { writer?: FakeWriter; db?: Db } = {}): Rig {
  const db = options.db ?? openDatabase(':memory:');
  const journal = options.journal ?? Journal.open(db);
  const writer = options.writer ?? new FakeWriter();
  const mapper = new PointMapper({ siteId: 'demo', feverThresholdC: 37.3, pseudonym: (id) => `p-${id}` });
  const alarms: Rig['alarms'] = [];
  const sink = new InfluxSink({
    journal,
    db,
    mapper,
    batchSize: 50,
    flushMs: 10,
    retry: { initialMs: 5, maxMs: 20 },
    replayPointsPerSecond: 1_000_000,
    createDatabase: false,
    log: pino({ level: 'silent' }),
    alarm: (code, severity, detail) => {
      alarms.push({ code, severity, detail });
      journal.append('alarm', AT, { code, severity, detail });
    },
    ...options,
    writer,
  });
  const r = { db, journal, writer, sink, mapper, alarms };
  rigs.push(r);
  return r;
}

function decision(i: number): JournalEventMap['decision'] {
  return {
    gateId: 'north',
    request: {
      at: AT + i,
      laneId: 'north-ped-in',
      shift: 'day',
      credential: { kind: 'card', value: `C${i}` },
    },
    decision: {
      allow: i % 3 !== 0,
      reasons:
        i % 3 !== 0
          ? [{ effect: 'grant', code: 'RESIDENT' }]
          : [{ effect: 'deny', code: 'UNKNOWN_CREDENTIAL' }],
      subject: i % 3 !== 0 ? { kind: 'person', id: `P${i}`, personKind: 'resident' } : { kind: 'unknown' },
      direction: 'in',
      actions: [],
    },
    latencyUs: 10 + i,
  };
}

function reading(i: number): JournalEventMap['reading'] {
  return {
    gateId: 'north',
    laneId: 'north-ped-in',
    reading: { at: AT + i, celsius: 36 + (i % 20) / 10, mask: true },
    source: 'cam-1',
  };
}

function appendDecisions(journal: Journal, n: number, from = 0): void {
  for (let i = from; i < from + n; i++) journal.append('decision', AT + i, decision(i));
}

function countBySeq(seqs: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const seq of seqs) counts.set(seq, (counts.get(seq) ?? 0) + 1);
  return counts;
}

/** Both cursors at the journal's last seq. */
function caughtUp(r: Rig): boolean {
  const last = r.journal.lastSeq();
  return r.sink.priority.position === last && r.sink.bulk.position === last;
}

function refusedAlarms(journal: Journal): JournalEventMap['alarm'][] {
  return [...journal.iterate(0, ['alarm'])]
    .map((e) => e.payload as JournalEventMap['alarm'])
    .filter((a) => a.code === 'TELEMETRY_REFUSED');
}

describe('InfluxSink', () => {
  it('catches up a backlog once per entry, priority types before any reading, and commits both cursors', async () => {
    const r = rig({ batchSize: 7 });
    const { journal } = r;
    for (let i = 0; i < 10; i++) journal.append('reading', AT + i, reading(i));
    appendDecisions(journal, 20);
    journal.append('alarm', AT, { code: 'DOOR_HELD_OPEN', severity: 'warning', laneId: 'north-ped-in' });
    for (let i = 10; i < 15; i++) journal.append('reading', AT + i, reading(i));
    journal.append('mode', AT, { from: 'open', to: 'closed', operator: 'guard-1', reason: 'order' });
    journal.append('device', AT, { deviceId: 'cam-1', state: 'offline' });
    journal.append('operator', AT, { action: 'import', operator: 'guard-1', shift: 'day', detail: {} });
    journal.append('passage', AT, { subjectId: 'P1', direction: 'out', laneId: 'north-ped-out' });
    journal.append('fire', AT, { active: false, source: 'panel' });
    journal.append('alarm_ack', AT, { alarmSeq: 31, operator: 'guard-1' });
    const last = journal.lastSeq();
    expect(last).toBe(42);

    r.sink.start();
    await waitFor('the backlog to drain', () => caughtUp(r), 10_000);

    expect([...r.writer.writtenSeqs()].sort(ascending)).toEqual(range(1, last));
    expect(r.writer.attempts).toHaveLength(r.writer.written.length);
    expect(Math.max(...r.writer.written.map((w) => w.length))).toBeLessThanOrEqual(7);
    const flat = r.writer.written.flat();
    const firstReading = flat.findIndex((p) => p.measurement === 'temperature');
    const lastPriority = flat.findLastIndex((p) => p.measurement !== 'temperature');
    expect(flat.filter((p) => p.measurement === 'temperature')).toHaveLength(15);
    expect(lastPriority).toBeLessThan(firstReading);
    expect(journal.cursors()).toEqual([
      expect.objectContaining({ name: 'influx', position: last, lag: 0 }),
      expect.objectContaining({ name: 'influx.bulk', position: last, lag: 0 }),
    ]);
    expect(r.sink.status()).toMatchObject({
      connected: true,
      replaying: false,
      pointsSent: last,
      writeFailures: 0,
      deadLetters: 0,
      cursors: [
        { name: 'influx', position: last, lag: 0, lagSeconds: 0 },
        { name: 'influx.bulk', position: last, lag: 0, lagSeconds: 0 },
      ],
    });
  });

  it('marks the entries present at start as replayed, and not those appended once caught up', async () => {
    const r = rig();
    appendDecisions(r.journal, 5);
    r.journal.append('reading', AT, reading(0));
    r.sink.start();
    await waitFor('the backlog', () => caughtUp(r), 10_000);
    appendDecisions(r.journal, 3, 10);
    r.journal.append('reading', AT + 10, reading(10));
    await waitFor('the new entries', () => caughtUp(r), 10_000);

    const bySeq = new Map(r.writer.written.flat().map((p) => [seqOf(p), p]));
    expect([...bySeq.keys()].sort(ascending)).toEqual(range(1, 10));
    for (const seq of range(1, 6)) expect(bySeq.get(seq)?.fields.replayed, `seq ${seq}`).toBe(true);
    for (const seq of range(7, 10)) expect(bySeq.get(seq)?.fields.replayed, `seq ${seq}`).toBeUndefined();
    expect(r.writer.writtenSeqs()).toHaveLength(10);
  });

  it('marks what was journaled before and during an outage as replayed once the server is back', async () => {
    const r = rig();
    r.sink.start();
    let down = true;
    r.writer.failWith = () => (down ? new WriteFailure('unavailable', 'connect ECONNREFUSED') : undefined);
    appendDecisions(r.journal, 2);
    await waitFor('the first failures', () => r.sink.status().writeFailures >= 2, 10_000);
    appendDecisions(r.journal, 2, 10);
    await waitFor('more failures', () => r.sink.status().writeFailures >= 4, 10_000);
    expect(r.sink.status()).toMatchObject({
      connected: false,
      replaying: true,
      lastError: 'connect ECONNREFUSED',
    });
    down = false;
    await waitFor('the backlog', () => caughtUp(r), 10_000);
    appendDecisions(r.journal, 1, 20);
    await waitFor('the new entry', () => caughtUp(r), 10_000);

    const flags = new Map<number, Set<unknown>>();
    for (const p of r.writer.written.flat())
      flags.set(seqOf(p), new Set([...(flags.get(seqOf(p)) ?? []), p.fields.replayed]));
    expect([...flags.keys()].sort(ascending)).toEqual(range(1, 5));
    for (const seq of range(1, 4)) expect([...(flags.get(seq) ?? [])], `seq ${seq}`).toEqual([true]);
    expect([...(flags.get(5) ?? [])]).toEqual([undefined]);
    expect(r.sink.status()).toMatchObject({ connected: true, replaying: false });
  });

  it('retries the same points after unavailable failures and commits only after the write succeeded', async () => {
    const r = rig();
    appendDecisions(r.journal, 10);
    const positions: number[] = [];
    r.writer.onWrite = () => positions.push(r.sink.priority.position);
    r.writer.failWith = (_points, attempt) =>
      attempt <= 3 ? new WriteFailure('unavailable', 'connect ECONNREFUSED 127.0.0.1:8086') : undefined;
    r.sink.start();
    await waitFor('the write to succeed', () => caughtUp(r), 10_000);

    expect(r.writer.attempts.map((a) => a.points.map(seqOf))).toEqual([1, 2, 3, 4].map(() => range(1, 10)));
    expect(positions).toEqual([0, 0, 0, 0]);
    expect(r.writer.written).toHaveLength(1);
    expect(r.sink.status()).toMatchObject({ connected: true, writeFailures: 3 });
    expect(r.alarms).toEqual([]);
  });

  it.each([
    { random: 1, gaps: [100, 200, 400, 800, 1000, 1000, 1000], after: [100, 200] },
    { random: 0, gaps: [50, 100, 200, 400, 500, 500, 500], after: [50, 100] },
  ])(
    'backs off exponentially to the maximum, with jitter of at most half (random $random), and starts over after a success',
    async ({ random, gaps, after }) => {
      const clock = new VirtualClock();
      const writer = new FakeWriter(() => clock.now());
      const r = rig({ clock, random: () => random, writer, retry: { initialMs: 100, maxMs: 1000 } });
      appendDecisions(r.journal, 3);
      let failing = true;
      r.writer.failWith = (_p, attempt) =>
        failing && attempt !== 8
          ? new WriteFailure('unavailable', '503 Service Unavailable', 503)
          : undefined;
      r.sink.start();
      await waitFor('8 attempts', () => r.writer.attempts.length >= 8 && caughtUp(r), 10_000);
      const at = r.writer.attempts.map((a) => a.at);
      expect(at.slice(1, 8).map((t, i) => Math.round(t - (at[i] as number)))).toEqual(gaps);

      appendDecisions(r.journal, 1, 100);
      await waitFor('3 more attempts', () => r.writer.attempts.length >= 11, 10_000);
      failing = false;
      await waitFor('the retry to succeed', () => caughtUp(r), 10_000);
      const later = r.writer.attempts.slice(8, 11).map((a) => a.at);
      expect(later.slice(1).map((t, i) => Math.round(t - (later[i] as number)))).toEqual(after);
    },
  );

  it('dead-letters the one point the server refuses (400) and writes every other point once', async () => {
    const r = rig({ batchSize: 64 });
    appendDecisions(r.journal, 20);
    for (let i = 0; i < 5; i++) r.journal.append('reading', AT + i, reading(i));
    const message =
      'partial write: field type conflict: input field "decide_us" on measurement "pass" is type string';
    r.writer.failWith = (points) =>
      points.some((p) => seqOf(p) === 7) ? new WriteFailure('refused', message, 400) : undefined;
    r.sink.start();
    await waitFor(
      'the journal and the dead-letter alarm to drain',
      () => r.journal.lastSeq() === 26 && caughtUp(r),
      10_000,
    );

    const refused = r.journal.get(7);
    if (refused === undefined) throw new Error('no seq 7');
    expect(r.sink.deadLetters.list()).toEqual([
      {
        id: expect.any(Number),
        sink: 'influx',
        seq: 7,
        measurement: 'pass',
        line: toLine(r.mapper.points(refused, true)[0] as TelemetryPoint),
        error: message,
        at: expect.any(Number),
      },
    ]);
    // Every entry point once, but the refused one; the alarm (journaled during the replay) may
    // also have gone out live before its cursor reached it.
    const counts = countBySeq(r.writer.writtenSeqs());
    for (const seq of range(1, 25)) expect(counts.get(seq), `seq ${seq}`).toBe(seq === 7 ? undefined : 1);
    expect(counts.get(26)).toBeGreaterThanOrEqual(1);
    expect(r.alarms).toEqual([
      {
        code: 'TELEMETRY_DEAD_LETTER',
        severity: 'warning',
        detail: { sink: 'influx', seq: 7, measurement: 'pass' },
      },
    ]);
    expect(r.journal.get(26)).toMatchObject({ type: 'alarm', payload: { code: 'TELEMETRY_DEAD_LETTER' } });
    expect(r.sink.status().deadLetters).toBe(1);
  });

  it('dead-letters a refused point once, even when its batch is retried after another part failed', async () => {
    const r = rig({ batchSize: 10 });
    appendDecisions(r.journal, 4);
    let blips = 0;
    r.writer.failWith = (points) => {
      const seqs = points.map(seqOf);
      if (seqs.includes(2)) return new WriteFailure('refused', 'unable to parse', 400);
      // The other half of the split meets a network error once: the batch is sent again.
      if (seqs.includes(4) && blips++ === 0) return new WriteFailure('unavailable', 'socket hang up');
      return undefined;
    };
    r.sink.start();
    await waitFor('the batch and the alarms', () => blips > 1 && caughtUp(r), 10_000);
    expect(r.sink.deadLetters.list().map((d) => d.seq)).toEqual([2]);
    expect(r.alarms.map((a) => [a.code, a.detail.seq])).toEqual([['TELEMETRY_DEAD_LETTER', 2]]);
  });

  it('splits a batch the server finds too large (413) until it passes', async () => {
    const r = rig({ batchSize: 10 });
    appendDecisions(r.journal, 10);
    r.writer.failWith = (points) =>
      points.length > 3 ? new WriteFailure('too_large', 'Request Entity Too Large', 413) : undefined;
    r.sink.start();
    await waitFor('the batch', () => caughtUp(r), 10_000);
    expect([...r.writer.writtenSeqs()].sort(ascending)).toEqual(range(1, 10));
    expect(Math.max(...r.writer.written.map((w) => w.length))).toBeLessThanOrEqual(3);
    expect(r.sink.deadLetters.list()).toEqual([]);
  });

  it('raises TELEMETRY_REFUSED once per episode of 401/403, not once per retry', async () => {
    const r = rig();
    appendDecisions(r.journal, 3);
    let status: 401 | 403 | undefined = 401;
    r.writer.failWith = () =>
      status === undefined
        ? undefined
        : new WriteFailure('unauthorised', `${status} authorization failed`, status);
    r.sink.start();
    await waitFor('5 refused attempts', () => r.writer.attempts.length >= 5, 10_000);
    expect(refusedAlarms(r.journal)).toHaveLength(1);
    expect(r.sink.priority.position).toBe(0);

    status = undefined;
    await waitFor('the backlog', () => caughtUp(r), 10_000);
    expect(refusedAlarms(r.journal)).toHaveLength(1);

    status = 403;
    const before = r.writer.attempts.length;
    appendDecisions(r.journal, 1, 50);
    await waitFor('5 more refused attempts', () => r.writer.attempts.length >= before + 5, 10_000);
    expect(refusedAlarms(r.journal)).toEqual([
      {
        code: 'TELEMETRY_REFUSED',
        severity: 'critical',
        detail: { sink: 'influx', status: 401, error: '401 authorization failed' },
      },
      {
        code: 'TELEMETRY_REFUSED',
        severity: 'critical',
        detail: { sink: 'influx', status: 403, error: '403 authorization failed' },
      },
    ]);
    expect(r.alarms.map((a) => a.code)).toEqual(['TELEMETRY_REFUSED', 'TELEMETRY_REFUSED']);
  });

  it('makes the missing database (404) when createDatabase is set, and writes the batch again', async () => {
    const r = rig({ createDatabase: true });
    appendDecisions(r.journal, 4);
    let exists = false;
    r.writer.onCreate = () => {
      exists = true;
    };
    r.writer.failWith = () =>
      exists ? undefined : new WriteFailure('not_found', 'database not found: "gw"', 404);
    r.sink.start();
    await waitFor('the batch', () => caughtUp(r), 10_000);
    expect(r.writer.creates).toBe(1);
    expect(r.writer.attempts.map((a) => a.points.map(seqOf))).toEqual([range(1, 4), range(1, 4)]);
    expect([...r.writer.writtenSeqs()]).toEqual(range(1, 4));
    expect(r.alarms).toEqual([]);
    expect(r.sink.status().writeFailures).toBe(0);
  });

  it('without createDatabase, a 404 raises TELEMETRY_REFUSED once and is retried until the database exists', async () => {
    const r = rig({ createDatabase: false });
    appendDecisions(r.journal, 4);
    let exists = false;
    r.writer.failWith = () =>
      exists ? undefined : new WriteFailure('not_found', 'database not found: "gw"', 404);
    r.sink.start();
    await waitFor('4 attempts', () => r.writer.attempts.length >= 4, 10_000);
    expect(r.sink.priority.position).toBe(0);
    exists = true;
    await waitFor('the batch', () => caughtUp(r), 10_000);
    expect(r.writer.creates).toBe(0);
    expect(r.alarms).toEqual([
      {
        code: 'TELEMETRY_REFUSED',
        severity: 'critical',
        detail: { sink: 'influx', status: 404, error: 'database not found: "gw"' },
      },
    ]);
    // The alarm (seq 5) went out with the entries.
    expect([...new Set(r.writer.writtenSeqs())].sort(ascending)).toEqual(range(1, 5));
  });

  it('dead-letters an entry the mapper cannot map and delivers the rest', async () => {
    const r = rig();
    appendDecisions(r.journal, 3);
    // A payload that breaks the journal's types (the journal stores any JSON).
    const broken = r.journal.append('decision', AT, {
      gateId: 'north',
    } as unknown as JournalEventMap['decision']);
    appendDecisions(r.journal, 3, 10);
    r.sink.start();
    await waitFor('the journal and the alarm', () => r.journal.lastSeq() === 8 && caughtUp(r), 10_000);

    const letters = r.sink.deadLetters.list();
    expect(letters).toEqual([
      {
        id: expect.any(Number),
        sink: 'influx',
        seq: broken.seq,
        measurement: 'decision',
        line: '',
        error: expect.any(String),
        at: expect.any(Number),
      },
    ]);
    expect(letters[0]?.error.length).toBeGreaterThan(0);
    const counts = countBySeq(r.writer.writtenSeqs());
    expect([...counts.keys()].sort(ascending)).toEqual([1, 2, 3, 5, 6, 7, 8]);
    for (const seq of [1, 2, 3, 5, 6, 7]) expect(counts.get(seq), `seq ${seq}`).toBe(1);
    expect(r.alarms).toEqual([
      {
        code: 'TELEMETRY_DEAD_LETTER',
        severity: 'warning',
        detail: { sink: 'influx', seq: 4, measurement: 'decision' },
      },
    ]);
  });

  it('stop() during a backoff returns at once and commits nothing of the failed batch', async () => {
    const r = rig({ retry: { initialMs: 60_000, maxMs: 60_000 } });
    appendDecisions(r.journal, 2);
    r.writer.failWith = () => new WriteFailure('unavailable', 'socket hang up');
    r.sink.start();
    await waitFor('the first failure', () => r.sink.status().writeFailures === 1, 10_000);
    await sleep(20);
    const started = performance.now();
    await r.sink.stop();
    expect(performance.now() - started).toBeLessThan(500);
    expect(r.writer.attempts).toHaveLength(1);
    expect(r.writer.written).toEqual([]);
    expect(r.sink.priority.position).toBe(0);
    expect(r.sink.bulk.position).toBe(0);
  });

  it('stop() during a write that then fails waits for the write, but not for a backoff', async () => {
    const r = rig({ retry: { initialMs: 60_000, maxMs: 60_000 } });
    appendDecisions(r.journal, 2);
    let release = () => {};
    r.writer.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    r.writer.failWith = () => new WriteFailure('unavailable', 'ETIMEDOUT');
    r.sink.start();
    await waitFor('the write', () => r.writer.attempts.length === 1, 10_000);
    let stopped = false;
    const stopping = r.sink.stop().then(() => {
      stopped = true;
    });
    await sleep(20);
    expect(stopped).toBe(false);
    const started = performance.now();
    release();
    await stopping;
    expect(performance.now() - started).toBeLessThan(500);
    expect(r.writer.attempts).toHaveLength(1);
    expect(r.sink.priority.position).toBe(0);
  });

  it('writes entries appended during a paced replay before the backlog is through, without replayed', async () => {
    const r = rig({ batchSize: 10, replayPointsPerSecond: 200 });
    appendDecisions(r.journal, 200);
    r.sink.start();
    await waitFor('the replay to begin', () => r.writer.written.length >= 2, 10_000);
    appendDecisions(r.journal, 3, 1000);
    await waitFor(
      'the live entries',
      () => [201, 202, 203].every((s) => r.writer.writtenSeqs().includes(s)),
      10_000,
    );
    expect(r.writer.writtenSeqs()).not.toContain(200);
    await waitFor('the backlog', () => caughtUp(r), 10_000);

    const sends = new Map<number, string[]>();
    for (const p of r.writer.written.flat()) sends.set(seqOf(p), [...(sends.get(seqOf(p)) ?? []), toLine(p)]);
    expect([...sends.keys()].sort(ascending)).toEqual(range(1, 203));
    for (const seq of range(1, 200)) {
      expect(sends.get(seq), `seq ${seq}`).toHaveLength(1);
      expect(sends.get(seq)?.[0]).toContain('replayed=true');
    }
    // A live entry may go out again when the cursor reaches it: the same line, so it overwrites itself.
    for (const seq of [201, 202, 203]) {
      const lines = sends.get(seq) ?? [];
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(new Set(lines).size).toBe(1);
      expect(lines[0]).not.toContain('replayed');
    }
  });

  it('sends the outbox samples after the journal, and removes them only once written', async () => {
    const db = openDatabase(':memory:');
    const outbox = new SampleOutbox(db, { budgetBytes: 1_000_000, onThinned: () => {} });
    const samples: TelemetryPoint[] = [
      {
        measurement: 'device_health',
        tags: { site: 'demo', device: 'osdp-1' },
        fields: { online: true, polls: 12n },
        timestampNs: '1700000000000000001',
      },
      {
        measurement: 'device_health',
        tags: { site: 'demo', device: 'cam-1' },
        fields: { online: false, round_trip_ms: 3.5 },
        timestampNs: '1700000000000000002',
      },
      {
        measurement: 'occupancy',
        tags: { site: 'demo' },
        fields: { out: 4n, households_out: 3n },
        timestampNs: '1700000000000000003',
      },
    ];
    outbox.add(
      samples.map((point) => ({ sampleClass: point.measurement as 'device_health' | 'occupancy', point })),
    );
    const r = rig({ db, outbox });
    appendDecisions(r.journal, 4);
    for (let i = 0; i < 2; i++) r.journal.append('reading', AT + i, reading(i));

    const isSample = (points: readonly TelemetryPoint[]) => points.some((p) => p.fields.seq === undefined);
    const waitingAtWrite: number[] = [];
    let sampleWrites = 0;
    r.writer.onWrite = (points) => {
      if (isSample(points)) waitingAtWrite.push(outbox.size().samples);
    };
    r.writer.failWith = (points) =>
      isSample(points) && ++sampleWrites === 1 ? new WriteFailure('unavailable', 'timeout') : undefined;
    r.sink.start();
    await waitFor('the samples', () => outbox.size().samples === 0, 10_000);

    expect(waitingAtWrite).toEqual([3, 3]);
    const last = r.writer.written.at(-1) ?? [];
    expect(last).toEqual(samples);
    const journalWrites = r.writer.written.slice(0, -1);
    expect(journalWrites.every((w) => !isSample(w))).toBe(true);
    expect(journalWrites.flat().map(seqOf).sort(ascending)).toEqual(range(1, 6));
  });
});
