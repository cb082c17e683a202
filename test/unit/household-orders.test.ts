/**
 * Which quarantine orders are in force for a household at an instant: an order reaches it by
 * naming the household, a person of it, its building, or its building and unit; it is in force
 * from `from` (inclusive) to `until` (exclusive) unless lifted at or before the instant.
 */
import { describe, expect, it } from 'vitest';
import { inForceAt, ordersInForce, reachesHousehold } from '../../gateway/devices/household-orders.js';
import type { QuarantineOrder, QuarantineTarget } from '../../gateway/domain/model.js';
import { RegistrySnapshot } from '../../gateway/registry/snapshot.js';

const H = 3600_000;
const T0 = Date.UTC(2022, 3, 10, 2);

const registry = new RegistrySnapshot({
  households: [
    { id: 'h-1', building: '1', unit: '1', room: '101', designatedMemberIds: [] },
    { id: 'h-2', building: '1', unit: '2', room: '201', designatedMemberIds: [] },
    { id: 'h-3', building: '2', unit: '1', room: '101', designatedMemberIds: [] },
  ],
  persons: [
    { id: 'r-1', kind: 'resident', householdId: 'h-1' },
    { id: 'r-2', kind: 'resident', householdId: 'h-2' },
    { id: 'v-1', kind: 'visitor' },
  ],
});

const order = (
  id: string,
  target: QuarantineTarget,
  extra: Partial<QuarantineOrder> = {},
): QuarantineOrder => ({
  id,
  kind: 'home',
  target,
  from: T0,
  until: T0 + 14 * 24 * H,
  ...extra,
});

/** The households of the registry an order reaches. */
const reached = (o: QuarantineOrder) =>
  ['h-1', 'h-2', 'h-3', 'h-unknown'].filter((h) => reachesHousehold(o, h, registry));

describe('orders that reach a household', () => {
  it('an order naming the household reaches it alone, known to the registry or not', () => {
    expect(reached(order('q', { household: 'h-1' }))).toEqual(['h-1']);
    expect(reached(order('q', { household: 'h-unknown' }))).toEqual(['h-unknown']);
  });

  it('an order naming a person reaches the person’s household only', () => {
    expect(reached(order('q', { person: 'r-1' }))).toEqual(['h-1']);
    expect(reached(order('q', { person: 'v-1' }))).toEqual([]);
    expect(reached(order('q', { person: 'nobody' }))).toEqual([]);
  });

  it('an order naming a building reaches every household in it; one naming a unit, that unit’s', () => {
    expect(reached(order('q', { building: '1' }))).toEqual(['h-1', 'h-2']);
    expect(reached(order('q', { building: '1', unit: '2' }))).toEqual(['h-2']);
    expect(reached(order('q', { building: '2', unit: '2' }))).toEqual([]);
    expect(reached(order('q', { building: '3' }))).toEqual([]);
  });
});

describe('orders in force', () => {
  it('from its start (inclusive) to its end (exclusive)', () => {
    const o = order('q', { household: 'h-1' });
    expect([T0 - 1, T0, o.until - 1, o.until].map((t) => inForceAt(o, t))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('until it is lifted: not at the lifting instant or after', () => {
    const o = order('q', { household: 'h-1' }, { liftedAt: T0 + H });
    expect([T0 + H - 1, T0 + H, T0 + 2 * H].map((t) => inForceAt(o, t))).toEqual([true, false, false]);
  });

  it('lists a household’s orders in force, earliest first, leaving out the lifted, expired and others', () => {
    const orders = [
      order('q-unit', { building: '1', unit: '1' }, { from: T0 + H }),
      order('q-lifted', { household: 'h-1' }, { liftedAt: T0 + H }),
      order('q-expired', { person: 'r-1' }, { from: T0 - 20 * 24 * H, until: T0 }),
      order('q-person', { person: 'r-1' }),
      order('q-other', { household: 'h-2' }),
      order('q-later', { building: '1' }, { from: T0 + 3 * H }),
    ];
    const ids = (at: number) => ordersInForce('h-1', orders, registry, at).map((o) => o.id);
    expect(ids(T0)).toEqual(['q-lifted', 'q-person']);
    expect(ids(T0 + 2 * H)).toEqual(['q-person', 'q-unit']);
    expect(ids(T0 + 4 * H)).toEqual(['q-person', 'q-unit', 'q-later']);
    expect(ordersInForce('h-3', orders, registry, T0 + 4 * H)).toEqual([]);
  });
});
