import { afterEach, describe, expect, it } from 'vitest';
import { SiteLanePort } from '../../gateway/devices/site-lane-port.js';
import type { JournalEntry } from '../../gateway/journal/events.js';
import { createLogger } from '../../gateway/logging.js';
import { PatrolWatch } from '../../gateway/patrol/patrol-watch.js';
import type { Site } from '../../gateway/site.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { at, CARDS, type PatrolSite, patrolSite } from '../helpers/patrol-site.js';

const log = createLogger({ level: 'silent' });
let rig: PatrolSite | undefined;
const watches: PatrolWatch[] = [];
afterEach(() => {
  for (const w of watches.splice(0)) w.stop();
  rig?.dispose();
  rig = undefined;
});

function watch(site: Site, clock: ManualClock) {
  const port = new SiteLanePort(site, log);
  const w = new PatrolWatch({ site, clock, log, taps: port.stations });
  watches.push(w);
  w.start();
  const tap = (station: string, value: string = CARDS.guard.value) =>
    port.present(station, { kind: 'card', value }, `${station}-reader`);
  return { watch: w, tap };
}

function patrolAlarms(site: Site) {
  return [...site.journal.iterate(0, ['alarm'])]
    .map((e) => e as JournalEntry<'alarm'>)
    .filter((e) => e.payload.code === 'PATROL_MISSED' || e.payload.code === 'PATROL_LATE')
    .map((e) => ({
      at: e.at,
      code: e.payload.code,
      severity: e.payload.severity,
      ...(e.payload.detail as { route: string; station: string; roundStart: number; expected: number }),
    }));
}

const missed = (station: string, round: string, expected: string) => ({
  at: at(round) + 3600_000,
  code: 'PATROL_MISSED',
  severity: 'critical',
  route: 'loop',
  station,
  roundStart: at(round),
  expected: at(expected),
});

describe('the patrol watch', () => {
  it('raises PATROL_MISSED at the round’s end and not a moment before', () => {
    const clock = new ManualClock(at('08:00'));
    rig = patrolSite(clock.now);
    const { tap } = watch(rig.site, clock);
    clock.advance(10 * 60_000);
    tap('garden');
    clock.advance(50 * 60_000 - 1);
    expect(patrolAlarms(rig.site)).toEqual([]);
    clock.advance(1);
    expect(patrolAlarms(rig.site)).toEqual([missed('garage', '08:00', '08:30')]);
  });

  it('raises PATROL_LATE at a late tap, before the reader hears back, and a done round raises nothing', () => {
    const clock = new ManualClock(at('08:00'));
    rig = patrolSite(clock.now);
    const { tap } = watch(rig.site, clock);
    clock.advance(12 * 60_000);
    tap('garden');
    clock.advance(20 * 60_000);
    tap('garage');
    clock.advance(48 * 60_000); // 09:20, the next round
    expect(patrolAlarms(rig.site)).toEqual([]);
    tap('garden', CARDS.guard2.value);
    expect(patrolAlarms(rig.site)).toEqual([
      {
        at: at('09:20'),
        code: 'PATROL_LATE',
        severity: 'warning',
        route: 'loop',
        station: 'garden',
        roundStart: at('09:00'),
        expected: at('09:10'),
      },
    ]);
  });

  it('during a journal outage counts held taps, and raises a due alarm once however often it checks', () => {
    const clock = new ManualClock(at('08:00'));
    // Held entries may wait out the round (the default bound is 10 minutes).
    rig = patrolSite(clock.now, '\njournalOutage: { maxHeldSeconds: 7200 }\n');
    const { watch: w, tap } = watch(rig.site, clock);
    const { db, checkpoint } = rig.site;
    // The database may not grow past its size now: SQLite's own "database or disk is full".
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    try {
      for (let i = 0; checkpoint.journalStatus().held === 0; i++)
        rig.site.record('device', clock.now(), { deviceId: `filler-${i}`, state: 'online' });
      clock.advance(10 * 60_000);
      expect(tap('garden').allow).toBe(true); // held: the garden's only tap
      clock.advance(50 * 60_000); // 09:00: the round ended; the garage was never tapped
      for (let i = 0; i < 3; i++) w.check();
      const held = checkpoint
        .heldEntries()
        .filter((e) => e.type === 'alarm')
        .map((e) => (e as JournalEntry<'alarm'>).payload);
      // The held garden tap counts (no PATROL_MISSED for it), and the garage's alarm is held once.
      expect(held.map((a) => [a.code, a.detail?.station ?? ''])).toEqual([
        ['JOURNAL_UNAVAILABLE', ''],
        ['PATROL_MISSED', 'garage'],
      ]);
    } finally {
      db.pragma('max_page_count = 1073741823');
    }
  });

  it('ignores refused taps: a resident’s card at a point is no patrol', () => {
    const clock = new ManualClock(at('08:00'));
    rig = patrolSite(clock.now);
    const { tap } = watch(rig.site, clock);
    clock.advance(10 * 60_000);
    tap('garden', CARDS.resident.value);
    expect(patrolAlarms(rig.site)).toEqual([]);
    clock.advance(50 * 60_000);
    expect(patrolAlarms(rig.site).map((a) => a.station)).toEqual(['garden', 'garage']);
  });

  it('after a restart catches up the rounds that ended while it was down, once', () => {
    const clock = new ManualClock(at('08:00'));
    rig = patrolSite(clock.now);
    const first = watch(rig.site, clock);
    clock.advance(10 * 60_000);
    first.tap('garden');
    clock.advance(60 * 60_000); // 09:10: round 08:00 missed its garage at 09:00
    expect(patrolAlarms(rig.site)).toEqual([missed('garage', '08:00', '08:30')]);
    first.watch.stop();
    expect(clock.pending).toBe(0);
    clock.time = at('11:30'); // down through the ends of rounds 09:00 and 10:00
    const site = rig.reopen();
    watch(site, clock);
    expect(patrolAlarms(site)).toEqual([
      missed('garage', '08:00', '08:30'),
      missed('garden', '09:00', '09:10'),
      missed('garage', '09:00', '09:30'),
      missed('garden', '10:00', '10:10'),
      missed('garage', '10:00', '10:30'),
    ]);
    // Another restart, even one that forgot how far it had judged, raises nothing twice.
    for (const w of watches) w.stop();
    const again = rig.reopen();
    again.db.prepare('UPDATE patrol_watch SET checked_until = ?').run(at('08:00'));
    watch(again, clock);
    expect(patrolAlarms(again)).toHaveLength(5);
    clock.advance(30 * 60_000);
    expect(patrolAlarms(again)).toHaveLength(7);
  });

  it('leaves rounds before its first start alone, and catches up at most a day', () => {
    const clock = new ManualClock(at('12:30'));
    rig = patrolSite(clock.now);
    const first = watch(rig.site, clock);
    expect(patrolAlarms(rig.site)).toEqual([]);
    clock.advance(30 * 60_000);
    expect(patrolAlarms(rig.site)).toEqual([
      missed('garden', '12:00', '12:10'),
      missed('garage', '12:00', '12:30'),
    ]);
    first.watch.stop();
    clock.time = at('12:30', '2024-05-03');
    const site = rig.reopen();
    watch(site, clock);
    // 24 h back from 12:30 on 3 May: the rounds of 2 May ending from 13:00 on, and 3 May's until 12:00.
    const caughtUp = patrolAlarms(site).slice(2);
    expect(caughtUp).toHaveLength(2 * (5 + 4));
    expect(Math.min(...caughtUp.map((a) => a.at))).toBe(at('13:00', '2024-05-02'));
  });
});
