import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { openDatabase } from '../../gateway/db.js';
import { canonicalJson } from '../../gateway/journal/canonical.js';
import type { JournalEventMap } from '../../gateway/journal/events.js';
import { type AppendItem, Journal } from '../../gateway/journal/journal.js';
import { verifyJournal } from '../../gateway/journal/verify.js';

// In-memory databases: these properties are about ordering and hashing, not durability (the
// file-backed unit tests and the crash test cover that), and a run appends hundreds of entries.

const text = fc.string({ unit: 'binary', maxLength: 12 });
const scalar = fc.oneof(
  text,
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const operatorItem = fc.record({
  at: fc.nat({ max: 4_102_444_800_000 }),
  action: text,
  operator: text,
  shift: fc.constantFrom('day', 'evening', 'night'),
  // Nested JSON exercises canonical ordering at depth; the journal does not check payload shapes.
  detail: fc.oneof(fc.dictionary(text, scalar), fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<never>),
});

const items = fc.array(
  operatorItem.map(
    ({ at, ...payload }): AppendItem => ({
      type: 'operator',
      at,
      payload: payload as JournalEventMap['operator'],
    }),
  ),
  { minLength: 1, maxLength: 15 },
);

function journalWith(entries: readonly AppendItem[], batched: boolean) {
  const db = openDatabase(':memory:');
  const journal = Journal.open(db, { pageSize: 4 });
  if (batched) journal.appendMany(entries);
  else for (const e of entries) journal.append(e.type, e.at, e.payload);
  return { db, journal };
}

describe('journal properties', () => {
  test.prop([items, fc.boolean()])(
    'verify is ok and read returns what was appended, in order',
    (entries, batched) => {
      const { db, journal } = journalWith(entries, batched);
      try {
        expect(verifyJournal(db, { pageSize: 3 })).toMatchObject({ ok: true, checked: entries.length });
        const read = [...journal.iterate(0)];
        expect(read.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
        expect(read.map((e) => [e.type, e.at, canonicalJson(e.payload)])).toEqual(
          entries.map((e) => [e.type, e.at, canonicalJson(e.payload)]),
        );
      } finally {
        db.close();
      }
    },
  );

  test.prop([items, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 })])(
    'any single-byte change to any stored payload is caught',
    (entries, entryPick, bytePick, delta) => {
      const { db } = journalWith(entries, false);
      try {
        const seq = (entryPick % entries.length) + 1;
        const row = db
          .prepare('SELECT CAST(payload AS BLOB) AS bytes FROM journal WHERE seq = ?')
          .get(seq) as {
          bytes: Buffer;
        };
        const bytes = Buffer.from(row.bytes);
        const i = bytePick % bytes.length;
        bytes[i] = ((bytes[i] ?? 0) + delta) % 256; // always a different byte
        db.prepare('UPDATE journal SET payload = CAST(? AS TEXT) WHERE seq = ?').run(bytes, seq);
        const result = verifyJournal(db);
        expect(result.ok).toBe(false);
        expect(result.problems).toContainEqual(expect.objectContaining({ seq, kind: 'hash_mismatch' }));
      } finally {
        db.close();
      }
    },
  );
});
