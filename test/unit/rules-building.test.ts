/**
 * The pass rules at a building entrance (a gate of kind `building`): who may go in, a sealed
 * building or unit, lockdown, and the perimeter's rules that do not apply there. Every case
 * runs against the registry that lists the orders on a building (`exact`) and against one
 * without that lookup (`fallback`): the outcome must be the same.
 */
import { describe, expect, it } from 'vitest';
import type { BuildingEntrance, QuarantineOrder, SiteMode } from '../../gateway/domain/model.js';
import { decide } from '../../gateway/rules/decide.js';
import { REASON_MESSAGES } from '../../gateway/rules/reasons.js';
import type { Decision, PassRequest, PresentedCredential, RegistryView } from '../../gateway/rules/types.js';
import { B3, B3U1, B3U2, buildingContext, buildingRegistries, order } from '../helpers/building-world.js';
import { type ContextOptions, cardValue, laneContext, NOW, policy } from '../helpers/world.js';

const H = 3600_000;
const cardOf = (name: string): PresentedCredential => ({ kind: 'card', value: cardValue(name) });

interface Case {
  mode?: SiteMode;
  entrance?: BuildingEntrance;
  orders?: QuarantineOrder[];
  req?: Partial<PassRequest>;
  ctx?: ContextOptions;
}

/**
 * The decision on the exact registry. For anyone but staff (who have no household through which
 * the fallback could see a seal: rules/entrance.ts), the fallback must agree on allow and grant.
 */
function run(card: string | undefined, c: Case = {}): Decision {
  const registries = buildingRegistries(c.orders);
  const exact = runOn(registries.exact, card, c);
  if (card?.startsWith('C-STAFF')) return exact;
  const fallback = runOn(registries.fallback, card, c);
  expect({ allow: fallback.allow, grant: grant(fallback) }).toEqual({
    allow: exact.allow,
    grant: grant(exact),
  });
  return exact;
}

function runOn(registry: RegistryView, card: string | undefined, c: Case): Decision {
  const p = policy(c.mode ?? 'closed');
  const request: PassRequest = { at: NOW, laneId: 'door', shift: 'day', ...c.req };
  if (card !== undefined) request.credential = cardOf(card);
  return decide(p, registry, buildingContext(c.entrance ?? B3, c.ctx, p), request);
}

const denies = (d: Decision) => d.reasons.filter((r) => r.effect === 'deny').map((r) => r.code);
const notices = (d: Decision) => d.reasons.filter((r) => r.effect === 'notice').map((r) => r.code);
const grant = (d: Decision) => d.reasons.find((r) => r.effect === 'grant')?.code;
const out: ContextOptions = { direction: 'out' };
const MODES: readonly SiteMode[] = ['open', 'closed'];

describe('who goes in at a building entrance, in open and closed mode', () => {
  for (const mode of MODES) {
    it(`${mode}: a resident of the building, without a temperature reading or the main gate's checks`, () => {
      const d = run('C-R31', { mode, ctx: { lastDirections: { r31: 'in' } } });
      expect(d.allow).toBe(true);
      expect(grant(d)).toBe('RESIDENT');
      expect(d.reasons).toHaveLength(1);
    });
    it(`${mode}: a resident of another building → NOT_THIS_BUILDING`, () => {
      const d = run('C-R5', { mode });
      expect(d.allow).toBe(false);
      expect(denies(d)).toEqual(['NOT_THIS_BUILDING']);
      expect(d.actions).toEqual([
        { type: 'indicate', led: 'red', buzzer: 'long', text: REASON_MESSAGES.NOT_THIS_BUILDING },
      ]);
    });
    it(`${mode}: staff, on duty or not`, () => {
      expect(grant(run('C-STAFF1', { mode, req: { shift: 'night' } }))).toBe('STAFF');
      expect(grant(run('C-STAFF-NOCERT', { mode }))).toBe('STAFF');
    });
    it(`${mode}: a visitor whose host household lives in the building`, () => {
      const escorted = run('C-VIS3', { mode, ctx: { escorts: { r32: NOW - 5000 } } });
      expect(grant(escorted)).toBe('VISITOR_ESCORTED');
      expect(grant(run('C-REPAIR3', { mode }))).toBe('VISITOR_REGISTERED');
    });
    it(`${mode}: a visitor hosted in another building, or by nobody → NOT_THIS_BUILDING`, () => {
      const escort = { escorts: { r5: NOW - 5000, r31: NOW - 5000 } };
      expect(denies(run('C-VIS5', { mode, ctx: escort }))).toEqual(['NOT_THIS_BUILDING']);
      expect(denies(run('C-VIS-NOHOST', { mode, ctx: escort }))).toEqual(['NOT_THIS_BUILDING']);
    });
    it(`${mode}: an operator override and a fire release open it for anyone`, () => {
      const override = run('C-R5', { mode, req: { override: { operator: 'op1', reason: '120' } } });
      expect(grant(override)).toBe('EMERGENCY_OVERRIDE');
      expect(denies(override)).toEqual(['NOT_THIS_BUILDING']);
      expect(grant(run(undefined, { mode, ctx: { fire: true } }))).toBe('FIRE_RELEASE');
    });
  }
  it('closed: a visitor hosted here still needs the escort, at this door', () => {
    expect(denies(run('C-VIS3'))).toEqual(['ESCORT_REQUIRED']);
    expect(grant(run('C-VIS3', { mode: 'open' }))).toBe('VISITOR_REGISTERED');
  });
  it('closed: a courier never goes in; in open mode only with a registration hosted here', () => {
    expect(denies(run('C-COURIER1'))).toEqual(['NOT_THIS_BUILDING', 'DELIVERY_NOT_ALLOWED']);
    expect(denies(run('C-COURIER1', { mode: 'open' }))).toEqual([
      'NOT_THIS_BUILDING',
      'VISITOR_NOT_REGISTERED',
    ]);
  });
  it("a unit's door lets in that unit's residents only", () => {
    expect(grant(run('C-R31', { entrance: B3U1 }))).toBe('RESIDENT');
    expect(denies(run('C-R32', { entrance: B3U1 }))).toEqual(['NOT_THIS_BUILDING']);
    expect(grant(run('C-R32', { entrance: B3U2 }))).toBe('RESIDENT');
    expect(grant(run('C-VIS3', { entrance: B3U2, ctx: { escorts: { r32: NOW - 5000 } } }))).toBe(
      'VISITOR_ESCORTED',
    );
    expect(denies(run('C-VIS3', { entrance: B3U1, ctx: { escorts: { r32: NOW - 5000 } } }))).toEqual([
      'NOT_THIS_BUILDING',
    ]);
  });
  it('an unknown card or nothing shown is refused as at the perimeter', () => {
    expect(denies(run('C-NOPE'))).toEqual(['UNKNOWN_CREDENTIAL']);
    expect(denies(run(undefined))).toEqual(['NO_CREDENTIAL']);
  });
});

describe('leaving a building', () => {
  it('is not refused for not belonging there', () => {
    expect(grant(run('C-R5', { ctx: out }))).toBe('RESIDENT');
    expect(grant(run('C-VIS5', { ctx: out }))).toBe('VISITOR_REGISTERED');
  });
  it('is not leaving the community: no household quota, no designated member', () => {
    const usedUp = { direction: 'out' as const, exits: { '3-2-501': [NOW - H] } };
    const d = run('C-R32B', { ctx: usedUp });
    expect(d.allow).toBe(true);
    expect(d.reasons).toEqual([{ effect: 'grant', code: 'RESIDENT' }]);
  });
  it('a person under quarantine may not leave their building (QUARANTINED, as at the perimeter)', () => {
    const d = run('C-R31', { ctx: out, orders: [order('q-hh', { household: '3-1-101' })] });
    expect(denies(d)).toEqual(['QUARANTINED']);
  });
});

describe('rules of the perimeter that a building door does not apply', () => {
  it('GATE_CLOSED: a building door is not primary and stays open in closed mode', () => {
    expect(run('C-R31', { mode: 'closed' }).allow).toBe(true);
  });
  it('TEMPERATURE_REQUIRED: none, but a reading taken at the door still counts', () => {
    expect(run('C-R31', { ctx: { temperature: null } }).allow).toBe(true);
    const fever = run('C-R31', { ctx: { temperature: { at: NOW - 1000, celsius: 38.2, mask: false } } });
    expect(denies(fever)).toEqual(['FEVER', 'NO_MASK']);
  });
  it('ANTI_PASSBACK: a resident who came into the community goes on into their building', () => {
    expect(run('C-R31', { ctx: { lastDirections: { r31: 'in' } } }).allow).toBe(true);
  });
  it('VEHICLE_*: a plate at a building door is refused as not belonging there, in either direction', () => {
    const plate = { credential: { kind: 'plate' as const, value: '京A55555' } };
    expect(denies(run(undefined, { req: plate }))).toEqual(['NOT_THIS_BUILDING']);
    expect(denies(run(undefined, { req: plate, ctx: out }))).toEqual(['NOT_THIS_BUILDING']);
  });
});

describe('a sealed building (an order in force on it)', () => {
  const sealed = [order('q-b3', { building: '3' })];
  it('refuses a resident of it going out: BUILDING_SEALED and QUARANTINED', () => {
    const d = run('C-R31', { orders: sealed, ctx: out });
    expect(d.allow).toBe(false);
    expect(denies(d)).toEqual(['BUILDING_SEALED', 'QUARANTINED']);
    expect(d.actions).toEqual([
      { type: 'indicate', led: 'red', buzzer: 'long', text: REASON_MESSAGES.BUILDING_SEALED },
      { type: 'alarm', code: 'BUILDING_SEALED', severity: 'warning' },
      { type: 'alarm', code: 'QUARANTINED', severity: 'critical' },
    ]);
    expect(d.reasons).toContainEqual({ effect: 'deny', code: 'BUILDING_SEALED', detail: { order: 'q-b3' } });
  });
  it('lets a resident under home quarantine come home, with the QUARANTINED alarm', () => {
    const d = run('C-R31', { orders: sealed });
    expect(d.allow).toBe(true);
    expect(grant(d)).toBe('RESIDENT');
    expect(denies(d)).toEqual([]);
    expect(notices(d)).toEqual(['QUARANTINED']);
    expect(d.actions).toContainEqual({ type: 'alarm', code: 'QUARANTINED', severity: 'critical' });
  });
  it('refuses a resident coming home when the order is centralised quarantine', () => {
    const d = run('C-R31', { orders: [order('q-b3c', { building: '3' }, 'centralised')] });
    expect(denies(d)).toEqual(['BUILDING_SEALED', 'QUARANTINED']);
  });
  it('refuses a resident of another building, and says why on the exact registry', () => {
    const d = run('C-R5', { orders: sealed });
    expect(d.allow).toBe(false);
    expect(denies(d)).toEqual(['BUILDING_SEALED', 'NOT_THIS_BUILDING']);
  });
  it('refuses a visitor hosted in it, escorted or not, on both registries', () => {
    const ctx = { escorts: { r32: NOW - 5000 } };
    for (const mode of MODES)
      expect(denies(run('C-VIS3', { mode, orders: sealed, ctx }))).toEqual(['BUILDING_SEALED']);
  });
  it('lets on-duty staff with a work certificate through, and no other staff', () => {
    expect(grant(run('C-STAFF1', { orders: sealed }))).toBe('STAFF');
    expect(grant(run('C-STAFF1', { orders: sealed, ctx: out }))).toBe('STAFF');
    expect(denies(run('C-STAFF1', { orders: sealed, req: { shift: 'night' } }))).toEqual(['BUILDING_SEALED']);
    expect(denies(run('C-STAFF-NOCERT', { orders: sealed }))).toEqual(['BUILDING_SEALED']);
  });
  it('opens for an override or a fire release, listing the seal', () => {
    const d = run('C-R31', {
      orders: sealed,
      ctx: out,
      req: { override: { operator: 'op1', reason: '120' } },
    });
    expect(grant(d)).toBe('EMERGENCY_OVERRIDE');
    expect(denies(d)).toEqual(['BUILDING_SEALED', 'QUARANTINED']);
    expect(grant(run('C-R31', { orders: sealed, ctx: { direction: 'out', fire: true } }))).toBe(
      'FIRE_RELEASE',
    );
  });
  it('applies in open mode too, and ends when the order is lifted or over', () => {
    expect(denies(run('C-R31', { mode: 'open', orders: sealed, ctx: out }))).toEqual([
      'BUILDING_SEALED',
      'QUARANTINED',
    ]);
    const lifted = [order('q-b3', { building: '3' }, 'home', { liftedAt: NOW - H })];
    expect(run('C-R31', { orders: lifted, ctx: out }).allow).toBe(true);
    const over = [order('q-b3', { building: '3' }, 'home', { until: NOW })];
    expect(run('C-R31', { orders: over, ctx: out }).allow).toBe(true);
  });
  it('does not seal another building', () => {
    expect(grant(run('C-R5', { entrance: { building: '5' }, orders: sealed, ctx: out }))).toBe('RESIDENT');
  });
});

describe('a sealed unit', () => {
  const unit2 = [order('q-b3u2', { building: '3', unit: '2' })];
  it("seals that unit's door", () => {
    expect(denies(run('C-R32', { entrance: B3U2, orders: unit2, ctx: out }))).toEqual([
      'BUILDING_SEALED',
      'QUARANTINED',
    ]);
    expect(denies(run('C-STAFF-NOCERT', { entrance: B3U2, orders: unit2 }))).toEqual(['BUILDING_SEALED']);
  });
  it("not the other units' doors, nor the door of the whole building", () => {
    expect(run('C-R31', { entrance: B3U1, orders: unit2, ctx: out }).allow).toBe(true);
    expect(run('C-STAFF-NOCERT', { entrance: B3, orders: unit2 }).allow).toBe(true);
    // Its residents are still held by QUARANTINED at the building's door.
    expect(denies(run('C-R32', { entrance: B3, orders: unit2, ctx: out }))).toEqual(['QUARANTINED']);
  });
  it("an order on the whole building seals each unit's door too", () => {
    const whole = [order('q-b3', { building: '3' })];
    expect(denies(run('C-R31', { entrance: B3U1, orders: whole, ctx: out }))).toEqual([
      'BUILDING_SEALED',
      'QUARANTINED',
    ]);
  });
  it('an order on a household or a person seals no door', () => {
    const orders = [order('q-hh', { household: '3-2-501' }), order('q-p', { person: 'r31' })];
    expect(run('C-STAFF-NOCERT', { entrance: B3U2, orders }).allow).toBe(true);
    expect(denies(run('C-R31', { orders, ctx: out }))).toEqual(['QUARANTINED']);
  });
});

describe('lockdown at a building entrance', () => {
  const lockdown = { mode: 'lockdown' as const };
  it('lets its residents go in (home), not out', () => {
    expect(grant(run('C-R31', lockdown))).toBe('RESIDENT');
    expect(denies(run('C-R31', { ...lockdown, ctx: out }))).toEqual(['LOCKDOWN']);
  });
  it('refuses residents of other buildings and visitors', () => {
    expect(denies(run('C-R5', lockdown))).toEqual(['LOCKDOWN', 'NOT_THIS_BUILDING']);
    const escorted = { escorts: { r32: NOW - 5000 } };
    expect(denies(run('C-VIS3', { ...lockdown, ctx: escorted }))).toEqual(['LOCKDOWN']);
  });
  it('lets on-duty staff and overrides through', () => {
    expect(grant(run('C-STAFF1', { ...lockdown, ctx: out }))).toBe('STAFF');
    expect(denies(run('C-STAFF1', { ...lockdown, req: { shift: 'night' } }))).toEqual(['LOCKDOWN']);
    const override = { override: { operator: 'op1', reason: '120' } };
    expect(grant(run('C-R31', { ...lockdown, ctx: out, req: override }))).toBe('EMERGENCY_OVERRIDE');
  });
  it('in a sealed building, a resident under home quarantine still comes home, with the alarm', () => {
    const d = run('C-R31', { ...lockdown, orders: [order('q-b3', { building: '3' })] });
    expect(grant(d)).toBe('RESIDENT');
    expect(notices(d)).toEqual(['QUARANTINED']);
  });
});

describe('the decision says where it was made', () => {
  it('carries the entrance at a building gate', () => {
    expect(run('C-R31', { entrance: B3U1 }).entrance).toEqual(B3U1);
    expect(run('C-R5').entrance).toEqual(B3);
  });
  it('carries nothing at a perimeter gate, where the building rules never apply', () => {
    const { exact } = buildingRegistries([order('q-b3', { building: '3' })]);
    const p = policy('closed');
    const d = decide(p, exact, laneContext({}, p), {
      at: NOW,
      laneId: 'north-in',
      shift: 'day',
      credential: cardOf('C-R5'),
    });
    expect(d.allow).toBe(true);
    expect('entrance' in d).toBe(false);
  });
});
