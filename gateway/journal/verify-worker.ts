/**
 * The whole journal verified off the event loop (a worker thread with its own read-only
 * connection, one read transaction): what a start that verified only the rows after its
 * mark (verified-mark.ts) runs once it decides, so that an old row edited in place is still
 * found and alarmed at every start, without the gate waiting for it.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type VerifyResult, verifyJournal } from './verify.js';

interface VerifyWorkerData {
  role: 'journal-verify';
  databasePath: string;
}

/** Verifies the journal of the database at `databasePath` in a worker thread. */
export function verifyInBackground(databasePath: string): Promise<VerifyResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { role: 'journal-verify', databasePath } satisfies VerifyWorkerData,
    });
    // A gateway stopping does not wait for a long verification: it runs again at the next start.
    worker.unref();
    worker.once('message', (result: VerifyResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the verification worker exited with code ${code}`));
    });
  });
}

const data = isMainThread ? undefined : (workerData as Partial<VerifyWorkerData> | undefined);
if (data?.role === 'journal-verify' && data.databasePath !== undefined && parentPort !== null) {
  const { databasePath } = data;
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    parentPort.postMessage(verifyJournal(db));
  } finally {
    db.close();
  }
}
