/**
 * The InfluxDB sink against a real influxd, in-process: line-protocol escaping round-trips
 * whatever the text (property test, read back through the HTTP API), and a point the server
 * refuses (400, field type conflict) is dead-lettered alone while the points behind it land.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc } from '@fast-check/vitest';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import type { JournalEventMap } from '../../gateway/journal/events.js';
import { Journal } from '../../gateway/journal/journal.js';
import { DeadLetters } from '../../gateway/telemetry/dead-letter.js';
import { InfluxSink } from '../../gateway/telemetry/influx-sink.js';
import { InfluxWriter } from '../../gateway/telemetry/influx-writer.js';
import { storedTagValue, type TelemetryPoint, toLine } from '../../gateway/telemetry/line-protocol.js';
import { PointMapper } from '../../gateway/telemetry/points.js';
import { waitFor } from '../helpers/wait-for.js';
import { ScratchSite } from './helpers/cli.js';
import { type Influxd, startInfluxd } from './helpers/influxd.js';

const DB = 'gw';
let influxd: Influxd;
let dir: string;

beforeAll(async () => {
  influxd = await startInfluxd();
  await influxd.createDatabase(DB);
  dir = mkdtempSync(join(tmpdir(), 'gw-telemetry-'));
});

afterAll(async () => {
  await influxd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function influxConfig(url: string) {
  return {
    url,
    database: DB,
    createDatabase: true,
    batchSize: 5000,
    flushSeconds: 0.05,
    timeoutSeconds: 10,
    retry: { initialSeconds: 0.05, maxSeconds: 0.5 },
    replayPointsPerSecond: 20_000,
  };
}

function writer(): InfluxWriter {
  return new InfluxWriter(influxConfig(influxd.url));
}

/** The sink as these tests run it: fast retries, silent log, its alarms into the journal. */
function sinkFor(journal: Journal, db: Db, sinkWriter: InfluxWriter, createDatabase: boolean): InfluxSink {
  return new InfluxSink({
    journal,
    db,
    writer: sinkWriter,
    mapper: new PointMapper({ siteId: 'demo', feverThresholdC: 37.3, pseudonym: (id) => `p-${id}` }),
    batchSize: 5000,
    flushMs: 50,
    retry: { initialMs: 20, maxMs: 100 },
    replayPointsPerSecond: 20_000,
    createDatabase,
    log: pino({ level: 'silent' }),
    alarm: (code, severity, detail) => journal.append('alarm', Date.now(), { code, severity, detail }),
  });
}

/** Text with every character line protocol treats specially, Chinese, and any other code point. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\\', ',', '=', ' ', '"', "'", '\n', '\r', '\t', '张', '伟', '门', 'é', '😷'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 24,
});

describe('line protocol through a real influxd', () => {
  it('stores any tag value as storedTagValue() and any string field exactly', async () => {
    const w = writer();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        text,
        text,
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        async (tag, str, float) => {
          const ts = String(1_700_000_000_000_000_000n + BigInt(n++));
          const point: TelemetryPoint = {
            measurement: 'escaping',
            tags: { t: tag, fixed: 'x' },
            fields: { s: str, f: float, i: BigInt(n) },
            timestampNs: ts,
          };
          await w.write([toLine(point)]);
          const rows = await influxd.series(`SELECT * FROM "escaping" WHERE time = ${ts}`, DB);
          expect(rows).toHaveLength(1);
          const row = rows[0] as Record<string, unknown>;
          // An empty tag value is left out (the server refuses one): it reads back as null.
          expect(row.t ?? '').toBe(storedTagValue(tag));
          expect(row.s).toBe(str);
          // Integral floats past 2^53 come back from the harness's JSON reader as bigint: compare as numbers.
          expect(Number(row.f)).toBe(float === 0 ? 0 : float);
          expect(row.i).toBe(n);
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);
});

describe('a point the server refuses', () => {
  it('is dead-lettered alone with the server message; the points behind it land', async () => {
    const db = openDatabase(join(dir, 'dead-letter.db'));
    const journal = Journal.open(db);
    const at = Date.UTC(2026, 10, 28, 1, 0, 0);
    const decision = (i: number): JournalEventMap['decision'] => ({
      gateId: 'north',
      request: { at: at + i, laneId: 'north-ped-in', shift: 'day' },
      decision: {
        allow: false,
        reasons: [{ effect: 'deny', code: 'UNKNOWN_CREDENTIAL' }],
        subject: { kind: 'unknown' },
        direction: 'in',
        actions: [],
      },
    });
    const alarm = (value: string | number): JournalEventMap['alarm'] => ({
      code: 'DOOR_HELD_OPEN',
      severity: 'warning',
      detail: { value },
    });
    journal.append('alarm', at, alarm('text first'));
    for (let i = 0; i < 30; i++) journal.append('decision', at + i, decision(i));
    // The same detail key as a number: InfluxDB answers 400 "field type conflict".
    const refused = journal.append('alarm', at + 50, alarm(5));
    for (let i = 30; i < 60; i++) journal.append('decision', at + i, decision(i));
    journal.append('alarm', at + 100, alarm('text again'));

    const sink = sinkFor(journal, db, writer(), true);
    sink.start();
    try {
      await waitFor('the sink to drain', () => sink.priority.lag() === 0 && sink.bulk.lag() === 0, 30_000);
    } finally {
      await sink.stop();
    }

    const letters = sink.deadLetters.list();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ sink: 'influx', seq: refused.seq, measurement: 'alarm' });
    expect(letters[0]?.error).toMatch(/field type conflict/);
    expect(letters[0]?.line).toMatch(/^alarm,/);

    const passes = await influxd.series('SELECT "seq" FROM "pass"', DB);
    expect(passes).toHaveLength(60);
    const alarms = await influxd.series('SELECT "seq", "code" FROM "alarm" ORDER BY time', DB);
    const seqs = alarms.map((a) => a.seq);
    expect(seqs).not.toContain(refused.seq);
    expect(alarms.filter((a) => a.code === 'DOOR_HELD_OPEN')).toHaveLength(2);
    // The refusal itself was journaled as an alarm, and that alarm reached InfluxDB too.
    const notice = [...journal.iterate(0)].find(
      (e) => e.type === 'alarm' && e.payload.code === 'TELEMETRY_DEAD_LETTER',
    );
    expect(notice?.type === 'alarm' && notice.payload.detail?.seq).toBe(refused.seq);
    expect(alarms.some((a) => a.code === 'TELEMETRY_DEAD_LETTER')).toBe(true);
    db.close();
  }, 60_000);
});

describe('credentials the server refuses', () => {
  it('raise one TELEMETRY_REFUSED alarm while the sink retries, and delivery resumes once they are valid', async () => {
    const secured = await startInfluxd({ admin: { user: 'admin', password: 'admin-pw' } });
    const db = openDatabase(join(dir, 'refused.db'));
    try {
      await secured.createDatabase(DB);
      const passwordFile = join(dir, 'influx.password');
      // A password file others can read is refused; the owner's alone is taken.
      writeFileSync(passwordFile, 'gateway-pw\n', { mode: 0o644 });
      expect(
        () => new InfluxWriter({ ...influxConfig(secured.url), username: 'gateway', passwordFile }),
      ).toThrow(/open to other users \(mode 0644\)/);
      chmodSync(passwordFile, 0o600);
      const journal = Journal.open(db);
      const at = Date.UTC(2026, 10, 28, 3, 0, 0);
      for (let i = 0; i < 5; i++)
        journal.append('alarm', at + i, { code: 'DOOR_HELD_OPEN', severity: 'warning', detail: { n: i } });
      const sink = sinkFor(
        journal,
        db,
        new InfluxWriter({
          ...influxConfig(secured.url),
          username: 'gateway',
          passwordFile,
          createDatabase: false,
        }),
        false,
      );
      const refusals = () =>
        [...journal.iterate(0)].flatMap((e) =>
          e.type === 'alarm' && e.payload.code === 'TELEMETRY_REFUSED' ? [e.payload] : [],
        );
      sink.start();
      try {
        // The user does not exist yet: 401 on every attempt, one alarm for the episode.
        await waitFor('several refused writes', () => sink.status().writeFailures >= 4, 20_000);
        expect(refusals()).toHaveLength(1);
        expect(refusals()[0]?.detail?.status).toBe(401);
        expect(sink.priority.position).toBe(0);
        await secured.query(`CREATE USER "gateway" WITH PASSWORD 'gateway-pw'`);
        await secured.query(`GRANT WRITE ON "${DB}" TO "gateway"`);
        await waitFor('the sink to drain', () => sink.priority.lag() === 0 && sink.bulk.lag() === 0, 20_000);
      } finally {
        await sink.stop();
      }
      const alarms = await secured.series('SELECT "seq", "code" FROM "alarm"', DB);
      // The five alarms, and the refusal alarm itself (journaled, then delivered).
      expect(alarms.filter((a) => a.code === 'DOOR_HELD_OPEN')).toHaveLength(5);
      expect(alarms.filter((a) => a.code === 'TELEMETRY_REFUSED')).toHaveLength(1);
    } finally {
      db.close();
      await secured.dispose();
    }
  }, 60_000);
});

describe('gatewarden telemetry refused', () => {
  it('lists the refused points with the server message and the line', () => {
    const site = new ScratchSite();
    try {
      expect(site.run(['telemetry', 'status']).status).toBe(0);
      const db = openDatabase(join(site.dir, 'data', 'gatewarden.db'));
      new DeadLetters(db).add({
        sink: 'influx',
        seq: 42,
        measurement: 'alarm',
        line: 'alarm,code=X detail_value=5 1764290000123000042',
        error: 'partial write: field type conflict',
        at: Date.UTC(2026, 10, 28, 4),
      });
      db.close();
      const listed = site.run(['telemetry', 'refused']);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toContain('#42');
      expect(listed.stdout).toContain('field type conflict');
      expect(listed.stdout).toContain('alarm,code=X detail_value=5');
      expect(site.run(['telemetry', 'status']).stdout).toMatch(/refused points: 1/);
    } finally {
      site.dispose();
    }
  });
});
