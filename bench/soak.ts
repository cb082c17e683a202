/**
 * Soak (issue 9 §4): the simulated site under a steady stream of the crowd scenario's passes,
 * its day compressed with the scenario clock, sampling the gateway's RSS; the figure is the
 * growth of the RSS after warm-up (target ≤ 5 %).
 *
 * The passes are the scenario's (simulators/scenario/plan.ts): one planned day after another,
 * each from the next seed (other shoppers, arrivals, fevers, plates), played through the site's
 * console actions (the simulated cameras, readers, ID-card reader, QR scanner, barriers), each
 * waiting for its decision as the scenario runner does. The plan's gaps are divided by
 * `--speed` (default 3600: a scenario hour per real second, so the stream is as dense as the
 * devices allow). Outcomes are not compared with the plan: the gateway's own clock runs in real
 * time, so quotas and anti-passback see days laid over each other; the scenario's end-to-end
 * test checks agreement. What matters here is that the gateway keeps deciding and its memory
 * stays flat.
 *
 * RSS: /proc/<pid>/status VmRSS every 2 s. Warm-up: the first fifth of the run (at least 30 s).
 * Growth: median of the last minute of samples against the median of the first minute after
 * warm-up. The curve is printed per minute (min / median / max).
 *
 * Run: npm run bench:soak   Options: --minutes N (real minutes of passes, default 4; the suite
 * runs the default), --residents N (default 10000), --speed N, --seed N
 */

import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { type PlannedAction, planScenario } from '../simulators/scenario/plan.js';
import { machineLine, reportFigure } from './figures.js';
import { mb, type RssSample, RssSampler, summariseRss } from './rss.js';
import { BenchSite } from './site-rig.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '4' },
    residents: { type: 'string', default: '10000' },
    speed: { type: 'string', default: '3600' },
    seed: { type: 'string', default: '1' },
  },
});
const RUN_MS = Number(values.minutes) * 60_000;
const RESIDENTS = Number(values.residents);
const SPEED = Number(values.speed);
const SEED = Number(values.seed);
const BENCH = 'soak';
const SAMPLE_MS = 2000;
const WINDOW_MS = 60_000;
const GROWTH_TARGET = 0.05;
if (!(RUN_MS > 0 && SPEED > 0 && Number.isInteger(RESIDENTS)))
  throw new RangeError('--minutes and --speed must be positive numbers, --residents a count');

console.log(machineLine());
const site = await BenchSite.start({ seed: SEED, residents: RESIDENTS, print: () => undefined });
try {
  const startedAt = Date.now();
  const sampler = new RssSampler(site.pid, SAMPLE_MS).start();
  const played = await play(site, startedAt + RUN_MS);
  const samples = sampler.stop();
  const realMs = Date.now() - startedAt;
  const decisions = countDecisions(site.dir);
  const curve = perMinute(samples);
  for (const line of curve) console.log(line);

  const warmUpMs = Math.max(30_000, realMs / 5);
  const early = samples.filter((s) => s.atMs >= warmUpMs && s.atMs < warmUpMs + WINDOW_MS);
  const late = samples.filter((s) => s.atMs >= realMs - WINDOW_MS);
  if (early.length === 0 || late.length === 0)
    throw new Error('the run was too short to compare two windows');
  const from = summariseRss(early).median;
  const to = summariseRss(late).median;
  const growth = (to - from) / from;
  const note =
    `${(realMs / 60_000).toFixed(1)} real min, ${played.actions} scenario actions ` +
    `(${(played.scenarioMs / 3_600_000).toFixed(1)} scenario h at speed ${SPEED}), ${decisions} decisions journaled, ` +
    `${RESIDENTS.toLocaleString('en')} residents; RSS ${mb(from)} → ${mb(to)} MB; shared machine, load ${loadavg()[0]?.toFixed(1)}`;
  console.log(note);
  reportFigure({
    bench: BENCH,
    figure: 'RSS growth after warm-up, %',
    value: Math.round(growth * 1000) / 10,
    target: `≤ ${GROWTH_TARGET * 100} %`,
    met: growth <= GROWTH_TARGET,
    note,
  });
  reportFigure({
    bench: BENCH,
    figure: 'decisions per real minute during the soak',
    value: Math.round(decisions / (realMs / 60_000)),
    note,
  });
  reportFigure({ bench: BENCH, figure: 'RSS at the end, MB', value: mb(to), note });
} finally {
  await site.stop();
}

/**
 * Plays planned days one after another until `until`: each action waits for its planned gap
 * (divided by the speed) and for its decision. Returns the actions played and the scenario time
 * they covered.
 */
async function play(site: BenchSite, until: number): Promise<{ actions: number; scenarioMs: number }> {
  let actions = 0;
  let scenarioMs = 0;
  for (let day = 0; Date.now() < until; day++) {
    const plan = planScenario(site.community, { seed: SEED + day });
    let previousAt = 0;
    for (const action of plan.actions) {
      if (Date.now() >= until) break;
      const gap = action.at - previousAt;
      previousAt = action.at;
      scenarioMs += gap;
      await new Promise((r) => setTimeout(r, gap / SPEED));
      await perform(site, action).catch((err: Error) =>
        console.log(`${action.kind} ${action.who}: ${err.message}`),
      );
      actions++;
    }
  }
  return { actions, scenarioMs };
}

function perform(site: BenchSite, action: PlannedAction): Promise<void> {
  const a = site.actions;
  switch (action.kind) {
    case 'card':
      return a.card(action.lane, action.who);
    case 'idcard':
      return a.idcard(action.lane, action.who);
    case 'qr':
      return a.qr(action.lane, action.who);
    case 'fever':
      return a.fever(action.lane, action.who);
    case 'plate':
      return a.plate(action.lane, action.who);
  }
}

function countDecisions(dir: string): number {
  const db = new Database(join(dir, 'data/gatewarden.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM journal WHERE type = 'decision'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** One line per real minute: the RSS samples' min, median and max. */
function perMinute(samples: readonly RssSample[]): string[] {
  const lines: string[] = [];
  for (let minute = 0; ; minute++) {
    const inMinute = samples.filter((s) => Math.floor(s.atMs / 60_000) === minute);
    if (inMinute.length === 0) break;
    const s = summariseRss(inMinute);
    lines.push(
      `minute ${minute + 1}: RSS ${mb(s.min)} / ${mb(s.median)} / ${mb(s.max)} MB (min / median / max)`,
    );
  }
  return lines;
}
