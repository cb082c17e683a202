import { BUILDING_SEALED, NOT_THIS_BUILDING } from './building-rules.js';
import { homeQuarantineOnly, isInForce } from './entrance.js';
import { isValidAt } from './facts.js';
import { DATA_STALE } from './freshness-rule.js';
import { JOURNAL_UNAVAILABLE } from './journal-rule.js';
import {
  ALL,
  CLOSED,
  deny,
  EVERY_GATE,
  isOnDutyStaff,
  isResidentHere,
  PERIMETER,
  type Rule,
} from './rule.js';
import { VEHICLE_RULES, VISITOR_RULES } from './visitor-vehicle-rules.js';

/**
 * The pass rules, in the order of the reason catalogue (reasons.ts); decide.ts runs those of
 * the site's mode and the lane's gate kind. Building gates: see building-rules.ts and the
 * `gates` of each rule here (docs/rules.md, "Building entrances").
 */

export const RULES: readonly Rule[] = [
  {
    code: 'GATE_CLOSED',
    modes: CLOSED,
    gates: PERIMETER,
    explains: 'In closed and lockdown modes only the primary gate accepts passes (plan 1 §5.1, plan 6 §3.1).',
    check: (_f, _p, ctx) => (ctx.gate.primary ? undefined : deny('GATE_CLOSED', { gate: ctx.gate.id })),
  },
  BUILDING_SEALED,
  {
    code: 'LOCKDOWN',
    modes: ['lockdown'],
    gates: EVERY_GATE,
    explains:
      'In lockdown nobody passes but on-duty staff with a work certificate (plan 1 §5). At a building entrance its own residents may still go in (home), never out: every household stays behind its door.',
    check: (f, _p, _c, registry) =>
      isOnDutyStaff(f, registry) || (f.direction === 'in' && isResidentHere(f))
        ? undefined
        : deny('LOCKDOWN'),
  },
  NOT_THIS_BUILDING,
  {
    code: 'NO_CREDENTIAL',
    modes: ALL,
    gates: EVERY_GATE,
    explains: 'Everyone shows a valid ID or pass card (plan 6 §3.1).',
    check: (f) => (f.presented === undefined ? deny('NO_CREDENTIAL') : undefined),
  },
  {
    code: 'UNKNOWN_CREDENTIAL',
    modes: ALL,
    gates: EVERY_GATE,
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
    gates: EVERY_GATE,
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
    gates: EVERY_GATE,
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
    gates: EVERY_GATE,
    explains: 'A resident ID number must pass its GB 11643 check digit and carry a real birth date.',
    check: (f) =>
      f.presented?.kind === 'idcard' && f.presented.idNumberValid === false
        ? deny('IDCARD_INVALID')
        : undefined,
  },
  // Perimeter only: the temperature is taken on the way into the community; a building's door
  // has no screening post. A reading taken at a building door still counts (FEVER, NO_MASK).
  {
    code: 'TEMPERATURE_REQUIRED',
    modes: CLOSED,
    gates: PERIMETER,
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
    gates: EVERY_GATE,
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
    gates: EVERY_GATE,
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
    gates: EVERY_GATE,
    explains: 'A person the camera sees without a mask is reminded and turned back (plan 4 §2.(4).1).',
    check: (f, policy, ctx) =>
      policy.maskRequired && ctx.lane.kind === 'pedestrian' && f.temperature?.mask === false
        ? deny('NO_MASK')
        : undefined,
  },
  {
    code: 'QUARANTINED',
    modes: ALL,
    gates: EVERY_GATE,
    explains:
      'A person under an active quarantine order may not leave; a home-quarantined person returning home is let in with an alarm (plan 6 §3.3).',
    check: (f) => {
      if (f.person === undefined) return undefined;
      const at = f.at;
      const first = f.orders.find((o) => isInForce(o, at));
      if (first === undefined) return undefined;
      if (f.direction === 'in' && homeQuarantineOnly(f.orders, at))
        return { effect: 'notice', code: 'QUARANTINED' };
      return deny('QUARANTINED', { order: first.id });
    },
  },
  // Quota and designated member: perimeter only. Leaving one's building is not leaving the community.
  {
    code: 'HOUSEHOLD_QUOTA_EXCEEDED',
    modes: CLOSED,
    gates: PERIMETER,
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
    gates: PERIMETER,
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
  ...VISITOR_RULES,
  ...VEHICLE_RULES,
  // Perimeter only: whether a subject is in or out is the community's state, which a building
  // door does not change (SiteState skips its passes); a resident entering the community and then
  // their building is one way in. A per-building anti-passback could come later.
  {
    code: 'ANTI_PASSBACK',
    modes: ALL,
    gates: PERIMETER,
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
    gates: EVERY_GATE,
    explains: 'A QR pass whose signature does not verify against a trusted issuer key is refused.',
    check: (f) =>
      f.presented?.kind === 'qr' && f.presented.signature === 'invalid'
        ? deny('INVALID_SIGNATURE')
        : undefined,
  },
  {
    code: 'REPLAYED_CODE',
    modes: ALL,
    gates: EVERY_GATE,
    explains: 'A dynamic QR code already accepted once is refused at any lane (screenshots shared).',
    check: (f, _p, ctx) => {
      const c = f.presented;
      return c?.kind === 'qr' && c.codeId !== undefined && ctx.codeSeen(c.codeId, f.at)
        ? deny('REPLAYED_CODE')
        : undefined;
    },
  },
  DATA_STALE,
  JOURNAL_UNAVAILABLE,
];
