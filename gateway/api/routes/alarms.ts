import { z } from 'zod';
import { acknowledgeAlarm, alarmsSince } from '../alarms.js';
import type { Api, ApiContext } from '../server.js';
import { ROLES } from '../users.js';
import { unreachable } from './session.js';

/** Alarms of the last hours, and their acknowledgement by the operator on duty. */
export function alarmRoutes(app: Api, { site }: ApiContext): void {
  app.get(
    '/api/alarms',
    {
      config: { roles: ROLES },
      schema: {
        summary: 'Alarms raised within the last hours, newest first, with who acknowledged them',
        querystring: z.strictObject({
          hours: z.coerce
            .number()
            .positive()
            .max(24 * 31)
            .default(24),
          open: z.enum(['true', 'false']).optional(),
        }),
      },
    },
    async (request) => {
      const alarms = alarmsSince(site, site.now() - request.query.hours * 3600_000);
      const open = request.query.open;
      return {
        alarms:
          open === undefined
            ? alarms
            : alarms.filter((a) => (a.acknowledged === undefined) === (open === 'true')),
      };
    },
  );

  app.post(
    '/api/alarms/:seq/ack',
    {
      config: { roles: ['operator', 'admin'] },
      schema: {
        summary: 'Acknowledge an alarm (journaled with the user, shift and note)',
        params: z.strictObject({ seq: z.coerce.number().int().positive() }),
        body: z.strictObject({ note: z.string().trim().max(500).optional() }),
      },
    },
    async (request) => {
      const user = request.session?.user ?? unreachable();
      const { seq } = request.params;
      const ack = acknowledgeAlarm(site, seq, user.name, { note: request.body.note });
      return { alarmSeq: seq, seq: ack.seq };
    },
  );
}
