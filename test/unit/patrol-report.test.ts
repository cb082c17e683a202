import { afterEach, describe, expect, it } from 'vitest';
import { SiteLanePort } from '../../gateway/devices/site-lane-port.js';
import { renderJson, renderText } from '../../gateway/reports/render.js';
import { shiftReport } from '../../gateway/reports/shift-report.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { at, CARDS, DATE, type PatrolSite, patrolSite, TZ } from '../helpers/patrol-site.js';

let rig: PatrolSite | undefined;
afterEach(() => {
  rig?.dispose();
  rig = undefined;
});

/** Round 08:00 done on time, round 09:00 garden late and garage missed, a resident's tap refused. */
function patrolledMorning() {
  const clock = new ManualClock(at('08:00'));
  rig = patrolSite(clock.now);
  const port = new SiteLanePort(rig.site);
  const tap = (time: string, station: string, value: string = CARDS.guard.value) => {
    clock.time = at(time);
    port.present(station, { kind: 'card', value }, `${station}-reader`);
  };
  tap('08:09', 'garden');
  tap('08:31', 'garage', CARDS.guard2.value);
  tap('08:40', 'garden', CARDS.resident.value);
  tap('09:22', 'garden');
  return rig.site;
}

describe('the patrol section of the shift report', () => {
  it('lists per route the rounds done and every late and missed point, as of the time asked', () => {
    const site = patrolledMorning();
    const report = shiftReport(site.journal, {
      date: DATE,
      shift: 'day',
      tz: TZ,
      feverThresholdC: 37.3,
      patrolRoutes: site.config.patrol.routes,
      asOf: at('10:05'),
    });
    const { rounds, ...route } = report.patrol.routes[0] ?? { rounds: [] };
    expect(report.patrol).toMatchObject({
      asOf: at('10:05'),
      taps: 4,
      refusedTaps: 1,
      guards: ['g-1', 'g-2'],
    });
    expect(route).toEqual({
      routeId: 'loop',
      name: { zh: '环线', en: 'Loop' },
      roundsDone: 1,
      pointsOnTime: 2,
      pointsLate: 1,
      pointsMissed: 1,
      pointsPending: 7 * 2,
      late: [{ roundStart: at('09:00'), stationId: 'garden', expected: at('09:10'), tappedAt: at('09:22') }],
      missed: [{ roundStart: at('09:00'), stationId: 'garage', expected: at('09:30'), tappedAt: null }],
    });
    expect(rounds.slice(0, 3)).toEqual([
      { start: at('08:00'), end: at('09:00'), status: 'done', onTime: 2, late: 0, missed: 0 },
      { start: at('09:00'), end: at('10:00'), status: 'incomplete', onTime: 0, late: 1, missed: 1 },
      { start: at('10:00'), end: at('11:00'), status: 'pending', onTime: 0, late: 0, missed: 0 },
    ]);
    expect(rounds).toHaveLength(9);
    expect(JSON.parse(renderJson(report))).toEqual(report);
    const text = renderText(report);
    expect(text).toContain('巡更 Patrol (截至 as of 2024-05-01 10:05): 打卡 taps 4, 无效 refused 1');
    expect(text).toContain(
      '  环线 Loop (loop): 完成 rounds done 1/9, 按时 on time 2, 迟到 late 1, 漏巡 missed 1, 待巡 pending 14',
    );
    expect(text).toContain('    迟到 late: garden, 09:00 轮 round, 应到 expected 09:10, 打卡 tapped 09:22');
    expect(text).toContain('    漏巡 missed: garage, 09:00 轮 round, 应到 expected 09:30');
    expect(text).toContain('巡更人员 Guards on patrol: g-1, g-2');
  });

  it('judges a past shift as over, and lists no routes when none is given or walked in the shift', () => {
    const site = patrolledMorning();
    const options = { date: DATE, tz: TZ, feverThresholdC: 37.3, patrolRoutes: site.config.patrol.routes };
    const over = shiftReport(site.journal, { ...options, shift: 'day' }).patrol;
    expect(over.asOf).toBe(at('17:00'));
    expect(over.routes[0]?.pointsMissed).toBe(1 + 7 * 2);
    expect(over.routes[0]?.pointsPending).toBe(0);
    expect(shiftReport(site.journal, { ...options, shift: 'evening' }).patrol).toEqual({
      asOf: at('20:00'),
      taps: 0,
      refusedTaps: 0,
      guards: [],
      routes: [],
    });
    const withoutRoutes = shiftReport(site.journal, {
      date: DATE,
      tz: TZ,
      feverThresholdC: 37.3,
      shift: 'day',
    });
    expect(withoutRoutes.patrol.routes).toEqual([]);
    expect(withoutRoutes.patrol.taps).toBe(4);
    expect(renderText(withoutRoutes)).toContain('  无巡更路线 no routes in this shift');
    // Patrol taps are no passes: the counts above them stay at zero.
    expect(over.taps).toBe(4);
    expect(shiftReport(site.journal, { ...options, shift: 'day' }).counts.passes).toBe(0);
  });
});
