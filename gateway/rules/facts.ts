import type {
  Credential,
  Direction,
  Household,
  Person,
  QuarantineOrder,
  Vehicle,
  VisitorRegistration,
} from '../domain/model.js';
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
  /** Registrations valid at the request's time (visitors and repair workers). */
  validRegistrations: readonly VisitorRegistration[];
  temperature: TemperatureReading | undefined;
}

const NONE: readonly never[] = [];

export function resolveFacts(registry: RegistryView, ctx: LaneContext, request: PassRequest): Facts {
  const presented = request.credential;
  const holder = presented ? registry.holder(presented.kind, presented.value) : undefined;
  const person = holder?.person;
  const vehicle = holder?.vehicle;
  return {
    request,
    at: request.at,
    shift: request.shift,
    presented,
    purpose: request.purpose,
    override: request.override,
    direction: request.direction ?? ctx.lane.direction,
    credential: holder?.credential,
    person,
    household: holder?.household,
    vehicle,
    orders: holder?.orders ?? NONE,
    subject: subjectOf(person, vehicle),
    validRegistrations:
      person === undefined || person.kind === 'resident' || person.kind === 'staff'
        ? NONE
        : validRegistrations(registry, person.id, request.at),
    temperature: ctx.latestTemperature(request.at),
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
