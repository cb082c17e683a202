import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consoleLine, planScenario } from '../../simulators/scenario/plan.js';
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
        'ESCORT_REQUIRED',
        'FEVER',
        'HOUSEHOLD_QUOTA_EXCEEDED',
        'NOT_DESIGNATED_MEMBER',
        'QUARANTINED',
        'RESIDENT',
        'STAFF',
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
            expect(consoleLine(a)).toBe(`${a.kind} ${a.lane} ${a.who}`);
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
