import type { Person } from '../domain/model.js';
import { normaliseCredentialValue } from '../registry/credential-value.js';
import { isValidAt } from '../rules/facts.js';
import type { PresentedCredential, RegistryView } from '../rules/types.js';

/** Why a card at a station is not a guard's: for logs (no person, no credential value). */
export type NotAGuard = 'unknown' | 'not_staff' | 'invalid' | 'expired' | 'revoked';

export type GuardCard = { guard: Person; refused?: undefined } | { guard?: undefined; refused: NotAGuard };

/**
 * Whether a credential presented at a station is a guard's: it belongs to a staff person, is
 * valid at `at` and not revoked, the same tests the pass rules make of a credential (a signed QR
 * pass's own validity and revocation, an ID number's check digit). Staff shifts are not
 * checked: a guard covering someone else's shift still patrols and still logs in.
 */
export function guardCard(registry: RegistryView, presented: PresentedCredential, at: number): GuardCard {
  const holder = registry.holder(presented.kind, normaliseCredentialValue(presented.kind, presented.value));
  const person = holder?.person;
  if (holder === undefined || person === undefined) return { refused: 'unknown' };
  if (person.kind !== 'staff') return { refused: 'not_staff' };
  if (presented.signature === 'invalid' || presented.idNumberValid === false) return { refused: 'invalid' };
  if (!isValidAt(holder.credential, at) || !isValidAt(presented, at)) return { refused: 'expired' };
  const revokedAt = holder.credential.revokedAt;
  if ((revokedAt !== undefined && revokedAt <= at) || presented.revoked === true)
    return { refused: 'revoked' };
  return { guard: person };
}
