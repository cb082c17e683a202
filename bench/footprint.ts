/**
 * Footprint of the gateway serving the simulated site with 100,000 residents in its registry
 * (issue 9 §5): how soon after start it decides, and how much memory it holds, idle after
 * start and after a run of passes. The site is the one `gatewarden-sim site` starts (its
 * devices on socat pairs and loopback, the gateway a child process started as an installation
 * starts it), on free ports in a temporary folder it removes (site-rig.ts).
 *
 * Ready: from the spawn to the gateway's `gatewarden deciding passes` line (journal verified,
 * state rebuilt, registry open, serial lines and their devices started: the target), to its
 * `gatewarden ready` line (the broker, cameras and API too), and to the journaling of the
 * decision on a card that was lying on the north-in OSDP reader when the gateway started (so it
 * is decided once that reader has connected: at the first start of a site, a Secure Channel
 * handshake with key install for both readers on the line, about 14 exchanges at 9600 baud). RSS: /proc/<pid>/status VmRSS
 * of the gateway, sampled every second over 30 s; the median is the steady figure.
 *
 * Run: npm run bench:footprint   Options: --residents N (default 100000), --passes N (default
 * 60), --sample-seconds N (default 30), --seed N
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { LANES } from '../simulators/site/site-plan.js';
import { machineLine, reportFigure } from './figures.js';
import { mb, sampleRss, summariseRss } from './rss.js';
import { BenchSite } from './site-rig.js';

const { values } = parseArgs({
  options: {
    residents: { type: 'string', default: '100000' },
    passes: { type: 'string', default: '60' },
    'sample-seconds': { type: 'string', default: '30' },
    seed: { type: 'string', default: '1' },
  },
});
const RESIDENTS = Number(values.residents);
const PASSES = Number(values.passes);
const SAMPLE_MS = Number(values['sample-seconds']) * 1000;
const SEED = Number(values.seed);
const BENCH = 'footprint';
const RSS_TARGET_MB = 100;
const READY_TARGET_MS = 1000;
const FIRST_DECISION_WAIT_MS = 30_000;

console.log(machineLine());
const site = await BenchSite.start({
  seed: SEED,
  residents: RESIDENTS,
  cardAtStart: { lane: LANES.northPedIn, who: 'x-0-1' },
  print: () => undefined,
});
try {
  const note = `${RESIDENTS.toLocaleString('en')} residents; shared machine, load ${loadAverage()}`;
  const decidingMs =
    site.gateway.decidingAt === undefined ? Number.NaN : site.gateway.decidingAt - site.spawnedAt;
  const readyMs = site.readyAt - site.spawnedAt;
  const firstAt = await site.firstDecisionAt(FIRST_DECISION_WAIT_MS);
  reportFigure({
    bench: BENCH,
    figure: 'spawn to deciding passes (journal, registry, serial devices up), ms',
    value: decidingMs,
    target: `≤ ${READY_TARGET_MS} ms`,
    met: decidingMs <= READY_TARGET_MS,
    note,
  });
  reportFigure({
    bench: BENCH,
    figure: 'spawn to ready line (broker, cameras, API too), ms',
    value: readyMs,
    note,
  });
  reportFigure({
    bench: BENCH,
    figure: 'gateway CPU time from spawn to ready line, ms',
    value: site.readyCpuMs,
    note: `${note}; less bent by the load than the wall-clock figure`,
  });
  const firstMs = firstAt === undefined ? Number.NaN : firstAt - site.spawnedAt;
  reportFigure({
    bench: BENCH,
    figure: 'spawn to first decision journaled (card waiting on an OSDP reader), ms',
    value: firstMs,
    note: `${note}; includes the reader's first connection at 9600 baud (Secure Channel, key install)`,
  });

  const idle = summariseRss(await sampleRss(site.pid, SAMPLE_MS));
  console.log(`RSS after start: ${describe(idle)}`);
  reportFigure({
    bench: BENCH,
    figure: 'RSS steady after start (median of 1 s samples over 30 s), MB',
    value: mb(idle.median),
    target: `≤ ${RSS_TARGET_MB} MB`,
    met: mb(idle.median) <= RSS_TARGET_MB,
    note,
  });

  const passed = await passes(site, PASSES);
  const busy = summariseRss(await sampleRss(site.pid, SAMPLE_MS));
  console.log(`RSS after ${passed} passes: ${describe(busy)}`);
  reportFigure({
    bench: BENCH,
    figure: `RSS steady after ${passed} passes (median of 1 s samples over 30 s), MB`,
    value: mb(busy.median),
    target: `≤ ${RSS_TARGET_MB} MB`,
    met: mb(busy.median) <= RSS_TARGET_MB,
    note: `${note}; max ${mb(busy.max)} MB`,
  });
} finally {
  await site.stop();
}

/** Residents coming in by card and by ID card, and designated shoppers going out, in turn. */
async function passes(site: BenchSite, count: number): Promise<number> {
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) await site.actions.card(LANES.northPedIn);
    else if (i % 3 === 1) await site.actions.idcard(LANES.northPedIn);
    else await site.actions.card(LANES.northPedOut);
  }
  return count;
}

function describe(s: ReturnType<typeof summariseRss>): string {
  return `median ${mb(s.median)} MB, min ${mb(s.min)}, max ${mb(s.max)} (${s.count} samples)`;
}

function loadAverage(): string {
  return loadavg()[0]?.toFixed(1) ?? '?';
}
