/**
 * The typed requests upstream sends a gateway on `<base>/request`, and the replies it gets on
 * `<base>/response` (docs/mqtt-requests.md). Defined once here: the types, the validation and
 * the field paths an error reply names.
 *
 * Every request is one JSON object: the envelope (`transactionId`, `type`, `site`, optional
 * `gateway`, `issuer`, `issuedAt`, `signature`) and the fields of its type, flat beside them.
 * The signature covers every member but `signature` (request-signature.ts).
 */
import { z } from 'zod';
import { CREDENTIAL_KINDS, SITE_MODES } from '../../domain/model.js';
import { ID_PATTERN, registryDocumentSchema } from '../../registry/document.js';
import { INSTANT_PATTERN } from '../../registry/instant.js';

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** 64 bytes (an Ed25519 signature) in standard base64 with its padding. */
const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;

const id = z.string().regex(ID_PATTERN, { error: 'ids are 1–128 characters without spaces' });
/** ISO 8601, as in registry documents: exact with an offset, else wall time in the site's zone. */
const instant = z.string().regex(new RegExp(INSTANT_PATTERN), {
  error: 'expected an ISO 8601 instant like 2022-04-01T08:00:00+08:00',
});
const reason = z.string().trim().min(1).max(500);

/** The quarantine order's kind and target, exactly as a registry document writes them. */
const documentOrder = registryDocumentSchema.shape.quarantineOrders.unwrap().element.shape;

/** A quarantine order as a request gives it (upstream, or the admin API). */
export const quarantineOrderSchema = z.strictObject({
  id,
  kind: documentOrder.kind,
  target: documentOrder.target,
  /** Default: when the gateway applies it. */
  from: instant.optional(),
  until: instant,
});

/** A visitor registration as a request gives it: the real name's ID number or a known person. */
export const visitorRequestSchema = z
  .strictObject({
    id: id.optional(),
    idNumber: z
      .string()
      .regex(/^\d{17}[\dXx]$/, { error: 'ID numbers are 17 digits followed by a digit or X' })
      .optional(),
    personId: id.optional(),
    repair: z.boolean().optional(),
    escorts: z.array(id).max(20).default([]),
    validFrom: instant.optional(),
    validUntil: instant,
    travel: z
      .array(z.strictObject({ region: z.string().min(1).max(32), date: instant }))
      .max(50)
      .optional(),
    purpose: z.string().max(200).optional(),
    hostHouseholdId: id.optional(),
  })
  .refine((v) => (v.idNumber === undefined) !== (v.personId === undefined), {
    path: ['idNumber'],
    error: 'give exactly one of idNumber, personId',
  });

/** What every request carries; checked before the signature, so that a refusal can name the field. */
export const envelopeSchema = z.object({
  transactionId: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, { error: '1–128 printable ASCII characters, e.g. a UUID' }),
  type: z.string().max(64),
  site: z.string().min(1).max(64),
  gateway: z.string().regex(SLUG).max(64).optional(),
  issuer: z.string().regex(SLUG, { error: 'a key id: a slug' }).max(64),
  issuedAt: instant,
  signature: z.string().regex(SIGNATURE, { error: 'an Ed25519 signature: 88 characters of base64' }),
});

export type RequestEnvelope = z.infer<typeof envelopeSchema>;

const envelope = envelopeSchema.omit({ type: true }).shape;

export const requestSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...envelope,
    type: z.literal('quarantine.add'),
    order: quarantineOrderSchema,
  }),
  z.strictObject({ ...envelope, type: z.literal('quarantine.lift'), orderId: id }),
  z.strictObject({
    ...envelope,
    type: z.literal('credential.revoke'),
    /** The value as the registry holds it; for `idcard`, the keyed hash (64 hex digits). */
    credential: z.strictObject({ kind: z.enum(CREDENTIAL_KINDS), value: z.string().min(1).max(256) }),
    /** Default: when the gateway applies it. */
    at: instant.optional(),
  }),
  z.strictObject({
    ...envelope,
    type: z.literal('visitor.register'),
    visitor: visitorRequestSchema,
  }),
  z.strictObject({ ...envelope, type: z.literal('mode.set'), mode: z.enum(SITE_MODES), reason }),
  z.strictObject({ ...envelope, type: z.literal('lane.open'), laneId: z.string().min(1).max(64), reason }),
]);

export type UpstreamRequest = z.infer<typeof requestSchema>;
export type UpstreamRequestType = UpstreamRequest['type'];
export const REQUEST_TYPES = requestSchema.options.map((o) => o.shape.type.value);

/**
 * Why a request was refused. Answers to authentic, fresh requests (`REQUEST_INVALID` and the
 * registry's codes) are kept and repeated for the same transaction; `INTERNAL` is not (a retry
 * may succeed).
 */
export type ReplyErrorCode =
  | 'REQUEST_MALFORMED'
  | 'REQUEST_INVALID'
  | 'NOT_AUTHORISED'
  | 'REQUEST_STALE'
  | 'WRONG_TARGET'
  | 'REGISTRY_IMPORT_INVALID'
  | 'REGISTRY_NOT_FOUND'
  | 'INTERNAL';

export interface ReplyError {
  code: ReplyErrorCode;
  message: string;
  /** The offending field as a dotted path (`order.target`, `visitor.idNumber`). */
  field?: string;
}

export type RequestReply =
  | { transactionId: string; ok: true; result: Record<string, string | number | boolean> }
  /** `transactionId` is null when the message did not carry a readable one. */
  | { transactionId: string | null; ok: false; error: ReplyError };

/** The first issue of a failed parse as a reply error; an unknown key is named itself. */
export function issueError(error: z.ZodError, code: ReplyErrorCode = 'REQUEST_INVALID'): ReplyError {
  const issue = error.issues[0];
  if (issue === undefined) return { code, message: 'invalid request' };
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0] as string);
  const field = path.join('.');
  return field === '' ? { code, message: issue.message } : { code, message: issue.message, field };
}
