import { isStale, type StalePolicy } from '../freshness/freshness.js';
import type { Facts } from './facts.js';
import { ALL, deny, EVERY_GATE, type Rule } from './rule.js';

/**
 * DATA_STALE (docs/freshness.md): the registry, the revocation list or the issuer keys were not
 * refreshed from upstream within `freshness.maxAgeHours`. Never a silent allow: a credential the
 * stale policy refuses is denied, and every other decision made while stale carries the
 * DATA_STALE notice, so the journal shows which passes were decided on old data. Only ever
 * adds a deny or a notice: it cannot turn a refusal into a pass (a property test checks it).
 */
export const DATA_STALE: Rule = {
  code: 'DATA_STALE',
  modes: ALL,
  gates: EVERY_GATE,
  explains:
    "Data not refreshed from upstream (registry import or upstream change, pass revocation, key rotation) within freshness.maxAgeHours: under residents-cards only residents' and staff's registry cards and ID cards pass; under deny-qr signed QR passes are refused; under warn-only nothing is. Every decision made while stale carries the DATA_STALE notice (off unless freshness.enabled).",
  check: (f, policy, ctx) => {
    const freshness = policy.freshness;
    if (freshness === undefined || f.presented === undefined) return undefined;
    if (!isStale(freshness, ctx.dataRefreshedAt, f.at)) return undefined;
    return refusedWhileStale(freshness.stalePolicy, f)
      ? deny('DATA_STALE', { policy: freshness.stalePolicy })
      : { effect: 'notice', code: 'DATA_STALE' };
  },
};

/** Whether the stale policy refuses this presentation; `f.presented` is defined. */
function refusedWhileStale(policy: StalePolicy, f: Facts): boolean {
  const kind = f.presented?.kind;
  switch (policy) {
    case 'warn-only':
      return false;
    case 'deny-qr':
      return kind === 'qr';
    case 'residents-cards': {
      // A QR pass may be revoked on a list we lack; a visitor's registration or a plate's permit
      // may have changed upstream. A resident's or staff member's own card is the safest bet.
      if (kind === 'qr' || kind === 'plate') return true;
      const who = f.person?.kind;
      return who !== 'resident' && who !== 'staff';
    }
  }
}
