/**
 * The worker-thread batch source renders exactly what the inline one renders, from its own
 * connection to the same database file, and survives its worker dying. The worker runs from the
 * compiled dist/ (a worker thread cannot load the TypeScript sources; `npm test` builds first).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../gateway/db.js';
import type { JournalEventMap } from '../../gateway/journal/events.js';
import { Journal } from '../../gateway/journal/journal.js';
import { InlineBatchSource } from '../../gateway/telemetry/batches.js';
import { BULK_TYPES, PointMapper, PRIORITY_TYPES } from '../../gateway/telemetry/points.js';
import { cachedPseudonym } from '../../gateway/telemetry/pseudonym.js';

const DIST = join(import.meta.dirname, '../../dist/gateway/telemetry/batch-worker-source.js');
const { WorkerBatchSource } = (await import(
  DIST
)) as typeof import('../../gateway/telemetry/batch-worker-source.js');

const dir = mkdtempSync(join(tmpdir(), 'gw-batch-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = Buffer.alloc(32, 7);
const SITE = { siteId: 'demo', feverThresholdC: 37.3 };

function journalWithEntries(path: string) {
  const db = openDatabase(path);
  const journal = Journal.open(db);
  const at = Date.UTC(2026, 10, 28, 2);
  for (let i = 0; i < 300; i++) {
    if (i % 3 === 2) {
      journal.append('reading', at + i, {
        gateId: 'north',
        laneId: 'north-ped-in',
        reading: { at: at + i, celsius: 36 + (i % 30) / 10, mask: i % 2 === 0 },
        source: '体温 camera, "east"\\',
      });
      continue;
    }
    const decision: JournalEventMap['decision'] = {
      gateId: 'north',
      request: {
        at: at + i,
        laneId: 'north-ped-in',
        shift: 'day',
        credential: { kind: 'card', value: `C${i}` },
      },
      decision: {
        allow: i % 4 !== 0,
        reasons:
          i % 4 === 0
            ? [{ effect: 'deny', code: 'FEVER', detail: { celsius: 38.1 } }]
            : [{ effect: 'grant', code: 'RESIDENT' }],
        subject: { kind: 'person', id: `p-${i % 17}`, personKind: 'resident', householdId: 'h-1' },
        direction: 'in',
        actions: [],
      },
      latencyUs: 7.5,
    };
    journal.append('decision', at + i, decision);
  }
  return { db, journal };
}

describe('WorkerBatchSource', () => {
  it('renders the same batches as the inline source, from its own connection', async () => {
    const { db, journal } = journalWithEntries(join(dir, 'same.db'));
    const inline = new InlineBatchSource(
      db,
      journal,
      new PointMapper({ ...SITE, pseudonym: cachedPseudonym(KEY) }),
    );
    const worker = new WorkerBatchSource({ databasePath: db.name, ...SITE, pseudonymKey: KEY });
    try {
      for (const types of [PRIORITY_TYPES, BULK_TYPES]) {
        for (const [from, limit, horizon] of [
          [0, 50, 0],
          [37, 100, 120],
          [250, 500, 300],
          [300, 10, 0],
        ] as const) {
          const request = { types, from, limit, horizon };
          const fromWorker = await worker.prepare(request);
          expect(fromWorker).toEqual(await inline.prepare(request));
          if (from < 300) expect(fromWorker.lines.length).toBeGreaterThan(0);
        }
      }
    } finally {
      await worker.close();
      db.close();
    }
  });

  it('fails (does not hang) the requests of a worker that cannot open its database; a good one then works', async () => {
    const path = join(dir, 'later.db');
    // Under a regular file: the folder cannot be made, so the worker dies opening the database.
    writeFileSync(join(dir, 'a-file'), '');
    const worker = new WorkerBatchSource({
      databasePath: join(dir, 'a-file', 'x.db'),
      ...SITE,
      pseudonymKey: KEY,
    });
    await expect(worker.prepare({ types: PRIORITY_TYPES, from: 0, limit: 10, horizon: 0 })).rejects.toThrow();
    await worker.close();
    const { db } = journalWithEntries(path);
    const good = new WorkerBatchSource({ databasePath: path, ...SITE, pseudonymKey: KEY });
    try {
      const batch = await good.prepare({ types: PRIORITY_TYPES, from: 0, limit: 10, horizon: 0 });
      expect(batch.lines).toHaveLength(10);
      expect(batch.seqs).toEqual([1, 2, 4, 5, 7, 8, 10, 11, 13, 14]);
    } finally {
      await good.close();
      db.close();
    }
  });
});
