import { afterEach, describe, expect, it } from 'vitest';
import type { LaneActuator } from '../../drivers/shared/lane-port.js';
import { SiteLanePort } from '../../gateway/devices/site-lane-port.js';
import type { AnyJournalEntry } from '../../gateway/journal/journal.js';
import { createLogger } from '../../gateway/logging.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { at, CARDS, type PatrolSite, patrolSite } from '../helpers/patrol-site.js';

let rig: PatrolSite | undefined;
afterEach(() => {
  rig?.dispose();
  rig = undefined;
});

function setUp(time = at('08:10')) {
  const clock = new ManualClock(time);
  rig = patrolSite(clock.now);
  const logs: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (line: string) => logs.push(line) } });
  const port = new SiteLanePort(rig.site, log);
  const actuated: string[] = [];
  const actuator = (deviceId: string): LaneActuator => ({
    deviceId,
    actuate: (d) => actuated.push(`${deviceId}:${d.allow}`),
  });
  port.addActuator('garden', actuator('garden-door'));
  port.addActuator('guardhouse', actuator('guardhouse-door'));
  const dispatched: string[] = [];
  port.onDispatch((laneId) => dispatched.push(laneId));
  const heard: number[] = [];
  port.stations.onPatrol((entry) => heard.push(entry.seq));
  const site = rig.site;
  const entries = () => [...site.journal.iterate(0)].filter((e) => e.type !== 'operator');
  const card = (value: string) => ({ kind: 'card' as const, value });
  return { clock, site, port, logs, actuated, dispatched, heard, entries, card };
}

const payloads = (entries: AnyJournalEntry[]) => entries.map((e) => [e.type, e.payload]);

describe('a reader at a station', () => {
  it('records a guard’s card at a patrol point, lights green, and opens nothing', () => {
    const t = setUp();
    const decision = t.port.present('garden', t.card(CARDS.guard.value), 'garden-reader');
    expect(decision).toEqual({
      allow: true,
      reasons: [{ effect: 'grant', code: 'STAFF' }],
      subject: { kind: 'person', id: 'g-1', personKind: 'staff' },
      direction: 'in',
      actions: [
        { type: 'indicate', led: 'green', buzzer: 'short', text: { zh: '巡更打卡', en: 'Patrol recorded' } },
      ],
    });
    const journal = t.entries();
    expect(payloads(journal)).toEqual([
      ['patrol', { stationId: 'garden', guardId: 'g-1', credentialKind: 'card', accepted: true }],
    ]);
    expect(journal[0]?.at).toBe(at('08:10'));
    expect(t.heard).toEqual([journal[0]?.seq]);
    expect(t.actuated).toEqual([]);
    expect(t.dispatched).toEqual([]);
  });

  it('records a resident’s, a revoked and an unknown card as refused, red, without the holder', () => {
    const t = setUp();
    for (const value of [CARDS.resident.value, CARDS.revokedGuard.value, CARDS.unknown.value]) {
      const decision = t.port.present('garden', t.card(value), 'garden-reader');
      expect(decision.allow).toBe(false);
      expect(decision.reasons).toEqual([
        { effect: 'deny', code: 'UNKNOWN_CREDENTIAL', detail: { kind: 'card' } },
      ]);
      expect(decision.actions).toEqual([
        {
          type: 'indicate',
          led: 'red',
          buzzer: 'long',
          text: { zh: '非值班人员卡', en: 'Not a guard’s card' },
        },
      ]);
    }
    const refused = { stationId: 'garden', credentialKind: 'card', accepted: false };
    expect(payloads(t.entries())).toEqual([
      ['patrol', refused],
      ['patrol', refused],
      ['patrol', refused],
    ]);
    const warnings = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warnings.map((w) => w.reason)).toEqual(['not_staff', 'revoked', 'unknown']);
    for (const line of t.logs) {
      expect(line).not.toMatch(/r-1|g-2|300001|200003|990009/);
      expect(JSON.parse(line)).toMatchObject({ level: 40, station: 'garden', device: 'garden-reader' });
    }
    expect(t.actuated).toEqual([]);
  });

  it('logs a guard in to the shift on at the duty station, under the date the night shift started', () => {
    const t = setUp(at('02:00', '2024-05-02'));
    const decision = t.port.present('guardhouse', t.card(CARDS.guard2.value), 'guardhouse-reader');
    expect(decision.allow).toBe(true);
    expect(decision.actions).toEqual([
      { type: 'indicate', led: 'green', buzzer: 'short', text: { zh: '已上岗', en: 'On duty' } },
    ]);
    expect(payloads(t.entries())).toEqual([
      ['duty', { action: 'login', guard: 'g-2', via: 'card', shift: 'night', date: '2024-05-01' }],
    ]);
    expect(t.heard).toEqual([]);
    expect(t.actuated).toEqual([]);
  });

  it('journals nothing for a card that is no guard’s at the duty station, and warns without the holder', () => {
    const t = setUp();
    const decision = t.port.present('guardhouse', t.card(CARDS.resident.value), 'guardhouse-reader');
    expect(decision.allow).toBe(false);
    expect(t.entries()).toEqual([]);
    expect(t.logs).toHaveLength(1);
    expect(JSON.parse(t.logs[0] ?? '{}')).toMatchObject({
      level: 40,
      station: 'guardhouse',
      reason: 'not_staff',
    });
    expect(t.logs[0]).not.toMatch(/r-1|300001/);
  });

  it('holds taps and a duty log-in while the journal cannot take appends (a real SQLITE_FULL), and lands them once', () => {
    const t = setUp();
    const { db, checkpoint } = t.site;
    // The database may not grow past its size now: SQLite's own "database or disk is full".
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    let taps = 0;
    while (checkpoint.journalStatus().held === 0 && taps < 500) {
      expect(t.port.present('garden', t.card(CARDS.guard.value), 'garden-reader').allow).toBe(true);
      taps++;
    }
    expect(checkpoint.journalStatus()).toMatchObject({ held: 2, cause: 'SQLITE_FULL' }); // the outage alarm, the tap
    t.clock.advance(1000);
    expect(t.port.present('guardhouse', t.card(CARDS.guard2.value), 'guardhouse-reader').allow).toBe(true);
    // Held, and taken in at once: the guard is on duty before the entry lands.
    expect(checkpoint.journalStatus().held).toBe(3);
    expect(t.site.duty.guards()).toEqual(['g-2']);

    db.pragma('max_page_count = 1073741823');
    t.clock.advance(5000);
    checkpoint.catchUp();
    expect(checkpoint.journalStatus().held).toBe(0);
    const kinds = t.entries().map((e) => (e.type === 'alarm' ? e.payload.code : e.type));
    expect(kinds).toEqual([...Array(taps - 1).fill('patrol'), 'JOURNAL_UNAVAILABLE', 'patrol', 'duty']);
    expect(t.site.duty.guards()).toEqual(['g-2']);
  });

  it('still hands a card at a lane to the checkpoint', () => {
    const t = setUp();
    t.port.present('north-ped-in', t.card(CARDS.resident.value), 'north-reader');
    expect(t.entries().map((e) => e.type)).toEqual(['decision']);
    expect(t.dispatched).toEqual(['north-ped-in']);
  });
});
