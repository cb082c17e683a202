/**
 * Patrol rounds end to end through real readers: three simulated OSDP readers (the OSDP PD
 * simulator) on an in-memory RS-485 line driven by the gateway's DeviceHost, placed at the patrol
 * points garden and garage and at the guardhouse (a duty station). The site, the journal and the
 * patrol watch run on a hand-moved clock, so round ends are exact; the OSDP link keeps real time.
 * Route `loop` (test/helpers/patrol-site.ts): every hour of the day shift, garden at minute 10,
 * garage at 30, five minutes either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LED_COLOR } from '../../drivers/osdp/messages/codes.js';
import { MemoryBus as Rs485Line } from '../../drivers/transport/memory-bus.js';
import { buildApiServer } from '../../gateway/api/server.js';
import { ApiUserStore } from '../../gateway/api/users.js';
import { DeviceHost } from '../../gateway/devices/device-host.js';
import type { JournalEntry, JournalEventType } from '../../gateway/journal/events.js';
import { createLogger } from '../../gateway/logging.js';
import { PatrolWatch } from '../../gateway/patrol/patrol-watch.js';
import { renderText } from '../../gateway/reports/render.js';
import { shiftReport } from '../../gateway/reports/shift-report.js';
import { siteShiftReport } from '../../gateway/reports/site-shift-report.js';
import type { Site } from '../../gateway/site.js';
import { hashPassword } from '../../gateway/util/password.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../../simulators/osdp/pd-responder.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { at, CARDS, DATE, type PatrolSite, patrolSite, TZ } from '../helpers/patrol-site.js';
import { waitFor } from '../helpers/wait-for.js';

const READERS_YAML = `
lines: [{ id: bus, path: memory, baud: 9600 }]
osdp:
  devices:
    # The garden reader also drives a gate's strike: a patrol tap must not release it.
    - { id: garden-reader, line: bus, address: 1, lane: garden, reader: 0, secure: off, door: {} }
    - { id: garage-reader, line: bus, address: 2, lane: garage, reader: 0, secure: off }
    - { id: guardhouse-reader, line: bus, address: 3, lane: guardhouse, reader: 0, secure: off }
`;
const STATIONS = ['garden', 'garage', 'guardhouse'] as const;
type Station = (typeof STATIONS)[number];
type Card = (typeof CARDS)[keyof typeof CARDS];

const log = createLogger({ level: 'silent' });
const API_CONFIG = {
  host: '127.0.0.1',
  port: 0,
  sessionIdleMinutes: 60,
  sessionHours: 12,
  login: { maxFailures: 3, windowMinutes: 15, lockMinutes: 15 },
};
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Gateway {
  site: Site;
  watch: PatrolWatch;
  stop(): Promise<void>;
}

async function startGateway(site: Site, clock: ManualClock, line: Rs485Line): Promise<Gateway> {
  const host = new DeviceHost({ site, log, transportFor: () => line.attach('gateway') });
  const watch = new PatrolWatch({ site, clock, log, taps: host.port.stations });
  watch.start();
  await host.start();
  await waitFor('every reader online', () => host.states().filter((s) => s.online).length === 3);
  const stop = async () => {
    watch.stop();
    await host.stop();
  };
  cleanups.push(stop);
  return { site, watch, stop };
}

async function setUp() {
  const clock = new ManualClock(at('08:00'));
  const rig: PatrolSite = patrolSite(clock.now, READERS_YAML);
  cleanups.push(() => rig.dispose());
  const line = new Rs485Line();
  const readers = new Map<Station, SimulatedPd>(
    STATIONS.map((station, i) => [
      station,
      new SimulatedPd({ address: i + 1, model: { door: station === 'garden' } }),
    ]),
  );
  // The gateway answers a card with LED, then buzzer, then text commands: when the buzzer command
  // arrives the LED command is applied, so its colour is the answer (the 'led' event fires on
  // changes only, and a second green in a row is none).
  const answers = new Map<Station, number[]>(STATIONS.map((s) => [s, []]));
  for (const [station, pd] of readers)
    pd.model.on('command', (c) => {
      if (c.type === 'BUZ' && !c.retry) answers.get(station)?.push(pd.model.leds()[0]?.color ?? -1);
    });
  const pdSide = new BusSimulator({ transport: line.attach('readers'), pds: [...readers.values()] });
  await pdSide.start();
  cleanups.push(() => pdSide.stop());
  const gateway = await startGateway(rig.site, clock, line);

  const entries = <T extends JournalEventType>(site: Site, type: T) =>
    [...site.journal.iterate(0, [type])] as JournalEntry<T>[];
  /** A card at a reader at `time`; resolves with the colour the reader lit up in (the gateway's answer). */
  const present = async (station: Station, card: Card, time: string) => {
    clock.time = Math.max(clock.time, at(time));
    const seen = answers.get(station)?.length ?? 0;
    readers
      .get(station)
      ?.model.presentCard({ format: 'wiegand26', facility: card.facility, card: card.card });
    await waitFor(`the ${station} reader's answer`, () => (answers.get(station)?.length ?? 0) > seen);
    return answers.get(station)?.[seen];
  };
  const alarms = (site: Site) =>
    entries(site, 'alarm')
      .filter((e) => e.payload.code.startsWith('PATROL_'))
      .map((e) => ({ at: e.at, code: e.payload.code, ...e.payload.detail }));
  const report = (site: Site, asOf: number) =>
    shiftReport(site.journal, {
      date: DATE,
      shift: 'day',
      tz: TZ,
      feverThresholdC: 37.3,
      patrolRoutes: site.config.patrol.routes,
      asOf,
    });
  const strikeReleased = () => readers.get('garden')?.model.outputs()[0] === true;
  return { clock, rig, line, gateway, present, entries, alarms, report, strikeReleased };
}

describe('patrol rounds through OSDP readers at the stations', () => {
  it('records a complete round and a duty log-in, refuses a resident’s card at a point, and opens nothing', async () => {
    const t = await setUp();
    const site = t.gateway.site;
    expect(await t.present('guardhouse', CARDS.guard, '08:02')).toBe(LED_COLOR.GREEN);
    expect(await t.present('garden', CARDS.resident, '08:05')).toBe(LED_COLOR.RED);
    expect(await t.present('garden', CARDS.guard, '08:11')).toBe(LED_COLOR.GREEN);
    expect(await t.present('garage', CARDS.guard, '08:29')).toBe(LED_COLOR.GREEN);
    expect(await t.present('guardhouse', CARDS.resident, '08:40')).toBe(LED_COLOR.RED);

    expect(t.entries(site, 'duty').map((e) => e.payload)).toEqual([
      { action: 'login', guard: 'g-1', via: 'card', shift: 'day', date: DATE },
    ]);
    expect(t.entries(site, 'patrol').map((e) => [e.at, e.payload])).toEqual([
      [at('08:05'), { stationId: 'garden', credentialKind: 'card', accepted: false }],
      [at('08:11'), { stationId: 'garden', guardId: 'g-1', credentialKind: 'card', accepted: true }],
      [at('08:29'), { stationId: 'garage', guardId: 'g-1', credentialKind: 'card', accepted: true }],
    ]);
    // No tap is a pass: nothing decided, nothing for counts, anti-passback or the live pass feed,
    // and the strike wired to the garden reader stayed shut through the guard's green.
    expect(t.entries(site, 'decision')).toEqual([]);
    expect(t.strikeReleased()).toBe(false);

    t.clock.advance(at('09:00') - t.clock.time);
    expect(t.alarms(site)).toEqual([]);
    const first = t.report(site, at('09:00')).patrol.routes[0];
    expect(first?.rounds[0]).toEqual({
      start: at('08:00'),
      end: at('09:00'),
      status: 'done',
      onTime: 2,
      late: 0,
      missed: 0,
    });
    expect(first).toMatchObject({ roundsDone: 1, pointsOnTime: 2, pointsLate: 0, pointsMissed: 0 });
  });

  it('raises PATROL_LATE at a late tap and PATROL_MISSED exactly at the round’s end; the report survives a restart', async () => {
    const t = await setUp();
    const site = t.gateway.site;
    await t.present('garden', CARDS.guard, '08:10');
    await t.present('garage', CARDS.guard2, '08:30');
    t.clock.advance(at('09:00') - t.clock.time);
    expect(await t.present('garden', CARDS.guard, '09:17')).toBe(LED_COLOR.GREEN);
    const late = {
      at: at('09:17'),
      code: 'PATROL_LATE',
      route: 'loop',
      station: 'garden',
      roundStart: at('09:00'),
      expected: at('09:10'),
    };
    expect(t.alarms(site)).toEqual([late]);

    // Nobody at the garage: nothing until the round's last millisecond has passed.
    t.clock.advance(at('10:00') - 1 - t.clock.time);
    expect(t.alarms(site)).toEqual([late]);
    t.clock.advance(1);
    const missed = {
      at: at('10:00'),
      code: 'PATROL_MISSED',
      route: 'loop',
      station: 'garage',
      roundStart: at('09:00'),
      expected: at('09:30'),
    };
    expect(t.alarms(site)).toEqual([late, missed]);
    const before = t.report(site, at('10:20'));
    expect(before.patrol.routes[0]).toMatchObject({ roundsDone: 1, pointsLate: 1, pointsMissed: 1 });
    expect(before.counts.alarms.byCode).toEqual({ PATROL_LATE: 1, PATROL_MISSED: 1 });

    // The gateway goes down at 10:20 and comes back at 11:05 over the same database.
    t.clock.advance(at('10:20') - t.clock.time);
    await t.gateway.stop();
    t.clock.time = at('11:05');
    const restarted = await startGateway(t.rig.reopen(), t.clock, t.line);
    expect(t.report(restarted.site, at('10:20')).patrol).toEqual(before.patrol);
    expect(t.alarms(restarted.site).slice(2)).toEqual([
      { ...missed, at: at('11:00'), station: 'garden', roundStart: at('10:00'), expected: at('10:10') },
      { ...missed, at: at('11:00'), station: 'garage', roundStart: at('10:00'), expected: at('10:30') },
    ]);
    // The readers work through the restarted gateway, and the rounds go on.
    expect(await t.present('garden', CARDS.guard, '11:10')).toBe(LED_COLOR.GREEN);
    const after = t.report(restarted.site, at('11:12')).patrol.routes[0];
    expect(after?.rounds.slice(0, 4).map((r) => r.status)).toEqual([
      'done',
      'incomplete',
      'incomplete',
      'pending',
    ]);
    expect(after?.rounds[3]).toMatchObject({ onTime: 1 });
  });
  it('gives the handover report, after a restart, the rounds, a breach, its acknowledgement at the handover, and who was on duty', async () => {
    const t = await setUp();
    const site = t.gateway.site;
    expect(await t.present('guardhouse', CARDS.guard, '08:02')).toBe(LED_COLOR.GREEN);
    expect(await t.present('garden', CARDS.guard, '08:10')).toBe(LED_COLOR.GREEN);
    expect(await t.present('garage', CARDS.guard, '08:31')).toBe(LED_COLOR.GREEN);
    // A quarantined household's door left open, as the door watch journals it
    // (test/integration/mqtt-household-doors.test.ts raises it through a real Zigbee sensor).
    const breach = site.journal.append('alarm', at('08:40'), {
      code: 'QUARANTINE_BREACH',
      severity: 'critical',
      detail: { household: 'h-1', order: 'q-1', openMs: 75_000, device: 'door-h-1' },
    });
    site.checkpoint.catchUp();
    // The incoming guard takes over on the dashboard: refused until the breach is acknowledged.
    t.clock.time = at('09:05');
    const users = new ApiUserStore(site.db);
    users.add(
      'li',
      'operator',
      await hashPassword('correct horse battery', { N: 2 ** 10, r: 8, p: 1 }),
      t.clock.time,
    );
    const api = await buildApiServer({ site, config: API_CONFIG, users, log });
    cleanups.push(() => api.close());
    const login = await api.inject({
      method: 'POST',
      url: '/api/session',
      payload: { user: 'li', password: 'correct horse battery' },
    });
    const headers = { authorization: `Bearer ${login.json().token}` };
    const handover = (acknowledge: number[]) =>
      api.inject({ method: 'POST', url: '/api/duty/handover', headers, payload: { acknowledge } });
    expect((await handover([])).statusCode).toBe(409);
    expect((await handover([breach.seq])).statusCode).toBe(200);

    await t.gateway.stop();
    const restarted = t.rig.reopen();
    const report = siteShiftReport(restarted, { date: DATE, shift: 'day' });
    expect(report.patrol.routes[0]?.rounds[0]).toMatchObject({
      start: at('08:00'),
      status: 'done',
      onTime: 2,
    });
    expect(report.counts.alarms.byCode).toMatchObject({ QUARANTINE_BREACH: 1 });
    expect(report.counts.alarms.acknowledged).toBe(1);
    expect(report.duty).toEqual({
      spells: [
        { guard: 'g-1', via: 'card', from: at('08:02'), until: null },
        { guard: 'li', via: 'dashboard', from: at('09:05'), until: null },
      ],
      handovers: [{ guard: 'li', at: at('09:05'), acknowledged: [breach.seq] }],
      unattendedAlarms: 0,
    });
    const text = renderText(report);
    expect(text).toContain('隔离户开门 Quarantine breach (QUARANTINE_BREACH): 1');
    expect(text).toContain(`接班 handover 09:05 li: 确认报警 acknowledged 1 (#${breach.seq})`);
  });
});
