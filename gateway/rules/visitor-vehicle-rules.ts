import type { SiteMode } from '../domain/model.js';
import { type Facts, isValidAt } from './facts.js';
import { ALL, CLOSED, deny, EVERY_GATE, PERIMETER, type Rule } from './rule.js';

/** Rules about who comes in from outside: visitors, repair workers, couriers and vehicles (rule-table.ts). */

const isNonResident = (f: Facts): boolean =>
  f.person !== undefined && f.person.kind !== 'resident' && f.person.kind !== 'staff';

const needsRegistration = (f: Facts, mode: SiteMode): boolean =>
  f.person !== undefined &&
  (f.person.kind === 'visitor' ||
    f.person.kind === 'repair' ||
    (f.person.kind === 'courier' && mode === 'open'));

/**
 * At every gate: at a building entrance a visitor is checked as at the perimeter (registration,
 * escort at that door, high-risk origin); NOT_THIS_BUILDING adds that their host lives there.
 */
export const VISITOR_RULES: readonly Rule[] = [
  {
    code: 'VISITOR_NOT_REGISTERED',
    modes: ALL,
    gates: EVERY_GATE,
    explains:
      'A non-resident comes in only with a real-name registration valid now (plan 4, plan 6 §3.2); an unknown ID card on the way in is such a visitor.',
    check: (f, policy) => {
      if (f.direction !== 'in') return undefined;
      const c = f.presented;
      if (c?.kind === 'idcard' && f.credential === undefined) return deny('VISITOR_NOT_REGISTERED');
      return needsRegistration(f, policy.mode) && f.validRegistrations.length === 0
        ? deny('VISITOR_NOT_REGISTERED')
        : undefined;
    },
  },
  {
    code: 'ESCORT_REQUIRED',
    modes: CLOSED,
    gates: EVERY_GATE,
    explains:
      'A registered visitor is led in by a resident who shows a credential at the same lane (plan 4 §2.(4).1).',
    check: (f, policy, ctx) => {
      if (f.direction !== 'in' || f.person === undefined || f.validRegistrations.length === 0)
        return undefined;
      if (f.person.kind === 'repair' && !policy.repairNeedsEscort) return undefined;
      if (f.person.kind !== 'visitor' && f.person.kind !== 'repair') return undefined;
      const escorted = f.validRegistrations.some((r) => ctx.escortPresented(r.escortIds, f.at));
      return escorted ? undefined : deny('ESCORT_REQUIRED');
    },
  },
  {
    code: 'HIGH_RISK_ORIGIN',
    modes: CLOSED,
    gates: EVERY_GATE,
    explains:
      'A non-resident who was in a listed high-risk region within 14 days stays out (plan 4 §2.(4).1–2).',
    check: (f, policy, _c, registry) => {
      if (f.direction !== 'in' || !isNonResident(f)) return undefined;
      const at = f.at;
      for (const reg of f.validRegistrations) {
        for (const trip of reg.travel) {
          if (at - trip.at > policy.highRiskLookbackMs) continue;
          const region = registry.highRiskRegion(trip.region);
          if (region && isValidAt({ validFrom: region.since, validUntil: region.until }, trip.at)) {
            return deny('HIGH_RISK_ORIGIN', { region: trip.region });
          }
        }
      }
      return undefined;
    },
  },
  {
    code: 'DELIVERY_NOT_ALLOWED',
    modes: CLOSED,
    gates: EVERY_GATE,
    explains:
      'Couriers and delivery riders never enter; residents collect at the gate (plan 4, plan 6 §3.4).',
    check: (f) =>
      f.direction === 'in' && (f.purpose === 'delivery' || f.person?.kind === 'courier')
        ? deny('DELIVERY_NOT_ALLOWED')
        : undefined,
  },
];

export const VEHICLE_RULES: readonly Rule[] = [
  // Vehicle rules: perimeter only. A building's doors are for people; NOT_THIS_BUILDING refuses a plate there.
  {
    code: 'VEHICLE_NO_PERMIT',
    modes: ALL,
    gates: PERIMETER,
    explains: 'A vehicle passes only with a permit valid now; outside vehicles never enter (plan 1 §5.2).',
    check: (f) => {
      if (f.presented?.kind !== 'plate') return undefined;
      const v = f.vehicle;
      const permitted =
        v !== undefined && v.kind !== 'outside' && v.permit !== undefined && isValidAt(v.permit, f.at);
      return permitted ? undefined : deny('VEHICLE_NO_PERMIT');
    },
  },
  {
    code: 'VEHICLE_DISINFECTION_DUE',
    modes: CLOSED,
    gates: PERIMETER,
    explains:
      'Work and staff vehicles are disinfected within the period before they enter, 24 h by default (plan 1 §5.2–5.3).',
    check: (f, policy) => {
      const v = f.vehicle;
      if (f.direction !== 'in' || v === undefined || (v.kind !== 'work' && v.kind !== 'staff'))
        return undefined;
      const fresh = v.disinfectedAt !== undefined && f.at - v.disinfectedAt <= policy.disinfectionPeriodMs;
      return fresh ? undefined : deny('VEHICLE_DISINFECTION_DUE');
    },
  },
];
