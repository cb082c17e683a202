import { DENY_CODES, REASON_TITLES } from '../rules/reasons.js';
import { formatLocal } from '../util/site-time.js';
import { alarmLabel, DIRECTION_LABELS, label, MODE_LABELS, SHIFT_LABELS } from './labels.js';
import type { DailyReport, DutyReport, PatrolReport, ReportCounts, ShiftReport } from './types.js';

/**
 * Rendering of shift and daily reports.
 *
 * JSON (`renderJson`): the report object as typed in `types.ts`, two-space indented, keys in
 * the order written there, every field present. Instants are epoch ms; dates are site dates.
 *
 *   { "report": "daily", "version": 1, "siteId": "site-01", "date": "2024-05-01",
 *     "tz": "Asia/Shanghai", "window": { "from": 1714492800000, "to": 1714579200000 },
 *     "generatedAt": 1714579500000, "zeroReport": true,
 *     "counts": { "entries": 0, "passes": 0, "refusals": 0,
 *       "buildingEntrances": { "passes": 0, "refusals": 0 }, "lanes": [],
 *       "refusalsByReason": { "GATE_CLOSED": 0, ..., "REPLAYED_CODE": 0 },
 *       "fevers": { "thresholdC": 37.3, "refused": 0, "passedWithAlarm": 0,
 *                   "readingsAtOrAbove": 0, "highestC": null, "readingsUsed": 0,
                   "remeasure": { "required": 0, "taken": 0, "confirmed": 0, "cleared": 0 } },
 *       "overrides": { "grants": 0, "operatorActions": 0 },
 *       "fireReleases": { "grants": 0, "activations": 0 },
 *       "visitors": { "passes": 0, "registrations": 0 },
 *       "modeSwitches": [], "alarms": { "raised": 0, "acknowledged": 0, "byCode": {} },
 *       "operatorsOnDuty": [] } }
 *
 * `fevers` counts a high reading and its re-measure apart (see `ReportCounts.fevers` in
 * types.ts): `readingsAtOrAbove` is the high readings that are not a re-measure, and
 * `remeasure` how many first readings asked for one and what the re-measures found.
 *
 * A shift report also has `patrol` (`PatrolReport` in types.ts): per route its rounds, the
 * rounds done and every late and missed point, as of `patrol.asOf`.
 *
 * Text (`renderText`): for the duty room and the CLI, zh-CN labels with English beside them,
 * times in site time, every deny reason listed with its count.
 */

export function renderJson(report: ShiftReport | DailyReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function renderText(report: ShiftReport | DailyReport): string {
  const lines = report.report === 'daily' ? dailyHeader(report) : shiftHeader(report);
  lines.push(
    `零报告 Zero report: ${report.zeroReport ? '是 yes' : '否 no'}`,
    '',
    ...countLines(report.counts, report.tz),
  );
  if (report.report === 'shift') {
    lines.push(...patrolLines(report.patrol, report.tz));
    lines.push(...dutyLines(report.duty, report.tz));
  }
  return `${lines.join('\n')}\n`;
}

function dailyHeader(r: DailyReport): string[] {
  return [
    '日报告 Daily report',
    `站点 Site: ${r.siteId}`,
    `日期 Date: ${r.date} (${r.tz})`,
    `时段 Window: ${windowText(r.window, r.tz)}`,
    `生成时间 Generated: ${r.generatedAt === null ? '—' : formatLocal(r.generatedAt, r.tz)}`,
  ];
}

function shiftHeader(r: ShiftReport): string[] {
  return [
    '交接班报告 Shift handover report',
    `班次 Shift: ${label(SHIFT_LABELS[r.shift])}, ${r.date} (${r.tz})`,
    `时段 Window: ${windowText(r.window, r.tz)}`,
  ];
}

function countLines(c: ReportCounts, tz: string): string[] {
  const b = c.buildingEntrances;
  const lines = [
    `通行 Passes: ${c.passes}`,
    `拒绝 Refusals: ${c.refusals}`,
    `楼栋入口 Building entrances (not counted above): 通行 passes ${b.passes}, 拒绝 refusals ${b.refusals}`,
    '分通道 By lane and direction:',
  ];
  if (c.lanes.length === 0) lines.push('  无 none');
  for (const lane of c.lanes) {
    const direction = label(DIRECTION_LABELS[lane.direction]);
    const where = lane.building === null ? '' : ` (楼栋 building ${lane.building})`;
    lines.push(
      `  ${lane.laneId}${where} ${direction}: 通行 passes ${lane.passes}, 拒绝 refusals ${lane.refusals}`,
    );
  }
  lines.push('拒绝原因 Refusals by reason:');
  for (const code of DENY_CODES) {
    lines.push(`  ${label(REASON_TITLES[code])} (${code}): ${c.refusalsByReason[code]}`);
  }
  const f = c.fevers;
  lines.push(
    `发热 Fever (≥ ${f.thresholdC} °C):`,
    `  因发热拒绝 Refused for fever: ${f.refused}`,
    `  发热放行并报警 Passed with fever alarm: ${f.passedWithAlarm}`,
    `  测温读数 Readings used: ${f.readingsUsed}`,
    `  超温读数（不含复测） Readings at or above threshold (re-measures not counted): ${f.readingsAtOrAbove}`,
    `  需复测 Re-measures required: ${f.remeasure.required}`,
    `  已复测 Re-measures taken: ${f.remeasure.taken} (确认发热 fever confirmed ${f.remeasure.confirmed}, 复测正常 cleared ${f.remeasure.cleared})`,
    `  最高体温 Highest reading: ${f.highestC === null ? '—' : `${f.highestC} °C`}`,
    `紧急放行 Emergency overrides: 放行 grants ${c.overrides.grants}, 操作 operator actions ${c.overrides.operatorActions}`,
    `消防放行 Fire release: 放行 grants ${c.fireReleases.grants}, 火警 fire alarms ${c.fireReleases.activations}`,
    `访客 Visitors: 通行 passes ${c.visitors.passes}, 登记 registrations ${c.visitors.registrations}`,
    `模式切换 Mode switches: ${c.modeSwitches.length}`,
  );
  for (const s of c.modeSwitches) {
    lines.push(`  ${formatLocal(s.at, tz)} ${label(MODE_LABELS[s.from])} → ${label(MODE_LABELS[s.to])}`);
  }
  lines.push(`报警 Alarms: 发出 raised ${c.alarms.raised}, 确认 acknowledged ${c.alarms.acknowledged}`);
  for (const [code, n] of Object.entries(c.alarms.byCode)) lines.push(`  ${alarmLabel(code)}: ${n}`);
  lines.push(
    `值班人员 Operators on duty: ${c.operatorsOnDuty.length === 0 ? '无 none' : c.operatorsOnDuty.join(', ')}`,
  );
  return lines;
}

/** The shift's patrol rounds: per route the rounds done, then every late and missed point. */
function patrolLines(p: PatrolReport, tz: string): string[] {
  const lines = [
    `巡更 Patrol (截至 as of ${formatLocal(p.asOf, tz)}): 打卡 taps ${p.taps}, 无效 refused ${p.refusedTaps}`,
  ];
  if (p.routes.length === 0) lines.push('  无巡更路线 no routes in this shift');
  const time = (at: number) => formatLocal(at, tz).slice(11);
  for (const r of p.routes) {
    lines.push(
      `  ${r.name.zh} ${r.name.en} (${r.routeId}): 完成 rounds done ${r.roundsDone}/${r.rounds.length}, ` +
        `按时 on time ${r.pointsOnTime}, 迟到 late ${r.pointsLate}, 漏巡 missed ${r.pointsMissed}, 待巡 pending ${r.pointsPending}`,
    );
    for (const l of r.late)
      lines.push(
        `    迟到 late: ${l.stationId}, ${time(l.roundStart)} 轮 round, 应到 expected ${time(l.expected)}, 打卡 tapped ${l.tappedAt === null ? '—' : time(l.tappedAt)}`,
      );
    for (const m of r.missed)
      lines.push(
        `    漏巡 missed: ${m.stationId}, ${time(m.roundStart)} 轮 round, 应到 expected ${time(m.expected)}`,
      );
  }
  lines.push(`巡更人员 Guards on patrol: ${p.guards.length === 0 ? '无 none' : p.guards.join(', ')}`);
  return lines;
}

/** Who was on duty, the handovers with the alarms acknowledged, the unattended alarms. */
function dutyLines(d: DutyReport, tz: string): string[] {
  const time = (at: number) => formatLocal(at, tz).slice(11, 16);
  const lines = ['值班 On duty:'];
  if (d.spells.length === 0) lines.push('  无人上岗 nobody logged in');
  for (const s of d.spells)
    lines.push(
      `  ${s.guard} (${s.via === 'card' ? '刷卡 card' : '值守台 dashboard'}) ${time(s.from)}–${s.until === null ? '' : time(s.until)}`,
    );
  for (const h of d.handovers)
    lines.push(
      `  接班 handover ${time(h.at)} ${h.guard}: 确认报警 acknowledged ${h.acknowledged.length}${h.acknowledged.length > 0 ? ` (#${h.acknowledged.join(', #')})` : ''}`,
    );
  lines.push(`无人值守报警 Unattended alarms: ${d.unattendedAlarms}`);
  return lines;
}

function windowText(w: { from: number; to: number }, tz: string): string {
  return `${formatLocal(w.from, tz)} – ${formatLocal(w.to, tz)}`;
}
