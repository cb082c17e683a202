import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { GatewardenError, type Problem } from '../../errors.js';
import { ID_PATTERN, registryDocumentSchema } from '../../registry/document.js';
import { INSTANT_PATTERN, parseInstant } from '../../registry/instant.js';
import { EDITABLE_SECTIONS, RECORD_NOUN, type RecordPut } from '../../registry/store.js';
import type { Site } from '../../site.js';
import type { Api, ApiContext } from '../server.js';
import type { ApiUser } from '../users.js';
import { unreachable } from './session.js';

const ADMIN = ['admin'] as const;
const DUTY = ['operator', 'admin'] as const;

const id = z.string().regex(ID_PATTERN, { error: 'ids are 1–128 characters without spaces' });
const params = z
  .strictObject({ id: id.describe('The record id; `#` in an id is written %23 in the path.') })
  .describe('The record');
const sameId = {
  id: id.optional().describe('May be left out; when given, the same as the id in the path.'),
};

/** The bodies are the document's entries (docs/registry.md), so the API speaks as imports do. */
const doc = registryDocumentSchema.shape;
const household = doc.households.unwrap().element.shape;
const person = doc.persons.unwrap().element.shape;
const credential = doc.credentials.unwrap().element.shape;
const vehicle = doc.vehicles.unwrap().element.shape;

const householdBody = z
  .strictObject({ ...household, ...sameId })
  .describe('A household as a registry document writes it; replaces the stored one.');
const personBody = z
  .strictObject({
    ...sameId,
    kind: person.kind,
    householdId: person.householdId,
    name: person.name.describe('Stored for operators, masked in every answer, never logged or journaled.'),
    idNumber: person.idNumber.describe(
      'The raw ID number (GB 11643): checked, stored only as its keyed hash and masked form.',
    ),
    shifts: person.shifts,
  })
  .describe(
    'A person as a registry document writes it. Left out, `name` and `idNumber` keep the stored ones.',
  );
const credentialBody = z
  .strictObject({ ...credential, ...sameId })
  .describe('A credential as a registry document writes it; `revokedAt` left out means not revoked.');
const vehicleBody = z
  .strictObject({ ...vehicle, ...sameId })
  .describe('A vehicle as a registry document writes it; its plate becomes a `plate` credential.');
const revokeBody = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(2)
      .max(500)
      .describe('Why (journaled): e.g. 卡丢失 lost card. No names or ID numbers.'),
    at: z
      .string()
      .regex(new RegExp(INSTANT_PATTERN), {
        error: 'expected an ISO 8601 instant like 2022-04-01T08:00:00+08:00',
      })
      .optional()
      .describe('From when; default now. An earlier revocation stays.'),
  })
  .describe('Revoke a credential (a lost card, a moved-out resident)');

const row = z
  .record(z.string(), z.union([z.string(), z.number(), z.null()]))
  .describe('The record as GET /api/registry/:section lists it: names and ID numbers masked');
const putReply = z.object({ row, created: z.boolean(), seq: z.number().int() });
const removeReply = z.object({
  removed: z.string(),
  credentials: z.int().describe('Credentials removed with it: a person’s ID cards, a vehicle’s plates'),
  seq: z.number().int(),
});
const revokeReply = z.object({ row, changed: z.boolean(), seq: z.number().int().optional() });

/**
 * Registry editing (docs/api.md): create or replace (PUT) and remove (DELETE) one household,
 * person, credential or vehicle, and revoke a credential. Office work is the admin's; a guard
 * may revoke a lost card. Each change and its journal entry (`registry.<noun>.put|remove`,
 * `registry.revoke`: ids and counts, never a name or ID number) commit together, and the
 * checkpoint catches up at once, so the very next pass decision sees the change.
 */
export function registryEditRoutes(app: Api, { site }: ApiContext): void {
  const put = (
    user: ApiUser,
    log: FastifyBaseLogger,
    change: RecordPut,
    detail: Record<string, string | number | boolean>,
  ) => {
    const noun = RECORD_NOUN[change.section];
    const done = journaled(site, log, () => {
      const result = site.registry.put(change);
      const action = `registry.${noun}.put`;
      const entry = site.recordOperator(action, user.name, {
        [noun]: result.id,
        created: result.created,
        ...detail,
      });
      return { action, result, seq: entry.seq };
    });
    const listed = site.registry.row(change.section, change.entry.id) ?? unreachable();
    return {
      status: (done.result.created ? 201 : 200) as 200 | 201,
      body: { row: listed, created: done.result.created, seq: done.seq },
    };
  };
  const replies = { 200: putReply, 201: putReply };

  app.put(
    '/api/registry/households/:id',
    {
      config: { roles: ADMIN },
      schema: { summary: 'Create or replace a household', params, body: householdBody, response: replies },
    },
    async (request, reply) => {
      const user = request.session?.user ?? unreachable();
      const entry = { ...request.body, id: pathId(request.params.id, request.body.id) };
      const done = put(user, request.log, { section: 'households', entry }, {});
      return reply.code(done.status).send(done.body);
    },
  );

  app.put(
    '/api/registry/persons/:id',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Create or replace a person (resident, staff, visitor, courier, repair)',
        params,
        body: personBody,
        response: replies,
      },
    },
    async (request, reply) => {
      const user = request.session?.user ?? unreachable();
      const entry = { ...request.body, id: pathId(request.params.id, request.body.id) };
      const detail = {
        kind: entry.kind,
        ...(entry.householdId !== undefined && { household: entry.householdId }),
        idNumberGiven: entry.idNumber !== undefined,
      };
      const done = put(user, request.log, { section: 'persons', entry }, detail);
      return reply.code(done.status).send(done.body);
    },
  );

  app.put(
    '/api/registry/credentials/:id',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Create or replace a credential (card, QR pass, plate, work certificate)',
        params,
        body: credentialBody,
        response: replies,
      },
    },
    async (request, reply) => {
      const user = request.session?.user ?? unreachable();
      const entry = { ...request.body, id: pathId(request.params.id, request.body.id) };
      const detail = { kind: entry.kind, holder: entry.holder, revoked: entry.revokedAt !== undefined };
      const done = put(user, request.log, { section: 'credentials', entry }, detail);
      return reply.code(done.status).send(done.body);
    },
  );

  app.put(
    '/api/registry/vehicles/:id',
    {
      config: { roles: ADMIN },
      schema: { summary: 'Create or replace a vehicle', params, body: vehicleBody, response: replies },
    },
    async (request, reply) => {
      const user = request.session?.user ?? unreachable();
      const entry = { ...request.body, id: pathId(request.params.id, request.body.id) };
      const detail = { kind: entry.kind, permit: entry.permit !== undefined };
      const done = put(user, request.log, { section: 'vehicles', entry }, detail);
      return reply.code(done.status).send(done.body);
    },
  );

  app.post(
    '/api/registry/credentials/:id/revoke',
    {
      config: { roles: DUTY },
      schema: {
        summary: 'Revoke a credential (a lost card): the rules then answer CREDENTIAL_REVOKED',
        params,
        body: revokeBody,
        response: { 200: revokeReply },
      },
    },
    async (request) => {
      const user = request.session?.user ?? unreachable();
      const { reason } = request.body;
      if (/\d{15,}/.test(reason))
        throw fieldProblem('body.reason', 'looks like an ID number: no personal data here');
      const at = request.body.at === undefined ? site.now() : instant(site, request.body.at, 'body.at');
      const done = journaled(site, request.log, () => {
        const result = site.registry.revokeCredential(request.params.id, at);
        if (!result.changed) return { action: 'registry.revoke', result };
        const c = result.credential;
        const entry = site.recordOperator('registry.revoke', user.name, {
          credential: c.id,
          kind: c.kind,
          revokedAt: c.revokedAt ?? at,
          reason,
          transaction: 'api',
        });
        return { action: 'registry.revoke', result, seq: entry.seq };
      });
      const listed = site.registry.row('credentials', request.params.id) ?? unreachable();
      return { row: listed, changed: done.result.changed, ...(done.seq !== undefined && { seq: done.seq }) };
    },
  );

  for (const section of EDITABLE_SECTIONS) {
    const noun = RECORD_NOUN[section];
    app.delete(
      `/api/registry/${section}/:id`,
      {
        config: { roles: ADMIN },
        schema: {
          summary: `Remove a ${noun}; refused (409) while anything still refers to it`,
          params,
          response: { 200: removeReply },
        },
      },
      async (request) => {
        const user = request.session?.user ?? unreachable();
        const done = journaled(site, request.log, () => {
          const result = site.registry.remove(section, request.params.id);
          const action = `registry.${noun}.remove`;
          const entry = site.recordOperator(action, user.name, {
            [noun]: result.id,
            credentials: result.credentials,
          });
          return { action, result, seq: entry.seq };
        });
        return { removed: done.result.id, credentials: done.result.credentials, seq: done.seq };
      },
    );
  }
}

/**
 * Runs a change and its journal entry in one transaction (both or neither), then folds the entry
 * into the checkpoint, whose `registry.` hook reloads the snapshot. Store problems (fields inside
 * the record) come back naming the request's fields.
 */
function journaled<T extends { action: string; seq?: number }>(
  site: Site,
  log: FastifyBaseLogger,
  change: () => T,
): T {
  let done: T;
  try {
    done = site.db.transaction(change).immediate();
  } catch (err) {
    throw err instanceof GatewardenError ? inRequest(err) : err;
  }
  site.checkpoint.catchUp();
  if (done.seq !== undefined) log.info({ action: done.action, seq: done.seq }, 'registry change journaled');
  return done;
}

/** The id in the path; a body that names another is refused. */
function pathId(fromPath: string, fromBody: string | undefined): string {
  if (fromBody !== undefined && fromBody !== fromPath)
    throw fieldProblem('body.id', `must be the id in the path (${fromPath}) or left out`);
  return fromPath;
}

function instant(site: Site, text: string, field: string): number {
  const ms = parseInstant(text, site.config.site.timezone);
  if (ms === undefined) throw fieldProblem(field, 'not a real date or time');
  return ms;
}

function fieldProblem(field: string, message: string): GatewardenError {
  return new GatewardenError('REQUEST_INVALID', 'the request is invalid', { problems: [{ field, message }] });
}

/** `id` is the path's; any other field is the body's (`householdId` → `body.householdId`). */
function inRequest(err: GatewardenError): GatewardenError {
  const problems = err.problems.map(
    (p): Problem =>
      p.field === undefined ? p : { ...p, field: p.field === 'id' ? 'params.id' : `body.${p.field}` },
  );
  return new GatewardenError(err.code, err.message, { problems, cause: err });
}
