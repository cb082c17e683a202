import type {
  BuildingEntrance,
  Credential,
  CredentialKind,
  HighRiskRegion,
  Household,
  Person,
  QuarantineOrder,
  Vehicle,
  VisitorRegistration,
} from '../domain/model.js';
import type { Holder, RegistryView } from '../rules/types.js';
import { HOUSEHOLD_IDS, SUBJECT_IDS } from './dense-ids.js';
import { append, OrderIndex, pushAll } from './order-index.js';

export { normaliseCredentialValue } from './credential-value.js';

/** The arrays a snapshot is built from: model entities, used as given (not copied). */
export interface RegistrySnapshotInput {
  households?: readonly Household[];
  persons?: readonly Person[];
  credentials?: readonly Credential[];
  visitors?: readonly VisitorRegistration[];
  quarantineOrders?: readonly QuarantineOrder[];
  highRiskRegions?: readonly HighRiskRegion[];
  vehicles?: readonly Vehicle[];
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * The registry in memory, answering every `RegistryView` lookup in O(1) with no I/O: the
 * decision path reads only this. Immutable once built; a registry change builds a new snapshot
 * and swaps it in.
 *
 * Built for a million persons and three million credentials: entities are referenced, never
 * copied; credentials are indexed in one map per kind by their value, so no key string is
 * built per credential; multi-valued indexes hold arrays only where there is something to hold.
 * Credential values must already be in normal form (`normaliseCredentialValue`), and so must
 * the values callers look up. References are not checked here (the store checks them on
 * import): a credential whose holder is unknown is still found, and the rules refuse it.
 * Each Holder also carries the process-wide dense indices (dense-ids.ts) of its subject and
 * household, by which the checkpoint keeps its state; building a snapshot gives every person,
 * household and vehicle it links an index, and never takes one back.
 */
export class RegistrySnapshot implements RegistryView {
  private readonly credentialsByKind = new Map<CredentialKind, Map<string, Holder>>();
  private readonly persons = new Map<string, Person>();
  private readonly households = new Map<string, Household>();
  private readonly vehicles = new Map<string, Vehicle>();
  private readonly regions = new Map<string, HighRiskRegion>();
  private readonly visitorsByPerson = new Map<string, VisitorRegistration[]>();
  private readonly workcertsByPerson = new Map<string, Credential[]>();
  private readonly orders: OrderIndex;
  /** Entity counts, for summaries and benchmarks. */
  readonly size: Readonly<Record<keyof RegistrySnapshotInput, number>>;

  constructor(input: RegistrySnapshotInput) {
    for (const h of input.households ?? NONE) this.households.set(h.id, h);
    for (const v of input.vehicles ?? NONE) this.vehicles.set(v.id, v);
    for (const r of input.highRiskRegions ?? NONE) this.regions.set(r.code, r);
    for (const v of input.visitors ?? NONE) append(this.visitorsByPerson, v.personId, v);
    this.orders = new OrderIndex(input.quarantineOrders ?? NONE);
    const householdOrders = this.householdOrders();
    // Each person's part of every Holder (see PersonLink), resolved once for all their
    // credentials; kept only while building (a map of 100,000 links is 6 MB).
    const links = new Map<string, PersonLink>();
    for (const p of input.persons ?? NONE) {
      this.persons.set(p.id, p);
      links.set(p.id, this.linkPerson(p, householdOrders));
    }
    for (const c of input.credentials ?? NONE) {
      let byValue = this.credentialsByKind.get(c.kind);
      if (!byValue) {
        byValue = new Map();
        this.credentialsByKind.set(c.kind, byValue);
      }
      byValue.set(c.value, this.link(c, links));
      if (c.kind === 'workcert') append(this.workcertsByPerson, c.holderId, c);
    }
    this.size = {
      households: this.households.size,
      persons: this.persons.size,
      credentials: input.credentials?.length ?? 0,
      visitors: input.visitors?.length ?? 0,
      quarantineOrders: input.quarantineOrders?.length ?? 0,
      highRiskRegions: this.regions.size,
      vehicles: this.vehicles.size,
    };
  }

  credential(kind: CredentialKind, value: string): Credential | undefined {
    return this.credentialsByKind.get(kind)?.get(value)?.credential;
  }

  holder(kind: CredentialKind, value: string): Holder | undefined {
    return this.credentialsByKind.get(kind)?.get(value);
  }

  person(id: string): Person | undefined {
    return this.persons.get(id);
  }

  household(id: string): Household | undefined {
    return this.households.get(id);
  }

  vehicle(id: string): Vehicle | undefined {
    return this.vehicles.get(id);
  }

  visitorRegistrations(personId: string): readonly VisitorRegistration[] {
    return this.visitorsByPerson.get(personId) ?? NONE;
  }

  /** Any state (active, expired, lifted): the rules judge time. */
  quarantineOrders(person: Person): readonly QuarantineOrder[] {
    const own = this.orders.person(person.id);
    if (person.householdId === undefined) return own ?? NONE;
    const found: QuarantineOrder[] = [];
    pushAll(found, own);
    const household = this.households.get(person.householdId);
    pushAll(found, household ? this.orders.shared(household) : this.orders.household(person.householdId));
    return found.length === 0 ? NONE : found;
  }

  /** Orders on the entrance's building as a whole and, for a unit's door, on its unit (any state). */
  entranceOrders(entrance: BuildingEntrance): readonly QuarantineOrder[] {
    return this.orders.entrance(entrance);
  }

  highRiskRegion(code: string): HighRiskRegion | undefined {
    return this.regions.get(code);
  }

  /** Valid means `validFrom ≤ at < validUntil` (open bounds when absent) and not revoked at or before `at`. */
  hasValidWorkCertificate(personId: string, at: number): boolean {
    const certs = this.workcertsByPerson.get(personId);
    if (!certs) return false;
    for (const c of certs) {
      if (c.validFrom !== undefined && at < c.validFrom) continue;
      if (c.validUntil !== undefined && at >= c.validUntil) continue;
      if (c.revokedAt !== undefined && at >= c.revokedAt) continue;
      return true;
    }
    return false;
  }

  /** Links a credential to its holder once, so that a decision needs a single lookup. */
  private link(c: Credential, links: ReadonlyMap<string, PersonLink>): Holder {
    // Every holder has the same shape (absent parts are undefined, not missing) so that the
    // rules' property reads stay monomorphic on the decision path.
    if (c.kind === 'plate') {
      const vehicle = this.vehicles.get(c.holderId);
      return {
        credential: c,
        person: undefined,
        household: undefined,
        vehicle,
        orders: NONE,
        subjectIndex: vehicle === undefined ? -1 : SUBJECT_IDS.indexOf(vehicle.id),
        householdIndex: -1,
      };
    }
    const p = links.get(c.holderId) ?? UNKNOWN_PERSON;
    return {
      credential: c,
      person: p.person,
      household: p.household,
      vehicle: undefined,
      orders: p.orders,
      subjectIndex: p.subjectIndex,
      householdIndex: p.householdIndex,
    };
  }

  private linkPerson(
    person: Person,
    householdOrders: ReadonlyMap<string, readonly QuarantineOrder[]>,
  ): PersonLink {
    const own = this.orders.person(person.id);
    const householdId = person.householdId;
    const household = householdId === undefined ? undefined : this.households.get(householdId);
    const shared = householdId === undefined ? undefined : householdOrders.get(householdId);
    return {
      person,
      household,
      orders: own && shared ? [...own, ...shared] : (own ?? shared ?? NONE),
      subjectIndex: SUBJECT_IDS.indexOf(person.id),
      householdIndex: household === undefined ? -1 : HOUSEHOLD_IDS.indexOf(household.id),
    };
  }

  /**
   * Orders that reach a household through its own id, its building or its unit, for the
   * households that have any: computed once per household rather than once per credential.
   */
  private householdOrders(): Map<string, readonly QuarantineOrder[]> {
    const merged = new Map<string, readonly QuarantineOrder[]>();
    if (this.orders.noneShared) return merged;
    for (const h of this.households.values()) {
      const found = this.orders.shared(h);
      if (found) merged.set(h.id, found);
    }
    return merged;
  }
}

/** The part of a Holder that depends only on the person, shared by all their credentials. */
type PersonLink = Pick<Holder, 'person' | 'household' | 'orders' | 'subjectIndex' | 'householdIndex'>;

const UNKNOWN_PERSON: PersonLink = Object.freeze({
  person: undefined,
  household: undefined,
  orders: NONE,
  subjectIndex: -1,
  householdIndex: -1,
});
