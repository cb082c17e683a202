import { z } from 'zod';
import type { IncomingRequest } from '../checkpoint/checkpoint.js';
import { CREDENTIAL_KINDS, DIRECTIONS, SHIFT_IDS } from '../domain/model.js';
import { GatewardenError } from '../errors.js';
import { checkIdNumber, hashIdNumber } from '../registry/id-number.js';
import { parseInstant } from '../registry/instant.js';
import type { PresentedCredential } from '../rules/types.js';

const credentialInput = z
  .strictObject({
    kind: z.enum(CREDENTIAL_KINDS),
    value: z.string().min(1).optional().describe('Card UID, QR pass id, plate or certificate number.'),
    idNumber: z
      .string()
      .min(1)
      .optional()
      .describe('`idcard` only: the ID number as read; hashed before the rules see it.'),
    signature: z.enum(['valid', 'invalid']).optional(),
    codeId: z.string().min(1).optional(),
  })
  .refine(
    (c) => (c.kind === 'idcard' ? c.idNumber !== undefined || c.value !== undefined : c.value !== undefined),
    {
      message: 'needs "value" (or "idNumber" for an idcard)',
    },
  );

/** The JSON `gatewarden decide` reads: a pass request plus what the lane saw just before it. */
export const decideInputSchema = z.strictObject({
  laneId: z.string().min(1),
  at: z.union([z.number().int(), z.string()]).optional().describe('Epoch ms or ISO 8601; default now.'),
  shift: z.enum(SHIFT_IDS).optional(),
  direction: z.enum(DIRECTIONS).optional(),
  credential: credentialInput.optional(),
  purpose: z.literal('delivery').optional(),
  override: z.strictObject({ operator: z.string().min(1), reason: z.string().min(1) }).optional(),
  temperature: z
    .strictObject({
      celsius: z.number().min(20).max(50),
      mask: z.boolean().nullable().default(null),
      secondsBefore: z.number().min(0).default(1),
    })
    .optional()
    .describe('A reading taken at this lane shortly before the request.'),
  escortedBy: z
    .array(credentialInput)
    .optional()
    .describe('Credentials the escorts presented at this lane just before (2 s).'),
  fireAlarm: z.boolean().optional(),
});

export type DecideInput = z.infer<typeof decideInputSchema>;

export interface PreparedDecide {
  request: IncomingRequest & { at: number };
  temperature?: { at: number; celsius: number; mask: boolean | null };
  escorts: PresentedCredential[];
  fireAlarm: boolean;
}

/** Parses and checks the request JSON; every problem is reported with its field. */
export function prepareDecide(
  text: string,
  source: string,
  key: Buffer,
  now: number,
  timeZone: string,
): PreparedDecide {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new GatewardenError('REQUEST_INVALID', `${source} is not JSON: ${(cause as Error).message}`);
  }
  const parsed = decideInputSchema.safeParse(json);
  if (!parsed.success) {
    throw new GatewardenError('REQUEST_INVALID', `${source}: the request is invalid`, {
      problems: parsed.error.issues.map((i) => ({
        file: source,
        field: i.path.join('.'),
        message: i.message,
      })),
    });
  }
  const input = parsed.data;
  const at = resolveAt(input.at, now, timeZone, source);
  const toPresented = (c: z.infer<typeof credentialInput>): PresentedCredential => presented(c, key, at);
  const request: PreparedDecide['request'] = { laneId: input.laneId, at };
  if (input.shift) request.shift = input.shift;
  if (input.direction) request.direction = input.direction;
  if (input.credential) request.credential = toPresented(input.credential);
  if (input.purpose) request.purpose = input.purpose;
  if (input.override) request.override = input.override;
  const prepared: PreparedDecide = {
    request,
    escorts: (input.escortedBy ?? []).map(toPresented),
    fireAlarm: input.fireAlarm ?? false,
  };
  if (input.temperature) {
    const { celsius, mask, secondsBefore } = input.temperature;
    prepared.temperature = { at: at - Math.round(secondsBefore * 1000), celsius, mask };
  }
  return prepared;
}

function resolveAt(at: number | string | undefined, now: number, timeZone: string, source: string): number {
  if (at === undefined) return now;
  if (typeof at === 'number') return at;
  const parsed = parseInstant(at, timeZone);
  if (parsed === undefined) {
    throw new GatewardenError('REQUEST_INVALID', `${source}: field at: "${at}" is not an ISO 8601 instant`);
  }
  return parsed;
}

/** An ID number is checked and hashed here: the rules and the journal only ever see the hash. */
function presented(c: z.infer<typeof credentialInput>, key: Buffer, at: number): PresentedCredential {
  if (c.kind === 'idcard' && c.idNumber !== undefined) {
    return {
      kind: 'idcard',
      value: hashIdNumber(key, c.idNumber),
      idNumberValid: checkIdNumber(c.idNumber, at).ok,
    };
  }
  const out: PresentedCredential = { kind: c.kind, value: c.value ?? '' };
  if (c.signature) out.signature = c.signature;
  if (c.codeId) out.codeId = c.codeId;
  return out;
}
