/**
 * The scenario's scheduled faults (simulators/scenario/faults.ts): the `--fault` syntax with its
 * errors, and the day as played — the plan's order kept, no action while a device it needs is
 * under a fault, no fault starting between an action and its continuation, every fault ended.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  checkFaultSet,
  type DayStep,
  devicesNeeded,
  FAULT_KINDS,
  FaultSpecError,
  faultTime,
  parseFault,
  type ScheduledFault,
  scheduleDay,
} from '../../simulators/scenario/faults.js';
import type { ActionKind, PlannedAction } from '../../simulators/scenario/plan.js';
import { CAMERAS, LANES_WITH, OSDP_READERS } from '../../simulators/site/site-plan.js';

const MIN = 60_000;

describe('parseFault', () => {
  it('reads kind, target, time and duration, with defaults for the target', () => {
    expect(parseFault('reader-offline:north-ped-out@10:30+5m')).toEqual({
      spec: 'reader-offline:north-ped-out@10:30+5m',
      kind: 'reader-offline',
      device: 'north-out-reader',
      startMs: 270 * MIN,
      endMs: 275 * MIN,
    });
    expect(parseFault('reader-offline@06:00+90s').device).toBe('north-in-reader');
    expect(parseFault('camera-reboot@07:00+1h30m')).toMatchObject({
      device: 'north-in-thermal',
      endMs: 150 * MIN,
    });
    expect(parseFault('camera-reboot:north-in-plate@07:00+2h').device).toBe('north-in-plate');
    expect(parseFault('influx-down@d2/01:00+10m')).toMatchObject({ startMs: (24 * 60 - 300) * MIN });
    expect(parseFault('upstream-down@23:59+1m').device).toBeUndefined();
  });

  it.each([
    ['reader-offline', /expected <kind>\[:<target>\]@/],
    ['fire-alarm@10:00+5m', /kind "fire-alarm" is not one of reader-offline, camera-reboot/],
    ['reader-offline@25:00+5m', /time "25:00" is not HH:MM/],
    ['reader-offline@05:59+5m', /time 05:59 is before the scenario starts at 06:00 of day 1/],
    ['reader-offline@d0/10:00+5m', /time "d0\/10:00"/],
    ['reader-offline@10:00+5', /duration "5" is not like 90s, 5m/],
    ['reader-offline@10:00+0m', /duration "0m"/],
    ['reader-offline@10:00+19h', /duration "19h"/],
    [
      'reader-offline:east-ped-out@10:00+5m',
      /lane "east-ped-out" has no card reader \(lanes with one: north-ped-in/,
    ],
    ['camera-reboot:north-gate@10:00+5m', /"north-gate" is not a camera \(cameras: north-in-thermal/],
    ['influx-down:main@10:00+5m', /influx-down takes no target \(":main"\)/],
  ])('refuses %s, naming the bad part', (spec, message) => {
    expect(() => parseFault(spec)).toThrow(FaultSpecError);
    expect(() => parseFault(spec)).toThrow(message);
  });

  test.prop([fc.integer({ min: 0, max: 20 * 24 * 60 - 1 })])(
    'faultTime writes what parseFault reads',
    (minute) => {
      const spec = `influx-down@${faultTime(minute * MIN + 59_999)}+1m`;
      expect(parseFault(spec).startMs).toBe(minute * MIN);
    },
  );

  it('refuses two faults of the same kind and device that overlap, not others', () => {
    const a = parseFault('reader-offline@10:00+10m');
    expect(() => checkFaultSet([a, parseFault('reader-offline@10:05+1m')])).toThrow(/overlap/);
    expect(() => checkFaultSet([a, parseFault('reader-offline@10:10+1m')])).not.toThrow();
    expect(() => checkFaultSet([a, parseFault('reader-offline:north-ped-out@10:05+1m')])).not.toThrow();
    expect(() => checkFaultSet([a, parseFault('influx-down@10:05+1m')])).not.toThrow();
  });
});

const KINDS: ActionKind[] = ['card', 'idcard', 'qr', 'fever', 'plate'];
const LANES = [...new Set([...LANES_WITH.reader, ...LANES_WITH.plate, ...LANES_WITH.qr])];

const action = (at: number, kind: ActionKind, lane: string): PlannedAction => ({
  at,
  kind,
  lane,
  who: 'p',
  story: `${kind} ${lane} at ${at}`,
  expect: { allow: true, codes: ['RESIDENT'] },
});

/** Actions in time order: gaps of 10 s (continuations) to 3 h. */
const actionsArb = fc
  .array(
    fc.record({
      gap: fc.oneof(
        fc.constant(10_000),
        fc.integer({ min: 1, max: 180 }).map((m) => m * MIN),
      ),
      kind: fc.constantFrom(...KINDS),
      lane: fc.constantFrom(...LANES),
    }),
    { maxLength: 30 },
  )
  .map((list) => {
    let at = 0;
    return list.map((a) => {
      at += a.gap;
      return action(at, a.kind, a.lane);
    });
  });

const faultArb: fc.Arbitrary<ScheduledFault> = fc
  .record({
    kind: fc.constantFrom(...FAULT_KINDS),
    reader: fc.constantFrom(...OSDP_READERS.map((r) => r.id)),
    camera: fc.constantFrom(...CAMERAS.map((c) => c.id)),
    start: fc.integer({ min: 0, max: 60 * 60 }),
    minutes: fc.integer({ min: 1, max: 300 }),
  })
  .map(({ kind, reader, camera, start, minutes }) => ({
    spec: `${kind}@${start}+${minutes}`,
    kind,
    ...(kind === 'reader-offline' ? { device: reader } : kind === 'camera-reboot' ? { device: camera } : {}),
    startMs: start * MIN,
    endMs: (start + minutes) * MIN,
  }));

describe('scheduleDay', () => {
  test.prop([actionsArb, fc.array(faultArb, { maxLength: 6 })])(
    'keeps the plan, never plays an action through a fault, starts and ends every fault once, in time order',
    (actions, faults) => {
      const steps = scheduleDay(actions, faults);
      const played = steps.filter((s) => s.kind === 'action');
      expect(played.map((s) => s.action)).toEqual(actions);
      for (const s of played) expect(s.at).toBeGreaterThanOrEqual(s.action.at);
      for (const [i, s] of steps.entries())
        if (i > 0) expect(s.at).toBeGreaterThanOrEqual(steps[i - 1]?.at ?? 0);
      for (const f of faults) {
        const start = steps.findIndex((s) => s.kind === 'fault-start' && s.fault === f);
        const end = steps.findIndex((s) => s.kind === 'fault-end' && s.fault === f);
        expect(start).toBeGreaterThanOrEqual(0);
        expect(end).toBeGreaterThan(start);
        expect(steps.filter((s) => s.kind !== 'action' && s.fault === f)).toHaveLength(2);
        // No action needing its device is played while it runs.
        for (const s of steps.slice(start, end))
          if (s.kind === 'action' && f.device !== undefined)
            expect(devicesNeeded(s.action), `${s.action.story} during ${f.spec}`).not.toContain(f.device);
      }
      // No fault starts between an action and its continuation.
      for (const [i, s] of steps.entries()) {
        if (s.kind !== 'action') continue;
        const before = lastActionBefore(steps, i);
        if (before !== undefined && s.action.at - before.action.at < MIN)
          expect(steps.slice(steps.indexOf(before), i).some((x) => x.kind === 'fault-start')).toBe(false);
      }
    },
  );

  it('holds a card at an offline reader until the reader is back, and the actions after it too', () => {
    const actions = [
      action(10 * MIN, 'card', 'north-ped-out'),
      action(20 * MIN, 'card', 'north-ped-out'),
      action(22 * MIN, 'plate', 'north-vehicle-in'),
    ];
    const fault = parseFault('reader-offline:north-ped-out@06:15+10m');
    const steps = scheduleDay(actions, [fault]);
    expect(steps.map((s) => `${s.kind}@${s.at / MIN}`)).toEqual([
      'action@10',
      'fault-start@15',
      'fault-end@25',
      'action@25',
      'action@25',
    ]);
    const held = steps[3] as Extract<DayStep, { kind: 'action' }>;
    expect(held.heldBy).toEqual([fault]);
    expect((steps[4] as Extract<DayStep, { kind: 'action' }>).heldBy).toEqual([]);
  });

  it('starts a fault due between the escort’s card and the visitor it leads after the visitor', () => {
    const actions = [
      action(60 * MIN, 'card', 'north-ped-in'),
      action(60 * MIN + 10_000, 'idcard', 'north-ped-in'),
    ];
    const steps = scheduleDay(
      actions,
      [parseFault('camera-reboot@07:00+5m')].map((f) => ({ ...f, startMs: 60 * MIN + 5000 })),
    );
    expect(steps.map((s) => s.kind)).toEqual(['action', 'action', 'fault-start', 'fault-end']);
  });

  it('holds nothing for influx-down and upstream-down', () => {
    const actions = [action(10 * MIN, 'card', 'north-ped-in'), action(20 * MIN, 'plate', 'north-vehicle-in')];
    const steps = scheduleDay(actions, [
      parseFault('influx-down@06:05+1h'),
      parseFault('upstream-down@06:15+1m'),
    ]);
    expect(steps.map((s) => `${s.kind}@${s.at / MIN}`)).toEqual([
      'fault-start@5',
      'action@10',
      'fault-start@15',
      'fault-end@16',
      'action@20',
      'fault-end@65',
    ]);
  });
});

function lastActionBefore(steps: DayStep[], i: number): Extract<DayStep, { kind: 'action' }> | undefined {
  for (let j = i - 1; j >= 0; j--) {
    const s = steps[j];
    if (s?.kind === 'action') return s;
  }
  return undefined;
}
