/**
 * The `stations` and `patrol` sections: reader points away from the gates' lanes, and the patrol
 * routes walked through them (plan 5 §2.4, "24-hour duty and patrol system with records"). Part
 * of the one schema in `schema.ts`. A reader of any family (OSDP, ID card, QR) is placed at a
 * station by naming the station's id as its `lane`; docs/patrol.md explains the rest.
 *
 * Cross-references (a route's points name patrol stations, station ids differ from lane ids)
 * are checked by `checkStations`, which `schema.ts` runs over the whole configuration.
 */
import { z } from 'zod';
import { SHIFT_IDS, type ShiftId } from '../gateway/domain/model.js';
import { SHIFT_STARTS } from '../gateway/util/site-time.js';

const slug = z
  .string()
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug: lower-case letters, digits and single hyphens');

const localizedName = z.strictObject({
  zh: z.string().min(1).describe('Chinese name, shown on the dashboard and in reports.'),
  en: z.string().min(1).describe('English name.'),
});

export const STATION_PURPOSES = ['patrol', 'duty'] as const;
export type StationPurpose = (typeof STATION_PURPOSES)[number];

/** Nominal length of each duty shift in minutes (a daylight-saving night may be an hour off). */
export const SHIFT_MINUTES: Readonly<Record<ShiftId, number>> = (() => {
  const minute = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
  const day = minute(SHIFT_STARTS.day);
  const evening = minute(SHIFT_STARTS.evening);
  const night = minute(SHIFT_STARTS.night);
  return { day: evening - day, evening: night - evening, night: 24 * 60 - night + day };
})();

const stationSchema = z.strictObject({
  id: slug.describe(
    'Station id, unique across the site and different from every lane id; a reader placed here names it as its `lane`.',
  ),
  name: localizedName.describe('Name of the station (where it is).'),
  purpose: z
    .enum(STATION_PURPOSES)
    .describe(
      'patrol: a patrol point: every tap is journaled (`patrol`) and counts for the routes through it. ' +
        'duty: the guardhouse: a staff card logs its guard in to the current duty shift (`duty`).',
    ),
});

function checkUniqueIds(items: readonly { id: string }[], what: string, ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const seen = first.get(item.id);
    if (seen === undefined) first.set(item.id, i);
    else
      ctx.addIssue({
        code: 'custom',
        path: [i, 'id'],
        message: `duplicate ${what} id "${item.id}" (first at ${seen})`,
      });
  });
}

export const stationsSchema = z
  .array(stationSchema)
  .superRefine((stations, ctx) => checkUniqueIds(stations, 'station', ctx))
  .default([])
  .describe(
    'Reader points away from the gates (patrol points, the guardhouse). A tap there opens nothing and makes no pass (docs/patrol.md).',
  );

const pointSchema = z.strictObject({
  station: slug.describe('Id of a station of purpose `patrol`.'),
  atMinutes: z
    .number()
    .int()
    .min(0)
    .describe('Minute within the round, from its start, at which the guard is expected at this station.'),
});

const routeSchema = z
  .strictObject({
    id: slug.describe('Route id, unique across the site: names the route in alarms and reports.'),
    name: localizedName.describe('Name of the route.'),
    shifts: z
      .array(z.enum(SHIFT_IDS))
      .min(1)
      .refine((shifts) => new Set(shifts).size === shifts.length, 'lists a shift twice')
      .default(() => [...SHIFT_IDS])
      .describe('Duty shifts during which the route is walked (day 08–17, evening 17–20, night 20–08).'),
    everyMinutes: z
      .number()
      .int()
      .min(1)
      .describe(
        'A round starts every this many minutes from the start of each listed shift; it ends when the next one starts or the shift ends.',
      ),
    toleranceMinutes: z
      .number()
      .int()
      .min(0)
      .default(5)
      .describe(
        'A tap within this many minutes either side of a point’s expected time is on time; later in the round it is late (PATROL_LATE).',
      ),
    points: z
      .array(pointSchema)
      .min(1)
      .describe('The patrol points in walking order, each with its expected minute within the round.'),
  })
  .superRefine((route, ctx) => checkRoute(route, ctx));

/** Within one route: points in time order, every on-time window inside the round, rounds that fit the shifts. */
function checkRoute(route: z.output<typeof routeSchema>, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  route.points.forEach((point, i) => {
    const previous = route.points[i - 1];
    if (previous !== undefined && point.atMinutes <= previous.atMinutes)
      issue(['points', i, 'atMinutes'], `must be later than the point before it (${previous.atMinutes})`);
    if (point.atMinutes >= route.everyMinutes)
      issue(['points', i, 'atMinutes'], `must be less than everyMinutes (${route.everyMinutes})`);
  });
  const last = route.points.at(-1);
  if (last !== undefined && last.atMinutes < route.everyMinutes) {
    if (last.atMinutes + route.toleranceMinutes > route.everyMinutes)
      issue(
        ['toleranceMinutes'],
        `the last point (minute ${last.atMinutes}) plus the tolerance passes the round's end (minute ${route.everyMinutes}): ` +
          'an on-time tap would fall in the next round',
      );
  }
  for (const shift of route.shifts) {
    if (route.everyMinutes > SHIFT_MINUTES[shift])
      issue(
        ['everyMinutes'],
        `is longer than the ${shift} shift (${SHIFT_MINUTES[shift]} minutes): no round would fit in it`,
      );
  }
}

export const patrolSchema = z.strictObject({
  routes: z
    .array(routeSchema)
    .superRefine((routes, ctx) => checkUniqueIds(routes, 'route', ctx))
    .default([])
    .describe(
      'Patrol routes: a round every everyMinutes through the listed patrol stations; a late point is PATROL_LATE, a missed one PATROL_MISSED.',
    ),
});

export type StationConfig = z.output<typeof stationSchema>;
export type PatrolConfig = z.output<typeof patrolSchema>;
export type PatrolRouteConfig = PatrolConfig['routes'][number];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks across sections: a station id is no lane id (a reader's `lane` must name one or the
 * other), and every route point names a station of purpose `patrol`. Runs even when other parts
 * failed, so the input is read defensively.
 */
export function checkStations(config: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const records = (value: unknown) => (Array.isArray(value) ? value : []);
  const lanes = new Set<unknown>(
    records(config.gates)
      .filter(isRecord)
      .flatMap((g) =>
        records(g.lanes)
          .filter(isRecord)
          .map((l) => l.id),
      ),
  );
  const purposes = new Map<unknown, unknown>();
  records(config.stations).forEach((station: unknown, i) => {
    if (!isRecord(station)) return;
    purposes.set(station.id, station.purpose);
    if (typeof station.id === 'string' && lanes.has(station.id))
      ctx.addIssue({
        code: 'custom',
        path: ['stations', i, 'id'],
        message: `"${station.id}" is already a lane id: a station needs an id of its own`,
      });
  });
  const patrol = isRecord(config.patrol) ? config.patrol : {};
  records(patrol.routes).forEach((route: unknown, r) => {
    if (!isRecord(route)) return;
    records(route.points).forEach((point: unknown, p) => {
      if (!isRecord(point) || typeof point.station !== 'string') return;
      const purpose = purposes.get(point.station);
      const path = ['patrol', 'routes', r, 'points', p, 'station'];
      if (purpose === undefined)
        ctx.addIssue({ code: 'custom', path, message: `no station "${point.station}" under stations` });
      else if (purpose !== 'patrol')
        ctx.addIssue({
          code: 'custom',
          path,
          message: `station "${point.station}" is a ${String(purpose)} station, not a patrol point`,
        });
    });
  });
}
