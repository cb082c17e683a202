import type { Household, Person, QuarantineOrder } from '../domain/model.js';

/** What of the registry tells which orders reach a household: its place and its members. */
export interface HouseholdLookup {
  household(id: string): Household | undefined;
  person(id: string): Person | undefined;
}

/**
 * Whether an order is in force at `at`: `from ≤ at < until` and not lifted at or before `at`
 * (as the QUARANTINED rule and `RegistryStore.listQuarantines` judge it).
 */
export function inForceAt(order: QuarantineOrder, at: number): boolean {
  return order.from <= at && at < order.until && (order.liftedAt === undefined || at < order.liftedAt);
}

/**
 * Whether an order reaches the household `householdId`: it names the household, a person of it,
 * its building, or its building and unit. A building or unit order reaches only a household the
 * registry places there, and a person order only a person the registry puts in the household.
 */
export function reachesHousehold(
  order: QuarantineOrder,
  householdId: string,
  registry: HouseholdLookup,
): boolean {
  const t = order.target;
  if ('household' in t) return t.household === householdId;
  if ('person' in t) return registry.person(t.person)?.householdId === householdId;
  const household = registry.household(householdId);
  if (household === undefined || household.building !== t.building) return false;
  return !('unit' in t) || household.unit === t.unit;
}

/**
 * The orders in force at `at` that reach the household, the earliest first (by `from`, then
 * id): the first is the one an alarm names. Empty: the household is under no order now.
 */
export function ordersInForce(
  householdId: string,
  orders: readonly QuarantineOrder[],
  registry: HouseholdLookup,
  at: number,
): QuarantineOrder[] {
  return orders
    .filter((o) => inForceAt(o, at) && reachesHousehold(o, householdId, registry))
    .sort((a, b) => a.from - b.from || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
