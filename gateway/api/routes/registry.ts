import { z } from 'zod';
import { quarantineOrderSchema, visitorRequestSchema } from '../../mqtt/upstream/request-schema.js';
import { applyRequest } from '../../mqtt/upstream/requests-apply.js';
import { SECTIONS } from '../../registry/document.js';
import type { Api, ApiContext } from '../server.js';
import { unreachable } from './session.js';

const DUTY = ['operator', 'admin'] as const;

/**
 * The registry, as operators and admins need it. Lists are masked (names as 张*, ID numbers as
 * 1101**********002X); only an admin may ask for names (`names=true`), for the cases where the
 * office must reach a person. Technicians see devices, not residents. Changes go through the
 * same functions as signed upstream requests and are journaled with the user and shift.
 */
export function registryRoutes(app: Api, { site }: ApiContext): void {
  app.get(
    '/api/registry/:section',
    {
      config: { roles: DUTY },
      schema: {
        summary: 'A page of one registry section, masked',
        params: z.strictObject({ section: z.enum(SECTIONS) }),
        querystring: z.strictObject({
          limit: z.coerce.number().int().min(1).max(1000).default(50),
          offset: z.coerce.number().int().min(0).default(0),
          names: z.enum(['true', 'false']).default('false'),
        }),
      },
    },
    async (request, reply) => {
      const user = request.session?.user ?? unreachable();
      const { section } = request.params;
      const { limit, offset, names } = request.query;
      const rows = site.registry.list(section, { limit, offset });
      if (names === 'false') return { rows };
      if (user.role !== 'admin')
        return reply.code(403).send({ error: 'FORBIDDEN', message: 'only an admin may see names' });
      if (section !== 'persons')
        return reply.code(400).send({
          error: 'REQUEST_INVALID',
          message: 'names are kept for persons only',
          problems: [{ field: 'querystring.names', message: 'only with section persons' }],
        });
      const named = new Map(
        (site.registry.export({ includeNames: true }).persons ?? []).map((p) => [p.id, p.name ?? null]),
      );
      site.recordOperator('registry.names-viewed', user.name, { section, offset, count: rows.length });
      return { rows: rows.map((r) => ({ ...r, name: named.get(String(r.id)) ?? null })) };
    },
  );

  app.post(
    '/api/visitors',
    {
      config: { roles: DUTY },
      schema: {
        summary: 'Register a visitor or repair worker (real name, escort, validity)',
        body: visitorRequestSchema,
      },
    },
    async (request) => {
      const user = request.session?.user ?? unreachable();
      return applyRequest(
        site,
        { type: 'visitor.register', transactionId: 'api', visitor: request.body },
        user.name,
      ).result;
    },
  );

  app.post(
    '/api/quarantine',
    {
      config: { roles: DUTY },
      schema: { summary: 'Add a quarantine order', body: quarantineOrderSchema },
    },
    async (request) => {
      const user = request.session?.user ?? unreachable();
      return applyRequest(
        site,
        { type: 'quarantine.add', transactionId: 'api', order: request.body },
        user.name,
      ).result;
    },
  );

  app.delete(
    '/api/quarantine/:orderId',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Lift a quarantine order',
        params: z.strictObject({ orderId: z.string().min(1).max(64) }),
      },
    },
    async (request) => {
      const user = request.session?.user ?? unreachable();
      return applyRequest(
        site,
        { type: 'quarantine.lift', transactionId: 'api', orderId: request.params.orderId },
        user.name,
      ).result;
    },
  );
}
