/**
 * The long fuzz run: every target of fuzz/targets.ts for a million cases (or `--cases`), each in
 * its own worker thread, with a table of cases per second. A failure is shrunk and saved as a
 * reproducer (fuzz/reproducers/<target>-<seed>-<path>.json); a case that makes no progress for
 * `--hang-seconds` is saved as a `hang` reproducer. The run finishes the other targets and exits
 * 1 if any target failed.
 *
 *   npm run fuzz                                 all targets, 1,000,000 cases each
 *   npm run fuzz -- --target osdp-parser --cases 50000 --seed 7
 *   npm run fuzz -- --jobs 2 --max-seconds 600   two workers; stop a target after 10 min
 *   npm run fuzz -- --list                       the targets and their contracts
 *   npm run fuzz -- --replay fuzz/reproducers/osdp-parser-7-41_0_3.json
 */
import { randomInt } from 'node:crypto';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { REPRODUCER_DIR, readReproducer, toJsonValue, writeReproducer } from './reproducer.js';
import { inputAt, replay } from './runner.js';
import { FUZZ_TARGETS, targetNamed } from './targets.js';
import { HEARTBEAT_BYTES, HEARTBEAT_SLOTS, type HeartbeatState, hungCasePath, Watchdog } from './watchdog.js';
import type { WorkerJob, WorkerReply } from './worker.js';

const USAGE = `npm run fuzz -- [--cases N] [--target NAME]… [--seed S] [--jobs N] [--max-seconds S]
                   [--hang-seconds S] [--reproducers DIR] | --list | --replay FILE`;

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000000' },
    target: { type: 'string', multiple: true },
    seed: { type: 'string' },
    jobs: { type: 'string', default: '1' },
    'max-seconds': { type: 'string' },
    'hang-seconds': { type: 'string', default: '60' },
    reproducers: { type: 'string', default: REPRODUCER_DIR },
    list: { type: 'boolean', default: false },
    replay: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name}: expected a whole number, got "${text}"`);
    process.exit(2);
  }
  return n;
}

interface Row {
  target: string;
  seed: number;
  cases: number;
  seconds: number;
  slowestCaseMs: number;
  result: string;
  failed: boolean;
}

function runInWorker(job: Omit<WorkerJob, 'heartbeat'>, hangMs: number): Promise<Row> {
  const heartbeat = new SharedArrayBuffer(HEARTBEAT_BYTES);
  const beat = new Int32Array(heartbeat);
  const worker = new Worker(new URL('./worker.js', import.meta.url), {
    workerData: { ...job, heartbeat } satisfies WorkerJob,
  });
  const started = performance.now();
  const row = (partial: Partial<Row> & Pick<Row, 'result' | 'failed'>): Row => ({
    target: job.target,
    seed: job.seed,
    cases: Atomics.load(beat, HEARTBEAT_SLOTS.BEGUN),
    seconds: (performance.now() - started) / 1000,
    slowestCaseMs: Number.NaN,
    ...partial,
  });
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Row) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      resolve(r);
    };
    const watchdog = new Watchdog(hangMs);
    let lastReport = started;
    const timer = setInterval(() => {
      const begun = Atomics.load(beat, HEARTBEAT_SLOTS.BEGUN);
      const now = performance.now();
      if (now - lastReport >= 60_000) {
        lastReport = now;
        const rate = Math.round(begun / ((now - started) / 1000));
        console.error(`  … ${job.target}: ${begun} cases, ${rate}/s`);
      }
      if (!watchdog.stalled(begun, now)) return;
      void worker.terminate();
      const state: HeartbeatState = {
        begun,
        shrinking: Atomics.load(beat, HEARTBEAT_SLOTS.SHRINKING) === 1,
        inCheck: Atomics.load(beat, HEARTBEAT_SLOTS.IN_CHECK) === 1,
      };
      done(row({ cases: Math.max(0, begun - 1), ...hung(job, state, hangMs) }));
    }, 1000);
    worker.once('message', (reply: WorkerReply) => {
      const { cases, seconds, slowestCaseMs } = reply;
      for (const w of reply.warnings) console.error(`  ${job.target} emitted a process warning: ${w}`);
      if (reply.kind === 'failed') {
        done({ ...row({ result: `FAILED → ${reply.file}`, failed: true }), cases, seconds, slowestCaseMs });
        console.error(`\n${job.target} failed (seed ${job.seed}, path ${reply.path}):\n${reply.error}\n`);
      } else {
        const result = reply.interrupted ? 'stopped at --max-seconds' : 'ok';
        done({ ...row({ result, failed: false }), cases, seconds, slowestCaseMs });
      }
    });
    worker.once('error', (error) => done(row({ result: `CRASHED: ${error.message}`, failed: true })));
    // A worker that ends without a word (the code under test called process.exit) is a crash too.
    worker.once('exit', (code) =>
      done(row({ result: `CRASHED: the worker exited with ${code}`, failed: true })),
    );
  });
}

/** Saves the case that hung, regenerated from seed and run index in this thread (without running it). */
function hung(job: Omit<WorkerJob, 'heartbeat'>, state: HeartbeatState, hangMs: number) {
  const error = `hang: one case ran for more than ${hangMs / 1000} s`;
  const path = hungCasePath(state);
  if (path === undefined) {
    const where = state.shrinking ? 'while shrinking' : `generating case ${state.begun} (the arbitrary)`;
    return { result: `HANG ${where}`, failed: true };
  }
  const input = toJsonValue(inputAt(targetNamed(job.target), job.seed, path));
  const file = writeReproducer(job.reproducerDir, { target: job.target, seed: job.seed, path, error, input });
  return { result: `HANG → ${file}`, failed: true };
}

function formatRow(r: Row): string {
  const rate = r.seconds > 0 ? Math.round(r.cases / r.seconds).toLocaleString('en-US') : '–';
  const slowest = Number.isNaN(r.slowestCaseMs) ? '–' : r.slowestCaseMs.toFixed(1);
  const cells = [r.target, r.seed, r.cases.toLocaleString('en-US'), r.seconds.toFixed(1), rate, slowest];
  return `| ${[...cells, r.result].join(' | ')} |`;
}

async function fuzz(): Promise<number> {
  const cases = positiveInt('cases', values.cases) ?? 1_000_000;
  const jobs = Math.max(1, positiveInt('jobs', values.jobs) ?? 1);
  const maxSeconds = positiveInt('max-seconds', values['max-seconds']);
  const hangMs = (positiveInt('hang-seconds', values['hang-seconds']) ?? 60) * 1000;
  const fixedSeed = positiveInt('seed', values.seed);
  const reproducerDir = resolve(values.reproducers);
  const targets = (values.target ?? FUZZ_TARGETS.map((t) => t.name)).map((name) => targetNamed(name).name);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`gatewarden fuzz: ${targets.length} targets × ${cases.toLocaleString('en-US')} cases`);
  console.log(`Node ${process.version}, ${cpus().length} × ${cpu}, ${jobs} job(s)\n`);
  console.log('| target | seed | cases | seconds | cases/s | slowest case ms | result |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  const queue = [...targets];
  const rows: Row[] = [];
  const lane = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const seed = fixedSeed ?? randomInt(0, 2 ** 31 - 1);
      const maxMs = maxSeconds === undefined ? undefined : maxSeconds * 1000;
      const job = { target: name, cases, seed, reproducerDir, ...(maxMs === undefined ? {} : { maxMs }) };
      const row = await runInWorker(job, hangMs);
      rows.push(row);
      console.log(formatRow(row));
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, targets.length) }, lane));
  const failed = rows.filter((r) => r.failed);
  const total = rows.reduce((n, r) => n + r.cases, 0);
  console.log(`\n${total.toLocaleString('en-US')} cases, ${failed.length} target(s) failed`);
  return failed.length > 0 ? 1 : 0;
}

function replayFile(file: string): number {
  const reproducer = readReproducer(file);
  const outcome = replay(targetNamed(reproducer.target), reproducer);
  const say = (what: string, r: { failed: boolean; error?: string }) =>
    console.log(`${what}: ${r.failed ? `still fails\n${r.error}` : 'passes'}`);
  console.log(`${reproducer.target}, seed ${reproducer.seed}, path ${reproducer.path}`);
  console.log(`first reported: ${reproducer.error.split('\n')[0]}\n`);
  say('saved input', outcome.saved);
  const note = outcome.regenerated.sameInput ? 'same input' : 'the arbitrary now gives another input';
  say(`input from seed and path (${note})`, outcome.regenerated);
  return outcome.saved.failed ? 1 : 0;
}

function main(): Promise<number> | number {
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.list) {
    for (const t of FUZZ_TARGETS) console.log(`${t.name}\n  ${t.contract}\n`);
    return 0;
  }
  if (values.replay !== undefined) return replayFile(values.replay);
  return fuzz();
}

process.exitCode = await main();
