/**
 * The checks a request message passes before anything is applied, as pure functions (no clock,
 * no I/O), in this order: size, JSON, envelope fields, known issuer, signature, target (site and
 * gateway). Freshness and the type's own fields are checked by the caller after the ledger
 * lookup, so that the same authentic request always gets the same answer (requests.ts).
 */
import type { KeyObject } from 'node:crypto';
import { envelopeSchema, issueError, type ReplyError, type RequestEnvelope } from './request-schema.js';
import { signatureValid } from './request-signature.js';

export interface CheckContext {
  keys: ReadonlyMap<string, KeyObject>;
  siteId: string;
  gatewayId: string;
  /** Larger messages are refused unread. */
  maxBytes: number;
}

export type Authenticated =
  | { ok: true; envelope: RequestEnvelope; body: Record<string, unknown> }
  | { ok: false; transactionId: string | null; error: ReplyError; issuer?: string };

export function authenticate(payload: Buffer, context: CheckContext): Authenticated {
  if (payload.length > context.maxBytes) {
    return refuse(null, 'REQUEST_MALFORMED', `larger than ${context.maxBytes} bytes`);
  }
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return refuse(null, 'REQUEST_MALFORMED', `not JSON: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return refuse(null, 'REQUEST_MALFORMED', 'a request is a JSON object');
  }
  const record = body as Record<string, unknown>;
  const readableId = typeof record.transactionId === 'string' ? record.transactionId.slice(0, 128) : null;
  const parsed = envelopeSchema.safeParse(record);
  if (!parsed.success) return { ok: false, transactionId: readableId, error: issueError(parsed.error) };
  const envelope = parsed.data;
  const { transactionId, issuer } = envelope;
  const key = context.keys.get(issuer);
  if (key === undefined) {
    return { ...refuse(transactionId, 'NOT_AUTHORISED', `unknown issuer "${issuer}"`, 'issuer'), issuer };
  }
  if (!signatureValid(record, envelope.signature, key)) {
    return { ...refuse(transactionId, 'NOT_AUTHORISED', 'bad signature', 'signature'), issuer };
  }
  if (envelope.site !== context.siteId) {
    return { ...refuse(transactionId, 'WRONG_TARGET', `for site "${envelope.site}"`, 'site'), issuer };
  }
  if (envelope.gateway !== undefined && envelope.gateway !== context.gatewayId) {
    const message = `for gateway "${envelope.gateway}"`;
    return { ...refuse(transactionId, 'WRONG_TARGET', message, 'gateway'), issuer };
  }
  return { ok: true, envelope, body: record };
}

function refuse(
  transactionId: string | null,
  code: ReplyError['code'],
  message: string,
  field?: string,
): { ok: false; transactionId: string | null; error: ReplyError } {
  return {
    ok: false,
    transactionId,
    error: field === undefined ? { code, message } : { code, message, field },
  };
}
