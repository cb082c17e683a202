/**
 * Soak (issue 9 §4): an hour of the peak-load benchmark's morning rush compressed with the
 * scenario clock, through the real gateway (a child process, bench/peak-load-rig.ts), sampling
 * its RSS; the figure is the growth of the RSS after warm-up (target ≤ 5 %).
 *
 * Demand (bench/peak-load.ts): 45 % of the residents pass in the hour (35 % out, 10 % in), about
 * 3.14 passes/s for 10,000 households, 11,300 passes. `--speed` (default 12) compresses the
 * scenario clock: the hour's passes arrive in 5 real minutes, a Poisson stream at speed × demand
 * (≈ 38 passes/s). `--minutes` sets the real length (default: the warm-up and 8 minutes after it).
 * Each resident passes in turn (a seeded random order, cycled when the run outlasts it), the
 * household under home quarantine left at home; a resident's first pass is out or in in the
 * 35 : 10 proportion, later ones alternate, so anti-passback never refuses. The lanes are those
 * of the rig: `--lines` lines of two readers at `--baud` (default 4 × 115200: OSDP's top common
 * rate, so the wire carries the compressed stream; at 9600 four lines carry about 12 passes/s).
 *
 * Measured: every presented card must have exactly as many journaled decisions as presentations
 * (counted from the gateway's journal after it stopped, as peak-load does); the gateway's RSS
 * (/proc/<pid>/status VmRSS) every 2 s. Warm-up: `--warm-up`, by default until every resident has
 * passed once (a resident's state is new until then): 3600 / (0.45 × speed) s, 12 minutes at speed 12.
 * Growth: the median of the last minute of samples against the median of the first minute after
 * warm-up (medians of windows, not single samples, so one young-generation swing does not decide
 * it). At the end of warm-up and at the end a full GC is forced through the gateway's inspector
 * (opened with SIGUSR1 at the first of the two) and the heap used right after is read: live
 * memory, which grows with a leak and does not breathe with the young generation.
 *
 * Run: npm run bench:soak (20 minutes by default)   Options: --minutes N, --warm-up N (minutes),
 * --speed N, --households N (default 10000), --lines N, --baud N, --seed N
 */

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { seededRandom } from '../simulators/shared/random.js';
import { generateCommunity, type SimPerson } from '../simulators/site/community.js';
import { machineLine, reportFigure } from './figures.js';
import type { MemoryAfterGc } from './inspector.js';
import { PeakRig, residentsInRandomOrder } from './peak-load-rig.js';
import { mb, type RssSample, RssSampler, summariseRss } from './rss.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    'warm-up': { type: 'string' },
    speed: { type: 'string', default: '12' },
    households: { type: 'string', default: '10000' },
    lines: { type: 'string', default: '4' },
    baud: { type: 'string', default: '115200' },
    seed: { type: 'string', default: '1' },
  },
});
const SPEED = Number(values.speed);
const SHARE_OUT = 0.35;
const SHARE_IN = 0.1;
const WINDOW_MS = 60_000;
/** Until every resident has passed once: the stream offers (0.45 × speed) of them per hour. */
const FIRST_ROUND_MINUTES = Math.ceil(60 / ((SHARE_OUT + SHARE_IN) * SPEED));
const WARM_UP_MS =
  (values['warm-up'] === undefined ? FIRST_ROUND_MINUTES : Number(values['warm-up'])) * 60_000;
if (!(WARM_UP_MS >= 0)) throw new RangeError(`--warm-up: ${values['warm-up']} is not a number of minutes`);
const MINUTES = values.minutes === undefined ? WARM_UP_MS / 60_000 + 8 : Number(values.minutes);
const HOUSEHOLDS = Number(values.households);
const LINES = Number(values.lines);
const BAUD = Number(values.baud);
const SEED = Number(values.seed);
for (const [name, v] of Object.entries({
  minutes: MINUTES,
  speed: SPEED,
  households: HOUSEHOLDS,
  lines: LINES,
  baud: BAUD,
}))
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`--${name}: ${v} is not a positive number`);
const RUN_MS = MINUTES * 60_000;
const BENCH = 'soak';
const SAMPLE_MS = 2000;
const GROWTH_TARGET = 0.05;
const DRAIN_MS = 60_000;
if (RUN_MS < WARM_UP_MS + 2 * WINDOW_MS)
  throw new RangeError(
    `--minutes: ${MINUTES} leaves no two minutes after the warm-up (${WARM_UP_MS / 60_000} min)`,
  );

interface Stream {
  /** Presentations per card. */
  presented: Map<string, number>;
  passes: number;
  /** Passes whose OUT command (the unlock) the simulated door received. */
  unlocked: number;
  endedAt: number;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0] ?? 0;
  console.log(machineLine());
  const community = generateCommunity({ seed: SEED, now: Date.now(), households: HOUSEHOLDS });
  const residents = residentsInRandomOrder(community, SEED);
  const demand = ((SHARE_OUT + SHARE_IN) * residents.length) / 3600;
  const rate = demand * SPEED;
  console.log(
    `${HOUSEHOLDS} households, ${residents.length} residents; demand ${demand.toFixed(2)} passes/s × speed ${SPEED} = ` +
      `${rate.toFixed(1)} passes/s for ${MINUTES} real min (${((MINUTES * SPEED) / 60).toFixed(2)} scenario h); ` +
      `${LINES} lines × 2 readers at ${BAUD} baud; warm-up ${WARM_UP_MS / 1000} s`,
  );
  let died: string | undefined;
  const rig = new PeakRig({
    community,
    lines: LINES,
    baud: BAUD,
    inspectable: true,
    print: (line) => console.log(`gateway: ${line}`),
    onDied: (message) => {
      died ??= message;
      console.error(message);
    },
  });
  let samples: RssSample[] = [];
  let stream: Stream | undefined;
  const gc: { warmUp?: MemoryAfterGc; end?: MemoryAfterGc } = {};
  try {
    await rig.start();
    await rig.readersOnline();
    const sampler = new RssSampler(rig.pid, SAMPLE_MS).start();
    const warmUpGc = new Promise<void>((resolve) =>
      setTimeout(() => {
        rig
          .memoryAfterGc()
          .then((m) => {
            gc.warmUp = m;
            console.log(`end of warm-up, after a forced GC: ${describe(m)}`);
          })
          .catch((err: Error) => console.log(`no forced GC at the end of warm-up: ${err.message}`))
          .finally(resolve);
      }, WARM_UP_MS),
    );
    stream = await play(rig, residents, rate, () => died);
    samples = sampler.stop();
    await warmUpGc;
    gc.end = await rig.memoryAfterGc().catch((err: Error) => {
      console.log(`no forced GC at the end: ${err.message}`);
      return undefined;
    });
    if (gc.end) console.log(`end, after a forced GC: ${describe(gc.end)}`);
  } finally {
    await rig.stop();
  }
  const journal = countJournal(rig.databaseFile, stream?.presented ?? new Map());
  if (journal.short + journal.extra === 0) rig.remove();
  else
    console.log(
      `cards without one decision per presentation: the gateway's folder (log, database) is kept in ${rig.dir}`,
    );
  if (died !== undefined) throw new Error(died);
  if (stream === undefined) throw new Error('no passes were played');
  report(stream, journal, samples, gc, rate, residents.length, loadAtStart);
}

/**
 * Presents cards at `rate` per second (Poisson arrivals) for RUN_MS, then waits up to DRAIN_MS
 * for the last unlock. Lanes are picked at random among those of the pass's direction.
 */
async function play(
  rig: PeakRig,
  residents: SimPerson[],
  rate: number,
  died: () => string | undefined,
): Promise<Stream> {
  const random = seededRandom(SEED + 11);
  const stream: Stream = { presented: new Map(), passes: 0, unlocked: 0, endedAt: 0 };
  const wasOut = new Map<string, boolean>();
  let waiting = 0;
  for (const lane of rig.lanes)
    lane.pd.model.on('command', ({ type, retry }) => {
      if (type !== 'OUT' || retry) return;
      waiting--;
      stream.unlocked++;
    });
  const lanesOut = rig.lanes.filter((l) => l.direction === 'out');
  const lanesIn = rig.lanes.filter((l) => l.direction === 'in');
  const t0 = Date.now();
  let at = t0;
  for (let next = 0; ; next++) {
    at += (-Math.log(1 - random()) / rate) * 1000;
    if (at > t0 + RUN_MS || died() !== undefined) break;
    const wait = at - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const person = residents[next % residents.length];
    const card = person?.card;
    if (person === undefined || card === undefined) throw new Error('no resident with a card');
    const before = wasOut.get(person.id);
    const out = before === undefined ? random() < SHARE_OUT / (SHARE_OUT + SHARE_IN) : !before;
    wasOut.set(person.id, out);
    const lanes = out ? lanesOut : lanesIn;
    const lane = lanes[Math.floor(random() * lanes.length)];
    if (lane === undefined) throw new Error('no lanes');
    stream.presented.set(card.value, (stream.presented.get(card.value) ?? 0) + 1);
    stream.passes++;
    waiting++;
    lane.pd.model.presentCard({ format: 'wiegand26', facility: card.facility, card: card.number });
  }
  stream.endedAt = Date.now();
  const drainUntil = Date.now() + DRAIN_MS;
  while (waiting > 0 && Date.now() < drainUntil && died() === undefined)
    await new Promise((r) => setTimeout(r, 50));
  return stream;
}

interface JournalCount {
  decided: number;
  allowed: number;
  /** Cards with fewer decisions than presentations, and with more. */
  short: number;
  extra: number;
  denies: Map<string, number>;
}

/** Every card must have as many journaled decisions as it was presented. */
function countJournal(file: string, presented: Map<string, number>): JournalCount {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const decided = new Map<string, number>();
  const count: JournalCount = { decided: 0, allowed: 0, short: 0, extra: 0, denies: new Map() };
  try {
    const rows = db.prepare("SELECT payload FROM journal WHERE type = 'decision'").iterate() as Iterable<{
      payload: string;
    }>;
    for (const row of rows) {
      const { request, decision } = JSON.parse(row.payload) as {
        request: { credential?: { value?: string } };
        decision: { allow: boolean; reasons: { effect: string; code: string }[] };
      };
      const card = request.credential?.value;
      if (card === undefined || !presented.has(card)) continue;
      decided.set(card, (decided.get(card) ?? 0) + 1);
      count.decided++;
      if (decision.allow) count.allowed++;
      for (const r of decision.allow ? [] : decision.reasons.filter((x) => x.effect === 'deny'))
        count.denies.set(r.code, (count.denies.get(r.code) ?? 0) + 1);
    }
  } finally {
    db.close();
  }
  for (const [card, n] of presented) {
    const d = decided.get(card) ?? 0;
    if (d < n) count.short++;
    else if (d > n) count.extra++;
  }
  return count;
}

function report(
  stream: Stream,
  journal: JournalCount,
  samples: RssSample[],
  gc: { warmUp?: MemoryAfterGc; end?: MemoryAfterGc },
  rate: number,
  residents: number,
  loadAtStart: number,
): void {
  for (const line of perMinute(samples)) console.log(line);
  const lastAt = samples.at(-1)?.atMs ?? 0;
  const early = samples.filter((s) => s.atMs >= WARM_UP_MS && s.atMs < WARM_UP_MS + WINDOW_MS);
  const late = samples.filter((s) => s.atMs > lastAt - WINDOW_MS);
  if (early.length === 0 || late.length === 0)
    throw new Error('the run was too short to compare two windows');
  const atWarmUp = summariseRss(early).median;
  const atEnd = summariseRss(late).median;
  const growth = (atEnd - atWarmUp) / atWarmUp;
  const loadAtEnd = loadavg()[0] ?? 0;
  const conditions =
    `${MINUTES} real min at ${rate.toFixed(1)} passes/s offered (speed ${SPEED}), ${residents.toLocaleString('en-US')} residents, ` +
    `${LINES} lines × 2 readers at ${BAUD} baud; load ${loadAtStart.toFixed(1)} → ${loadAtEnd.toFixed(1)}` +
    (Math.max(loadAtStart, loadAtEnd) > 3 ? ' (loaded machine: provisional)' : '');
  console.log(conditions);
  if (journal.denies.size > 0) console.log(`refused: ${JSON.stringify(Object.fromEntries(journal.denies))}`);
  reportFigure({
    bench: BENCH,
    figure: 'passes presented in the soak',
    value: stream.passes,
    note: `${stream.unlocked} unlocks; ${(stream.passes / (RUN_MS / 1000)).toFixed(1)} passes/s`,
  });
  reportFigure({
    bench: BENCH,
    figure: 'passes decided and journaled',
    value: journal.decided,
    note: `${journal.allowed} allowed`,
  });
  const bad = journal.short + journal.extra;
  reportFigure({
    bench: BENCH,
    figure: 'cards without exactly one journaled decision per presentation',
    value: bad,
    target: '0',
    met: bad === 0,
    note: `${journal.short} short, ${journal.extra} with more`,
  });
  reportFigure({
    bench: BENCH,
    figure: 'RSS at the end of warm-up (median of the first minute after it), MB',
    value: mb(atWarmUp),
  });
  reportFigure({ bench: BENCH, figure: 'RSS at the end (median of the last minute), MB', value: mb(atEnd) });
  reportFigure({
    bench: BENCH,
    figure: 'RSS growth after warm-up (medians of the first and last minute after it), %',
    value: Math.round(growth * 1000) / 10,
    target: `≤ ${GROWTH_TARGET * 100} %`,
    met: growth <= GROWTH_TARGET,
    note: conditions,
  });
  if (gc.warmUp && gc.end) {
    const heapGrowth = (gc.end.heapUsed - gc.warmUp.heapUsed) / gc.warmUp.heapUsed;
    console.log(
      `heap used after a forced GC: end of warm-up ${describe(gc.warmUp)}; end ${describe(gc.end)}`,
    );
    reportFigure({
      bench: BENCH,
      figure: 'heap used after a forced GC, end of warm-up → end, MB',
      value: mb(gc.end.heapUsed),
      note: `${mb(gc.warmUp.heapUsed)} → ${mb(gc.end.heapUsed)} MB (${(heapGrowth * 100).toFixed(1)} %); RSS after the GC ${mb(gc.warmUp.rss)} → ${mb(gc.end.rss)} MB`,
    });
  }
}

function describe(m: MemoryAfterGc): string {
  return `heap used ${mb(m.heapUsed)} MB of ${mb(m.heapTotal)}, external ${mb(m.external)}, RSS ${mb(m.rss)} MB`;
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

main().then(
  () => {
    // Serial ports of the stopped simulators can keep the loop alive a little; nothing is left to do.
    setTimeout(() => process.exit(0), 2000).unref();
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
