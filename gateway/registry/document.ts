import { z } from 'zod';
import {
  CREDENTIAL_KINDS,
  PERSON_KINDS,
  QUARANTINE_KINDS,
  SHIFT_IDS,
  VEHICLE_KINDS,
} from '../domain/model.js';
import { INSTANT_PATTERN } from './instant.js';

/**
 * The registry import/export document (YAML or JSON), defined once here: the TypeScript types,
 * the validation and `docs/registry.schema.json` all come from this schema.
 *
 * Shape-only rules live here (types, required fields, formats); rules that need the site's
 * key, time zone or other records (ID check digits, instants, references, duplicates) are
 * applied by `records.ts` and `references.ts`, which report problems with the same paths.
 */

/** Ids: 1–128 characters, no white space or control characters (they become map keys and CSV cells). */
export const ID_PATTERN = /^[^\s\p{Cc}]{1,128}$/u;

const id = z
  .string({ error: 'expected an id (text; quote numbers)' })
  .regex(ID_PATTERN, { error: 'ids are 1–128 characters without spaces' });

/** Building, unit and room are text: `room: 0101` in YAML would be the number 101. */
const place = (what: string) =>
  z
    .string({ error: `${what} is text: quote it, e.g. "0101"` })
    .regex(/^[^\p{Cc}]{1,32}$/u, { error: `${what} is 1–32 characters without control characters` });

const instant = z
  .string({ error: 'expected an ISO 8601 instant' })
  .regex(new RegExp(INSTANT_PATTERN), {
    error: 'expected an ISO 8601 instant like 2022-04-01T08:00:00+08:00, or a date like 2022-04-01',
  })
  .meta({
    description:
      'ISO 8601 instant. With an offset it is exact; without one it is wall time in the site time zone; a date alone means 00:00 in the site time zone.',
  });

const householdSchema = z.strictObject({
  id,
  building: place('building'),
  unit: place('unit'),
  room: place('room'),
  designatedMembers: z.array(id).optional().meta({
    description: 'Person ids who may go out for supplies in closed mode; empty or absent = any member.',
  }),
  quota: z
    .strictObject({ exits: z.int().min(0), periodHours: z.number().positive() })
    .optional()
    .meta({ description: "Overrides the site policy's household exit quota." }),
});

const personSchema = z
  .strictObject({
    id,
    kind: z.enum(PERSON_KINDS),
    householdId: id.optional(),
    name: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .meta({ description: 'Stored for operators; never logged, exported only on request.' }),
    idNumber: z
      .string({ error: 'ID numbers are text: quote them' })
      .regex(/^\s*\d{17}[\dXx]\s*$/, { error: 'ID numbers are 17 digits followed by a digit or X' })
      .optional()
      .meta({ description: 'Raw resident ID number (import only): validated, hashed, never stored.' }),
    idHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { error: 'idHash is 64 lower-case hex characters (HMAC-SHA256)' })
      .optional()
      .meta({ description: 'Keyed hash of the ID number (export form); needs idMasked.' }),
    idMasked: z
      .string()
      .regex(/^[\dX*]{18}$/, { error: 'idMasked is 18 characters like 1101**********002X' })
      .optional(),
    shifts: z.array(z.enum(SHIFT_IDS)).optional().meta({ description: 'Staff only: duty shifts.' }),
  })
  .superRefine((p, ctx) => {
    if (p.idNumber !== undefined && (p.idHash !== undefined || p.idMasked !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['idNumber'],
        message: 'give idNumber or idHash+idMasked, not both',
      });
    }
    if ((p.idHash === undefined) !== (p.idMasked === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['idHash'], message: 'idHash and idMasked go together' });
    }
    if (p.shifts !== undefined && p.kind !== 'staff') {
      ctx.addIssue({ code: 'custom', path: ['shifts'], message: 'only staff have shifts' });
    }
  });

const validity = {
  validFrom: instant.optional().meta({ description: 'Inclusive.' }),
  validUntil: instant.optional().meta({ description: 'Exclusive.' }),
};

const credentialSchema = z.strictObject({
  id: id.optional().meta({ description: 'Defaults to `<kind>:<normalised value>`.' }),
  kind: z.enum(CREDENTIAL_KINDS),
  value: z.string().min(1).max(256),
  holder: id.meta({ description: 'A person id; for `plate`, a vehicle id.' }),
  ...validity,
  revokedAt: instant.optional(),
});

const visitorSchema = z.strictObject({
  id,
  personId: id,
  escorts: z.array(id).optional().meta({ description: 'Residents who may lead this visitor in.' }),
  hostHouseholdId: id.optional(),
  purpose: z.string().max(200).optional(),
  validFrom: instant,
  validUntil: instant,
  travel: z
    .array(z.strictObject({ region: z.string().min(1).max(32), date: instant }))
    .optional()
    .meta({ description: 'Regions visited, with the last day spent there.' }),
});

const quarantineTarget = z.union([
  z.strictObject({ person: id }),
  z.strictObject({ household: id }),
  z.strictObject({ building: place('building'), unit: place('unit') }),
  z.strictObject({ building: place('building') }),
]);

const quarantineSchema = z.strictObject({
  id,
  kind: z.enum(QUARANTINE_KINDS),
  target: quarantineTarget,
  from: instant,
  until: instant,
  liftedAt: instant.optional(),
});

const regionSchema = z.strictObject({
  code: z.string().min(1).max(32),
  name: z.string().max(100).optional(),
  since: instant.optional(),
  until: instant.optional(),
});

const vehicleSchema = z.strictObject({
  id,
  plate: z.string().min(1).max(32),
  kind: z.enum(VEHICLE_KINDS),
  householdId: id.optional(),
  ownerId: id.optional(),
  permit: z.strictObject(validity).optional().meta({ description: 'Absent = no pass permit.' }),
  disinfectedAt: instant.optional(),
});

export const registryDocumentSchema = z
  .strictObject({
    version: z.literal(1),
    households: z.array(householdSchema).optional(),
    persons: z.array(personSchema).optional(),
    credentials: z.array(credentialSchema).optional(),
    visitors: z.array(visitorSchema).optional(),
    quarantineOrders: z.array(quarantineSchema).optional(),
    highRiskRegions: z.array(regionSchema).optional(),
    vehicles: z.array(vehicleSchema).optional(),
  })
  .meta({ title: 'gatewarden registry document', description: 'Registry import/export, version 1.' });

export type RegistryDocument = z.infer<typeof registryDocumentSchema>;
export type HouseholdEntry = z.infer<typeof householdSchema>;
export type PersonEntry = z.infer<typeof personSchema>;
export type CredentialEntry = z.infer<typeof credentialSchema>;
export type VisitorEntry = z.infer<typeof visitorSchema>;
export type QuarantineEntry = z.infer<typeof quarantineSchema>;
export type RegionEntry = z.infer<typeof regionSchema>;
export type VehicleEntry = z.infer<typeof vehicleSchema>;

/** The sections of a document, in the order they are checked and written. */
export const SECTIONS = [
  'households',
  'persons',
  'credentials',
  'visitors',
  'quarantineOrders',
  'highRiskRegions',
  'vehicles',
] as const;
export type Section = (typeof SECTIONS)[number];

/** The JSON Schema of the document, as committed in `docs/registry.schema.json`. */
export function registryJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(registryDocumentSchema, { target: 'draft-2020-12', io: 'input' });
}
