import type { BuildingEntrance, QuarantineOrder } from '../domain/model.js';

const NONE: readonly never[] = Object.freeze([]);

/**
 * Quarantine orders indexed by what they target (a person, a household, a building, one unit
 * of a building), each list in the order the orders were added. Shared by the in-memory
 * snapshot and the database view, so that both list a person's orders in the same order.
 */
export class OrderIndex {
  private readonly byPerson = new Map<string, QuarantineOrder[]>();
  private readonly byHousehold = new Map<string, QuarantineOrder[]>();
  private readonly byBuilding = new Map<string, QuarantineOrder[]>();
  /** Key: building, NUL, unit. */
  private readonly byUnit = new Map<string, QuarantineOrder[]>();

  constructor(orders: Iterable<QuarantineOrder>) {
    for (const q of orders) {
      const t = q.target;
      if ('person' in t) append(this.byPerson, t.person, q);
      else if ('household' in t) append(this.byHousehold, t.household, q);
      else if ('unit' in t) append(this.byUnit, unitKey(t.building, t.unit), q);
      else append(this.byBuilding, t.building, q);
    }
  }

  /** True when no order targets a household, a building or a unit. */
  get noneShared(): boolean {
    return this.byHousehold.size + this.byBuilding.size + this.byUnit.size === 0;
  }

  person(id: string): readonly QuarantineOrder[] | undefined {
    return this.byPerson.get(id);
  }

  household(id: string): readonly QuarantineOrder[] | undefined {
    return this.byHousehold.get(id);
  }

  /**
   * The orders reaching a household through its own id, its building or its unit (in that
   * order); undefined when there is none.
   */
  shared(household: { id: string; building: string; unit: string }): QuarantineOrder[] | undefined {
    if (this.noneShared) return undefined;
    const found: QuarantineOrder[] = [];
    pushAll(found, this.byHousehold.get(household.id));
    pushAll(found, this.byBuilding.get(household.building));
    pushAll(found, this.byUnit.get(unitKey(household.building, household.unit)));
    return found.length > 0 ? found : undefined;
  }

  /** See RegistryView.entranceOrders. */
  entrance(entrance: BuildingEntrance): readonly QuarantineOrder[] {
    const whole = this.byBuilding.get(entrance.building);
    const unit =
      entrance.unit === undefined ? undefined : this.byUnit.get(unitKey(entrance.building, entrance.unit));
    return whole && unit ? [...whole, ...unit] : (whole ?? unit ?? NONE);
  }
}

function unitKey(building: string, unit: string): string {
  return `${building}\u0000${unit}`;
}

export function append<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

export function pushAll<T>(into: T[], from: readonly T[] | undefined): void {
  if (from) for (const x of from) into.push(x);
}
