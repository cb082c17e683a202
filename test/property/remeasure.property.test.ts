import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Checkpoint } from '../../gateway/checkpoint/checkpoint.js';
import { remeasureMark, withRemeasureMark } from '../../gateway/checkpoint/remeasure.js';
import { type LaneRef, SiteState } from '../../gateway/checkpoint/site-state.js';
import { openDatabase } from '../../gateway/db.js';
import type { SiteMode } from '../../gateway/domain/model.js';
import { Journal } from '../../gateway/journal/journal.js';
import { decide } from '../../gateway/rules/decide.js';
import type { Decision, Policy, RemeasurePolicy } from '../../gateway/rules/types.js';
import { cardValue, NOW, policy, registry } from '../helpers/world.js';
import { PEDESTRIAN_LAYOUT } from '../helpers/world-checkpoint.js';

/**
 * Random sequences of camera and handheld readings, cards (some under an operator override),
 * fire alarm changes and time steps at two lanes, through a real checkpoint. Whatever the
 * sequence and the re-measure policy:
 * - live equals replay: every journaled decision and re-measure mark is what the state folded
 *   from the entries before it gives, and a fresh checkpoint over the journal decides as the live one;
 * - no pass is allowed while the latest usable reading is at or above the threshold, unless a
 *   fire release or an override opens the lane.
 */

const LANES = ['ped-in', 'ped-out'] as const;
const REFS: ReadonlyMap<string, LaneRef> = new Map(
  PEDESTRIAN_LAYOUT.gates[0]?.lanes.map((lane) => [
    lane.id,
    { gate: { id: 'north', primary: true }, lane },
  ]) ?? [],
);
const CARDS = ['C-RES1', 'C-RES2', 'C-RES3', 'C-STAFF1', 'C-NOPE'];

type Op =
  | { kind: 'step'; ms: number }
  | { kind: 'camera'; lane: string; celsius: number; mask: boolean | null }
  | { kind: 'handheld'; lane: string; celsius: number }
  | { kind: 'card'; lane: string; name: string; override: boolean }
  | { kind: 'fire'; active: boolean };

/** True `weight` times as often as false. */
const mostly = (weight: number) =>
  fc.oneof({ arbitrary: fc.constant(true), weight }, { arbitrary: fc.constant(false), weight: 1 });
const lane = fc.constantFrom(...LANES);
const celsius = fc.double({ min: 35.5, max: 39.5, noNaN: true });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('step' as const), ms: fc.integer({ min: 0, max: 90_000 }) }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('camera' as const),
      lane,
      celsius,
      mask: fc.constantFrom(true, false, null),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('handheld' as const), lane, celsius }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('card' as const),
      lane,
      name: fc.constantFrom(...CARDS),
      override: mostly(4).map((b) => !b),
    }),
    weight: 5,
  },
  { arbitrary: fc.record({ kind: fc.constant('fire' as const), active: fc.boolean() }), weight: 1 },
);

const remeasure: fc.Arbitrary<RemeasurePolicy> = fc.record({
  enabled: mostly(4),
  waitMs: fc.integer({ min: 0, max: 40_000 }),
  withinMs: fc.integer({ min: 1000, max: 150_000 }),
  camera: mostly(3),
  handheld: mostly(3),
});

const mode = fc.constantFrom<SiteMode>('open', 'closed');

function run(initialMode: SiteMode, remeasurePolicy: RemeasurePolicy, ops: readonly Op[]) {
  const db = openDatabase(':memory:');
  const journal = Journal.open(db);
  // Anti-passback and quotas off: more passes are allowed, so the temperature rules decide more often.
  const policyFor = (m: SiteMode): Policy =>
    policy(m, {
      remeasure: remeasurePolicy,
      antiPassback: false,
      householdQuota: { exits: 1000, periodMs: 3600_000 },
    });
  let clock = NOW;
  const open = (dryRun: boolean) => {
    const cp = new Checkpoint({
      journal,
      layout: PEDESTRIAN_LAYOUT,
      registry: () => registry,
      policy: policyFor,
      initialMode,
      timezone: 'Asia/Shanghai',
      returnWithinMs: 4 * 3600_000,
      now: () => clock,
      dryRun,
    });
    cp.start();
    return cp;
  };
  const present = (cp: Checkpoint, laneId: string, name: string, override: boolean): Decision =>
    cp.present({
      laneId,
      at: clock,
      credential: { kind: 'card', value: cardValue(name) },
      ...(override ? { override: { operator: 'op', reason: 'medical' } } : {}),
    }).decision;

  try {
    const live = open(false);
    for (const o of ops) {
      if (o.kind === 'step') clock += o.ms;
      else if (o.kind === 'camera')
        live.reading(o.lane, { at: clock, celsius: o.celsius, mask: o.mask }, 'cam');
      else if (o.kind === 'handheld')
        live.reading(o.lane, { at: clock, celsius: o.celsius, mask: true, instrument: 'handheld' }, 'cli:op');
      else if (o.kind === 'card') present(live, o.lane, o.name, o.override);
      else live.setFire(o.active, 'test');
    }
    checkJournalAgainstFold(journal, initialMode, policyFor);

    // A fresh checkpoint over the journal, dry-run so that probing it leaves the journal as it is.
    const replay = open(true);
    clock += 1000;
    const probes = LANES.flatMap((laneId) => CARDS.map((name) => ({ laneId, name })));
    const replayed = probes.map((p) => present(replay, p.laneId, p.name, false));
    expect(probes.map((p) => present(live, p.laneId, p.name, false))).toEqual(replayed);
  } finally {
    db.close();
  }
}

/**
 * Folds the journal into a fresh SiteState (built as the checkpoint builds its own) and checks
 * each decision and each mark against the state the entries before it give.
 */
function checkJournalAgainstFold(
  journal: Journal,
  initialMode: SiteMode,
  policyFor: (m: SiteMode) => Policy,
) {
  const first = policyFor(initialMode);
  const state = new SiteState({
    initialMode,
    temperatureWindowMs: first.temperatureWindowMs,
    escortWindowMs: first.escortWindowMs,
    exitMemoryMs: Math.max(first.householdQuota.periodMs, 7 * 24 * 3600_000),
    codeMemoryMs: 10 * 60_000,
    remeasureWithinMs: first.remeasure?.withinMs,
  });
  for (const entry of journal.iterate(0)) {
    const p = policyFor(state.mode);
    if (entry.type === 'decision') {
      const { request, decision } = entry.payload;
      const ref = REFS.get(request.laneId) as LaneRef;
      const ctx = state.contextFor(ref);
      expect(decision).toEqual(decide(p, registry, ctx, request));
      const latest = ctx.latestTemperature(request.at);
      if (decision.allow && latest !== undefined && latest.celsius >= p.feverThresholdC) {
        expect(state.fireActive || request.override !== undefined).toBe(true);
      }
    } else if (entry.type === 'reading') {
      const { laneId, reading } = entry.payload;
      const pending = state.pendingRemeasure(laneId, reading.at);
      expect(reading.remeasure).toBe(remeasureMark(withRemeasureMark(reading, undefined), pending, p));
    }
    state.apply(entry);
  }
}

describe('temperature re-measure: properties', () => {
  test.prop([mode, remeasure, fc.array(op, { maxLength: 40 })], { numRuns: 250 })(
    'live equals replay, and no high reading is let through but by a fire release or an override',
    (m, r, ops) => {
      run(m, r, ops);
    },
  );
});
