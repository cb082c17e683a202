import type { BuildingEntrance, Household, QuarantineOrder, VisitorRegistration } from '../domain/model.js';
import type { RegistryView } from './types.js';

/**
 * Building entrances: the doors of a building, or of one unit (单元) of it, inside the community
 * (gates of kind `building`). Who lives behind one, and which quarantine orders seal it.
 * Pure reads, no clock: time comes in as `at`.
 */

/** An order is in force from `from` (inclusive) until `until` or its lifting, whichever comes first. */
export function isInForce(o: QuarantineOrder, at: number): boolean {
  return o.from <= at && at < o.until && (o.liftedAt === undefined || at < o.liftedAt);
}

/** True when the household lives behind the entrance: in its building, and in its unit for a unit's door. */
export function livesBehind(household: Household | undefined, entrance: BuildingEntrance): boolean {
  return (
    household !== undefined &&
    household.building === entrance.building &&
    (entrance.unit === undefined || household.unit === entrance.unit)
  );
}

/**
 * True when the order seals the entrance: it targets the entrance's building as a whole, or the
 * entrance's own unit. An order on one unit does not seal the door of the whole building, which
 * the other units' residents use: the sealed unit's residents are held there by QUARANTINED.
 * Orders on a person or a household seal no door (the household door sensor watches those).
 */
export function seals(order: QuarantineOrder, entrance: BuildingEntrance): boolean {
  const t = order.target;
  if (!('building' in t) || t.building !== entrance.building) return false;
  return !('unit' in t) || t.unit === entrance.unit;
}

/**
 * The first order in force at `at` that seals the entrance. With `registry.entranceOrders` the
 * answer is exact for anyone at the door. Without it (a RegistryView from before building
 * entrances), only orders reaching the presenter (`orders`: their own, their household's,
 * building's and unit's) and the host households of their valid registrations are seen: the
 * outcome is the same for residents and visitors, but a seal goes unseen for staff (who have no
 * household), so staff off duty would pass a sealed door. Production registries implement it.
 */
export function sealingOrder(
  registry: RegistryView,
  entrance: BuildingEntrance,
  orders: readonly QuarantineOrder[],
  registrations: readonly VisitorRegistration[],
  at: number,
): QuarantineOrder | undefined {
  if (registry.entranceOrders !== undefined)
    return firstSealing(registry.entranceOrders(entrance), entrance, at);
  const own = firstSealing(orders, entrance, at);
  if (own !== undefined) return own;
  for (const r of registrations) {
    if (r.hostHouseholdId === undefined) continue;
    // A resident of the host household that names nobody: the orders on the household, its building and unit.
    const hostOrders = registry.quarantineOrders({
      id: '',
      kind: 'resident',
      householdId: r.hostHouseholdId,
    });
    const found = firstSealing(hostOrders, entrance, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

function firstSealing(
  orders: readonly QuarantineOrder[],
  entrance: BuildingEntrance,
  at: number,
): QuarantineOrder | undefined {
  for (const o of orders) if (isInForce(o, at) && seals(o, entrance)) return o;
  return undefined;
}

/** True when at least one of the orders is in force at `at` and every one in force is home quarantine. */
export function homeQuarantineOnly(orders: readonly QuarantineOrder[], at: number): boolean {
  let any = false;
  for (const o of orders) {
    if (!isInForce(o, at)) continue;
    if (o.kind !== 'home') return false;
    any = true;
  }
  return any;
}
