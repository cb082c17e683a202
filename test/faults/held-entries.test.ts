/**
 * Disk full, in memory (docs/journal.md "Disk full"): a real journal over an in-memory SQLite
 * whose appends fail with SQLITE_FULL while `full` is set, the way better-sqlite3 reports a full
 * data directory. The held-entries buffer and the checkpoint above it keep deciding, fold held
 * passes into the state, refuse past the bound (but for fire and overrides), and land the held
 * entries once, in order, with a chain that verifies. The real full disk: disk-full.test.ts.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HeldEntries,
  type HeldEntriesPolicy,
  type OutageEvent,
  outOfSpaceCause,
} from '../../gateway/checkpoint/held-entries.js';
import { SiteLanePort } from '../../gateway/devices/site-lane-port.js';
import type { AppendItem } from '../../gateway/journal/journal.js';
import { verifyJournal } from '../../gateway/journal/verify.js';
import type { Site } from '../../gateway/site.js';
import { GatewayMetrics } from '../../gateway/telemetry/metrics.js';
import { cardValue, NOW } from '../helpers/world.js';
import { closeFailingJournals, failingJournal } from './failing-journal.js';
import { codes, fullDiskSite } from './full-disk-site.js';

const S = 1000;
afterEach(closeFailingJournals);

const device = (n: number): AppendItem => ({
  type: 'device',
  at: NOW + n,
  payload: { deviceId: `d${n}`, state: 'online' },
});

/** HeldEntries over a failing journal, on a clock the test moves; policy defaults: 10 entries, 60 s, retry 5 s. */
function heldOnFailingJournal(policy: Partial<HeldEntriesPolicy> = {}) {
  const failing = failingJournal();
  const clock = { now: NOW };
  const held = new HeldEntries({
    journal: failing.journal,
    policy: { maxEntries: 10, maxAgeMs: 60 * S, retryMs: 5 * S, ...policy },
    now: () => clock.now,
  });
  return { ...failing, clock, held };
}

describe('held entries', () => {
  it('holds what the journal cannot take, alarm first, and lands it in order when space returns', () => {
    const { db, journal, disk, clock, held } = heldOnFailingJournal();
    const events: OutageEvent['kind'][] = [];
    held.onEvent((e) => events.push(e.kind));
    expect(held.write(device(1)).entry.seq).toBe(1);
    disk.full = true;
    const w = held.write(device(2));
    expect(w).toMatchObject({ held: true, entry: { seq: 0, hash: '' } });
    held.write(device(3));
    expect(held.status()).toMatchObject({ held: 3, since: NOW, cause: 'SQLITE_FULL', refusing: false });
    disk.full = false;
    // Not before the retry is due: a full disk is not hammered on every pass.
    expect(held.flush()).toBe(0);
    clock.now += 5 * S;
    expect(held.flush()).toBe(3);
    expect(
      journal.read(0, 10).map((e) => [e.seq, e.type, e.type === 'device' ? e.payload.deviceId : '']),
    ).toEqual([
      [1, 'device', 'd1'],
      [2, 'alarm', ''],
      [3, 'device', 'd2'],
      [4, 'device', 'd3'],
    ]);
    expect(journal.get(2)?.payload).toMatchObject({
      code: 'JOURNAL_UNAVAILABLE',
      detail: { cause: 'SQLITE_FULL' },
    });
    expect([held.takeLanded(3), held.takeLanded(3), held.takeLanded(1)]).toEqual([true, false, false]);
    expect(verifyJournal(db).ok).toBe(true);
    expect(events).toEqual(['unavailable', 'restored']);
  });

  it('at a stop lands what is held without waiting for the retry, or says what is lost', () => {
    const { journal, disk, clock, held } = heldOnFailingJournal();
    disk.full = true;
    held.write(device(1));
    held.write(device(2));
    disk.full = false;
    // The retry is not due for 5 s; a stop does not wait for it.
    expect(held.beforeStop()).toBeUndefined();
    expect(journal.read(0, 10).map((e) => e.type)).toEqual(['alarm', 'device', 'device']);
    disk.full = true;
    clock.now += S;
    held.write(device(3));
    held.write(device(4));
    expect(held.beforeStop()).toEqual({
      held: 3,
      lost: 3,
      byType: { alarm: 1, device: 2 },
      firstAt: NOW + 3,
      lastAt: NOW + S,
      cause: 'SQLITE_FULL',
    });
    expect(journal.lastSeq()).toBe(3);
  });

  it('refuses past the count bound and the age bound, except what is forced', () => {
    const { journal, disk, clock, held } = heldOnFailingJournal({ maxEntries: 3 });
    disk.full = true;
    held.write(device(1)); // alarm + d1
    held.write(device(2));
    expect(held.refusing()).toBe(true);
    expect(() => held.write(device(3))).toThrow(expect.objectContaining({ code: 'JOURNAL_UNAVAILABLE' }));
    expect(held.write(device(4), true).held).toBe(true);
    expect(held.size).toBe(4);

    const young = new HeldEntries({
      journal,
      policy: { maxEntries: 100, maxAgeMs: 60 * S, retryMs: 5 * S },
      now: () => clock.now,
    });
    young.write(device(5));
    clock.now += 59 * S;
    expect(young.refusing()).toBe(false);
    clock.now += S;
    expect(young.refusing()).toBe(true);
  });

  it('holds nothing without `hold` (a CLI command): the failed append throws JOURNAL_UNAVAILABLE', () => {
    const failing = failingJournal();
    const held = new HeldEntries({
      journal: failing.journal,
      policy: { maxEntries: 10, maxAgeMs: 60 * S, retryMs: 5 * S },
      hold: false,
      now: () => NOW,
    });
    failing.disk.full = true;
    expect(() => held.write(device(1))).toThrow(
      expect.objectContaining({
        code: 'JOURNAL_UNAVAILABLE',
        message: expect.stringMatching(/nothing was recorded/),
      }),
    );
    expect(held.status()).toMatchObject({ held: 0, since: undefined });
  });

  it('rethrows what is not a lack of space, and keeps retrying after the clock is set back', () => {
    const { disk, clock, held } = heldOnFailingJournal({ maxEntries: 100, maxAgeMs: 3600 * S });
    disk.code = 'SQLITE_CONSTRAINT';
    disk.full = true;
    expect(() => held.write(device(1))).toThrow('database or disk is full');
    expect(held.size).toBe(0);
    disk.code = 'SQLITE_IOERR_WRITE';
    held.write(device(2));
    disk.full = false;
    clock.now -= 3600 * S; // the retry was due at NOW + 5 s: an hour back retries at once, not in an hour
    expect(held.flush()).toBe(2);
    expect(outOfSpaceCause({ code: 'SQLITE_FULL' })).toBe('SQLITE_FULL');
    expect(outOfSpaceCause(new Error('x'))).toBeUndefined();
  });

  it('property: whatever the outages, the journal ends with every accepted entry once, in order', () => {
    const op = fc.oneof(
      fc.constant('write' as const),
      fc.constant('fill' as const),
      fc.constant('free' as const),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(op, fc.integer({ min: 0, max: 7 * S })), { maxLength: 60 }), (ops) => {
        const { db, journal, disk, clock, held } = heldOnFailingJournal({ maxEntries: 8, maxAgeMs: 20 * S });
        const accepted: string[] = [];
        let n = 0;
        for (const [what, wait] of ops) {
          clock.now += wait;
          if (what === 'fill') disk.full = true;
          else if (what === 'free') disk.full = false;
          else {
            n++;
            try {
              held.write(device(n));
              accepted.push(`d${n}`);
            } catch (error) {
              expect(error).toMatchObject({ code: 'JOURNAL_UNAVAILABLE' });
            }
          }
        }
        disk.full = false;
        held.flush(clock.now, true);
        const devices = journal
          .read(0, 1000)
          .flatMap((e) => (e.type === 'device' ? [e.payload.deviceId] : []));
        expect(devices).toEqual(accepted);
        expect(held.size).toBe(0);
        expect(verifyJournal(db).ok).toBe(true);
        db.close();
      }),
      { numRuns: 200 },
    );
  });
});

describe('the checkpoint on a full disk', () => {
  const site = (maxEntries = 20, withSnapshots = false) => fullDiskSite({ maxEntries, withSnapshots });

  it('keeps deciding from memory: held passes count for anti-passback and the quota, and land once', () => {
    const { db, journal, disk, clock, cp, open, pass, seen } = site();
    expect(pass('main-out', 'C-R31').journal).toBe('appended');
    disk.full = true;
    const held = pass('main-in', 'C-R31');
    expect(held).toMatchObject({ journal: 'held', entry: { seq: 0 }, decision: { allow: true } });
    expect(codes(pass('main-in', 'C-R31').decision)).toContain('ANTI_PASSBACK');
    expect(pass('main-out', 'C-R31').decision.allow).toBe(true); // exit 2 of 3
    expect(pass('main-in', 'C-R31').decision.allow).toBe(true);
    expect(journal.lastSeq()).toBe(2);
    expect(cp.journalStatus()).toMatchObject({ held: 9, cause: 'SQLITE_FULL', refusing: false });

    disk.full = false;
    clock.now += 5 * S;
    cp.catchUp();
    expect(cp.journalStatus().held).toBe(0);
    const types = journal
      .read(0, 100)
      .map((e) => (e.type === 'decision' ? codes(e.payload.decision)[0] : e.type));
    expect(types).toEqual([
      'reading',
      'RESIDENT',
      'alarm',
      'reading',
      'RESIDENT',
      'reading',
      'ANTI_PASSBACK',
      'reading',
      'RESIDENT',
      'reading',
      'RESIDENT',
    ]);
    expect(verifyJournal(db).ok).toBe(true);
    // Each entry taken in once: the held ones when held (seq 0), not again when they landed.
    expect(seen).toEqual([1, 2, ...Array(9).fill(0)]);
    // Exactly once: two exits of three are used, so r31 may go out once more (folded twice, the
    // held exit would have used it); a state rebuilt from the journal agrees.
    expect(pass('main-out', 'C-R31').decision.allow).toBe(true);
    expect(pass('main-in', 'C-R31').decision.allow).toBe(true);
    expect(codes(pass('main-out', 'C-R31').decision)).toEqual(['HOUSEHOLD_QUOTA_EXCEEDED']);
    expect(open().outsideNow()).toEqual(cp.outsideNow());
    expect(open().stateSnapshot()).toEqual(cp.stateSnapshot());
  });

  it("holds a device's alarms and states with the passes, in order; past the bound they are logged, not thrown", () => {
    const { journal, disk, clock, cp, pass } = site(6);
    const logged: string[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => logged.push(line) });
    const port = new SiteLanePort({ checkpoint: cp } as unknown as Site, log);
    disk.full = true;
    pass('main-in', 'C-R31');
    port.alarm({ code: 'DOOR_FORCED_OPEN', severity: 'critical', deviceId: 'north-door', laneId: 'main-in' });
    port.deviceState('north-door', 'offline', 'no reply');
    expect(cp.journalStatus().held).toBe(5); // the outage alarm, reading, decision, alarm, state
    port.alarm({ code: 'DEVICE_TAMPER', severity: 'critical', deviceId: 'north-door' });
    clock.now += S;
    // The bound (6) is reached: the next one is not recorded, and the device layer is not thrown at.
    expect(() => port.deviceState('north-door', 'online')).not.toThrow();
    expect(logged.map((line) => JSON.parse(line))).toMatchObject([
      { msg: 'device event not journaled', type: 'device', what: 'online', device: 'north-door' },
    ]);
    disk.full = false;
    clock.now += 5 * S;
    cp.catchUp();
    const kinds = journal
      .read(0, 100)
      .map((e) =>
        e.type === 'alarm' ? e.payload.code : e.type === 'device' ? `device ${e.payload.state}` : e.type,
      );
    expect(kinds).toEqual([
      'JOURNAL_UNAVAILABLE',
      'reading',
      'decision',
      'DOOR_FORCED_OPEN',
      'device offline',
      'DEVICE_TAMPER',
    ]);
  });

  it('at a stop saves no snapshot of a state that folded entries the journal never got', () => {
    const { disk, cp, pass } = site(20, true);
    pass('main-out', 'C-R31');
    disk.full = true;
    expect(pass('main-in', 'C-R31').journal).toBe('held');
    expect(cp.landHeldBeforeStop()).toMatchObject({
      held: 3,
      lost: 3,
      byType: { alarm: 1, reading: 1, decision: 1 },
    });
    expect(cp.saveSnapshot(true)).toBe(false);
    // Had the disk come back, they would have landed and the snapshot been saved.
    const other = site(20, true);
    other.pass('main-out', 'C-R31');
    other.disk.full = true;
    other.pass('main-in', 'C-R31');
    other.disk.full = false;
    expect(other.cp.landHeldBeforeStop()).toBeUndefined();
    expect(other.cp.saveSnapshot(true)).toBe(true);
  });

  it('past the bound refuses with JOURNAL_UNAVAILABLE, unrecorded, while a fire release still opens; metrics show it', async () => {
    const { db, journal, disk, clock, cp, pass } = site(4);
    const metrics = new GatewayMetrics({
      site: { db, journal, now: () => clock.now, checkpoint: cp },
      defaultMetrics: false,
    });
    disk.full = true;
    pass('main-out', 'C-R31'); // alarm, reading, decision: 3 held
    const refused = pass('main-in', 'C-R32'); // the reading is the 4th
    expect(refused).toMatchObject({ journal: 'unrecorded', decision: { allow: false } });
    expect(codes(refused.decision)).toEqual(['JOURNAL_UNAVAILABLE']);
    expect(cp.journalStatus()).toMatchObject({ refusing: true, refusedUnrecorded: 1 });
    expect(() => cp.setMode('open', 'op', 'test')).toThrow(
      expect.objectContaining({ code: 'JOURNAL_UNAVAILABLE' }),
    );
    expect(cp.setFire(true, 'panel')?.seq).toBe(0);
    const fire = cp.present({ laneId: 'main-in', credential: { kind: 'card', value: cardValue('C-R32') } });
    expect(fire).toMatchObject({ journal: 'held', decision: { allow: true } });
    expect(codes(fire.decision)).toEqual(['FIRE_RELEASE', 'JOURNAL_UNAVAILABLE']);
    expect(journal.lastSeq()).toBe(0);
    const scraped = await metrics.registry.metrics();
    expect(scraped).toMatch(/^gatewarden_journal_held_entries 6$/m);
    expect(scraped).toMatch(/^gatewarden_journal_held_volatile_entries 6$/m); // no spill here
    expect(scraped).toMatch(/^gatewarden_journal_refusing 1$/m);
    metrics.stop();
  });
});
