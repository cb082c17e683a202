import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import { Journal } from '../../gateway/journal/journal.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import { DailyReports } from '../../gateway/mqtt/upstream/daily-reports.js';
import { zonedToEpoch } from '../../gateway/util/site-time.js';

const TZ = 'Asia/Shanghai';
const BASE = { prefix: 'gatewarden', siteId: 'demo', gatewayId: 'north' };
const TOPIC = 'gatewarden/demo/north/report/daily';
const at = (date: string, time: string) => zonedToEpoch(date, time, TZ);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A journal on a temporary database, a memory bus and a clock the test sets. */
function rig(start: number) {
  const dir = mkdtempSync(join(tmpdir(), 'gw-daily-'));
  dirs.push(dir);
  const path = join(dir, 'gatewarden.db');
  const time = { now: start };
  const bus = new MemoryBus();
  const link = { connected: true };
  const make = (db: Db) =>
    new DailyReports({
      db,
      journal: Journal.open(db),
      bus,
      link,
      base: BASE,
      tz: TZ,
      feverThresholdC: 37.3,
      sendAt: '00:05',
      backfillDays: 7,
      clock: { now: () => time.now, setTimeout: () => undefined, clearTimeout: () => undefined },
      log: pino({ level: 'silent' }),
    });
  const db = openDatabase(path);
  const reports = () =>
    bus.published.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(m.payload.toString()));
  return { time, bus, link, db, path, make, reports, journal: Journal.open(db) };
}

describe('daily reports upstream', () => {
  it('sends the previous day after the set time, as a zero report when nothing happened, once', async () => {
    const r = rig(at('2026-03-02', '00:04'));
    const daily = r.make(r.db);
    await daily.check();
    // Before 00:05 the newest report due is the day before yesterday's.
    expect(r.reports().map((x) => x.date)).toEqual(['2026-02-28']);
    r.time.now = at('2026-03-02', '00:06');
    await daily.check();
    await daily.check();
    expect(r.reports().map((x) => x.date)).toEqual(['2026-02-28', '2026-03-01']);
    expect(r.reports()[1]).toMatchObject({
      report: 'daily',
      siteId: 'demo',
      date: '2026-03-01',
      zeroReport: true,
    });
    expect(r.bus.published[0]).toMatchObject({ qos: 1, retain: true });
  });

  it('counts the day it reports, and sends nothing again after a restart', async () => {
    const r = rig(at('2026-03-01', '09:00'));
    r.journal.append('mode', at('2026-03-01', '09:00'), {
      from: 'closed',
      to: 'lockdown',
      operator: 'op',
      reason: 'test',
    });
    r.time.now = at('2026-03-02', '08:00');
    await r.make(r.db).check();
    expect(r.reports().map((x) => [x.date, x.zeroReport])).toEqual([['2026-03-01', false]]);
    r.db.close();
    const again = openDatabase(r.path);
    await r.make(again).check();
    expect(r.reports()).toHaveLength(1);
    again.close();
  });

  it('catches up the days missed while the link was down, oldest first, within the backfill window', async () => {
    const r = rig(at('2026-03-02', '01:00'));
    const daily = r.make(r.db);
    await daily.check();
    r.link.connected = false;
    r.time.now = at('2026-03-05', '12:00');
    await daily.check();
    expect(r.reports().map((x) => x.date)).toEqual(['2026-03-01']);
    r.link.connected = true;
    await daily.check();
    expect(r.reports().map((x) => x.date)).toEqual(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04']);
    r.time.now = at('2026-03-20', '12:00');
    expect(daily.due()[0]).toBe('2026-03-13'); // seven days back, the older ones given up
  });

  it('records a day only once the publish was acknowledged', async () => {
    const r = rig(at('2026-03-02', '01:00'));
    const daily = r.make(r.db);
    const publish = r.bus.publish.bind(r.bus);
    r.bus.publish = async () => {
      throw new Error('connection closed');
    };
    await daily.check();
    expect(daily.due()).toEqual(['2026-03-01']);
    r.bus.publish = publish;
    await daily.check();
    expect(daily.due()).toEqual([]);
    expect(r.reports().map((x) => x.date)).toEqual(['2026-03-01']);
  });
});
