/**
 * Applies one authentic, fresh request to the site through the same store and checkpoint
 * functions the CLI commands use (`quarantine add|lift`, `visitor register`, `mode set`,
 * `registry import`, and a pass request with an `override`), and journals it as they do, with
 * the operator `upstream:<issuer>` and the transaction id in the detail.
 *
 * Contract: synchronous, run inside the caller's database transaction. Every refusal the site
 * makes (a GatewardenError: unknown order, lane or credential, a refused registry change) is
 * thrown before anything is journaled; the caller turns it into an error reply. Effects outside
 * the database (opening a gate) are returned as `afterCommit`, to run once the change is durable.
 */
import { describeTarget } from '../../cli/commands/quarantine.js';
import { GatewardenError } from '../../errors.js';
import { normaliseCredentialValue } from '../../registry/credential-value.js';
import type { RegistryDocument } from '../../registry/document.js';
import { parseInstant } from '../../registry/instant.js';
import type { VisitorRequest } from '../../registry/store.js';
import type { Decision } from '../../rules/types.js';
import type { Site } from '../../site.js';
import type { UpstreamRequest } from './request-schema.js';

export type RequestResult = Record<string, string | number | boolean>;

export interface Applied {
  result: RequestResult;
  afterCommit?: () => void;
}

/** Hands a decision to the lane's actuators (the devices' lane port); absent: nothing opens. */
export type LaneActuation = (laneId: string, decision: Decision) => void;

type Envelope = 'site' | 'gateway' | 'issuer' | 'issuedAt' | 'signature';
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A change to the site, whoever asks for it: a signed request from upstream (its envelope
 * checked and dropped) or an operator through the admin API. `transactionId` is journaled.
 */
export type SiteCommand = DistributiveOmit<UpstreamRequest, Envelope>;

type Of<T extends SiteCommand['type']> = Extract<SiteCommand, { type: T }>;

export function applyRequest(
  site: Site,
  request: SiteCommand,
  operator: string,
  actuate?: LaneActuation,
): Applied {
  switch (request.type) {
    case 'quarantine.add':
      return addQuarantine(site, request, operator);
    case 'quarantine.lift': {
      const order = site.registry.liftQuarantine(request.orderId, site.now());
      const entry = site.recordOperator('quarantine.lift', operator, {
        order: order.id,
        transaction: request.transactionId,
      });
      return { result: { orderId: order.id, liftedAt: order.liftedAt ?? site.now(), seq: entry.seq } };
    }
    case 'credential.revoke':
      return revokeCredential(site, request, operator);
    case 'visitor.register':
      return registerVisitor(site, request, operator);
    case 'mode.set': {
      site.checkpoint.catchUp();
      const from = site.checkpoint.mode;
      if (from === request.mode) return { result: { mode: from, changed: false } };
      const entry = site.checkpoint.setMode(request.mode, operator, request.reason);
      return { result: { from, mode: request.mode, changed: true, seq: entry.seq } };
    }
    case 'lane.open': {
      const override = { operator, reason: request.reason };
      const { decision, entry, journal } = site.checkpoint.present({ laneId: request.laneId, override });
      // Held (disk full, docs/journal.md): no seq yet, and never reported as journaled.
      const recorded: Record<string, number | boolean> =
        journal === 'appended' ? { seq: entry.seq } : { held: true };
      const result = { laneId: request.laneId, allow: decision.allow, ...recorded, actuated: !!actuate };
      return actuate ? { result, afterCommit: () => actuate(request.laneId, decision) } : { result };
    }
  }
}

function addQuarantine(site: Site, request: Of<'quarantine.add'>, operator: string): Applied {
  const { id, kind, target } = request.order;
  const from =
    request.order.from === undefined ? site.now() : instant(site, request.order.from, 'order.from');
  const until = instant(site, request.order.until, 'order.until');
  site.registry.addQuarantine({ id, kind, target, from, until });
  const entry = site.recordOperator('quarantine.add', operator, {
    order: id,
    kind,
    target: describeTarget(target),
    from,
    until,
    transaction: request.transactionId,
  });
  return { result: { orderId: id, from, until, seq: entry.seq } };
}

/**
 * Revokes through a registry import (merge) of the stored credential with `revokedAt` set: the
 * registry's one path for changing a credential. A credential already revoked at or before the
 * instant is left as it is.
 */
function revokeCredential(site: Site, request: Of<'credential.revoke'>, operator: string): Applied {
  const { kind } = request.credential;
  const at = request.at === undefined ? site.now() : instant(site, request.at, 'at');
  const value = normaliseCredentialValue(kind, request.credential.value);
  const credential = site.registrySnapshot().credential(kind, value);
  if (credential === undefined) {
    throw new GatewardenError('REGISTRY_NOT_FOUND', `no ${kind} credential with this value`, {
      problems: [{ field: 'credential.value', message: 'not in the registry' }],
    });
  }
  if (credential.revokedAt !== undefined && credential.revokedAt <= at) {
    return { result: { credentialId: credential.id, revokedAt: credential.revokedAt, changed: false } };
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const revoked = {
    id: credential.id,
    kind,
    value: credential.value,
    holder: credential.holderId,
    ...(credential.validFrom !== undefined && { validFrom: iso(credential.validFrom) }),
    ...(credential.validUntil !== undefined && { validUntil: iso(credential.validUntil) }),
    revokedAt: iso(at),
  };
  const document: RegistryDocument = { version: 1, credentials: [revoked] };
  site.registry.import(document, { mode: 'merge' });
  site.reloadRegistry();
  const entry = site.recordOperator('registry.revoke', operator, {
    credential: credential.id,
    kind,
    revokedAt: at,
    transaction: request.transactionId,
  });
  return { result: { credentialId: credential.id, revokedAt: at, changed: true, seq: entry.seq } };
}

function registerVisitor(site: Site, request: Of<'visitor.register'>, operator: string): Applied {
  const v = request.visitor;
  const validFrom = v.validFrom === undefined ? site.now() : instant(site, v.validFrom, 'visitor.validFrom');
  const validUntil = instant(site, v.validUntil, 'visitor.validUntil');
  const visitor: VisitorRequest = {
    escorts: v.escorts,
    validFrom,
    validUntil,
    travel: (v.travel ?? []).map((t, i) => ({
      region: t.region,
      at: instant(site, t.date, `visitor.travel.${i}.date`),
    })),
    kind: v.repair ? 'repair' : 'visitor',
  };
  if (v.id !== undefined) visitor.id = v.id;
  if (v.idNumber !== undefined) visitor.idNumber = v.idNumber;
  if (v.personId !== undefined) visitor.personId = v.personId;
  if (v.purpose !== undefined) visitor.purpose = v.purpose;
  if (v.hostHouseholdId !== undefined) visitor.hostHouseholdId = v.hostHouseholdId;
  const registration = site.registry.registerVisitor(visitor);
  site.reloadRegistry();
  const entry = site.recordOperator('visitor.register', operator, {
    registration: registration.id,
    person: registration.personId,
    escorts: registration.escortIds.length,
    validFrom,
    validUntil,
    transaction: request.transactionId,
  });
  const result = { registrationId: registration.id, personId: registration.personId, seq: entry.seq };
  return { result };
}

/** An instant of the request, read as registry documents and the CLI read them. */
function instant(site: Site, text: string, field: string): number {
  const ms = parseInstant(text, site.config.site.timezone);
  if (ms === undefined) {
    throw new GatewardenError('REQUEST_INVALID', `${field}: "${text}" is not a real instant`, {
      problems: [{ field, message: 'not a real instant' }],
    });
  }
  return ms;
}
