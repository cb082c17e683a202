import { z } from 'zod';
import { dutyShiftAt, dutyWindow } from '../../duty/duty-roster.js';
import { GatewardenError } from '../../errors.js';
import { alarmTitle } from '../../mqtt/live-feed-messages.js';
import { acknowledgeAlarm, alarmsOf, OPEN_ALARM_HOURS, openAlarms } from '../alarms.js';
import { problem } from '../problems.js';
import type { Api, ApiContext } from '../server.js';
import { ROLES } from '../users.js';
import { unreachable } from './session.js';

const DUTY = ['operator', 'admin'] as const;

/** `CODE 中文` for a problem line: the same titles the live alarm stream carries. */
function alarmName(code: string): string {
  const title = alarmTitle(code);
  return title === null ? code : `${code} ${title.zh}`;
}
const note = z.string().trim().max(500).optional();

/**
 * The duty shift at the checkpoint: who is on duty, log-in and log-out on the dashboard (a card
 * at a duty station does the same, see gateway/patrol/), and the handover, in which the incoming
 * guard acknowledges every open alarm before taking the shift. Every step is a `duty` journal
 * entry, so the shift report rebuilds it after a restart.
 */
export function dutyRoutes(app: Api, { site }: ApiContext): void {
  const tz = site.config.site.timezone;
  const append = (action: 'login' | 'logout' | 'handover', guard: string, extra = {}) => {
    const { date, shift } = dutyShiftAt(site.now(), tz);
    return site.record('duty', site.now(), {
      action,
      guard,
      via: 'dashboard',
      shift,
      date,
      ...extra,
    });
  };

  app.get(
    '/api/duty',
    {
      config: { roles: ROLES },
      schema: { summary: 'The duty shift now: guards on duty, handovers, open alarms' },
    },
    async () => {
      site.checkpoint.catchUp();
      const now = site.now();
      const shift = dutyShiftAt(now, tz);
      const roster = site.duty.roster();
      return {
        ...shift,
        window: dutyWindow(shift, tz),
        guards: roster.guards,
        handovers: roster.handovers,
        emptySince: roster.emptySince ?? null,
        openAlarms: openAlarms(site).length,
        needsAcknowledgement: site.config.duty.handoverNeedsAcknowledgement,
      };
    },
  );

  app.post(
    '/api/duty/login',
    {
      config: { roles: DUTY },
      schema: {
        summary: 'Come on duty in the current shift (journaled)',
        body: z.strictObject({}).optional(),
      },
    },
    async (request) => {
      const user = request.session?.user ?? unreachable();
      site.checkpoint.catchUp();
      if (site.duty.guards().includes(user.name)) return { onDuty: true, seq: null };
      return { onDuty: true, seq: append('login', user.name).seq };
    },
  );

  app.post(
    '/api/duty/logout',
    {
      config: { roles: DUTY },
      schema: { summary: 'Go off duty (journaled)', body: z.strictObject({ note }).optional() },
    },
    async (request) => {
      const user = request.session?.user ?? unreachable();
      site.checkpoint.catchUp();
      if (!site.duty.guards().includes(user.name))
        throw new GatewardenError('REQUEST_INVALID', `${user.name} is not on duty in this shift`, {
          problems: [{ field: 'session', message: 'not on duty in this shift' }],
        });
      const text = request.body?.note;
      return { onDuty: false, seq: append('logout', user.name, text ? { note: text } : {}).seq };
    },
  );

  app.post(
    '/api/duty/handover',
    {
      config: { roles: DUTY },
      schema: {
        summary:
          'Take over the shift: the incoming guard acknowledges every open alarm (listed by seq) and comes on duty',
        body: z.strictObject({
          acknowledge: z
            .array(z.number().int().positive())
            .max(1000)
            .default([])
            .describe(
              `Seqs of the open alarms (of the last ${OPEN_ALARM_HOURS} h) the incoming guard has seen.`,
            ),
          note,
        }),
      },
    },
    async (request, reply) => {
      const user = request.session?.user ?? unreachable();
      site.checkpoint.catchUp();
      const listed = new Set(request.body.acknowledge);
      const open = openAlarms(site);
      const unseen = open.filter((a) => !listed.has(a.seq));
      if (site.config.duty.handoverNeedsAcknowledgement && unseen.length > 0)
        return reply.code(409).send(
          problem('HANDOVER_OPEN_ALARMS', `${unseen.length} open alarms must be acknowledged first`, {
            problems: unseen.map((a) => ({
              field: 'body.acknowledge',
              message: `alarm ${a.seq} (${alarmName(a.code)}) is open`,
            })),
          }),
        );
      // Every listed seq is checked before anything is journaled: a refusal leaves no half-done acks.
      const stillOpen = new Set(open.map((a) => a.seq));
      for (const seq of listed) {
        if (stillOpen.has(seq)) continue;
        // Acknowledged meanwhile by someone else is fine; an entry that raised no alarm is not.
        const entry = site.journal.get(seq);
        if (entry === undefined || alarmsOf(entry).length === 0)
          throw new GatewardenError('REQUEST_INVALID', `journal entry #${seq} is not an alarm`, {
            problems: [{ field: 'body.acknowledge', message: `no alarm with seq ${seq}` }],
          });
      }
      const acknowledged = [...listed].filter((seq) => stillOpen.has(seq));
      for (const seq of acknowledged)
        acknowledgeAlarm(site, seq, user.name, { note: 'handover', field: 'body.acknowledge' });
      const text = request.body.note;
      const entry = append('handover', user.name, { acknowledged, ...(text ? { note: text } : {}) });
      return { onDuty: true, seq: entry.seq, acknowledged };
    },
  );
}
