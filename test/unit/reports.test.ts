import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import type { Direction } from '../../gateway/domain/model.js';
import type { JournalEventMap } from '../../gateway/journal/events.js';
import { Journal } from '../../gateway/journal/journal.js';
import { dailyReport } from '../../gateway/reports/daily-report.js';
import { renderJson, renderText } from '../../gateway/reports/render.js';
import { shiftReport } from '../../gateway/reports/shift-report.js';
import { DENY_CODES } from '../../gateway/rules/reasons.js';
import type { Reason, TemperatureReading } from '../../gateway/rules/types.js';

const TZ = 'Asia/Shanghai';
const SITE = 'site-01';

/** Shanghai wall time (UTC+8). */
function at(date: string, hhmm: string): number {
  return Date.parse(`${date}T${hhmm}:00+08:00`);
}

function decision(
  when: number,
  laneId: string,
  direction: Direction,
  reasons: Reason[],
  override?: { operator: string; reason: string },
): JournalEventMap['decision'] {
  const allow = reasons.some((r) => r.effect === 'grant');
  return {
    gateId: 'gate-north',
    request: { at: when, laneId, shift: 'day', direction, ...(override ? { override } : {}) },
    decision: {
      allow,
      reasons,
      subject: { kind: 'person', id: 'person-secret-42', personKind: 'resident', householdId: 'hh-secret-7' },
      direction,
      actions: [],
    },
  };
}

const deny = (code: Extract<Reason, { effect: 'deny' }>['code']): Reason => ({ effect: 'deny', code });
const grant = (code: Extract<Reason, { effect: 'grant' }>['code']): Reason => ({ effect: 'grant', code });

describe('reports', () => {
  let dir: string;
  let db: Db;
  let journal: Journal;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatewarden-reports-'));
    db = openDatabase(join(dir, 'gateway.db'));
    journal = Journal.open(db);
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function record<T extends keyof JournalEventMap>(type: T, when: number, payload: JournalEventMap[T]): void {
    journal.append(type, when, payload);
  }

  it('produces a complete zero report for a day when nothing happened', () => {
    record('decision', at('2024-04-30', '23:59'), decision(0, 'lane-a', 'in', [grant('RESIDENT')])); // the day before
    record('device', at('2024-05-01', '10:00'), { deviceId: 'cam-1', state: 'online' });
    record('reading', at('2024-05-01', '10:01'), {
      gateId: 'gate-north',
      laneId: 'lane-a',
      reading: { at: 0, celsius: 36.5, mask: true },
      source: 'cam-1',
    });
    const report = dailyReport(journal, { date: '2024-05-01', tz: TZ, siteId: SITE, feverThresholdC: 37.3 });
    expect(report).toEqual({
      report: 'daily',
      version: 1,
      siteId: SITE,
      date: '2024-05-01',
      tz: TZ,
      window: { from: Date.parse('2024-04-30T16:00:00Z'), to: Date.parse('2024-05-01T16:00:00Z') },
      generatedAt: null,
      zeroReport: true,
      counts: {
        entries: 2,
        passes: 0,
        refusals: 0,
        buildingEntrances: { passes: 0, refusals: 0 },
        lanes: [],
        refusalsByReason: Object.fromEntries(DENY_CODES.map((c) => [c, 0])),
        fevers: {
          thresholdC: 37.3,
          refused: 0,
          passedWithAlarm: 0,
          readingsAtOrAbove: 0,
          highestC: 36.5,
          readingsUsed: 1,
          remeasure: { required: 0, taken: 0, confirmed: 0, cleared: 0 },
        },
        overrides: { grants: 0, operatorActions: 0 },
        fireReleases: { grants: 0, activations: 0 },
        visitors: { passes: 0, registrations: 0 },
        modeSwitches: [],
        alarms: { raised: 0, acknowledged: 0, byCode: {} },
        operatorsOnDuty: [],
      },
    });
    expect(Object.keys(report.counts.refusalsByReason)).toEqual([...DENY_CODES]);
    const text = renderText(report);
    expect(text).toContain('零报告 Zero report: 是 yes');
    for (const code of DENY_CODES) expect(text).toContain(`(${code}): 0`);
    expect(JSON.parse(renderJson(report))).toEqual(report);
  });

  it('produces a zero report from an empty journal too', () => {
    const report = dailyReport(journal, {
      date: '2024-05-01',
      tz: TZ,
      siteId: SITE,
      feverThresholdC: 37.3,
      generatedAt: at('2024-05-02', '00:05'),
    });
    expect(report.zeroReport).toBe(true);
    expect(report.counts.entries).toBe(0);
    expect(renderText(report)).toContain('生成时间 Generated: 2024-05-02 00:05');
  });

  it('counts every kind of event of a day', () => {
    const d = '2024-05-01';
    record('decision', at(d, '08:10'), decision(0, 'lane-a', 'in', [grant('RESIDENT')]));
    record('decision', at(d, '08:11'), decision(0, 'lane-a', 'in', [grant('RESIDENT')]));
    record('decision', at(d, '08:12'), decision(0, 'lane-a', 'out', [deny('NO_MASK'), deny('FEVER')]));
    record(
      'decision',
      at(d, '09:00'),
      decision(0, 'lane-b', 'in', [deny('GATE_CLOSED'), deny('NO_CREDENTIAL')]),
    );
    record('decision', at(d, '09:01'), decision(0, 'lane-b', 'in', [deny('NO_CREDENTIAL')]));
    record('decision', at(d, '10:00'), decision(0, 'lane-a', 'in', [grant('VISITOR_ESCORTED')]));
    record('decision', at(d, '10:05'), decision(0, 'lane-a', 'in', [grant('VISITOR_REGISTERED')]));
    const overridden: Reason[] = [
      grant('EMERGENCY_OVERRIDE'),
      deny('FEVER'),
      { effect: 'notice', code: 'FEVER' },
    ];
    record(
      'decision',
      at(d, '11:00'),
      decision(0, 'lane-a', 'out', overridden, { operator: 'op-2', reason: 'medical' }),
    );
    record('decision', at(d, '12:00'), decision(0, 'lane-b', 'out', [grant('FIRE_RELEASE')]));
    record('fire', at(d, '11:59'), { active: true, source: 'panel' });
    record('fire', at(d, '12:30'), { active: false, source: 'panel' });
    const reading = (celsius: number) => ({ at: 0, celsius, mask: true });
    record('reading', at(d, '08:12'), {
      gateId: 'g',
      laneId: 'lane-a',
      reading: reading(37.3),
      source: 'cam',
    });
    record('reading', at(d, '08:13'), {
      gateId: 'g',
      laneId: 'lane-a',
      reading: reading(38.1),
      source: 'cam',
    });
    record('reading', at(d, '08:14'), {
      gateId: 'g',
      laneId: 'lane-a',
      reading: reading(36.2),
      source: 'cam',
    });
    record('operator', at(d, '09:30'), {
      action: 'visitor.register',
      operator: 'op-1',
      shift: 'day',
      detail: {},
    });
    record('operator', at(d, '11:00'), {
      action: 'override.open',
      operator: 'op-2',
      shift: 'day',
      detail: {},
    });
    record('mode', at(d, '13:00'), { from: 'closed', to: 'lockdown', operator: 'upstream', reason: 'case' });
    record('alarm', at(d, '08:12'), {
      code: 'FEVER',
      severity: 'critical',
      laneId: 'lane-a',
      subjectId: 'person-secret-42',
    });
    record('alarm', at(d, '14:00'), {
      code: 'QUARANTINE_BREACH',
      severity: 'critical',
      subjectId: 'hh-secret-7',
    });
    record('alarm_ack', at(d, '14:05'), { alarmSeq: 19, operator: 'op-3' });

    const report = dailyReport(journal, { date: d, tz: TZ, siteId: SITE, feverThresholdC: 37.3 });
    const c = report.counts;
    expect(report.zeroReport).toBe(false);
    expect([c.entries, c.passes, c.refusals]).toEqual([20, 6, 3]);
    expect(c.lanes).toEqual([
      { laneId: 'lane-a', direction: 'in', building: null, passes: 4, refusals: 0 },
      { laneId: 'lane-a', direction: 'out', building: null, passes: 1, refusals: 1 },
      { laneId: 'lane-b', direction: 'in', building: null, passes: 0, refusals: 2 },
      { laneId: 'lane-b', direction: 'out', building: null, passes: 1, refusals: 0 },
    ]);
    expect(Object.entries(c.refusalsByReason).filter(([, n]) => n > 0)).toEqual([
      ['GATE_CLOSED', 1],
      ['NO_CREDENTIAL', 2],
      ['FEVER', 1],
      ['NO_MASK', 1],
    ]);
    expect(c.fevers).toEqual({
      thresholdC: 37.3,
      refused: 1,
      passedWithAlarm: 1,
      readingsAtOrAbove: 2,
      highestC: 38.1,
      readingsUsed: 3,
      remeasure: { required: 0, taken: 0, confirmed: 0, cleared: 0 },
    });
    expect(c.overrides).toEqual({ grants: 1, operatorActions: 1 });
    expect(c.fireReleases).toEqual({ grants: 1, activations: 1 });
    expect(c.visitors).toEqual({ passes: 2, registrations: 1 });
    expect(c.modeSwitches).toEqual([{ at: at(d, '13:00'), from: 'closed', to: 'lockdown' }]);
    expect(c.alarms).toEqual({ raised: 2, acknowledged: 1, byCode: { FEVER: 1, QUARANTINE_BREACH: 1 } });
    expect(c.operatorsOnDuty).toEqual(['op-1', 'op-2', 'op-3']);

    const text = renderText(report);
    expect(text).toContain('未出示证件 No credential (NO_CREDENTIAL): 2');
    expect(text).toContain('lane-b 进 in: 通行 passes 0, 拒绝 refusals 2');
    expect(text).toContain('2024-05-01 13:00 封闭管理 closed → 封控 lockdown');
    expect(text).toContain('隔离户开门 Quarantine breach (QUARANTINE_BREACH): 1');
    for (const rendered of [text, renderJson(report)]) {
      expect(rendered).not.toMatch(/secret/); // subject and household ids never reach a report
    }
  });

  it('counts building entrances apart: they move nobody into or out of the community', () => {
    const d = '2024-05-01';
    const atBuilding = (hhmm: string, direction: Direction, reasons: Reason[]) => {
      const entry = decision(at(d, hhmm), 'b3-door', direction, reasons);
      entry.decision.entrance = { building: '3' };
      record('decision', at(d, hhmm), entry);
    };
    // Li comes home: the community's gate, then her building's door; a quarantined neighbour is
    // refused at the building door on his way out.
    record('decision', at(d, '08:00'), decision(at(d, '08:00'), 'lane-a', 'in', [grant('RESIDENT')]));
    atBuilding('08:02', 'in', [grant('RESIDENT')]);
    atBuilding('09:00', 'out', [deny('QUARANTINED')]);
    atBuilding('09:30', 'in', [grant('FIRE_RELEASE')]);

    const report = dailyReport(journal, { date: d, tz: TZ, siteId: SITE, feverThresholdC: 37.3 });
    const c = report.counts;
    expect([c.passes, c.refusals]).toEqual([1, 0]);
    expect(c.buildingEntrances).toEqual({ passes: 2, refusals: 1 });
    expect(c.refusalsByReason.QUARANTINED).toBe(0);
    expect(c.fireReleases.grants).toBe(0);
    expect(c.lanes).toEqual([
      { laneId: 'b3-door', direction: 'in', building: '3', passes: 2, refusals: 0 },
      { laneId: 'b3-door', direction: 'out', building: '3', passes: 0, refusals: 1 },
      { laneId: 'lane-a', direction: 'in', building: null, passes: 1, refusals: 0 },
    ]);
    const text = renderText(report);
    expect(text).toContain('通行 Passes: 1');
    expect(text).toContain('楼栋入口 Building entrances (not counted above): 通行 passes 2, 拒绝 refusals 1');
    expect(text).toContain('b3-door (楼栋 building 3) 出 out: 通行 passes 0, 拒绝 refusals 1');

    // A day with building passes only is no zero report.
    const next = '2024-05-02';
    const entry = decision(at(next, '10:00'), 'b3-door', 'in', [grant('RESIDENT')]);
    entry.decision.entrance = { building: '3' };
    record('decision', at(next, '10:00'), entry);
    const quiet = dailyReport(journal, { date: next, tz: TZ, siteId: SITE, feverThresholdC: 37.3 });
    expect([quiet.counts.passes, quiet.counts.buildingEntrances.passes, quiet.zeroReport]).toEqual([
      0,
      1,
      false,
    ]);
  });

  it('counts a high reading and its re-measure apart, and leaves out the readings of the wait', () => {
    const d = '2024-05-01';
    const reading = (hhmm: string, celsius: number, marks: Partial<TemperatureReading>) =>
      record('reading', at(d, hhmm), {
        gateId: 'g',
        laneId: 'lane-a',
        reading: { at: at(d, hhmm), celsius, mask: true, ...marks },
        source: marks.instrument === 'handheld' ? 'cli:op-1' : 'cam',
      });
    // A fever that stood: high camera reading, a high reading during the wait, high handheld re-measure.
    reading('08:00', 38.4, { remeasure: 'required' });
    reading('08:00', 38.9, { instrument: 'camera', remeasure: 'waiting' });
    reading('08:01', 38.2, { instrument: 'handheld', remeasure: 'taken' });
    // An over-read the camera re-measure cleared after the wait.
    reading('09:00', 37.6, { instrument: 'camera', remeasure: 'required' });
    reading('09:01', 36.7, { instrument: 'camera', remeasure: 'taken' });
    // A high reading never re-measured (the person left), an ordinary high handheld one, a normal one.
    reading('10:00', 37.5, { remeasure: 'required' });
    reading('11:00', 37.8, { instrument: 'handheld' });
    reading('12:00', 36.4, {});

    const report = dailyReport(journal, { date: d, tz: TZ, siteId: SITE, feverThresholdC: 37.3 });
    expect(report.counts.fevers).toEqual({
      thresholdC: 37.3,
      refused: 0,
      passedWithAlarm: 0,
      // 38.4, 37.6, 37.5 (first readings) and 37.8 (ordinary): the re-measure 38.2 is not a second fever.
      readingsAtOrAbove: 4,
      // 38.9 was taken during the wait: never used, so not the highest either.
      highestC: 38.4,
      readingsUsed: 7,
      remeasure: { required: 3, taken: 2, confirmed: 1, cleared: 1 },
    });
    expect(report.zeroReport).toBe(false);
    const text = renderText(report);
    expect(text).toContain('测温读数 Readings used: 7');
    expect(text).toContain(
      '超温读数（不含复测） Readings at or above threshold (re-measures not counted): 4',
    );
    expect(text).toContain('需复测 Re-measures required: 3');
    expect(text).toContain('已复测 Re-measures taken: 2 (确认发热 fever confirmed 1, 复测正常 cleared 1)');
    expect(text).toContain('最高体温 Highest reading: 38.4 °C');
    expect(JSON.parse(renderJson(report))).toEqual(report);
  });

  it('makes a report that holds only a re-measure (its high reading in the shift before) no zero report', () => {
    const when = at('2024-05-01', '08:00');
    record('reading', when, {
      gateId: 'g',
      laneId: 'lane-a',
      reading: { at: when, celsius: 36.6, mask: true, instrument: 'handheld', remeasure: 'taken' },
      source: 'cli:op-1',
    });
    const day = shiftReport(journal, { date: '2024-05-01', shift: 'day', tz: TZ, feverThresholdC: 37.3 });
    expect(day.counts.fevers.remeasure).toEqual({ required: 0, taken: 1, confirmed: 0, cleared: 1 });
    expect(day.counts.fevers.readingsAtOrAbove).toBe(0);
    expect(day.zeroReport).toBe(false);
  });

  it('puts a 02:00 decision into the previous date’s night shift', () => {
    const twoAm = at('2024-05-02', '02:00');
    record('decision', twoAm, decision(twoAm, 'lane-a', 'out', [deny('HOUSEHOLD_QUOTA_EXCEEDED')]));
    const options = { tz: TZ, feverThresholdC: 37.3 };
    const night = shiftReport(journal, { ...options, date: '2024-05-01', shift: 'night' });
    expect(night.window).toEqual({ from: at('2024-05-01', '20:00'), to: at('2024-05-02', '08:00') });
    expect(night.counts.refusalsByReason.HOUSEHOLD_QUOTA_EXCEEDED).toBe(1);
    expect(night.zeroReport).toBe(false);
    for (const shift of ['day', 'evening', 'night'] as const) {
      expect(shiftReport(journal, { ...options, date: '2024-05-02', shift }).counts.refusals).toBe(0);
    }
    const text = renderText(night);
    expect(text).toContain('班次 Shift: 夜班 night shift, 2024-05-01 (Asia/Shanghai)');
    expect(text).toContain('时段 Window: 2024-05-01 20:00 – 2024-05-02 08:00');
    // The calendar-day report counts it on the day it happened.
    expect(dailyReport(journal, { ...options, date: '2024-05-02', siteId: SITE }).counts.refusals).toBe(1);
  });

  it('counts an entry at a shift boundary in the shift that starts there', () => {
    record('decision', at('2024-05-01', '17:00'), decision(0, 'lane-a', 'in', [grant('STAFF')]));
    const options = { date: '2024-05-01', tz: TZ, feverThresholdC: 37.3 };
    expect(shiftReport(journal, { ...options, shift: 'day' }).counts.passes).toBe(0);
    expect(shiftReport(journal, { ...options, shift: 'evening' }).counts.passes).toBe(1);
  });
});
