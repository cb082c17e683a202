import type {
  BuildingEntrance,
  Credential,
  Direction,
  Household,
  Person,
  QuarantineOrder,
  Vehicle,
  VisitorRegistration,
} from '../domain/model.js';
import { sealingOrder } from './entrance.js';
import type { LaneContext, PassRequest, RegistryView, Subject, TemperatureReading } from './types.js';

/**
 * What the rules need to know about one request, looked up once so that every rule reads the
 * same facts and no rule depends on another having run first.
 */
export interface Facts {
  request: PassRequest;
  /**
   * The request's fields copied into one fixed shape: requests arrive in many shapes (optional
   * fields present or not) and reading them through this object keeps the rules monomorphic.
   */
  at: number;
  shift: PassRequest['shift'];
  presented: PassRequest['credential'];
  purpose: PassRequest['purpose'];
  override: PassRequest['override'];
  direction: Direction;
  /** The registry's record of the presented credential, if any. */
  credential: Credential | undefined;
  person: Person | undefined;
  household: Household | undefined;
  vehicle: Vehicle | undefined;
  /** Quarantine orders concerning the person, in any state: the rule judges time. */
  orders: readonly QuarantineOrder[];
  subject: Subject;
  /** `Holder.subjectIndex` and `Holder.householdIndex`: -1 when there is no such holder. */
  subjectIndex: number;
  householdIndex: number;
  /** Registrations valid at the request's time (visitors and repair workers). */
  validRegistrations: readonly VisitorRegistration[];
  temperature: TemperatureReading | undefined;
  /** At a building gate, the building (and unit) it is the entrance of; undefined at the perimeter. */
  entrance: BuildingEntrance | undefined;
  /** At a building gate, an order in force that seals it (rules/entrance.ts); else undefined. */
  sealedBy: QuarantineOrder | undefined;
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * Field names of PassRequest, held in variables so that reads of them compile to keyed loads.
 * A request built with object spread plus a new field (`{ ...incoming, at }`, as the checkpoint
 * builds it) gets a hidden class of its own in V8 (Node 20), so a named read such as
 * `request.at` misses every inline cache and calls into the runtime: about 2 µs per decision,
 * most of it for the optional fields that are absent. A keyed read whose cache has gone
 * megamorphic looks the field up in the object's own descriptors without the runtime, and `in`
 * does the same for absent fields. Measured in bench/decide.ts; see docs/performance.md.
 */
const AT = 'at';
const SHIFT = 'shift';
const CREDENTIAL = 'credential';
const DIRECTION = 'direction';
const PURPOSE = 'purpose';
const OVERRIDE = 'override';

export function resolveFacts(registry: RegistryView, ctx: LaneContext, request: PassRequest): Facts {
  const at = request[AT];
  const presented = request[CREDENTIAL];
  const direction = DIRECTION in request ? request[DIRECTION] : undefined;
  const holder = presented ? registry.holder(presented.kind, presented.value) : undefined;
  const person = holder?.person;
  const vehicle = holder?.vehicle;
  const orders = holder?.orders ?? NONE;
  const registrations =
    person === undefined || person.kind === 'resident' || person.kind === 'staff'
      ? NONE
      : validRegistrations(registry, person.id, at);
  const entrance = ctx.gate.entrance;
  return {
    request,
    at,
    shift: request[SHIFT],
    presented,
    purpose: PURPOSE in request ? request[PURPOSE] : undefined,
    override: OVERRIDE in request ? request[OVERRIDE] : undefined,
    direction: direction ?? ctx.lane.direction,
    credential: holder?.credential,
    person,
    household: holder?.household,
    vehicle,
    orders,
    subject: subjectOf(person, vehicle),
    subjectIndex: holder === undefined ? -1 : holder.subjectIndex,
    householdIndex: holder === undefined ? -1 : holder.householdIndex,
    validRegistrations: registrations,
    temperature: ctx.latestTemperature(at),
    entrance,
    sealedBy:
      entrance === undefined ? undefined : sealingOrder(registry, entrance, orders, registrations, at),
  };
}

function subjectOf(person: Person | undefined, vehicle: Vehicle | undefined): Subject {
  if (person) {
    // One shape whether or not there is a household (undefined is left out of the journal's JSON).
    return { kind: 'person', id: person.id, personKind: person.kind, householdId: person.householdId };
  }
  if (vehicle) return { kind: 'vehicle', id: vehicle.id, vehicleKind: vehicle.kind };
  return { kind: 'unknown' };
}

function validRegistrations(
  registry: RegistryView,
  personId: string,
  at: number,
): readonly VisitorRegistration[] {
  const all = registry.visitorRegistrations(personId);
  if (all.length === 0) return NONE;
  return all.filter((r) => isValidAt(r, at));
}

/** Validity windows are [validFrom, validUntil): inclusive start, exclusive end. */
export function isValidAt(v: { validFrom?: number; validUntil?: number }, at: number): boolean {
  return (
    (v.validFrom === undefined || v.validFrom <= at) && (v.validUntil === undefined || at < v.validUntil)
  );
}
