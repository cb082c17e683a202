import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  CREDENTIAL_KINDS,
  type Credential,
  type Household,
  PERSON_KINDS,
  QUARANTINE_KINDS,
  type QuarantineOrder,
  type QuarantineTarget,
  SHIFT_IDS,
  SITE_MODES,
  VEHICLE_KINDS,
  type Vehicle,
  type VisitorRegistration,
} from '../../gateway/domain/model.js';
import { HOLDER_CACHE_ENTRIES } from '../../gateway/registry/database-view.js';
import type { PersonRecord, RegistryRecords } from '../../gateway/registry/records.js';
import { decide } from '../../gateway/rules/decide.js';
import type { PassRequest, RegistryView } from '../../gateway/rules/types.js';
import { buildingContext } from '../helpers/building-world.js';
import { registryViews } from '../helpers/registry-views.js';
import { type ContextOptions, laneContext, NOW, policy } from '../helpers/world.js';

/*
 * The database view (gateway/registry/database-view.ts) must decide exactly as the snapshot of
 * the same tables: generated registries (dangling references, orders on persons, households,
 * buildings and units, lapsed and revoked credentials, registrations with travel) and requests
 * for every credential in them and some that are not.
 */

const H = 3600_000;
const D = 24 * H;
const HOUSEHOLD_IDS = ['h1', 'h2', 'h3'];
const PERSON_IDS = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
const VEHICLE_IDS = ['v1', 'v2'];
const BUILDINGS = ['1', '2'];
const UNITS = ['1', '2'];
const VALUES = ['A1', 'B2', 'C3', 'D4'];
const REGIONS = ['420100', '310000'];

const instant = fc.option(fc.integer({ min: NOW - 3 * D, max: NOW + 3 * D }), { nil: undefined });
/** Sets only the fields whose value is not undefined (records read back have no undefined fields). */
const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const household: fc.Arbitrary<Household> = fc
  .record({
    id: fc.constantFrom(...HOUSEHOLD_IDS),
    building: fc.constantFrom(...BUILDINGS),
    unit: fc.constantFrom(...UNITS),
    room: fc.constant('101'),
    designatedMemberIds: fc.subarray(PERSON_IDS, { maxLength: 2 }),
    quota: fc.option(fc.record({ exits: fc.integer({ min: 1, max: 3 }), periodMs: fc.constant(D) }), {
      nil: undefined,
    }),
  })
  .map(defined);

const person: fc.Arbitrary<PersonRecord> = fc
  .record({
    id: fc.constantFrom(...PERSON_IDS),
    kind: fc.constantFrom(...PERSON_KINDS),
    householdId: fc.option(fc.constantFrom(...HOUSEHOLD_IDS, 'h-gone'), { nil: undefined }),
    shifts: fc.option(fc.subarray([...SHIFT_IDS], { minLength: 1 }), { nil: undefined }),
  })
  .map(defined);

const vehicle: fc.Arbitrary<Vehicle> = fc
  .record({
    id: fc.constantFrom(...VEHICLE_IDS),
    plate: fc.constant('京A12345'),
    kind: fc.constantFrom(...VEHICLE_KINDS),
    householdId: fc.option(fc.constantFrom(...HOUSEHOLD_IDS), { nil: undefined }),
    permit: fc.option(fc.record({ validUntil: instant }).map(defined), { nil: undefined }),
    disinfectedAt: instant,
  })
  .map(defined);

const credential: fc.Arbitrary<Credential> = fc
  .record({
    kind: fc.constantFrom(...CREDENTIAL_KINDS),
    value: fc.constantFrom(...VALUES),
    holderId: fc.constantFrom(...PERSON_IDS, ...VEHICLE_IDS, 'nobody'),
    validFrom: instant,
    validUntil: instant,
    revokedAt: instant,
  })
  .map((c) => defined({ id: `${c.kind}:${c.value}`, ...c }));

const visitor: fc.Arbitrary<VisitorRegistration> = fc
  .record({
    id: fc.constantFrom('r1', 'r2', 'r3', 'r4'),
    personId: fc.constantFrom(...PERSON_IDS),
    escortIds: fc.subarray(PERSON_IDS, { maxLength: 2 }),
    hostHouseholdId: fc.option(fc.constantFrom(...HOUSEHOLD_IDS), { nil: undefined }),
    validFrom: instant,
    validUntil: instant,
    travel: fc.array(fc.record({ region: fc.constantFrom(...REGIONS), at: fc.constant(NOW - 5 * D) }), {
      maxLength: 1,
    }),
  })
  .map(defined);

const target: fc.Arbitrary<QuarantineTarget> = fc.oneof(
  fc.constantFrom(...PERSON_IDS).map((p) => ({ person: p })),
  fc.constantFrom(...HOUSEHOLD_IDS, 'h-gone').map((h) => ({ household: h })),
  fc.constantFrom(...BUILDINGS).map((b) => ({ building: b })),
  fc.record({ building: fc.constantFrom(...BUILDINGS), unit: fc.constantFrom(...UNITS) }),
);

const order: fc.Arbitrary<QuarantineOrder> = fc
  .record({
    id: fc.constantFrom('q1', 'q2', 'q3', 'q4', 'q5'),
    kind: fc.constantFrom(...QUARANTINE_KINDS),
    target,
    from: fc.integer({ min: NOW - 3 * D, max: NOW }),
    until: fc.integer({ min: NOW, max: NOW + 3 * D }),
    liftedAt: instant,
  })
  .map(defined);

const byId = { selector: (x: { id: string }) => x.id };
const records: fc.Arbitrary<Partial<RegistryRecords>> = fc.record({
  households: fc.uniqueArray(household, byId),
  persons: fc.uniqueArray(person, byId),
  vehicles: fc.uniqueArray(vehicle, byId),
  credentials: fc.uniqueArray(credential, { ...byId, maxLength: 12 }),
  visitors: fc.uniqueArray(visitor, byId),
  quarantineOrders: fc.uniqueArray(order, byId),
  highRiskRegions: fc.subarray(REGIONS).map((codes) => codes.map((code) => ({ code, since: NOW - 30 * D }))),
});

const request: fc.Arbitrary<PassRequest> = fc.record(
  {
    at: fc.integer({ min: NOW - 2 * D, max: NOW + 2 * D }),
    laneId: fc.constant('lane'),
    shift: fc.constantFrom(...SHIFT_IDS),
    credential: fc.record({
      kind: fc.constantFrom(...CREDENTIAL_KINDS),
      value: fc.constantFrom(...VALUES, 'Z9'),
    }),
    purpose: fc.constant('delivery' as const),
  },
  { requiredKeys: ['at', 'laneId', 'shift', 'credential'] },
);

const context: fc.Arbitrary<ContextOptions & { entrance?: { building: string; unit?: string } }> = fc.record(
  {
    primary: fc.boolean(),
    kind: fc.constantFrom('pedestrian' as const, 'vehicle' as const),
    direction: fc.constantFrom('in' as const, 'out' as const),
    escorts: fc.dictionary(fc.constantFrom(...PERSON_IDS), fc.integer({ min: NOW - 60_000, max: NOW })),
    entrance: fc.option(
      fc.record(
        { building: fc.constantFrom(...BUILDINGS), unit: fc.constantFrom(...UNITS) },
        { requiredKeys: ['building'] },
      ),
      { nil: undefined },
    ),
  },
  { requiredKeys: [] },
);

function decideWith(
  registry: RegistryView,
  mode: (typeof SITE_MODES)[number],
  ctx: ContextOptions & { entrance?: { building: string; unit?: string } },
  req: PassRequest,
) {
  const p = policy(mode);
  const lane = ctx.entrance ? buildingContext(ctx.entrance, ctx, p) : laneContext(ctx, p);
  return decide(p, registry, lane, req);
}

describe('registry views: the database view answers as the snapshot', () => {
  test.prop(
    [
      records,
      fc.array(fc.tuple(fc.constantFrom(...SITE_MODES), context, request), { minLength: 1, maxLength: 8 }),
    ],
    {
      numRuns: 400,
    },
  )('decide() gives the same decision with either view', (input, cases) => {
    const { snapshot, database, close } = registryViews(input);
    try {
      for (const [mode, ctx, req] of cases) {
        expect(decideWith(database, mode, ctx, req)).toEqual(decideWith(snapshot, mode, ctx, req));
      }
    } finally {
      close();
    }
  });

  test.prop([records], { numRuns: 300 })('every lookup gives the same answer', (input) => {
    const { snapshot, database, close } = registryViews(input);
    try {
      for (const kind of CREDENTIAL_KINDS)
        for (const value of [...VALUES, 'Z9']) {
          expect(database.holder(kind, value)).toEqual(snapshot.holder(kind, value));
          expect(database.credential(kind, value)).toEqual(snapshot.credential(kind, value));
        }
      for (const id of [...PERSON_IDS, 'nobody']) {
        const p = snapshot.person(id);
        expect(database.person(id)).toEqual(p);
        expect(database.visitorRegistrations(id)).toEqual(snapshot.visitorRegistrations(id));
        for (const at of [NOW - 2 * D, NOW, NOW + 2 * D])
          expect(database.hasValidWorkCertificate(id, at)).toBe(snapshot.hasValidWorkCertificate(id, at));
        for (const householdId of [undefined, ...HOUSEHOLD_IDS, 'h-gone']) {
          const someone = p ?? { id, kind: 'visitor' as const };
          const asked = householdId === undefined ? someone : { ...someone, householdId };
          expect(database.quarantineOrders(asked)).toEqual(snapshot.quarantineOrders(asked));
        }
      }
      for (const id of [...HOUSEHOLD_IDS, 'h-gone'])
        expect(database.household(id)).toEqual(snapshot.household(id));
      for (const id of [...VEHICLE_IDS, 'v-gone']) expect(database.vehicle(id)).toEqual(snapshot.vehicle(id));
      for (const code of [...REGIONS, '999999'])
        expect(database.highRiskRegion(code)).toEqual(snapshot.highRiskRegion(code));
      for (const building of BUILDINGS)
        for (const unit of [undefined, ...UNITS]) {
          const entrance = unit === undefined ? { building } : { building, unit };
          expect(database.entranceOrders(entrance)).toEqual(snapshot.entranceOrders(entrance));
        }
    } finally {
      close();
    }
  });
});

describe('registry views: the holder cache', () => {
  test('a holder looked up again is the cached one; past the bound the oldest is read again', () => {
    const credentials = Array.from({ length: HOLDER_CACHE_ENTRIES + 1 }, (_, i) => ({
      id: `c${i}`,
      kind: 'card' as const,
      value: `V${i}`,
      holderId: 'p1',
    }));
    const { database, close } = registryViews({
      persons: [{ id: 'p1', kind: 'resident' }],
      credentials,
    });
    try {
      const first = database.holder('card', 'V0');
      expect(database.holder('card', 'V0')).toBe(first);
      for (const c of credentials.slice(1)) database.holder('card', c.value);
      const again = database.holder('card', 'V0');
      expect(again).toEqual(first);
      expect(again).not.toBe(first);
    } finally {
      close();
    }
  });
});
