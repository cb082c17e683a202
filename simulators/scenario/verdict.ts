import type { Expectation } from './plan.js';

/**
 * Whether a journaled decision agrees with what the scenario expected, and the summary table.
 * Pure. Agreement: the same allow/deny, and the same set of grant codes (allowed) or of failing
 * deny codes (refused); notices (a home-quarantined resident let in with an alarm) are shown but
 * not compared. No decision at all is a lost event, a disagreement.
 */
export interface ObservedDecision {
  seq: number;
  /** The journal entry's time, on the gateway's clock (schedule.ts checks it against the action's slack). */
  at?: number;
  allow: boolean;
  /** Grant and deny codes, in the decision's order. */
  codes: readonly string[];
  notices: readonly string[];
}

/** undefined when they agree, else why not in one line. */
export function compareDecision(
  expect: Expectation,
  decision: ObservedDecision | undefined,
): string | undefined {
  if (decision === undefined) return 'no decision journaled (lost event)';
  const want = [...expect.codes].sort().join('+');
  const got = [...decision.codes].sort().join('+');
  if (decision.allow === expect.allow && want === got) return undefined;
  return `expected ${expect.allow ? 'allow' : 'deny'} ${want || '-'}, gateway ${decision.allow ? 'allowed' : 'denied'} ${got || '-'}`;
}

export interface SummaryRow {
  time: string;
  action: string;
  expected: string;
  decided: string;
  agreed: boolean;
  problem?: string;
}

/** The summary: one line per action, then the counts and every disagreement again. */
export function summaryLines(rows: readonly SummaryRow[]): string[] {
  const width = (pick: (r: SummaryRow) => string, min: number) =>
    Math.max(min, ...rows.map((r) => pick(r).length));
  const wa = width((r) => r.action, 6);
  const we = width((r) => r.expected, 8);
  const wt = width((r) => r.time, 5);
  const lines = [
    `${'time'.padEnd(wt)}  ${'action'.padEnd(wa)}  ${'expected'.padEnd(we)}  decided`,
    ...rows.map(
      (r) =>
        `${r.time.padEnd(wt)}  ${r.action.padEnd(wa)}  ${r.expected.padEnd(we)}  ${r.decided}${r.agreed ? '' : '  ✗ DISAGREES 不一致'}`,
    ),
  ];
  const disagreed = rows.filter((r) => !r.agreed);
  lines.push(
    '',
    `actions 动作: ${rows.length}, agreed 一致: ${rows.length - disagreed.length}, disagreed 不一致: ${disagreed.length}`,
  );
  for (const r of disagreed) lines.push(`  ✗ ${r.time} ${r.action}: ${r.problem ?? 'disagrees'}`);
  return lines;
}
