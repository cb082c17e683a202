import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../gateway/checkpoint/checkpoint.js';
import type { SiteStateSnapshot } from '../../gateway/checkpoint/state-snapshot.js';
import { type Db, openDatabase } from '../../gateway/db.js';
import type { SiteMode } from '../../gateway/domain/model.js';
import { NOW, policy } from '../helpers/world.js';
import { worldCheckpoint } from '../helpers/world-checkpoint.js';

/**
 * The contract of checkpoint snapshots (gateway/checkpoint/snapshot-store.ts): a checkpoint
 * restored from a snapshot taken at any entry, then given the entries after it, holds exactly
 * the state a replay of the whole journal builds — for any mix of passes in and out (allowed
 * and refused), readings, mode switches, fire alarms and overdue-return alarms. Over a real
 * SQLite file, through the checkpoint's own API.
 */

const CARDS = [
  'c-res1',
  'c-res2',
  'c-res3',
  'c-qhome',
  'c-staff1',
  'c-vis-risk',
  'c-courier1',
  'c-expired',
  'nobody',
];
const KEY = Buffer.alloc(32, 7);
const ESCORT_WINDOW_MS = policy('closed').escortWindowMs;
/** The checkpoint's memory of QR code ids (checkpoint.ts). */
const CODE_MEMORY_MS = 10 * 60_000;

type Action =
  | { kind: 'present'; lane: 'ped-in' | 'ped-out'; card: string; qr: boolean }
  | { kind: 'reading'; lane: 'ped-in' | 'ped-out'; celsius: number; mask: boolean }
  | { kind: 'mode'; to: SiteMode }
  | { kind: 'fire'; active: boolean }
  | { kind: 'tick' };

const lane = fc.constantFrom('ped-in' as const, 'ped-out' as const);
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('present' as const),
      lane,
      card: fc.constantFrom(...CARDS),
      qr: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('reading' as const),
      lane,
      celsius: fc.constantFrom(36.2, 36.8, 37.4, 38.1),
      mask: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('mode' as const),
      to: fc.constantFrom<SiteMode>('open', 'closed', 'lockdown'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fire' as const), active: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'tick' as const }) },
);
const step = fc.record({ action, minutes: fc.integer({ min: 0, max: 600 }) });

describe('checkpoint snapshots', () => {
  let dir: string;
  let run = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-state-snapshot-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const open = (db: Db, clock: { now: number }, snapshots: boolean) =>
    worldCheckpoint(db, () => clock.now, snapshots ? { snapshots: { db, key: KEY } } : {});

  const play = (cp: Checkpoint, clock: { now: number }, s: { action: Action; minutes: number }) => {
    clock.now += s.minutes * 60_000;
    const a = s.action;
    if (a.kind === 'present') {
      const credential = a.qr
        ? { kind: 'qr' as const, value: 'PASS-RES2', codeId: `code-${clock.now}` }
        : { kind: 'card' as const, value: a.card };
      cp.present({ laneId: a.lane, credential });
    } else if (a.kind === 'reading') {
      cp.reading(a.lane, { at: clock.now, celsius: a.celsius, mask: a.mask }, 'test');
    } else if (a.kind === 'mode') cp.setMode(a.to, 'guard', 'test');
    else if (a.kind === 'fire') cp.setFire(a.active, 'test');
    else cp.tick();
  };

  it('restored at any entry and caught up, equals the whole journal replayed', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.nat(), (steps, cut) => {
        const db = openDatabase(join(dir, `run-${run++}.db`));
        try {
          const clock = { now: NOW };
          const live = open(db, clock, true);
          live.start();
          const at = cut % (steps.length + 1);
          steps.forEach((s, i) => {
            if (i === at) live.saveSnapshot(true);
            play(live, clock, s);
          });
          if (at === steps.length) live.saveSnapshot(true);

          const restored = open(db, clock, true);
          const started = restored.start();
          const replayed = open(db, clock, false);
          replayed.start();
          if (started.fromSnapshot === undefined) {
            // Only when nothing had been journaled yet at the cut.
            expect(started.snapshotIgnored).toBeUndefined();
          }
          const seen = (cp: Checkpoint) => normalised(cp.stateSnapshot(), clock.now);
          expect(seen(restored)).toEqual(seen(replayed));
          expect(seen(replayed)).toEqual(seen(live));
        } finally {
          db.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

/**
 * What a state can show to the rules at `now`. Map and table orders are not part of it (sorted,
 * so only content is compared), nor are presentations and codes older than their windows: the
 * live state forgets those on its timer (`tick`), a replay keeps them until a sweep, and the
 * rules compare their times (escorts) or never meet them again (a code expires before its
 * memory does).
 */
function normalised(s: SiteStateSnapshot, now: number) {
  const recent = (t: { times: [string, number][]; sweepAbove: number }, windowMs: number) => ({
    ...t,
    times: byFirst(t.times.filter(([, at]) => at >= now - windowMs)),
  });
  return {
    ...s,
    temperatures: byFirst(s.temperatures),
    pendingRemeasures: byFirst(s.pendingRemeasures),
    presentations: byFirst(s.presentations)
      .map(([l, t]) => [l, recent(t, ESCORT_WINDOW_MS)] as const)
      .filter(([, t]) => t.times.length > 0),
    lastDirections: byFirst(s.lastDirections),
    householdExits: byFirst(s.householdExits),
    outside: [...s.outside].sort((a, b) => (a.personId < b.personId ? -1 : 1)),
    seenCodes: recent(s.seenCodes, CODE_MEMORY_MS),
  };
}

function byFirst<T extends readonly [string, ...unknown[]]>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
