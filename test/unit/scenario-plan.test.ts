import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consoleLine, planScenario } from '../../simulators/scenario/plan.js';
import { Schedule } from '../../simulators/scenario/schedule.js';
import { compareDecision, summaryLines } from '../../simulators/scenario/verdict.js';
import { generateCommunity } from '../../simulators/site/community.js';
import { LANES, LANES_WITH } from '../../simulators/site/site-plan.js';

const NOW = Date.parse('2026-11-29T06:00:00Z');
const community = (seed: number, households = 36) => generateCommunity({ seed, now: NOW, households });

/** The lanes of the launcher's site where each action kind can happen (site-actions.ts). */
const LANES_FOR = {
  card: LANES_WITH.reader,
  idcard: LANES_WITH.idcard,
  qr: LANES_WITH.qr,
  fever: LANES_WITH.thermometer,
  plate: LANES_WITH.plate,
} as const;

describe('planScenario', () => {
  it('gives the same plan for the same community and seed, another for another seed', () => {
    const c = community(7);
    expect(planScenario(c, { seed: 7 })).toEqual(planScenario(community(7), { seed: 7 }));
    expect(planScenario(c, { seed: 8 }).actions).not.toEqual(planScenario(c, { seed: 7 }).actions);
  });

  it('covers every case of the crowd scenario that the launcher’s devices can show', () => {
    const codes = new Set(planScenario(community(7), { seed: 7 }).actions.flatMap((a) => a.expect.codes));
    expect([...codes].sort()).toEqual(
      [
        'ANTI_PASSBACK',
        'DELIVERY_NOT_ALLOWED',
        'ESCORT_REQUIRED',
        'FEVER',
        'GATE_CLOSED',
        'HOUSEHOLD_QUOTA_EXCEEDED',
        'NOT_DESIGNATED_MEMBER',
        'NOT_THIS_BUILDING',
        'QUARANTINED',
        'RESIDENT',
        'STAFF',
        'TEMPERATURE_REQUIRED',
        'UNKNOWN_CREDENTIAL',
        'VEHICLE_NO_PERMIT',
        'VEHICLE_PERMIT',
        'VISITOR_ESCORTED',
      ].sort(),
    );
  });

  it('expects both quota and designated-member refusals for a second member of a household that went out', () => {
    const c = community(7);
    const plan = planScenario(c, { seed: 7 });
    const second = plan.actions.find((a) => a.story.startsWith('second member'));
    expect(second?.expect).toEqual({
      allow: false,
      codes: ['HOUSEHOLD_QUOTA_EXCEEDED', 'NOT_DESIGNATED_MEMBER'],
    });
    const person = c.persons.find((p) => p.id === second?.who);
    const shopper = plan.actions.find(
      (a) =>
        a.lane === LANES.northPedOut &&
        a.expect.allow &&
        c.persons.find((p) => p.id === a.who)?.householdId === person?.householdId,
    );
    expect(shopper?.at).toBeLessThan(second?.at ?? 0);
  });

  it('keeps the visitor unescorted before the escort shows a card, and escorted right after', () => {
    const c = community(3);
    const { actions } = planScenario(c, { seed: 3 });
    const visitor = actions.filter((a) => a.who === c.visitorId);
    expect(visitor.map((a) => a.expect.codes[0])).toEqual(['ESCORT_REQUIRED', 'VISITOR_ESCORTED']);
    const firstEscort = actions.findIndex((a) => a.who === c.escortId);
    expect(actions.indexOf(visitor[0] as never)).toBeLessThan(firstEscort);
    const i = actions.indexOf(visitor[1] as never);
    const escortIn = actions[i - 1];
    expect(escortIn).toMatchObject({ who: c.escortId, lane: LANES.northPedIn, expect: { allow: true } });
    // The escort's card counts for 30 s of the gateway's clock; at any speed ≥ 1 the gap is shorter.
    expect((visitor[1]?.at ?? 0) - (escortIn?.at ?? 0)).toBeLessThan(30_000);
  });

  it('for any community: actions in time order, at lanes that have the device, about known subjects, with ids only', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 8, max: 120 }),
        (seed, households) => {
          const c = community(seed, households);
          const plan = planScenario(c, { seed });
          const ids = new Set([...c.persons.map((p) => p.id), ...c.vehicles.map((v) => v.id), 'unknown']);
          let previous = -1;
          for (const a of plan.actions) {
            expect(a.at).toBeGreaterThan(previous);
            previous = a.at;
            expect(LANES_FOR[a.kind] as readonly string[]).toContain(a.lane);
            expect(ids.has(a.who)).toBe(true);
            if (a.expect.allow) expect(a.expect.codes).toHaveLength(1);
            else expect(a.expect.codes.length).toBeGreaterThan(0);
            const line = `${a.kind} ${a.lane} ${a.who}`;
            expect(consoleLine(a)).toBe(a.mode ? `mode ${a.mode}\n${line}\nmode closed` : line);
          }
          const text = JSON.stringify(plan);
          for (const p of c.persons) {
            expect(text).not.toContain(p.idNumber);
            expect(text).not.toContain(`"${p.name}"`);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('supply trips over three days', () => {
  it('each shopper: out on day 1, refused by the quota on day 2, out on day 3, 48 h and the slack apart', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 8, max: 120 }),
        (seed, households) => {
          const { actions } = planScenario(community(seed, households), { seed });
          const day1 = actions.filter((a) => a.story === 'supply trip, day 1');
          expect(day1.length).toBeGreaterThan(0);
          for (const trip of day1) {
            const again = actions.find((a) => a.story === 'supply trip again, day 2' && a.who === trip.who);
            const later = actions.find((a) => a.story === 'supply trip, day 3' && a.who === trip.who);
            expect(trip.expect).toEqual({ allow: true, codes: ['RESIDENT'] });
            expect(again?.expect).toEqual({ allow: false, codes: ['HOUSEHOLD_QUOTA_EXCEEDED'] });
            expect(later?.expect).toEqual({ allow: true, codes: ['RESIDENT'] });
            // Refused while less than 48 h after the trip, even decided its slack late.
            expect((again?.at ?? 0) + (again?.slackMs ?? 0)).toBeLessThan(trip.at + 48 * 3600_000);
            // Allowed 48 h on, even with the day-1 trip decided its slack late.
            expect((later?.at ?? 0) - trip.at - (trip.slackMs ?? 0)).toBeGreaterThanOrEqual(48 * 3600_000);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('Schedule', () => {
  const action = (at: number, slackMs?: number) => ({
    at,
    kind: 'card' as const,
    lane: LANES.northPedOut,
    who: 'r-1',
    story: 's',
    expect: { allow: true, codes: ['RESIDENT'] },
    ...(slackMs === undefined ? {} : { slackMs }),
  });

  it('plays each step at its due time from the first, not after the previous one’s wait; a fault’s end keeps its gap', () => {
    let now = 1000;
    const schedule = new Schedule(0, 3600, () => now);
    expect(schedule.waitMs(0)).toBe(0);
    now += 5000; // the first action took 5 s: the second, due 1 s after the first, is late
    expect(schedule.waitMs(3600_000)).toBe(0);
    expect(schedule.waitMs(36_000_000)).toBe(1000 + 10_000 - now);
    now = 11_000;
    expect(schedule.waitMs(36_000_000 + 3600_000, true)).toBe(1000);
  });

  it('flags a decision later than the action’s slack (scenario time), and nothing without slack', () => {
    let now = 0;
    const schedule = new Schedule(0, 3600, () => now);
    schedule.waitMs(0);
    now = 10_000;
    const decided = (at: number) => ({ seq: 1, at, allow: true, codes: ['RESIDENT'], notices: [] });
    expect(schedule.lateness(action(3600_000, 8 * 3600_000), decided(8000))).toBeUndefined();
    expect(schedule.lateness(action(3600_000, 8 * 3600_000), decided(10_000))).toMatch(/did not keep up/);
    expect(schedule.lateness(action(3600_000), decided(100_000))).toBeUndefined();
  });
});

describe('compareDecision', () => {
  const decided = (allow: boolean, ...codes: string[]) => ({ seq: 1, allow, codes, notices: [] });

  it('agrees on the same outcome and the same codes in any order; notices are not compared', () => {
    const expect2 = { allow: false, codes: ['HOUSEHOLD_QUOTA_EXCEEDED', 'NOT_DESIGNATED_MEMBER'] };
    expect(
      compareDecision(expect2, decided(false, 'NOT_DESIGNATED_MEMBER', 'HOUSEHOLD_QUOTA_EXCEEDED')),
    ).toBeUndefined();
    expect(
      compareDecision(
        { allow: true, codes: ['RESIDENT'] },
        { ...decided(true, 'RESIDENT'), notices: ['QUARANTINED'] },
      ),
    ).toBeUndefined();
  });

  it('names a different outcome, a missing or extra code, and a lost decision', () => {
    expect(compareDecision({ allow: true, codes: ['RESIDENT'] }, decided(false, 'ANTI_PASSBACK'))).toBe(
      'expected allow RESIDENT, gateway denied ANTI_PASSBACK',
    );
    expect(compareDecision({ allow: false, codes: ['FEVER'] }, decided(false, 'FEVER', 'NO_MASK'))).toMatch(
      /FEVER\+NO_MASK/,
    );
    expect(compareDecision({ allow: false, codes: ['FEVER'] }, undefined)).toMatch(/lost event/);
  });

  it('sums up the run with every disagreement listed', () => {
    const lines = summaryLines([
      {
        time: '07:00',
        action: 'card a',
        expected: 'allow RESIDENT',
        decided: 'allow RESIDENT',
        agreed: true,
      },
      {
        time: '07:03',
        action: 'card b',
        expected: 'deny FEVER',
        decided: 'none',
        agreed: false,
        problem: 'lost',
      },
    ]);
    expect(lines).toContain('actions 动作: 2, agreed 一致: 1, disagreed 不一致: 1');
    expect(lines.at(-1)).toBe('  ✗ 07:03 card b: lost');
  });
});
