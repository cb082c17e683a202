/**
 * The duty shift through the admin API (fastify inject) on a scratch site with a fake clock:
 * log-in and log-out, the handover that needs the incoming guard to acknowledge every open
 * alarm, the shift rollover, a card log-in from a duty station, and CHECKPOINT_UNATTENDED
 * raised once per empty period, also across a restart; on a full disk a held log-in, then 503.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../gateway/api/server.js';
import { ApiUserStore } from '../../gateway/api/users.js';
import { DutyWatch } from '../../gateway/duty/duty-watch.js';
import type { JournalEntry } from '../../gateway/journal/events.js';
import { siteShiftReport } from '../../gateway/reports/site-shift-report.js';
import { Site } from '../../gateway/site.js';
import { hashPassword } from '../../gateway/util/password.js';
import { pass, type ScratchGateway, scratchGateway, silentLog, T0 } from './helpers/mqtt-requests-site.js';

const TEST_COST = { N: 2 ** 10, r: 8, p: 1 };
const PASSWORD = 'correct horse battery';
const MINUTE = 60_000;
/** T0 is 10:00 site time (day shift, 08:00–17:00). */
const DAY_START = T0 - 2 * 60 * MINUTE;

let gw: ScratchGateway;
let app: FastifyInstance;
const tokens = new Map<string, string>();

async function as(user: string, method: 'GET' | 'POST', url: string, payload?: object) {
  return app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tokens.get(user)}` },
    ...(payload === undefined ? {} : { payload }),
  });
}

function watch(site: Site) {
  return new DutyWatch({
    journal: site.journal,
    board: site.duty,
    config: site.config.duty,
    timezone: site.config.site.timezone,
    now: site.now,
    record: (type, at, payload) => site.record(type, at, payload),
  });
}

function unattendedAlarms(site: Site) {
  return site.journal
    .readRange({ fromAt: 0, toAt: Number.MAX_SAFE_INTEGER, types: ['alarm'] })
    .filter((e) => (e as JournalEntry<'alarm'>).payload.code === 'CHECKPOINT_UNATTENDED');
}

beforeEach(async () => {
  gw = scratchGateway();
  const users = new ApiUserStore(gw.site.db);
  for (const name of ['wang', 'li'])
    users.add(name, 'operator', await hashPassword(PASSWORD, TEST_COST), gw.site.now());
  users.add('tech', 'technician', await hashPassword(PASSWORD, TEST_COST), gw.site.now());
  app = await buildApiServer({
    site: gw.site,
    config: {
      host: '127.0.0.1',
      port: 0,
      sessionIdleMinutes: 60 * 24,
      sessionHours: 24,
      login: { maxFailures: 3, windowMinutes: 15, lockMinutes: 15 },
    },
    users,
    log: silentLog,
  });
  for (const name of ['wang', 'li', 'tech']) {
    const r = await app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { user: name, password: PASSWORD },
    });
    tokens.set(name, r.json().token);
  }
});

afterEach(async () => {
  await app?.close();
  gw?.dispose();
});

describe('duty shift API', () => {
  it('logs a guard in and out of the current shift, journaled with the shift and its date', async () => {
    expect((await as('wang', 'GET', '/api/duty')).json()).toMatchObject({
      date: '2022-04-10',
      shift: 'day',
      guards: [],
      emptySince: DAY_START,
    });
    const login = await as('wang', 'POST', '/api/duty/login', {});
    expect(login.statusCode).toBe(200);
    expect(gw.site.journal.get(login.json().seq)?.payload).toEqual({
      action: 'login',
      guard: 'wang',
      via: 'dashboard',
      shift: 'day',
      date: '2022-04-10',
    });
    // A second log-in changes nothing and journals nothing.
    expect((await as('wang', 'POST', '/api/duty/login', {})).json().seq).toBeNull();
    const view = (await as('tech', 'GET', '/api/duty')).json();
    expect(view.guards).toEqual([{ guard: 'wang', via: 'dashboard', since: T0 }]);
    expect(view.emptySince).toBeNull();

    gw.clock.now = T0 + 30 * MINUTE;
    expect((await as('li', 'POST', '/api/duty/logout', {})).statusCode).toBe(400);
    const logout = await as('wang', 'POST', '/api/duty/logout', { note: '交班 end' });
    expect(logout.statusCode).toBe(200);
    expect((await as('wang', 'GET', '/api/duty')).json()).toMatchObject({
      guards: [],
      emptySince: T0 + 30 * MINUTE,
    });
  });

  it('starts every shift empty: the day guard is not on duty in the evening shift', async () => {
    await as('wang', 'POST', '/api/duty/login', {});
    gw.clock.now = T0 + 7 * 60 * MINUTE; // 17:00
    const evening = (await as('wang', 'GET', '/api/duty')).json();
    expect(evening).toMatchObject({ shift: 'evening', guards: [], emptySince: T0 + 7 * 60 * MINUTE });
  });

  it('refuses a handover until the incoming guard acknowledged every open alarm, then journals the acks', async () => {
    await as('wang', 'POST', '/api/duty/login', {});
    const a1 = gw.site.journal.append('alarm', T0, { code: 'DOOR_FORCED_OPEN', severity: 'critical' });
    const a2 = gw.site.journal.append('alarm', T0, { code: 'DEVICE_OFFLINE', severity: 'warning' });
    const old = gw.site.journal.append('alarm', T0 - 25 * 60 * MINUTE, {
      code: 'DEVICE_OFFLINE',
      severity: 'warning',
    });
    gw.site.checkpoint.catchUp();
    expect((await as('wang', 'GET', '/api/duty')).json().openAlarms).toBe(2);

    const refused = await as('li', 'POST', '/api/duty/handover', { acknowledge: [a1.seq] });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: 'HANDOVER_OPEN_ALARMS' });
    expect(refused.json().problems).toEqual([
      { field: 'body.acknowledge', message: `alarm ${a2.seq} (DEVICE_OFFLINE 设备离线) is open` },
    ]);
    expect(gw.site.journal.tail(1)[0]?.seq).toBe(old.seq); // nothing journaled

    const notAlarm = await as('li', 'POST', '/api/duty/handover', { acknowledge: [a1.seq, a2.seq, 1] });
    expect(notAlarm.statusCode).toBe(400);
    expect(notAlarm.json().problems[0].field).toBe('body.acknowledge');

    gw.clock.now = T0 + 5 * MINUTE;
    const taken = await as('li', 'POST', '/api/duty/handover', {
      acknowledge: [a1.seq, a2.seq],
      note: '已交接',
    });
    expect(taken.statusCode).toBe(200);
    expect(taken.json().acknowledged).toEqual([a1.seq, a2.seq]);
    const acks = gw.site.journal
      .readRange({ fromAt: T0 + 5 * MINUTE, toAt: T0 + 6 * MINUTE, types: ['alarm_ack'] })
      .map((e) => e.payload);
    expect(acks).toEqual([
      { alarmSeq: a1.seq, operator: 'li', shift: 'day', note: 'handover' },
      { alarmSeq: a2.seq, operator: 'li', shift: 'day', note: 'handover' },
    ]);
    expect(gw.site.journal.get(taken.json().seq)?.payload).toMatchObject({
      action: 'handover',
      guard: 'li',
      acknowledged: [a1.seq, a2.seq],
      note: '已交接',
    });
    const view = (await as('li', 'GET', '/api/duty')).json();
    expect(view.guards.map((g: { guard: string }) => g.guard)).toEqual(['wang', 'li']);
    expect(view.handovers).toEqual([{ guard: 'li', at: T0 + 5 * MINUTE, acknowledged: 2 }]);
    expect(view.openAlarms).toBe(0);
    // With nothing open, a handover needs no list.
    expect((await as('wang', 'POST', '/api/duty/handover', {})).statusCode).toBe(200);
  });

  it('journals with every decision the guards on duty when it was made', async () => {
    expect(pass(gw.site, 'north-ped-in', 'A0000001').entry.payload.guards).toEqual([]);
    await as('wang', 'POST', '/api/duty/login', {});
    await as('li', 'POST', '/api/duty/login', {});
    expect(pass(gw.site, 'north-ped-out', 'A0000002').entry.payload.guards).toEqual(['wang', 'li']);
    await as('wang', 'POST', '/api/duty/logout', {});
    expect(pass(gw.site, 'north-ped-out', 'A0000003').entry.payload.guards).toEqual(['li']);
  });

  it('lists the shift’s guards, handovers and unattended alarms in the handover report, also after a restart', async () => {
    gw.clock.now = DAY_START + 20 * MINUTE;
    const unattended = watch(gw.site).check()?.seq ?? 0;
    await as('wang', 'POST', '/api/duty/login', {});
    const alarm = gw.site.journal.append('alarm', gw.clock.now, {
      code: 'DOOR_HELD_OPEN',
      severity: 'warning',
    });
    gw.clock.now += 30 * MINUTE;
    const taken = await as('li', 'POST', '/api/duty/handover', { acknowledge: [unattended, alarm.seq] });
    expect(taken.statusCode).toBe(200);
    await as('wang', 'POST', '/api/duty/logout', {});
    const expected = {
      spells: [
        { guard: 'wang', via: 'dashboard', from: DAY_START + 20 * MINUTE, until: DAY_START + 50 * MINUTE },
        { guard: 'li', via: 'dashboard', from: DAY_START + 50 * MINUTE, until: null },
      ],
      handovers: [{ guard: 'li', at: DAY_START + 50 * MINUTE, acknowledged: [unattended, alarm.seq] }],
      unattendedAlarms: 1,
    };
    const report = await as('wang', 'GET', '/api/reports/shift');
    expect(report.json().duty).toEqual(expected);
    const text = await as('wang', 'GET', '/api/reports/shift?format=text');
    expect(text.body).toContain('接班 handover 08:50 li: 确认报警 acknowledged 2');
    const restarted = new Site({ configPath: `${gw.dir}/gatewarden.yaml`, now: () => gw.clock.now });
    try {
      restarted.checkpoint.start();
      expect(siteShiftReport(restarted).duty).toEqual(expected);
    } finally {
      restarted.close();
    }
  });

  it('counts a card log-in at a duty station like a dashboard one', async () => {
    gw.site.journal.append('duty', T0, {
      action: 'login',
      guard: 's-1',
      via: 'card',
      shift: 'day',
      date: '2022-04-10',
    });
    gw.site.checkpoint.catchUp();
    expect(gw.site.duty.guards()).toEqual(['s-1']);
    expect(watch(gw.site).check()).toBeUndefined();
  });
});

describe('unattended checkpoint', () => {
  it('raises CHECKPOINT_UNATTENDED once the grace after the shift start passed with nobody on duty, once', () => {
    gw.clock.now = DAY_START + 14 * MINUTE;
    const w = watch(gw.site);
    expect(w.check()).toBeUndefined();
    gw.clock.now = DAY_START + 15 * MINUTE;
    const alarm = w.check();
    expect(alarm?.payload).toEqual({
      code: 'CHECKPOINT_UNATTENDED',
      severity: 'critical',
      detail: { date: '2022-04-10', shift: 'day', emptySince: DAY_START },
    });
    gw.clock.now = DAY_START + 40 * MINUTE;
    expect(w.check()).toBeUndefined();
    expect(unattendedAlarms(gw.site)).toHaveLength(1);
  });

  it('on a full disk holds CHECKPOINT_UNATTENDED once, however often it checks, when it reads held entries too', () => {
    const { db, checkpoint } = gw.site;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    try {
      for (let i = 0; checkpoint.journalStatus().held === 0 && i < 500; i++)
        gw.site.record('device', gw.site.now(), { deviceId: `filler-${i}`, state: 'online' });
      gw.clock.now = DAY_START + 15 * MINUTE;
      const w = new DutyWatch({
        journal: { iterateRange: (range) => gw.site.entriesIn(range) },
        board: gw.site.duty,
        config: gw.site.config.duty,
        timezone: gw.site.config.site.timezone,
        now: gw.site.now,
        record: (type, at, payload) => gw.site.record(type, at, payload),
      });
      expect(w.check()?.seq).toBe(0); // held
      gw.clock.now += MINUTE;
      expect(w.check()).toBeUndefined();
      const held = checkpoint.heldEntries().filter((e) => e.type === 'alarm');
      expect(held.map((e) => (e as JournalEntry<'alarm'>).payload.code)).toEqual([
        'JOURNAL_UNAVAILABLE',
        'CHECKPOINT_UNATTENDED',
      ]);
    } finally {
      db.pragma('max_page_count = 1073741823');
    }
  });

  it('does not raise it while a guard is on duty, and raises it again for a new empty period', async () => {
    gw.clock.now = DAY_START + 5 * MINUTE;
    await as('wang', 'POST', '/api/duty/login', {});
    gw.clock.now = DAY_START + 60 * MINUTE;
    expect(watch(gw.site).check()).toBeUndefined();
    await as('wang', 'POST', '/api/duty/logout', {});
    gw.clock.now = DAY_START + 74 * MINUTE;
    expect(watch(gw.site).check()).toBeUndefined();
    gw.clock.now = DAY_START + 75 * MINUTE;
    expect(watch(gw.site).check()?.payload.detail).toMatchObject({ emptySince: DAY_START + 60 * MINUTE });
  });

  it('does not raise it twice for the same period after a restart', () => {
    gw.clock.now = DAY_START + 20 * MINUTE;
    expect(watch(gw.site).check()).toBeDefined();
    const restarted = new Site({
      configPath: `${gw.dir}/gatewarden.yaml`,
      now: () => DAY_START + 50 * MINUTE,
    });
    try {
      restarted.checkpoint.start();
      expect(watch(restarted).check()).toBeUndefined();
      expect(unattendedAlarms(restarted)).toHaveLength(1);
    } finally {
      restarted.close();
    }
  });

  it('on a full disk takes a held acknowledgement at once: the alarm leaves the open list, a second ack is refused', async () => {
    gw.clock.now = DAY_START + 20 * MINUTE;
    const alarm = watch(gw.site).check();
    expect(alarm?.seq).toBeGreaterThan(0);
    const { db, checkpoint } = gw.site;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    try {
      for (let i = 0; checkpoint.journalStatus().held === 0 && i < 500; i++)
        pass(gw.site, 'north-ped-in', 'A0000001');
      const ack = await as('wang', 'POST', `/api/alarms/${alarm?.seq}/ack`, {});
      expect([ack.statusCode, ack.json().seq]).toEqual([200, 0]); // held
      const open = (await as('li', 'GET', '/api/alarms?open=true')).json().alarms as { seq: number }[];
      expect(open.map((a) => a.seq)).not.toContain(alarm?.seq);
      // The JOURNAL_UNAVAILABLE alarm is held too: listed once it is journaled (it has no seq yet).
      expect(open.map((a) => a.seq)).not.toContain(0);
      const again = await as('li', 'POST', `/api/alarms/${alarm?.seq}/ack`, {});
      expect([again.statusCode, again.json().error]).toEqual([400, 'REQUEST_INVALID']);
    } finally {
      db.pragma('max_page_count = 1073741823');
    }
  });

  it('on a full disk holds a log-in, and past the bound answers 503 JOURNAL_UNAVAILABLE', async () => {
    const { db, checkpoint } = gw.site;
    // The database may not grow past its size now: SQLite's own "database or disk is full".
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    try {
      for (let i = 0; checkpoint.journalStatus().held === 0 && i < 500; i++)
        pass(gw.site, 'north-ped-in', 'A0000001');
      const login = await as('wang', 'POST', '/api/duty/login', {});
      expect(login.statusCode).toBe(200);
      expect(checkpoint.journalStatus().held).toBeGreaterThanOrEqual(3); // the alarm, a pass, the log-in
      // The held log-in counts at once: wang is on duty.
      expect((await as('wang', 'GET', '/api/duty')).json().guards).toMatchObject([{ guard: 'wang' }]);
      for (let i = 0; !checkpoint.journalStatus().refusing && i < 1000; i++)
        pass(gw.site, 'north-ped-in', 'A0000001');
      const refused = await as('wang', 'POST', '/api/duty/logout', {});
      expect([refused.statusCode, refused.json().error]).toEqual([503, 'JOURNAL_UNAVAILABLE']);
    } finally {
      db.pragma('max_page_count = 1073741823');
    }
  });
});
