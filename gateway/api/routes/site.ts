import { z } from 'zod';
import type { HeldStatus } from '../../checkpoint/held-entries.js';
import { SHIFT_IDS, SITE_MODES } from '../../domain/model.js';
import { staleStatus } from '../../freshness/freshness.js';
import { applyRequest } from '../../mqtt/upstream/requests-apply.js';
import { ALARM_LABELS, MODE_LABELS } from '../../reports/labels.js';
import { renderText } from '../../reports/render.js';
import { siteShiftReport } from '../../reports/site-shift-report.js';
import { REASON_MESSAGES, REASON_TITLES } from '../../rules/reasons.js';
import type { Api, ApiContext } from '../server.js';
import { ROLES } from '../users.js';
import { unreachable } from './session.js';

const DUTY = ['operator', 'admin'] as const;
const reason = z.string().trim().min(2).max(500);

/** The site at a glance, the mode switch, emergency open, device health, occupancy, the shift report. */
export function siteRoutes(app: Api, { site, devices, actuate }: ApiContext): void {
  app.get(
    '/api/site',
    {
      config: { roles: ROLES },
      schema: { summary: 'Site, mode, fire state, gates and lanes, the shift now' },
    },
    async () => {
      site.checkpoint.catchUp();
      return {
        id: site.config.site.id,
        name: site.config.site.name,
        mode: site.checkpoint.mode,
        fire: site.checkpoint.fireActive,
        // Null when fresh or when freshness is off (docs/freshness.md).
        stale: staleStatus(
          site.policy(site.checkpoint.mode).freshness,
          site.checkpoint.freshness().refreshedAt,
          site.now(),
        ),
        // Null unless the journal cannot take appends (disk full): passes held in memory (docs/journal.md).
        journalOutage: journalOutage(site.checkpoint.journalStatus()),
        feverThresholdC: site.config.policy.feverThresholdC,
        timezone: site.config.site.timezone,
        shift: site.shiftNow(),
        gates: site.config.gates.map((g) => ({
          id: g.id,
          name: g.name,
          primary: g.primary,
          lanes: g.lanes.map((l) => ({ id: l.id, name: l.name, kind: l.kind, direction: l.direction })),
        })),
      };
    },
  );

  app.get(
    '/api/labels',
    {
      config: { roles: ROLES },
      schema: { summary: 'zh/en labels of reasons, alarms and modes, for the dashboard' },
    },
    async () => ({
      reasons: Object.fromEntries(
        Object.entries(REASON_MESSAGES).map(([code, message]) => [
          code,
          { ...message, title: (REASON_TITLES as Record<string, unknown>)[code] ?? message },
        ]),
      ),
      alarms: ALARM_LABELS,
      modes: MODE_LABELS,
    }),
  );

  app.put(
    '/api/site/mode',
    {
      config: { roles: DUTY },
      schema: {
        summary: 'Switch the site mode (journaled with the user, shift and reason)',
        body: z.strictObject({ mode: z.enum(SITE_MODES), reason }),
      },
    },
    async (request) => {
      const user = request.session?.user ?? unreachable();
      const { mode, reason: why } = request.body;
      return applyRequest(site, { type: 'mode.set', transactionId: 'api', mode, reason: why }, user.name)
        .result;
    },
  );

  app.post(
    '/api/lanes/:laneId/open',
    {
      config: { roles: DUTY },
      schema: {
        summary:
          'Emergency open of a lane: an override decision journaled with the user and reason, then the lock or barrier',
        params: z.strictObject({ laneId: z.string().min(1).max(64) }),
        body: z.strictObject({ reason }),
      },
    },
    async (request) => {
      const user = request.session?.user ?? unreachable();
      const applied = applyRequest(
        site,
        {
          type: 'lane.open',
          transactionId: 'api',
          laneId: request.params.laneId,
          reason: request.body.reason,
        },
        user.name,
        actuate,
      );
      applied.afterCommit?.();
      return applied.result;
    },
  );

  app.get(
    '/api/devices',
    { config: { roles: ROLES }, schema: { summary: 'Every device: online, round trip, counters' } },
    async () => ({ devices: devices?.() ?? [] }),
  );

  app.get(
    '/api/occupancy',
    { config: { roles: DUTY }, schema: { summary: 'Residents out of the community now, by household' } },
    async () => {
      site.checkpoint.catchUp();
      const returnWithinMs = site.config.policy.returnWithinHours * 3600_000;
      const now = site.now();
      return {
        outside: site.checkpoint.outsideNow().map((o) => ({
          household: o.householdId ?? null,
          since: o.since,
          overdue: now - o.since > returnWithinMs,
        })),
      };
    },
  );

  app.get(
    '/api/reports/shift',
    {
      config: { roles: DUTY },
      schema: {
        summary: 'The handover report of a duty shift (default: the current one)',
        querystring: z.strictObject({
          date: z
            .string()
            .regex(/^\d{4}-\d{2}-\d{2}$/)
            .optional(),
          shift: z.enum(SHIFT_IDS).optional(),
          format: z.enum(['json', 'text']).default('json'),
        }),
      },
    },
    async (request, reply) => {
      const { date, shift } = request.query;
      const report = siteShiftReport(site, {
        ...(date === undefined ? {} : { date }),
        ...(shift === undefined ? {} : { shift }),
      });
      if (request.query.format === 'text')
        return reply.type('text/plain; charset=utf-8').send(renderText(report));
      return report;
    },
  );
}

function journalOutage(status: HeldStatus) {
  if (status.since === undefined && status.held === 0) return null;
  const { held, volatile, since, cause, refusing, refusedUnrecorded } = status;
  return { held, volatile, since: since ?? null, cause: cause ?? null, refusing, refusedUnrecorded };
}
