/**
 * The orders in force for a household (household door sensors) agree with how the registry
 * snapshot resolves a person's orders for the pass rules: for any registry of households in
 * buildings and units with their members, any orders (person, household, building, unit targets;
 * any times, lifted or not) and any instant, a household's orders in force are exactly those of
 * its members' orders (`RegistrySnapshot.quarantineOrders`) that are in force by the QUARANTINED
 * rule's test. The result does not depend on the order the orders are listed in.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ordersInForce } from '../../gateway/devices/household-orders.js';
import type { Household, Person, QuarantineOrder, QuarantineTarget } from '../../gateway/domain/model.js';
import { RegistrySnapshot } from '../../gateway/registry/snapshot.js';

const BUILDINGS = ['1', '2', '3'];
const UNITS = ['1', '2'];
const T0 = Date.UTC(2022, 3, 10, 2);
const SPAN = 40 * 24 * 3600_000;

/** Households h-0 … h-n, each with one to three members (so every household has a member). */
const registry = fc
  .array(fc.record({ building: fc.constantFrom(...BUILDINGS), unit: fc.constantFrom(...UNITS) }), {
    minLength: 1,
    maxLength: 6,
  })
  .chain((places) =>
    fc.tuple(...places.map(() => fc.integer({ min: 1, max: 3 }))).map((sizes) => {
      const households: Household[] = places.map((p, i) => ({
        id: `h-${i}`,
        ...p,
        room: String(100 + i),
        designatedMemberIds: [],
      }));
      const persons: Person[] = sizes.flatMap((n, i) =>
        Array.from({ length: n }, (_, j) => ({
          id: `r-${i}-${j}`,
          kind: 'resident' as const,
          householdId: `h-${i}`,
        })),
      );
      persons.push({ id: 'v-0', kind: 'visitor' });
      return { households, persons };
    }),
  );

const target = (r: { households: Household[]; persons: Person[] }): fc.Arbitrary<QuarantineTarget> =>
  fc.oneof(
    fc.constantFrom(...r.persons.map((p) => p.id), 'ghost').map((person) => ({ person })),
    fc.constantFrom(...r.households.map((h) => h.id), 'h-ghost').map((household) => ({ household })),
    fc.constantFrom(...BUILDINGS, '9').map((building) => ({ building })),
    fc
      .tuple(fc.constantFrom(...BUILDINGS), fc.constantFrom(...UNITS, '9'))
      .map(([building, unit]) => ({ building, unit })),
  );

const time = fc.integer({ min: T0, max: T0 + SPAN });

const scenario = registry.chain((r) =>
  fc.record({
    registry: fc.constant(r),
    orders: fc
      .array(
        fc.record({
          target: target(r),
          from: time,
          length: fc.integer({ min: 1, max: SPAN }),
          lifted: fc.option(time, { nil: undefined }),
        }),
        { maxLength: 12 },
      )
      .map((list) =>
        list.map(
          (o, i): QuarantineOrder => ({
            id: `q-${i}`,
            kind: 'home',
            target: o.target,
            from: o.from,
            until: o.from + o.length,
            ...(o.lifted === undefined ? {} : { liftedAt: o.lifted }),
          }),
        ),
      ),
    at: time,
    household: fc.nat({ max: r.households.length - 1 }).map((i) => `h-${i}`),
  }),
);

/** The QUARANTINED rule's test of an order in force (gateway/rules/rule-table.ts). */
const ruleInForce = (o: QuarantineOrder, at: number) =>
  !(at < o.from || at >= o.until || (o.liftedAt !== undefined && at >= o.liftedAt));

describe('orders in force for a household', () => {
  test.prop([scenario], { numRuns: 300 })(
    'are its members’ orders in force, as the snapshot resolves them for the pass rules',
    ({ registry: r, orders, at, household }) => {
      const snapshot = new RegistrySnapshot({ ...r, quarantineOrders: orders });
      const members = r.persons.filter((p) => p.householdId === household);
      const expected = new Set(
        members
          .flatMap((p) => snapshot.quarantineOrders(p).filter((o) => ruleInForce(o, at)))
          .map((o) => o.id),
      );
      const found = ordersInForce(household, orders, snapshot, at).map((o) => o.id);
      expect(new Set(found)).toEqual(expected);
      expect(found).toHaveLength(expected.size);
    },
  );

  test.prop([
    scenario.chain((s) =>
      fc.record({
        s: fc.constant(s),
        shuffled: fc.shuffledSubarray(s.orders, { minLength: s.orders.length }),
      }),
    ),
  ])('do not depend on the order the orders are listed in, and come earliest first', ({ s, shuffled }) => {
    const snapshot = new RegistrySnapshot(s.registry);
    const found = ordersInForce(s.household, s.orders, snapshot, s.at);
    expect(ordersInForce(s.household, shuffled, snapshot, s.at)).toEqual(found);
    for (let i = 1; i < found.length; i++)
      expect((found[i - 1] as QuarantineOrder).from).toBeLessThanOrEqual((found[i] as QuarantineOrder).from);
  });
});
