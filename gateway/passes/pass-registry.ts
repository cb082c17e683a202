import { GatewardenError } from '../errors.js';
import type { Site } from '../site.js';
import { HOLDER_KINDS } from './issue.js';
import type { PassBody, PassKind } from './pass-codec.js';

/**
 * How a pass meets the registry. A verified pass is presented as `{ kind: 'qr', value: <pass
 * id> }`, the registry's `qr` credential whose value is "the QR pass id" (domain/model.ts), so
 * the rules find the holder, their household, orders and registrations exactly as for any
 * credential, and the credential's own validity and revocation apply as well.
 */

/** Checks the holder exists and may hold this kind of pass. */
export function checkHolder(site: Site, holderId: string, kind: PassKind): void {
  const person = site.registrySnapshot().person(holderId);
  if (person === undefined) {
    throw new GatewardenError('REGISTRY_NOT_FOUND', `no person "${holderId}" in the registry`);
  }
  if (!HOLDER_KINDS[kind].includes(person.kind)) {
    throw new GatewardenError(
      'USAGE',
      `a ${kind} pass is for ${HOLDER_KINDS[kind].join(' or ')}, and "${holderId}" is a ${person.kind}`,
    );
  }
}

/** Registers the pass id as the holder's `qr` credential, valid exactly as long as the pass. */
export function registerPassCredential(site: Site, body: PassBody, holderId: string): void {
  site.registry.import(
    {
      version: 1,
      credentials: [
        {
          kind: 'qr',
          value: body.passId,
          holder: holderId,
          validFrom: new Date(body.validFrom * 1000).toISOString(),
          validUntil: new Date(body.validUntil * 1000).toISOString(),
        },
      ],
    },
    { mode: 'merge' },
  );
  site.reloadRegistry();
}

/**
 * The holder's `idcard` credential value (the keyed hash of their ID number), for binding a
 * pass to the card. Read from the registry table directly: the snapshot indexes credentials by
 * value, not by holder.
 */
export function idcardValueOf(site: Site, holderId: string): string {
  const row = site.db
    .prepare<[string], { value: string }>(
      "SELECT value FROM reg_credentials WHERE holder_id = ? AND kind = 'idcard' AND revoked_at IS NULL ORDER BY id LIMIT 1",
    )
    .get(holderId);
  if (row === undefined) {
    throw new GatewardenError('USAGE', `"${holderId}" has no ID card in the registry to bind the pass to`);
  }
  return row.value;
}
