/**
 * The gateway's clock jumps (an NTP step, an operator setting the time, a dead RTC battery):
 * back one hour and forward one day during operation. The clock is the injected `now` every
 * part reads (Site `now`, Checkpoint `now`, DutyBoard, DutyWatch, HeldEntries), driven here by
 * hand over a real in-memory journal.
 *
 * Decided (docs/journal.md, "Clock jumps"): entries keep the time the clock gave them, even when
 * it is before the previous entry's; the order is the seq, never the time; nothing is refused
 * or adjusted for it. Asserted here for each part that reads the time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dutySchema } from '../../config/duty-schema.js';
import { Checkpoint } from '../../gateway/checkpoint/checkpoint.js';
import { HeldEntries } from '../../gateway/checkpoint/held-entries.js';
import { type Db, openDatabase } from '../../gateway/db.js';
import { DutyBoard } from '../../gateway/duty/duty-board.js';
import { dutyShiftAt } from '../../gateway/duty/duty-roster.js';
import { DutyWatch } from '../../gateway/duty/duty-watch.js';
import type { JournalEntry } from '../../gateway/journal/events.js';
import { Journal } from '../../gateway/journal/journal.js';
import { verifyJournal } from '../../gateway/journal/verify.js';
import type { Decision } from '../../gateway/rules/types.js';
import { buildingRegistries, PERIMETER_LAYOUT } from '../helpers/building-world.js';
import { cardValue, NOW, policy } from '../helpers/world.js';
import { closeFailingJournals, failingJournal } from './failing-journal.js';

const S = 1000;
const H = 3600 * S;
const D = 24 * H;
const TZ = 'Asia/Shanghai';

const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  closeFailingJournals();
});

/** A checkpoint, its duty board and duty watch on one hand-moved clock (NOW: 10:00, day shift). */
function gateway() {
  const db = openDatabase(':memory:');
  dbs.push(db);
  const journal = Journal.open(db);
  const clock = { now: NOW };
  const now = () => clock.now;
  const board = new DutyBoard('Asia/Shanghai', now, (window) =>
    journal.iterateRange({ fromAt: window.from, toAt: window.to, types: ['duty'] }),
  );
  const { exact } = buildingRegistries([]);
  const cp = new Checkpoint({
    journal,
    layout: PERIMETER_LAYOUT,
    registry: () => exact,
    policy: (mode) => policy(mode),
    initialMode: 'closed',
    timezone: 'Asia/Shanghai',
    returnWithinMs: 4 * H,
    now,
    onEntry: (e) => board.take(e),
  });
  cp.start();
  const duty = new DutyWatch({
    journal,
    board,
    config: dutySchema.parse({}),
    timezone: 'Asia/Shanghai',
    now,
    record: (type, at, payload) => cp.record(type, at, payload),
  });
  const pass = (laneId: string, card: string) => {
    cp.reading(laneId, { at: clock.now - S, celsius: 36.5, mask: true }, 'cam');
    return cp.present({ laneId, credential: { kind: 'card', value: cardValue(card) } });
  };
  return { db, journal, clock, cp, board, duty, pass };
}

const codes = (d: Decision) => d.reasons.map((r) => r.code);

describe('a clock jump on the gateway', () => {
  it('journal: entries keep the clock’s time, ordered by seq even when dated before the previous one', () => {
    const { db, journal, clock, pass } = gateway();
    const upstream = journal.cursor('upstream');
    pass('main-out', 'C-R31');
    clock.now -= H;
    pass('main-in', 'C-R31');
    clock.now += D;
    pass('main-out', 'C-R32');
    const decisions = journal.read(0, 100, ['decision']);
    expect(decisions.map((e) => e.at)).toEqual([NOW, NOW - H, NOW - H + D]);
    expect(decisions.map((e) => e.seq)).toEqual([2, 4, 6]);
    expect(verifyJournal(db).ok).toBe(true);
    // A sink delivers by seq from its cursor: the entry dated an hour back comes after, not lost.
    expect(upstream.pending(100).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    upstream.commit(4);
    clock.now -= D;
    expect(upstream.pending(100).map((e) => e.seq)).toEqual([5, 6]);
    // Reports read by time: the back-dated entry is where its time puts it.
    const range = journal.readRange({ fromAt: NOW - 2 * H, toAt: NOW + 2 * D, types: ['decision'] });
    expect(range.map((e) => e.seq)).toEqual([4, 2, 6]);
  });

  it('anti-passback is by direction, not time: neither jump lets a card in twice', () => {
    const { clock, pass } = gateway();
    expect(pass('main-in', 'C-R31').decision.allow).toBe(true);
    clock.now -= H;
    expect(codes(pass('main-in', 'C-R31').decision)).toContain('ANTI_PASSBACK');
    clock.now += D;
    expect(codes(pass('main-in', 'C-R31').decision)).toContain('ANTI_PASSBACK');
  });

  it('the household quota: an exit dated ahead of a clock set back still counts; a day forward is inside 48 h', () => {
    const { clock, pass } = gateway();
    expect(pass('main-out', 'C-R31').decision.allow).toBe(true);
    clock.now += 10 * S;
    expect(pass('main-in', 'C-R31').decision.allow).toBe(true);
    clock.now -= H;
    expect(codes(pass('main-out', 'C-R31').decision)).toEqual(['HOUSEHOLD_QUOTA_EXCEEDED']);
    clock.now += D;
    expect(codes(pass('main-out', 'C-R31').decision)).toEqual(['HOUSEHOLD_QUOTA_EXCEEDED']);
    clock.now += D + 2 * H; // 48 h after the exit, by the clock
    expect(pass('main-out', 'C-R31').decision.allow).toBe(true);
  });

  it('shift attribution follows the clock: back across 08:00 is the night shift', () => {
    const { clock, pass } = gateway();
    clock.now = NOW - 90 * 60 * S; // 08:30
    expect(pass('main-in', 'C-R31').entry.payload.request.shift).toBe('day');
    clock.now -= H; // 07:30
    expect(pass('main-out', 'C-R31').entry.payload.request.shift).toBe('night');
    clock.now += D + H; // 08:30 the next day
    expect(pass('main-in', 'C-R31').entry.payload.request.shift).toBe('day');
  });

  it('overdue returns: raised once, not again after the clock goes back', () => {
    const { clock, cp, pass } = gateway();
    pass('main-out', 'C-R31');
    clock.now += D;
    expect(cp.tick().map((a) => a.payload.code)).toEqual(['OVERDUE_RETURN']);
    clock.now -= H;
    expect(cp.tick()).toEqual([]);
  });

  it('the duty watch: CHECKPOINT_UNATTENDED once per empty period, also when the clock goes back', () => {
    const { journal, clock, duty } = gateway();
    expect(duty.check()?.payload.detail).toMatchObject({ shift: 'day', emptySince: NOW - 2 * H });
    clock.now -= H;
    // The alarm is dated 10:00, after the clock's 09:00: still the one of this empty period.
    expect(duty.check()).toBeUndefined();
    clock.now += D;
    expect(duty.check()?.payload.detail).toMatchObject({ shift: 'day', emptySince: NOW - 2 * H + D });
    const alarms = journal.read(0, 100, ['alarm']) as JournalEntry<'alarm'>[];
    expect(alarms.map((a) => a.payload.code)).toEqual(['CHECKPOINT_UNATTENDED', 'CHECKPOINT_UNATTENDED']);
  });

  it('the duty board: forward across the shift’s end and back, the guard is still on duty', () => {
    const { clock, cp, board, duty } = gateway();
    clock.now = NOW + 6 * H + 50 * 60 * S; // 16:50, the day shift
    cp.record('duty', clock.now, {
      action: 'login',
      guard: 'g-1',
      via: 'card',
      ...dutyShiftAt(clock.now, TZ),
    });
    expect(board.guards()).toEqual(['g-1']);
    clock.now += 15 * 60 * S; // 17:05: the evening shift, nobody on duty yet
    expect(board.guards()).toEqual([]);
    clock.now -= 10 * 60 * S; // 16:55: the day shift again, its guard with it
    expect(board.guards()).toEqual(['g-1']);
    expect(duty.check()).toBeUndefined();
    // The entry is not counted twice when the board rolls over inside `take`.
    clock.now += 15 * 60 * S; // 17:10
    cp.record('duty', clock.now, {
      action: 'login',
      guard: 'g-2',
      via: 'card',
      ...dutyShiftAt(clock.now, TZ),
    });
    expect(board.guards()).toEqual(['g-2']);
    expect(board.roster().guards).toHaveLength(1);
  });

  it('held entries: the retry is not pushed an hour away by a clock set back, nor the bound reached early', () => {
    const { journal, disk } = failingJournal();
    const clock = { now: NOW };
    disk.full = true;
    const held = new HeldEntries({
      journal,
      policy: { maxEntries: 100, maxAgeMs: 10 * 60 * S, retryMs: 5 * S },
      now: () => clock.now,
    });
    held.write({ type: 'fire', at: clock.now, payload: { active: true, source: 'panel' } });
    clock.now -= H;
    expect(held.refusing()).toBe(false); // a negative age is no age
    disk.full = false;
    expect(held.flush()).toBe(2);
    disk.full = true;
    held.write({ type: 'fire', at: clock.now, payload: { active: false, source: 'panel' } });
    // A day forward is past maxHeldSeconds: the lanes refuse (fail-secure), until the entries land.
    clock.now += D;
    expect(held.refusing()).toBe(true);
    disk.full = false;
    expect(held.flush()).toBe(2);
    expect(held.refusing()).toBe(false);
  });
});
