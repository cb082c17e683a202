/**
 * The peak hour of a 10,000-household community through one gateway (issue 9 §4).
 *
 * The community is the simulated site's (simulators/site/community.ts) at 10,000 households:
 * 1–4 residents each, about 25,000 in all, each with a card. The gateway runs as a child process
 * on its registry (bench/peak-load-rig.ts): `--lines` RS-485 lines, socat pty pairs, each with two
 * simulated OSDP readers with doors (one lane in, one out), Secure Channel on, paced at `--baud`.
 *
 * Demand model, the morning rush (07:00–08:00): 35 % of the residents leave (work, school) and
 * 10 % come in (night shifts, early shoppers back) within the hour, so the hour's demand is
 * 0.45 × residents / 3,600 s ≈ 3.1 passes/s. Arrivals are a Poisson process; each is a resident
 * not seen before (so no anti-passback refusal), out or in in the 35 : 10 proportion, at a lane
 * of that direction chosen at random. Each step offers `multiple × demand` for `--seconds`, the
 * steps given by `--steps` (default 1, 2 and 4 times the demand), then waits for the last unlock.
 *
 * Per step: passes/s decided and journaled (counted from the gateway's journal after it stopped:
 * every presented card must have its decision, nothing lost), card-to-unlock p50/p99 (card
 * presented at the simulated reader → its OUT command received by the simulated door module,
 * the PD model's clock), the gateway's CPU (/proc/<pid>/stat, utime + stime) and RSS
 * (/proc/<pid>/status VmRSS, sampled every second).
 *
 * Run: npm run bench:peak -- [--households 10000] [--lines 4] [--baud 9600] [--seconds 60] [--steps 1,2,4] [--seed 1]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { wireTimeMs } from '../drivers/line/wire-time.js';
import { seededRandom } from '../simulators/shared/random.js';
import { generateCommunity } from '../simulators/site/community.js';
import { reportFigure } from './figures.js';
import { PeakRig, residentsInRandomOrder } from './peak-load-rig.js';
import { mb, RssSampler, summariseRss } from './rss.js';
import { percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    households: { type: 'string', default: '10000' },
    lines: { type: 'string', default: '4' },
    baud: { type: 'string', default: '9600' },
    seconds: { type: 'string', default: '60' },
    steps: { type: 'string', default: '1,2,4' },
    seed: { type: 'string', default: '1' },
  },
});
const HOUSEHOLDS = Number(values.households);
const LINES = Number(values.lines);
const BAUD = Number(values.baud);
const SECONDS = Number(values.seconds);
const STEPS = (values.steps ?? '1').split(',').map(Number);
const SEED = Number(values.seed);
const SHARE_OUT = 0.35;
const SHARE_IN = 0.1;
const BENCH = 'peak';
const DRAIN_MS = 60_000;
/** Issue 3's target for card-to-unlock, here on a line of two PDs: p99 ≤ 1.2 × the idle-bus limit. */
const LIMIT_FACTOR = 1.2;
/** Issue 9 §5 (footprint): RSS ≤ 100 MB steady with 100,000 residents; this registry is smaller. */
const RSS_TARGET_MB = 100;

for (const [name, v] of Object.entries({
  households: HOUSEHOLDS,
  lines: LINES,
  baud: BAUD,
  seconds: SECONDS,
}))
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`--${name}: ${v} is not a positive number`);
if (STEPS.some((s) => !(s > 0)))
  throw new RangeError(`--steps: ${values.steps} is not a list of positive numbers`);

/**
 * The idle-bus limit of issue 3 for one line of two PDs, from the frame sizes (sealed POLL and
 * its ACK 15 bytes, RAW 31, OUT 31; 1 ms turnaround; a 2-character idle gap): a full polling
 * round (the card arrived just after its PD's POLL), the POLL/RAW exchange and the OUT.
 */
function idleBusLimitMs(pds: number): number {
  const w = (bytes: number) => wireTimeMs(bytes, BAUD);
  const gap = w(2);
  return pds * (w(15) + 1 + w(15) + gap) + w(15) + 1 + w(31) + gap + w(31);
}

interface Presented {
  card: string;
  step: number;
  at: number;
}

interface StepResult {
  multiple: number;
  offeredPerS: number;
  presented: number;
  unlocks: number[];
  firstAt: number;
  lastUnlockAt: number;
  cpuSeconds: number;
  wallSeconds: number;
  rss: number[];
}

const now = () => performance.timeOrigin + performance.now();

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function ticksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

async function main(): Promise<number> {
  const loadAtStart = loadavg()[0] ?? 0;
  const community = generateCommunity({ seed: SEED, now: Date.now(), households: HOUSEHOLDS });
  const residents = residentsInRandomOrder(community, SEED);
  const demand = ((SHARE_OUT + SHARE_IN) * residents.length) / 3600;
  console.log(
    `${HOUSEHOLDS} households, ${residents.length} residents; morning rush demand ${demand.toFixed(2)} passes/s; ` +
      `${LINES} lines × 2 readers at ${BAUD} baud; steps ${STEPS.join(', ')} × demand for ${SECONDS} s each`,
  );
  let died: string | undefined;
  const rig = new PeakRig({
    community,
    lines: LINES,
    baud: BAUD,
    print: (line) => console.log(`gateway: ${line}`),
    onDied: (message) => {
      died ??= message;
      console.error(message);
    },
  });
  const results: StepResult[] = [];
  const presented: Presented[] = [];
  let unmatchedOuts = 0;
  let pending = 0;
  const random = seededRandom(SEED + 11);
  try {
    const startedAt = Date.now();
    await rig.start();
    console.log(
      `gateway ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (registry written before)`,
    );
    await rig.readersOnline();
    const pid = rig.pid;
    const tick = ticksPerSecond();
    const queues = new Map(rig.lanes.map((l) => [l.id, [] as { at: number; step: StepResult }[]]));
    for (const lane of rig.lanes)
      lane.pd.model.on('command', ({ type, receivedAt, retry }) => {
        if (type !== 'OUT' || retry) return;
        const waiting = queues.get(lane.id)?.shift();
        if (waiting === undefined) return void unmatchedOuts++;
        pending--;
        waiting.step.unlocks.push(receivedAt - waiting.at);
        waiting.step.lastUnlockAt = Math.max(waiting.step.lastUnlockAt, receivedAt);
      });
    const lanesOut = rig.lanes.filter((l) => l.direction === 'out');
    const lanesIn = rig.lanes.filter((l) => l.direction === 'in');
    let next = 0;
    for (const [index, multiple] of STEPS.entries()) {
      const rate = multiple * demand;
      const step: StepResult = {
        multiple,
        offeredPerS: rate,
        presented: 0,
        unlocks: [],
        firstAt: now(),
        lastUnlockAt: 0,
        cpuSeconds: 0,
        wallSeconds: 0,
        rss: [],
      };
      const sampler = new RssSampler(pid, 1000).start();
      const cpu0 = cpuTicks(pid);
      const t0 = now();
      let at = t0;
      for (;;) {
        at += (-Math.log(1 - random()) / rate) * 1000;
        if (at > t0 + SECONDS * 1000 || died !== undefined) break;
        const wait = at - now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const person = residents[next++];
        if (person?.card === undefined) throw new Error('more passes than residents: fewer or shorter steps');
        const lanes = random() < SHARE_OUT / (SHARE_OUT + SHARE_IN) ? lanesOut : lanesIn;
        const lane = lanes[Math.floor(random() * lanes.length)] ?? lanesOut[0];
        if (lane === undefined) throw new Error('no lanes');
        const presentedAt = now();
        queues.get(lane.id)?.push({ at: presentedAt, step });
        pending++;
        step.presented++;
        presented.push({ card: person.card.value, step: index, at: Date.now() });
        lane.pd.model.presentCard({
          format: 'wiegand26',
          facility: person.card.facility,
          card: person.card.number,
        });
      }
      const drainUntil = now() + DRAIN_MS;
      while (pending > 0 && now() < drainUntil && died === undefined)
        await new Promise((r) => setTimeout(r, 20));
      step.wallSeconds = (now() - t0) / 1000;
      step.cpuSeconds = (cpuTicks(pid) - cpu0) / tick;
      step.rss = sampler.stop().map((s) => s.bytes);
      results.push(step);
      const p = (q: number) => percentile(step.unlocks, q).toFixed(0);
      console.log(
        `step ${multiple}× (${rate.toFixed(2)}/s offered): ${step.presented} cards, ${step.unlocks.length} unlocks, ` +
          `p50 ${p(50)} ms, p99 ${p(99)} ms, CPU ${((100 * step.cpuSeconds) / step.wallSeconds).toFixed(0)} % of a core, ` +
          `RSS max ${mb(Math.max(...step.rss))} MB, ${pending} still waiting`,
      );
      if (pending > 0 || died !== undefined) break;
    }
  } finally {
    await rig.stop();
  }
  const journal = countJournal(rig.databaseFile, presented);
  rig.remove();
  if (died !== undefined) throw new Error(died);
  return report(results, journal, demand, residents.length, loadAtStart, unmatchedOuts);
}

interface JournalCount {
  /** Per step: decisions of its cards, the last one's time. */
  steps: { decided: number; allowed: number; lastAt: number; firstPresentedAt: number }[];
  lost: number;
  duplicates: number;
  /** Deny codes of refused cards, with their counts. */
  denies: Map<string, number>;
}

/** Every presented card must have exactly one decision in the journal. */
function countJournal(file: string, presented: Presented[]): JournalCount {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const seen = new Map<string, number>();
  const byCard = new Map(presented.map((p) => [p.card, p]));
  const steps: JournalCount['steps'] = [];
  const denies = new Map<string, number>();
  for (const p of presented) {
    steps[p.step] ??= { decided: 0, allowed: 0, lastAt: 0, firstPresentedAt: p.at };
  }
  try {
    const rows = db.prepare("SELECT at, payload FROM journal WHERE type = 'decision'").all() as {
      at: number;
      payload: string;
    }[];
    for (const row of rows) {
      const { request, decision } = JSON.parse(row.payload) as {
        request: { credential?: { value?: string } };
        decision: { allow: boolean; reasons: { effect: string; code: string }[] };
      };
      const card = request.credential?.value;
      const p = card === undefined ? undefined : byCard.get(card);
      if (p === undefined || card === undefined) continue;
      seen.set(card, (seen.get(card) ?? 0) + 1);
      const step = steps[p.step];
      if (step === undefined) continue;
      step.decided++;
      if (decision.allow) step.allowed++;
      for (const r of decision.allow ? [] : decision.reasons.filter((x) => x.effect === 'deny'))
        denies.set(r.code, (denies.get(r.code) ?? 0) + 1);
      step.lastAt = Math.max(step.lastAt, row.at);
    }
  } finally {
    db.close();
  }
  return {
    steps,
    lost: presented.filter((p) => !seen.has(p.card)).length,
    duplicates: [...seen.values()].filter((n) => n > 1).length,
    denies,
  };
}

function report(
  results: StepResult[],
  journal: JournalCount,
  demand: number,
  residents: number,
  loadAtStart: number,
  unmatchedOuts: number,
): number {
  const limit = idleBusLimitMs(2);
  const context = `${residents.toLocaleString('en-US')} residents, ${LINES} lines × 2 readers at ${BAUD} baud, load ${loadAtStart.toFixed(1)} → ${loadavg()[0]?.toFixed(1)}`;
  reportFigure({
    bench: BENCH,
    figure: 'peak-hour demand (morning rush: 45 % of residents pass in the hour)',
    value: +demand.toFixed(2),
    unit: 'passes/s',
    note: context,
  });
  for (const [i, step] of results.entries()) {
    const j = journal.steps[i];
    const span = j === undefined ? 0 : (j.lastAt - j.firstPresentedAt) / 1000;
    const sustained = j === undefined || span <= 0 ? 0 : +(j.decided / span).toFixed(2);
    const atDemand = step.multiple === 1;
    const label = `at ${step.multiple}× demand`;
    reportFigure({
      bench: BENCH,
      figure: `passes/s decided and journaled, ${label}`,
      value: sustained,
      ...(atDemand
        ? {
            target: `≥ ${demand.toFixed(2)} (the demand)`,
            met: sustained >= demand * 0.95 && j?.decided === step.presented,
          }
        : {}),
      note: `${j?.decided ?? 0} of ${step.presented} cards journaled (${j?.allowed ?? 0} allowed), ${step.offeredPerS.toFixed(2)}/s offered`,
    });
    const p50 = +percentile(step.unlocks, 50).toFixed(1);
    const p99 = +percentile(step.unlocks, 99).toFixed(1);
    reportFigure({ bench: BENCH, figure: `card-to-unlock p50, ${label}`, value: p50, unit: 'ms' });
    reportFigure({
      bench: BENCH,
      figure: `card-to-unlock p99, ${label}`,
      value: p99,
      unit: 'ms',
      target: `≤ ${(LIMIT_FACTOR * limit).toFixed(0)} ms (1.2 × idle-bus limit, issue 3)`,
      met: p99 <= LIMIT_FACTOR * limit,
      note: `${step.unlocks.length} unlocks`,
    });
    reportFigure({
      bench: BENCH,
      figure: `gateway CPU, ${label}`,
      value: +((100 * step.cpuSeconds) / step.wallSeconds).toFixed(1),
      unit: '% of one core',
    });
    const rss = summariseRss(step.rss.map((bytes, atMs) => ({ atMs, bytes })));
    reportFigure({
      bench: BENCH,
      figure: `gateway RSS max, ${label}`,
      value: mb(rss.max),
      unit: 'MB',
      target: `≤ ${RSS_TARGET_MB} MB (issue 9 §5)`,
      met: mb(rss.max) <= RSS_TARGET_MB,
    });
  }
  for (const [i, j] of journal.steps.entries())
    console.log(`step ${results[i]?.multiple}×: ${j.decided} decisions journaled, ${j.allowed} allowed`);
  if (journal.denies.size > 0) console.log(`refused: ${JSON.stringify(Object.fromEntries(journal.denies))}`);
  const bad = journal.lost + journal.duplicates;
  reportFigure({
    bench: BENCH,
    figure: 'cards without exactly one journaled decision',
    value: bad,
    target: '0',
    met: bad === 0,
    note: `${journal.lost} lost, ${journal.duplicates} twice; ${unmatchedOuts} OUT commands without a card`,
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Serial ports of the stopped simulators can keep the loop alive a little; nothing is left to do.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
