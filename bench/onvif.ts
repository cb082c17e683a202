/**
 * How many camera readings one gateway takes, and how late: N simulated ONVIF thermal cameras
 * (simulators/onvif, HTTP on 127.0.0.1, ports chosen by the OS), each at its own pedestrian
 * lane, and the real gateway path — Site with its journal on disk (`synchronous = FULL`),
 * DeviceHost, CameraSession (onvif package, pull-point subscription, heartbeat every second),
 * CameraAdapter — so every reading is marked and journaled durably as the gateway does it.
 * See bench/onvif-rig.ts for how a journaled reading is seen and matched to its event.
 *
 * 1. Latency: each camera sees `rate` persons a second for `seconds`, the cameras' arrivals
 *    evenly interleaved; per reading, the delay from the simulator queuing the person's events
 *    (`queuedAtHrtime`) to the reading journaled (`process.hrtime.bigint()` after the lane port
 *    returns: one clock). Events are pulled: the gateway keeps a PullMessages held at each
 *    camera, answered when an event comes, so the delay is one HTTP response after the event,
 *    the parse, and the journal's commit (plus the next pull if one was not waiting yet).
 * 2. Throughput: every camera queues `burst` persons at once (a loop of `person()` calls that
 *    waits for nothing); readings journaled per second from the first injection to the last
 *    reading journaled, with the pulls made and the notifications per pull. The simulated
 *    cameras' queues are sized to hold the burst (a camera's default is 1,000 messages,
 *    i.e. 500 persons: beyond it a camera drops the oldest).
 *
 * Readings are matched to persons per camera in order (temperature and mask): a mismatch, a
 * reading lost or a message the camera dropped makes the benchmark exit 1.
 *
 * The simulators run in this process, on the gateway's event loop (the machine has 2 cores):
 * their HTTP and XML work is counted in the CPU time and slows the gateway, so the figures are
 * a lower bound on what the gateway alone would take. The process's CPU time
 * (`process.cpuUsage`, user and system) is printed for each phase, and its RSS at the end.
 *
 * Run: npm run bench:onvif -- [--cameras 8] [--rate 5] [--seconds 10] [--burst 2000]
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { reportFigure } from './figures.js';
import { type Rig, startRig } from './onvif-rig.js';
import { distribution } from './stats.js';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '8' },
    rate: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '10' },
    burst: { type: 'string', default: '2000' },
  },
});
const CAMERAS = Number(values.cameras);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const BURST = Number(values.burst);
if (
  !(
    Number.isInteger(CAMERAS) &&
    CAMERAS >= 1 &&
    RATE > 0 &&
    SECONDS >= 0 &&
    Number.isInteger(BURST) &&
    BURST >= 0
  )
)
  throw new Error('--cameras: an integer ≥ 1, --rate: > 0, --seconds: ≥ 0, --burst: an integer ≥ 0');
/** No reading journaled for this long while persons are outstanding: they are lost. */
const STALL_MS = 15_000;

/** Temperatures 35.50–37.19 °C (below the fever threshold: no re-measure); neighbours differ. */
const celsiusOf = (i: number) => 35.5 + ((i * 37) % 170) / 100;
const maskOf = (i: number) => i % 7 !== 0;

function stats(values: number[]) {
  const d = distribution(values);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  return { count: values.length, p50: ms(d.p50), p90: ms(d.p90), p99: ms(d.p99), max: ms(d.max) };
}

function sessionTotals(rig: Rig) {
  const sum = (name: string) => rig.host.states().reduce((n, s) => n + (s.counters?.[name] ?? 0), 0);
  const names = ['pulls', 'notifications', 'renewals', 'resubscriptions', 'failures', 'offline', 'connects'];
  return Object.fromEntries(names.map((n) => [n, sum(n)])) as Record<string, number>;
}

function delta(after: Record<string, number>, before: Record<string, number>) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]));
}

const perPull = (c: Record<string, number>) => (c.notifications ?? 0) / Math.max(1, c.pulls ?? 0);

const cpuSeconds = (u: NodeJS.CpuUsage) => ({ user: u.user / 1e6, system: u.system / 1e6 });
const cpuText = (c: { user: number; system: number }, wallS: number) =>
  `CPU ${(c.user + c.system).toFixed(2)} s (user ${c.user.toFixed(2)}, system ${c.system.toFixed(2)}) ` +
  `over ${wallS.toFixed(2)} s` +
  (wallS >= 0.1 ? `, ${((100 * (c.user + c.system)) / wallS).toFixed(0)} % of one core` : '');

async function latencyPhase(rig: Rig) {
  const perCamera = Math.round(RATE * SECONDS);
  const intervalMs = 1000 / RATE;
  const before = sessionTotals(rig);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const t0 = started + 50;
  let next = 0;
  await Promise.all(
    rig.cameras.map(async (camera, c) => {
      for (let k = 0; k < perCamera; k++) {
        const wait = t0 + (k + c / rig.cameras.length) * intervalMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const i = next++;
        await camera.sim.person({ celsius: celsiusOf(i), mask: maskOf(i) });
      }
    }),
  );
  await rig.ledger.settle(STALL_MS);
  const wallS = (performance.now() - started) / 1000;
  return {
    persons: perCamera * rig.cameras.length,
    ...rig.ledger.take(),
    counters: delta(sessionTotals(rig), before),
    cpu: cpuSeconds(process.cpuUsage(cpu)),
    wallS,
  };
}

async function throughputPhase(rig: Rig) {
  const before = sessionTotals(rig);
  const journaledBefore = rig.ledger.journaled;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const injections: Promise<unknown>[] = [];
  for (let k = 0; k < BURST; k++) {
    for (const [c, camera] of rig.cameras.entries()) {
      const i = 1_000_000 + k * rig.cameras.length + c;
      injections.push(camera.sim.person({ celsius: celsiusOf(i), mask: maskOf(i) }));
    }
  }
  await Promise.all(injections);
  const injectedMs = Number(process.hrtime.bigint() - started) / 1e6;
  await rig.ledger.settle(STALL_MS);
  const journaled = rig.ledger.journaled - journaledBefore;
  const end = journaled > 0 ? rig.ledger.lastJournaledAt : process.hrtime.bigint();
  const seconds = Number(end - started) / 1e9;
  return {
    persons: BURST * rig.cameras.length,
    journaled,
    seconds,
    injectedMs,
    ...rig.ledger.take(),
    counters: delta(sessionTotals(rig), before),
    cpu: cpuSeconds(process.cpuUsage(cpu)),
  };
}

async function main(): Promise<number> {
  const rig = await startRig({
    cameras: CAMERAS,
    // Two messages (mask, temperature) a person, the burst and the latency phase on top.
    maxQueuedMessages: Math.max(1000, 2 * (BURST + Math.ceil(RATE * SECONDS)) + 16),
    heartbeatSeconds: 1,
  });
  let latency: Awaited<ReturnType<typeof latencyPhase>>;
  let burst: Awaited<ReturnType<typeof throughputPhase>>;
  let dropped: number;
  let lost = 0;
  const load = loadavg()[0]?.toFixed(2);
  try {
    latency = await latencyPhase(rig);
    burst = await throughputPhase(rig);
    dropped = rig.cameras.reduce((n, c) => n + c.sim.hub.dropped, 0);
  } finally {
    lost = rig.ledger.outstanding();
    await rig.dispose();
  }
  const memory = process.memoryUsage();
  console.log(
    `${CAMERAS} simulated thermal cameras (in this process, on the gateway's event loop), heartbeat 1 s; ` +
      `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Node ${process.version}, load ${load} at the start`,
  );
  console.log(
    `\n1. Latency: ${RATE} persons/s per camera for ${SECONDS} s (${(RATE * CAMERAS).toFixed(0)}/s in all, evenly interleaved); ` +
      `queued at the camera → reading journaled`,
  );
  console.table([
    { what: 'queued → journaled', ...stats(latency.delays) },
    { what: '  queued → lane port called', ...stats(latency.beforePortMs) },
    { what: '  in the lane port (mark + commit)', ...stats(latency.portMs) },
  ]);
  console.log(
    `   pulls ${latency.counters.pulls}, notifications/pull ${perPull(latency.counters).toFixed(2)}, ` +
      cpuText(latency.cpu, latency.wallS),
  );
  console.log(
    `\n2. Throughput: ${BURST} persons queued at once on each camera (${burst.persons} in all, injected in ${burst.injectedMs.toFixed(0)} ms)`,
  );
  console.table([
    {
      'readings/s': Math.round(burst.journaled / burst.seconds),
      journaled: `${burst.journaled}/${burst.persons}`,
      seconds: +burst.seconds.toFixed(2),
      pulls: burst.counters.pulls,
      'notifications/pull': +perPull(burst.counters).toFixed(1),
    },
  ]);
  console.table([
    { what: 'queued → journaled', ...stats(burst.delays) },
    { what: '  in the lane port (mark + commit)', ...stats(burst.portMs) },
  ]);
  console.log(
    `   ${cpuText(burst.cpu, burst.seconds)}\n` +
      `   session counters over the burst: ${JSON.stringify(burst.counters)}\n` +
      `   RSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB at the end, max ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; ` +
      `messages the cameras dropped: ${dropped}`,
  );
  const { mismatches } = rig.ledger;
  console.log(`\nmismatches: ${mismatches.length}, lost (queued, never journaled): ${lost}`);
  for (const m of mismatches.slice(0, 20)) console.log(`   ${m}`);
  if (mismatches.length > 20) console.log(`   … and ${mismatches.length - 20} more`);
  const p99 = (values: number[]) =>
    +([...values].sort((a, b) => a - b)[Math.floor(0.99 * (values.length - 1))] ?? Number.NaN).toFixed(1);
  const bench = 'onvif';
  reportFigure({
    bench,
    figure: 'camera event → journaled reading p99',
    value: p99(latency.delays),
    unit: 'ms',
    note: `${CAMERAS} cameras × ${RATE} persons/s for ${SECONDS} s, load ${load} at the start`,
  });
  reportFigure({
    bench,
    figure: 'readings journaled/s, burst',
    value: Math.round(burst.journaled / burst.seconds),
    note: `${burst.persons} persons queued at once`,
  });
  const bad = mismatches.length + lost + dropped;
  reportFigure({
    bench,
    figure: 'readings lost, dropped or mismatched',
    value: bad,
    target: '0',
    met: bad === 0,
  });
  return mismatches.length === 0 && lost === 0 && dropped === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
