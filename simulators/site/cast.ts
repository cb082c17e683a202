import type { Community, SimPerson, SimVehicle } from './community.js';
import type { WatchedEntry } from './journal-watch.js';

/**
 * Who walks or drives up next when the console is not told: someone the rules should let
 * through, so that `card north-ped-in` typed twice shows two passes rather than an
 * ANTI_PASSBACK. Kept from the journal's allowed decisions of this run: who came in, which
 * households used their supply trip out. Home-quarantined households are left out of the
 * rotation (name one of them to see QUARANTINED).
 */
export type Direction = 'in' | 'out';

export class Cast {
  private readonly inside = new Set<string>();
  private readonly householdsOut = new Set<string>();
  private readonly turn = { in: 0, out: 0, vehicleIn: 0, vehicleOut: 0 };

  constructor(private readonly community: Community) {}

  /** Follows the allowed passes of the run. */
  observe(entry: WatchedEntry): void {
    if (entry.type !== 'decision') return;
    const { decision } = (entry as WatchedEntry<'decision'>).payload;
    if (!decision.allow || decision.subject.kind === 'unknown') return;
    if (decision.direction === 'in') this.inside.add(decision.subject.id);
    else {
      this.inside.delete(decision.subject.id);
      if (decision.subject.kind === 'person' && decision.subject.householdId !== undefined)
        this.householdsOut.add(decision.subject.householdId);
    }
  }

  person(id: string): SimPerson | undefined {
    return this.community.persons.find((p) => p.id === id);
  }

  vehicle(idOrPlate: string): SimVehicle | undefined {
    return this.community.vehicles.find((v) => v.id === idOrPlate || v.plate === idOrPlate);
  }

  /** The next resident for a pass: in, one not in yet; out, the designated shopper of a household that has not been out. */
  nextResident(direction: Direction): SimPerson {
    const free = (p: SimPerson) => p.householdId !== this.community.quarantinedHouseholdId;
    const candidates =
      direction === 'in'
        ? this.residents().filter((p) => free(p) && !this.inside.has(p.id))
        : this.residents().filter(
            (p) => free(p) && p.designated && !this.householdsOut.has(p.householdId ?? ''),
          );
    const pick = candidates[this.turn[direction]++ % Math.max(1, candidates.length)];
    if (pick === undefined)
      throw new RangeError(`no resident left to go ${direction}: name one (people lists some)`);
    return pick;
  }

  nextVehicle(direction: Direction): SimVehicle {
    const permitted = this.community.vehicles.filter((v) => v.permitted);
    const candidates =
      direction === 'in'
        ? permitted.filter((v) => !this.inside.has(v.id))
        : permitted.filter((v) => this.inside.has(v.id));
    const list = candidates.length > 0 ? candidates : permitted;
    const key = direction === 'in' ? 'vehicleIn' : 'vehicleOut';
    const pick = list[this.turn[key]++ % Math.max(1, list.length)];
    if (pick === undefined) throw new RangeError('the community has no vehicle with a permit');
    return pick;
  }

  /** Lines for the console's `people`: ids worth naming (never names or ID numbers). */
  notable(): string[] {
    const c = this.community;
    const quarantined = this.residents().filter((p) => p.householdId === c.quarantinedHouseholdId);
    const staff = c.persons.filter((p) => p.kind === 'staff');
    const designated = this.residents().filter((p) => p.designated);
    const other = this.residents().find((p) => !p.designated);
    return [
      `residents 住户: ${this.residents().length} in ${new Set(this.residents().map((p) => p.householdId)).size} households, e.g. ${designated[0]?.id} (designated shopper 指定采购员)${other ? `, ${other.id} (not designated)` : ''}`,
      `staff 工作人员: ${staff.map((p) => p.id).join(', ')}`,
      `visitor 访客: ${c.visitorId} (registered, escort 陪同人 ${c.escortId})`,
      `couriers 快递员: ${c.courierIds.join(', ')} (ID card; never enter in closed mode 封闭期间不得入内)`,
      `home quarantine 居家隔离: household ${c.quarantinedHouseholdId}: ${quarantined.map((p) => p.id).join(', ')}`,
      `vehicles 车辆: ${c.vehicles.map((v) => `${v.id} ${v.plate}${v.permitted ? '' : ' (no permit 无通行证)'}`).join(', ')}`,
    ];
  }

  private residents(): SimPerson[] {
    return this.community.persons.filter((p) => p.kind === 'resident');
  }
}
