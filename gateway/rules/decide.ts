import { GATE_KINDS, type GateKind, SITE_MODES, type SiteMode } from '../domain/model.js';
import { type Facts, resolveFacts } from './facts.js';
import { DENY_CODES, type DenyCode, type GrantCode, REASON_MESSAGES } from './reasons.js';
import type { Rule } from './rule.js';
import { RULES } from './rule-table.js';
import type { Action, Decision, LaneContext, PassRequest, Policy, Reason, RegistryView } from './types.js';

const DENY_ORDER: ReadonlyMap<DenyCode, number> = new Map(DENY_CODES.map((code, i) => [code, i]));

/**
 * Decides one pass. Pure: no clock, no I/O; time comes in `request.at`.
 *
 * Every rule that applies in the current mode and at the lane's kind of gate runs, and every
 * one that fails is listed, so an operator sees all that is wrong at once. Precedence of the outcome:
 * fire release > operator emergency override > the rules (lockdown > closed > open being
 * expressed by which rules apply in which mode). A fire release or an override allows, and the
 * reasons still list what failed, so the journal shows what was overridden.
 *
 * `rules` is injectable so tests can shuffle or narrow it; production passes the default.
 */
export function decide(
  policy: Policy,
  registry: RegistryView,
  ctx: LaneContext,
  request: PassRequest,
  rules: readonly Rule[] = RULES,
): Decision {
  const facts = resolveFacts(registry, ctx, request);
  const denies: Reason[] = [];
  const notices: Reason[] = [];
  for (const rule of rulesFor(rules, policy.mode, ctx.gate.kind ?? 'perimeter')) {
    const reason = rule.check(facts, policy, ctx, registry);
    if (reason === undefined) continue;
    (reason.effect === 'deny' ? denies : notices).push(reason);
  }
  if (denies.length > 1) denies.sort(byCatalogueOrder);
  if (notices.length > 1) notices.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));

  const grant = grantFor(facts, ctx, denies.length === 0);
  if (grant !== undefined && denies.some(isHighTemperature)) {
    // Only a fire release or an override lets a fever through; the emergency group must know.
    // A high reading still waiting for its re-measure counts: nobody showed it was wrong.
    notices.push({ effect: 'notice', code: 'FEVER' });
  }
  const reasons: Reason[] =
    grant === undefined ? [...denies, ...notices] : [{ effect: 'grant', code: grant }, ...denies, ...notices];
  const decision: Decision = {
    allow: grant !== undefined,
    reasons,
    subject: facts.subject,
    direction: facts.direction,
    actions: actionsFor(grant, denies, notices, policy, ctx),
  };
  if (facts.entrance !== undefined) decision.entrance = facts.entrance;
  return decision;
}

const isHighTemperature = (r: Reason) => r.code === 'FEVER' || r.code === 'TEMPERATURE_REMEASURE';

const byCatalogueOrder = (a: Reason, b: Reason) =>
  (DENY_ORDER.get(a.code as DenyCode) ?? 0) - (DENY_ORDER.get(b.code as DenyCode) ?? 0);

/**
 * The rules that apply in each mode at each kind of gate, computed once per rule list (the hot
 * path skips the rest). Index: mode's position in SITE_MODES × gate kinds + gate kind's position.
 */
const byModeAndGate = new WeakMap<readonly Rule[], (readonly Rule[])[]>();

function rulesFor(rules: readonly Rule[], mode: SiteMode, gate: GateKind): readonly Rule[] {
  let table = byModeAndGate.get(rules);
  if (table === undefined) {
    table = SITE_MODES.flatMap((m) =>
      GATE_KINDS.map((g) => rules.filter((r) => r.modes.includes(m) && r.gates.includes(g))),
    );
    byModeAndGate.set(rules, table);
  }
  return table[SITE_MODES.indexOf(mode) * GATE_KINDS.length + GATE_KINDS.indexOf(gate)] ?? [];
}

function grantFor(f: Facts, ctx: LaneContext, rulesPassed: boolean): GrantCode | undefined {
  if (ctx.fireAlarm) return 'FIRE_RELEASE';
  if (f.override !== undefined) return 'EMERGENCY_OVERRIDE';
  if (!rulesPassed) return undefined;
  if (f.vehicle !== undefined) return 'VEHICLE_PERMIT';
  switch (f.person?.kind) {
    case 'resident':
      return 'RESIDENT';
    case 'staff':
      return 'STAFF';
    case 'visitor':
    case 'repair':
    case 'courier': {
      const escorted =
        f.direction === 'in' && f.validRegistrations.some((r) => ctx.escortPresented(r.escortIds, f.at));
      return escorted ? 'VISITOR_ESCORTED' : 'VISITOR_REGISTERED';
    }
    case undefined:
      // Unreachable when the rules are complete: an unknown subject always fails a rule.
      return undefined;
  }
}

function actionsFor(
  grant: GrantCode | undefined,
  denies: readonly Reason[],
  notices: readonly Reason[],
  policy: Policy,
  ctx: LaneContext,
): Action[] {
  const actions: Action[] = [];
  if (grant !== undefined) {
    actions.push(
      ctx.lane.kind === 'vehicle'
        ? { type: 'raise_barrier' }
        : { type: 'unlock', durationMs: policy.unlockMs },
    );
    const amber = notices.length > 0;
    actions.push({
      type: 'indicate',
      led: amber ? 'amber' : 'green',
      buzzer: amber ? 'long' : 'short',
      text: REASON_MESSAGES[grant],
    });
  } else {
    const first = denies[0];
    if (first !== undefined && first.effect === 'deny') {
      actions.push({ type: 'indicate', led: 'red', buzzer: 'long', text: REASON_MESSAGES[first.code] });
    }
  }
  for (const r of grant === undefined ? denies : notices) {
    const severity = ALARM_SEVERITY[r.code];
    if (severity !== undefined && r.effect !== 'grant')
      actions.push({ type: 'alarm', code: r.code, severity });
  }
  return actions;
}

/** Refusals and notices that page the operators, not just the person at the gate. */
const ALARM_SEVERITY: Partial<Record<string, 'warning' | 'critical'>> = {
  FEVER: 'critical',
  /** The operator brings the handheld thermometer; FEVER follows if the re-measure confirms. */
  TEMPERATURE_REMEASURE: 'warning',
  QUARANTINED: 'critical',
  /** Someone tried the door of a sealed building. */
  BUILDING_SEALED: 'warning',
  HIGH_RISK_ORIGIN: 'warning',
  INVALID_SIGNATURE: 'warning',
  REPLAYED_CODE: 'warning',
  ANTI_PASSBACK: 'warning',
};
