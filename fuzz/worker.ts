import { parentPort, workerData } from 'node:worker_threads';
import { writeReproducer } from './reproducer.js';
import { runTarget } from './runner.js';
import { targetNamed } from './targets.js';
import { HEARTBEAT_SLOTS } from './watchdog.js';

/**
 * Runs one target in a worker thread for fuzz/run.ts, so that the main thread can stop a case
 * that never returns; the heartbeat (watchdog.ts) tells it where the worker is.
 */
export interface WorkerJob {
  target: string;
  cases: number;
  seed: number;
  maxMs?: number;
  reproducerDir: string;
  heartbeat: SharedArrayBuffer;
}

interface Measured {
  cases: number;
  seconds: number;
  slowestCaseMs: number;
  /** Distinct process warnings the code under test emitted (at most 5). */
  warnings: string[];
}

export type WorkerReply =
  | ({ kind: 'done'; interrupted: boolean } & Measured)
  | ({ kind: 'failed'; error: string; path: string; file: string } & Measured);

const job = workerData as WorkerJob;
// A library's process warning (the yaml package warns about collection keys) would print once
// per case; it is collected and printed once by run.ts.
const warnings = new Set<string>();
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (warnings.size < 5) warnings.add(`${w.name}: ${w.message}`);
});
const beat = new Int32Array(job.heartbeat);
const result = runTarget(targetNamed(job.target), {
  cases: job.cases,
  seed: job.seed,
  ...(job.maxMs === undefined ? {} : { maxMs: job.maxMs }),
  onCase: () => {
    Atomics.add(beat, HEARTBEAT_SLOTS.BEGUN, 1);
    Atomics.store(beat, HEARTBEAT_SLOTS.IN_CHECK, 1);
  },
  onCaseDone: () => Atomics.store(beat, HEARTBEAT_SLOTS.IN_CHECK, 0),
  onCaseFailed: () => Atomics.store(beat, HEARTBEAT_SLOTS.SHRINKING, 1),
});
// Warnings are emitted on the next tick: let them arrive before reporting.
await new Promise((resolve) => setImmediate(resolve));
const { interrupted, failure } = result;
const measured: Measured = {
  cases: result.cases,
  seconds: result.seconds,
  slowestCaseMs: result.slowestCaseMs,
  warnings: [...warnings],
};
const reply: WorkerReply =
  failure === undefined
    ? { kind: 'done', interrupted, ...measured }
    : {
        kind: 'failed',
        ...measured,
        error: failure.error,
        path: failure.path,
        file: writeReproducer(job.reproducerDir, { target: job.target, ...failure }),
      };
parentPort?.postMessage(reply);
