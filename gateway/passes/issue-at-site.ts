import type { Site } from '../site.js';
import { loadOrCreateKey } from '../util/key-file.js';
import { type IssuedPass, issuePass, type PassRequest } from './issue.js';
import { idBindingOf } from './pass-crypto.js';
import { checkHolder, idcardValueOf, registerPassCredential } from './pass-registry.js';
import { DYNAMIC_KEY_BYTES, passesConfigOf } from './site-passes.js';
import { loadIssuerKey, readRingEntries, ringEntry, writeRingEntries } from './trust-writes.js';

export interface SiteIssue {
  issued: IssuedPass;
  /** The issuer key was created by this issue (and added to the key ring). */
  createdKey: boolean;
  /** The site's key ring trusts the signing key now: gateways reading it will accept the pass. */
  trusted: boolean;
}

/**
 * `gatewarden pass issue` at a site: checks the holder, signs with the site's issuer key
 * (created on first use and then added to the key ring), registers the pass id as the holder's
 * `qr` credential and journals the issue as an operator entry that names the pass, never the
 * holder's name or number (the registry links pass and person).
 */
export function issueAtSite(
  site: Site,
  request: Omit<PassRequest, 'idBinding'> & { bindIdcard: boolean },
  operator: string,
): SiteIssue {
  const passes = passesConfigOf(site.config);
  checkHolder(site, request.holderId, request.kind);
  const now = site.now();
  const { key, created } = loadIssuerKey(passes);
  if (created) writeRingEntries(passes, [...readRingEntries(passes), ringEntry(key, now)]);
  const entry = readRingEntries(passes).find((e) => e.id === key.keyId);
  const trusted =
    entry !== undefined &&
    Date.parse(entry.validFrom) <= now &&
    (entry.validUntil === undefined || now < Date.parse(entry.validUntil));
  const dynamicKey = request.dynamic
    ? loadOrCreateKey(passes.dynamicKeyFile, DYNAMIC_KEY_BYTES, 'pass dynamic key')
    : undefined;
  const { bindIdcard, ...rest } = request;
  const passRequest: PassRequest = bindIdcard
    ? { ...rest, idBinding: idBindingOf(idcardValueOf(site, request.holderId)) }
    : rest;
  const issued = issuePass(passRequest, key, site.key, dynamicKey);
  const { body } = issued;
  registerPassCredential(site, body, request.holderId);
  site.recordOperator('pass.issue', operator, {
    pass: body.passId,
    kind: body.kind,
    key: body.keyId,
    dynamic: body.dynamic,
    idBound: body.idBinding !== undefined,
    validFrom: body.validFrom * 1000,
    validUntil: body.validUntil * 1000,
  });
  return { issued, createdKey: created, trusted };
}
