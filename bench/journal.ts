/**
 * Benchmark of the journal on the machine's disk: durable appends (one fsync each, as a gate
 * decision is journaled), batched appends, verification of the hash chain, and the replay that
 * rebuilds the checkpoint state at start. Runs in a temporary folder it removes.
 *
 * Run: npm run bench:journal   Options: --entries N (default 100000), --spaced N (200), --gap-ms MS (100)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultPolicy } from '../config/schema.js';
import { Checkpoint } from '../gateway/checkpoint/checkpoint.js';
import { openDatabase } from '../gateway/db.js';
import type { AppendItem } from '../gateway/journal/journal.js';
import { Journal } from '../gateway/journal/journal.js';
import { verifyJournal } from '../gateway/journal/verify.js';
import { RegistrySnapshot } from '../gateway/registry/snapshot.js';
import type { Decision, Policy } from '../gateway/rules/types.js';
import { reportFigure } from './figures.js';
import { distribution } from './stats.js';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    persons: { type: 'string', default: '20000' },
    spaced: { type: 'string', default: '200' },
    'gap-ms': { type: 'string', default: '100' },
  },
});
const ENTRIES = Number(values.entries);
/**
 * Durable appends made `GAP_MS` apart, as a gate makes them (a decision every few hundred ms at
 * most), beside the back-to-back ones: an append after idle time runs on cold CPU caches and
 * a disk that has gone quiet, and on a virtual machine costs several times more.
 */
const SPACED = Number(values.spaced);
const GAP_MS = Number(values['gap-ms']);
/** Distinct persons the decisions are of (households: about one for three). */
const PERSONS = Number(values.persons);
const HOUSEHOLDS = Math.max(1, Math.round(PERSONS * 0.35));
const T0 = Date.UTC(2022, 3, 10, 2);

function decisionPayload(i: number): AppendItem {
  const decision: Decision = {
    allow: i % 5 !== 0,
    reasons:
      i % 5 === 0
        ? [{ effect: 'deny', code: 'TEMPERATURE_REQUIRED' }]
        : [{ effect: 'grant', code: 'RESIDENT' }],
    subject: {
      kind: 'person',
      id: `p-${i % PERSONS}`,
      personKind: 'resident',
      householdId: `h-${i % HOUSEHOLDS}`,
    },
    direction: i % 2 ? 'in' : 'out',
    actions: [{ type: 'unlock', durationMs: 5000 }],
  };
  const at = T0 + i * 1000;
  return {
    type: 'decision',
    at,
    payload: {
      gateId: 'north',
      request: {
        at,
        laneId: i % 2 ? 'ped-in' : 'ped-out',
        shift: 'day',
        credential: { kind: 'card', value: (0x10000000 + (i % PERSONS)).toString(16) },
      },
      decision,
    },
  };
}

function rate(n: number, ms: number): number {
  return Math.round(n / (ms / 1000));
}

const dir = mkdtempSync(join(tmpdir(), 'gw-bench-journal-'));
try {
  const db = openDatabase(join(dir, 'bench.db'));
  const journal = Journal.open(db);

  const single = Math.min(2000, ENTRIES);
  const backToBack: number[] = [];
  let t = performance.now();
  for (let i = 0; i < single; i++) {
    const item = decisionPayload(i);
    const started = performance.now();
    journal.append('decision', item.at, item.payload as never);
    backToBack.push(performance.now() - started);
  }
  const singleMs = performance.now() - t;
  const spaced: number[] = [];
  for (let i = 0; i < Math.min(SPACED, ENTRIES - single); i++) {
    await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    const item = decisionPayload(single + i);
    const started = performance.now();
    journal.append('decision', item.at, item.payload as never);
    spaced.push(performance.now() - started);
  }

  t = performance.now();
  for (let i = single + spaced.length; i < ENTRIES; i += 100) {
    const batch: AppendItem[] = [];
    for (let k = i; k < Math.min(i + 100, ENTRIES); k++) batch.push(decisionPayload(k));
    journal.appendMany(batch);
  }
  const batchMs = performance.now() - t;

  t = performance.now();
  const verified = verifyJournal(db);
  const verifyMs = performance.now() - t;

  const policy: Policy = defaultPolicy('closed');
  const key = Buffer.alloc(32, 1);
  const open = () =>
    new Checkpoint({
      journal,
      layout: {
        gates: [
          {
            id: 'north',
            primary: true,
            lanes: [
              { id: 'ped-in', kind: 'pedestrian', direction: 'in' },
              { id: 'ped-out', kind: 'pedestrian', direction: 'out' },
            ],
          },
        ],
      },
      registry: () => new RegistrySnapshot({}),
      policy: () => policy,
      initialMode: 'closed',
      timezone: 'Asia/Shanghai',
      returnWithinMs: 4 * 3600_000,
      now: () => T0 + ENTRIES * 1000,
      snapshots: { db, key },
    });
  const checkpoint = open();
  t = performance.now();
  const { replayed } = checkpoint.start();
  const replayMs = performance.now() - t;

  // A start from a snapshot taken at the last entry: the state of PERSONS persons and their
  // households read back and checked, nothing replayed.
  t = performance.now();
  checkpoint.saveSnapshot(true);
  const snapshotSaveMs = performance.now() - t;
  const snapshotBytes = (
    db.prepare('SELECT length(state) AS n FROM checkpoint_snapshot').get() as { n: number }
  ).n;
  t = performance.now();
  const restarted = open().start();
  const snapshotStartMs = performance.now() - t;
  db.close();

  console.log(
    JSON.stringify(
      {
        machine: `${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
        disk: `temporary folder ${tmpdir()} (SQLite WAL, synchronous=FULL)`,
        entries: ENTRIES,
        durableAppendsPerSecond: rate(single, singleMs),
        durableAppendMeanMs: +(singleMs / single).toFixed(3),
        durableAppendBackToBackMs: distribution(backToBack, 2),
        [`durableAppend${GAP_MS}MsApartMs`]: distribution(spaced, 2),
        batchedAppendsPerSecond: rate(ENTRIES - single - spaced.length, batchMs),
        verifyEntriesPerSecond: rate(verified.checked, verifyMs),
        verifyOk: verified.ok,
        replayEntriesPerSecond: rate(replayed, replayMs),
        snapshotSaveMs: +snapshotSaveMs.toFixed(1),
        snapshotBytes,
        snapshotStartMs: +snapshotStartMs.toFixed(1),
        snapshotStartReplayed: restarted.replayed,
      },
      null,
      2,
    ),
  );
  const bench = 'journal';
  const note = `${ENTRIES.toLocaleString('en-US')} decision entries, SQLite WAL, synchronous=FULL`;
  reportFigure({ bench, figure: 'durable appends/s (one fsync each)', value: rate(single, singleMs), note });
  reportFigure({ bench, figure: 'durable append, mean', value: +(singleMs / single).toFixed(3), unit: 'ms' });
  const apart = distribution(spaced, 2);
  reportFigure({
    bench,
    figure: `durable append ${GAP_MS} ms after the last, p99`,
    value: apart.p99,
    unit: 'ms',
    note: `${spaced.length} appends ${GAP_MS} ms apart, as a gate makes them: p50 ${apart.p50} ms; back to back p50 ${distribution(backToBack, 2).p50} / p99 ${distribution(backToBack, 2).p99} ms`,
  });
  reportFigure({
    bench,
    figure: 'batched appends/s (100 a transaction)',
    value: rate(ENTRIES - single - spaced.length, batchMs),
  });
  reportFigure({ bench, figure: 'verifyJournal, entries/s', value: rate(verified.checked, verifyMs) });
  reportFigure({ bench, figure: 'replay at start, entries/s', value: rate(replayed, replayMs) });
  reportFigure({
    bench,
    figure: 'start from a checkpoint snapshot at the last entry, ms',
    value: +snapshotStartMs.toFixed(1),
    note: `state of ${PERSONS.toLocaleString('en-US')} persons and ${HOUSEHOLDS.toLocaleString('en-US')} households, ${(snapshotBytes / 1e6).toFixed(1)} MB of JSON; saving it took ${snapshotSaveMs.toFixed(0)} ms`,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
