/**
 * Worker thread of WorkerBatchSource (batch-worker-source.ts): reads journal batches over a
 * connection of its own (WAL lets it read beside the gateway's writer) and renders them, so the
 * gateway's event loop never spends a batch's worth of CPU. It only reads.
 *
 * Messages in: `{ id, request: BatchRequest }`; out: `{ id, batch: PreparedBatch }` or `{ id, error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db.js';
import { Journal } from '../journal/journal.js';
import { type BatchRequest, prepareBatch } from './batches.js';
import { PointMapper } from './points.js';
import { cachedPseudonym } from './pseudonym.js';

export interface BatchWorkerData {
  databasePath: string;
  siteId: string;
  feverThresholdC: number;
  pseudonymKey: Uint8Array;
}

const data = workerData as BatchWorkerData;
const db = openDatabase(data.databasePath);
const journal = Journal.open(db);
const mapper = new PointMapper({
  siteId: data.siteId,
  feverThresholdC: data.feverThresholdC,
  pseudonym: cachedPseudonym(Buffer.from(data.pseudonymKey)),
});

parentPort?.on('message', (message: { id: number; request: BatchRequest }) => {
  try {
    parentPort?.postMessage({ id: message.id, batch: prepareBatch(db, journal, mapper, message.request) });
  } catch (err) {
    parentPort?.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) });
  }
});
