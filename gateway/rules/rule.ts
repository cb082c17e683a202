import type { GateKind, SiteMode } from '../domain/model.js';
import { livesBehind } from './entrance.js';
import type { Facts } from './facts.js';
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
  /**
   * Kinds of gate at which the rule applies (`GateRef.kind`, perimeter when absent). A rule
   * about entering or leaving the community (quotas, anti-passback, the one open gate) does
   * not apply at a building's door.
   */
  gates: readonly GateKind[];
  /** Plain-language statement of the rule and where it comes from (RULES.md). */
  explains: string;
  check(f: Facts, policy: Policy, ctx: LaneContext, registry: RegistryView): Reason | undefined;
}

export const ALL: readonly SiteMode[] = ['open', 'closed', 'lockdown'];
export const CLOSED: readonly SiteMode[] = ['closed', 'lockdown'];

export const EVERY_GATE: readonly GateKind[] = ['perimeter', 'building'];
export const PERIMETER: readonly GateKind[] = ['perimeter'];
export const BUILDING: readonly GateKind[] = ['building'];

/** Every deny has the same shape, `detail` undefined when there is none: the hot path stays monomorphic. */
export const deny = (code: DenyCode, detail?: Record<string, string | number>): Reason => ({
  effect: 'deny',
  code,
  detail,
});

/** On-duty staff with a valid work certificate: the only people lockdown and a sealed building let through. */
export function isOnDutyStaff(f: Facts, registry: RegistryView): boolean {
  const p = f.person;
  if (p === undefined || p.kind !== 'staff') return false;
  if (p.shifts !== undefined && !p.shifts.includes(f.shift)) return false;
  return registry.hasValidWorkCertificate(p.id, f.at);
}

/** At a building gate: the presenter is a resident who lives behind this entrance. */
export function isResidentHere(f: Facts): boolean {
  return f.entrance !== undefined && f.person?.kind === 'resident' && livesBehind(f.household, f.entrance);
}
