import type { QuarantineOrder, SiteMode } from '../domain/model.js';
import { type Facts, isValidAt } from './facts.js';
import type { DenyCode } from './reasons.js';
import type { LaneContext, Policy, Reason, RegistryView } from './types.js';

/**
 * One pass rule. `check` is pure: it reads the facts, the policy and the lane context and
 * returns the reason it fails with (a deny, or a notice that lets the pass through with an
 * alarm), or undefined when it has nothing to say. Rules never read each other's results, so
 * the decision is the same whatever order they run in (a property test shuffles them).
 */
export interface Rule {
  /** The reason code this rule produces; also its name. */
  code: DenyCode;
  /** Site modes in which the rule applies. */
  modes: readonly SiteMode[];
  /** Plain-language statement of the rule and where it comes from (RULES.md). */
  explains: string;
  check(f: Facts, policy: Policy, ctx: LaneContext, registry: RegistryView): Reason | undefined;
}

const ALL: readonly SiteMode[] = ['open', 'closed', 'lockdown'];
const CLOSED: readonly SiteMode[] = ['closed', 'lockdown'];

/** Every deny has the same shape, `detail` undefined when there is none: the hot path stays monomorphic. */
const deny = (code: DenyCode, detail?: Record<string, string | number>): Reason => ({
  effect: 'deny',
  code,
  detail,
});

const isNonResident = (f: Facts): boolean =>
  f.person !== undefined && f.person.kind !== 'resident' && f.person.kind !== 'staff';

const needsRegistration = (f: Facts, mode: SiteMode): boolean =>
  f.person !== undefined &&
  (f.person.kind === 'visitor' ||
    f.person.kind === 'repair' ||
    (f.person.kind === 'courier' && mode === 'open'));

/** On-duty staff with a valid work certificate: the only people lockdown lets through. */
export function isOnDutyStaff(f: Facts, registry: RegistryView): boolean {
  const p = f.person;
  if (p === undefined || p.kind !== 'staff') return false;
  if (p.shifts !== undefined && !p.shifts.includes(f.shift)) return false;
  return registry.hasValidWorkCertificate(p.id, f.at);
}

export const RULES: readonly Rule[] = [
  {
    code: 'GATE_CLOSED',
    modes: CLOSED,
    explains: 'In closed and lockdown modes only the primary gate accepts passes (plan 1 §5.1, plan 6 §3.1).',
    check: (_f, _p, ctx) => (ctx.gate.primary ? undefined : deny('GATE_CLOSED', { gate: ctx.gate.id })),
  },
  {
    code: 'LOCKDOWN',
    modes: ['lockdown'],
    explains: 'In lockdown nobody passes but on-duty staff with a work certificate (plan 1 §5).',
    check: (f, _p, _c, registry) => (isOnDutyStaff(f, registry) ? undefined : deny('LOCKDOWN')),
  },
  {
    code: 'NO_CREDENTIAL',
    modes: ALL,
    explains: 'Everyone shows a valid ID or pass card (plan 6 §3.1).',
    check: (f) => (f.presented === undefined ? deny('NO_CREDENTIAL') : undefined),
  },
  {
    code: 'UNKNOWN_CREDENTIAL',
    modes: ALL,
    explains:
      'A card, QR pass or certificate not in the registry. An unknown ID card on the way in is an unregistered visitor and an unknown plate a vehicle without permit instead.',
    check: (f) => {
      const c = f.presented;
      if (c === undefined) return undefined;
      if (f.credential === undefined) {
        if (c.kind === 'plate' || (c.kind === 'idcard' && f.direction === 'in')) return undefined;
        return deny('UNKNOWN_CREDENTIAL', { kind: c.kind });
      }
      return f.person === undefined && f.vehicle === undefined
        ? deny('UNKNOWN_CREDENTIAL', { kind: c.kind })
        : undefined;
    },
  },
  {
    code: 'CREDENTIAL_EXPIRED',
    modes: ALL,
    explains:
      'A credential is honoured only inside its validity window, and a signed QR pass only inside its own as well.',
    check: (f) =>
      (f.credential && !isValidAt(f.credential, f.at)) ||
      (f.presented !== undefined && !isValidAt(f.presented, f.at))
        ? deny('CREDENTIAL_EXPIRED')
        : undefined,
  },
  {
    code: 'CREDENTIAL_REVOKED',
    modes: ALL,
    explains:
      'A withdrawn credential (lost card, moved out) is refused from its revocation on; so is a QR pass on the revocation list.',
    check: (f) =>
      (f.credential?.revokedAt !== undefined && f.credential.revokedAt <= f.at) ||
      f.presented?.revoked === true
        ? deny('CREDENTIAL_REVOKED')
        : undefined,
  },
  {
    code: 'IDCARD_INVALID',
    modes: ALL,
    explains: 'A resident ID number must pass its GB 11643 check digit and carry a real birth date.',
    check: (f) =>
      f.presented?.kind === 'idcard' && f.presented.idNumberValid === false
        ? deny('IDCARD_INVALID')
        : undefined,
  },
  {
    code: 'TEMPERATURE_REQUIRED',
    modes: CLOSED,
    explains: 'No passage on foot without a temperature taken at this lane within the window (plan 6 §3.5).',
    check: (f, policy, ctx) =>
      ctx.lane.kind === 'pedestrian' &&
      f.temperature === undefined &&
      policy.temperatureDirections.includes(f.direction)
        ? deny('TEMPERATURE_REQUIRED')
        : undefined,
  },
  {
    code: 'FEVER',
    modes: ALL,
    explains:
      'A body temperature at or above the threshold is refused and raises an alarm (plans 3, 4). Applies in every mode: a reading the site took is never ignored. With re-measure on, it is the re-measure (or a handheld reading) that decides.',
    check: (f, policy) => {
      const t = f.temperature;
      return t !== undefined && t.remeasure !== 'required' && t.celsius >= policy.feverThresholdC
        ? deny('FEVER', { celsius: t.celsius })
        : undefined;
    },
  },
  {
    code: 'TEMPERATURE_REMEASURE',
    modes: ALL,
    explains:
      'Thermal screening over-reads: with re-measure on, a camera reading at or above the threshold is refused until a handheld thermometer reading, or a second camera reading after the acclimatisation wait, confirms or clears it; the operators are warned to bring the thermometer. Both readings are journaled.',
    check: (f) => {
      const t = f.temperature;
      return t !== undefined && t.remeasure === 'required'
        ? deny('TEMPERATURE_REMEASURE', { celsius: t.celsius })
        : undefined;
    },
  },
  {
    code: 'NO_MASK',
    modes: CLOSED,
    explains: 'A person the camera sees without a mask is reminded and turned back (plan 4 §2.(4).1).',
    check: (f, policy, ctx) =>
      policy.maskRequired && ctx.lane.kind === 'pedestrian' && f.temperature?.mask === false
        ? deny('NO_MASK')
        : undefined,
  },
  {
    code: 'QUARANTINED',
    modes: ALL,
    explains:
      'A person under an active quarantine order may not leave; a home-quarantined person returning home is let in with an alarm (plan 6 §3.3).',
    check: (f) => {
      if (f.person === undefined) return undefined;
      const at = f.at;
      let first: QuarantineOrder | undefined;
      let homeOnly = true;
      for (const o of f.orders) {
        if (at < o.from || at >= o.until || (o.liftedAt !== undefined && at >= o.liftedAt)) continue;
        first ??= o;
        if (o.kind !== 'home') homeOnly = false;
      }
      if (first === undefined) return undefined;
      if (f.direction === 'in' && homeOnly) return { effect: 'notice', code: 'QUARANTINED' };
      return deny('QUARANTINED', { order: first.id });
    },
  },
  {
    code: 'HOUSEHOLD_QUOTA_EXCEEDED',
    modes: CLOSED,
    explains: 'One household, one card: one member out per period, 1 exit per 48 h by default (plan 6 §3.4).',
    check: (f, policy, ctx) => {
      if (f.direction !== 'out' || f.person?.kind !== 'resident' || f.household === undefined)
        return undefined;
      const quota = f.household.quota ?? policy.householdQuota;
      const used = ctx.householdExits(f.household.id, f.at - quota.periodMs, f.householdIndex);
      return used >= quota.exits
        ? deny('HOUSEHOLD_QUOTA_EXCEEDED', { used, allowed: quota.exits })
        : undefined;
    },
  },
  {
    code: 'NOT_DESIGNATED_MEMBER',
    modes: CLOSED,
    explains: 'Only the household’s relatively fixed member goes out for supplies (plan 6 §3.4).',
    check: (f) => {
      if (f.direction !== 'out' || f.person?.kind !== 'resident' || f.household === undefined)
        return undefined;
      const designated = f.household.designatedMemberIds;
      return designated.length > 0 && !designated.includes(f.person.id)
        ? deny('NOT_DESIGNATED_MEMBER')
        : undefined;
    },
  },
  {
    code: 'VISITOR_NOT_REGISTERED',
    modes: ALL,
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
    explains:
      'Couriers and delivery riders never enter; residents collect at the gate (plan 4, plan 6 §3.4).',
    check: (f) =>
      f.direction === 'in' && (f.purpose === 'delivery' || f.person?.kind === 'courier')
        ? deny('DELIVERY_NOT_ALLOWED')
        : undefined,
  },
  {
    code: 'VEHICLE_NO_PERMIT',
    modes: ALL,
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
  {
    code: 'ANTI_PASSBACK',
    modes: ALL,
    explains:
      'A credential that entered may not enter again before it has left (cards handed back over the fence).',
    check: (f, policy, ctx) =>
      policy.antiPassback &&
      f.direction === 'in' &&
      f.subject.kind !== 'unknown' &&
      ctx.lastDirection(f.subject.id, f.subjectIndex) === 'in'
        ? deny('ANTI_PASSBACK')
        : undefined,
  },
  {
    code: 'INVALID_SIGNATURE',
    modes: ALL,
    explains: 'A QR pass whose signature does not verify against a trusted issuer key is refused.',
    check: (f) =>
      f.presented?.kind === 'qr' && f.presented.signature === 'invalid'
        ? deny('INVALID_SIGNATURE')
        : undefined,
  },
  {
    code: 'REPLAYED_CODE',
    modes: ALL,
    explains: 'A dynamic QR code already accepted once is refused at any lane (screenshots shared).',
    check: (f, _p, ctx) => {
      const c = f.presented;
      return c?.kind === 'qr' && c.codeId !== undefined && ctx.codeSeen(c.codeId)
        ? deny('REPLAYED_CODE')
        : undefined;
    },
  },
];
