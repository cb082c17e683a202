import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import { entryCanonical, payloadDigest } from '../../gateway/journal/canonical.js';
import type { JournalEventMap } from '../../gateway/journal/events.js';
import { chainHash, GENESIS_HASH, Journal } from '../../gateway/journal/journal.js';
import { deliveredThrough, runRetention } from '../../gateway/journal/retention.js';
import { verifyJournal } from '../../gateway/journal/verify.js';
import { createRegistryTables } from '../../gateway/registry/store-schema.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 29);

function reading(at: number, celsius = 36.5): JournalEventMap['reading'] {
  return { gateId: 'north', laneId: 'north-in', reading: { at, celsius, mask: true }, source: 'cam-1' };
}

const operator: JournalEventMap['operator'] = {
  action: 'mode.switch',
  operator: 'op',
  shift: 'day',
  detail: {},
};

function problemKinds(db: Db): [number, string][] {
  return verifyJournal(db).problems.map((p) => [p.seq, p.kind]);
}

/** A reading chained the way every entry was before chain format 2 (a journal from an older release). */
function appendFormat1Reading(db: Db, at: number): number {
  const head = db.prepare('SELECT seq, hash FROM journal_head WHERE id = 1').get() as
    | { seq: number; hash: string }
    | undefined;
  const seq = (head?.seq ?? 0) + 1;
  const prev = head?.hash ?? GENESIS_HASH;
  const payloadJson = canonicalReading(at);
  const hash = chainHash(prev, entryCanonical(seq, at, 'reading', payloadJson));
  db.prepare('INSERT INTO journal (seq, at, type, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)').run(
    seq,
    at,
    'reading',
    payloadJson,
    prev,
    hash,
  );
  db.prepare(
    'INSERT INTO journal_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash',
  ).run(seq, hash);
  return seq;
}

function canonicalReading(at: number): string {
  return `{"gateId":"north","laneId":"north-in","reading":{"at":${at},"celsius":36.5,"mask":true},"source":"cam-1"}`;
}

describe('journal retention', () => {
  let dir: string;
  let db: Db;
  let journal: Journal;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatewarden-retention-'));
    db = openDatabase(join(dir, 'gateway.db'));
    journal = Journal.open(db);
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('purges readings older than the period, keeps younger ones, and the chain still verifies', () => {
    journal.setTelemetryRenderer((e) => `derived ${e.seq}`);
    const old = journal.append('reading', NOW - 40 * DAY, reading(NOW - 40 * DAY, 38.2));
    const op = journal.append('operator', NOW - 40 * DAY, operator);
    const young = journal.append('reading', NOW - 2 * DAY, reading(NOW - 2 * DAY));

    const result = runRetention({ db, journal, periods: { readingsMs: 30 * DAY }, now: NOW });

    expect(result.readings).toEqual({ olderThan: NOW - 30 * DAY, purged: 1, keptUndelivered: 0 });
    expect(journal.get(old.seq)).toMatchObject({
      type: 'purged',
      at: old.at,
      payload: {
        type: 'reading',
        digest: payloadDigest(canonicalReading(NOW - 40 * DAY).replace('36.5', '38.2')),
      },
    });
    expect(JSON.stringify(journal.get(old.seq))).not.toContain('38.2');
    const telemetry = db.prepare('SELECT telemetry FROM journal WHERE seq = ?').pluck();
    expect([telemetry.get(old.seq), telemetry.get(young.seq)]).toEqual([null, `derived ${young.seq}`]);
    expect(journal.get(op.seq)?.type).toBe('operator');
    expect(journal.get(young.seq)?.type).toBe('reading');
    const entry = journal.get(result.seqs[0] as number);
    expect(entry).toMatchObject({ type: 'retention', payload: { readings: { purged: 1 } } });
    const verified = verifyJournal(db);
    expect(verified).toMatchObject({ ok: true, purged: 1, purgedUnchecked: 0 });
  });

  it('never purges what a sink has not delivered, nor anything before a required sink has a cursor', () => {
    const seqs = [1, 2, 3, 4].map(
      (i) => journal.append('reading', NOW - 50 * DAY + i, reading(NOW - 50 * DAY)).seq,
    );
    const required = runRetention({
      db,
      journal,
      periods: { readingsMs: 30 * DAY },
      now: NOW,
      requiredCursors: ['upstream'],
    });
    expect(required.readings).toMatchObject({ purged: 0, keptUndelivered: 4 });

    journal.cursor('influx').commit(seqs[1] as number);
    expect(deliveredThrough(db, journal, [])).toBe(seqs[1]);
    const result = runRetention({ db, journal, periods: { readingsMs: 30 * DAY }, now: NOW });
    expect(result.readings).toMatchObject({ purged: 2, keptUndelivered: 2 });
    expect(seqs.map((seq) => journal.get(seq)?.type)).toEqual(['purged', 'purged', 'reading', 'reading']);
    expect(verifyJournal(db).ok).toBe(true);
  });

  it('purges in batches, each with its own retention entry, and does nothing without a period', () => {
    for (let i = 0; i < 5; i++) journal.append('reading', NOW - 40 * DAY, reading(NOW - 40 * DAY));
    expect(runRetention({ db, journal, periods: {}, now: NOW }).seqs).toEqual([]);
    const result = runRetention({ db, journal, periods: { readingsMs: 30 * DAY }, now: NOW, batchSize: 2 });
    expect(result.readings?.purged).toBe(5);
    expect(result.seqs).toHaveLength(3);
    expect(verifyJournal(db)).toMatchObject({ ok: true, purged: 5 });
  });

  it('purges readings chained before the digest format: linked, counted as unchecked', () => {
    const v1 = appendFormat1Reading(db, NOW - 40 * DAY);
    journal.append('reading', NOW - 40 * DAY, reading(NOW - 40 * DAY));
    expect(verifyJournal(db).ok).toBe(true);
    const result = runRetention({ db, journal, periods: { readingsMs: 30 * DAY }, now: NOW });
    expect(result.readings?.purged).toBe(2);
    expect(journal.get(v1)?.payload).toEqual({ type: 'reading' });
    expect(verifyJournal(db)).toMatchObject({ ok: true, purged: 1, purgedUnchecked: 1 });
  });

  it('leaves a tampered reading for verify instead of purging it', () => {
    const r = journal.append('reading', NOW - 40 * DAY, reading(NOW - 40 * DAY));
    db.prepare(`UPDATE journal SET payload = replace(payload, '36.5', '36.1') WHERE seq = ?`).run(r.seq);
    const result = runRetention({ db, journal, periods: { readingsMs: 30 * DAY }, now: NOW });
    expect(result).toMatchObject({ skippedTampered: 1, readings: { purged: 0 } });
    expect(problemKinds(db)).toEqual([[r.seq, 'hash_mismatch']]);
  });

  it('reports payloads dropped outside retention, and an edited digest, as problems', () => {
    const old = journal.append('reading', NOW - 40 * DAY, reading(NOW - 40 * DAY));
    const young = journal.append('reading', NOW - DAY, reading(NOW - DAY));
    const op = journal.append('operator', NOW - 40 * DAY, operator);
    runRetention({ db, journal, periods: { readingsMs: 30 * DAY }, now: NOW });
    expect(problemKinds(db)).toEqual([]);

    // A forger drops a young reading's payload the way retention would: its time is past every cutoff.
    const youngDigest = payloadDigest(
      db.prepare('SELECT payload FROM journal WHERE seq = ?').pluck().get(young.seq) as string,
    );
    const mark = db.prepare("UPDATE journal SET type = 'purged', payload = ? WHERE seq = ?");
    mark.run(`{"digest":"${youngDigest}","type":"reading"}`, young.seq);
    // ... and an operator entry, a type retention never purges.
    mark.run('{"type":"operator"}', op.seq);
    // ... and edits the digest kept for the old one.
    db.prepare(
      `UPDATE journal SET payload = '{"digest":"${'0'.repeat(64)}","type":"reading"}' WHERE seq = ?`,
    ).run(old.seq);
    expect(problemKinds(db)).toEqual([
      [old.seq, 'hash_mismatch'],
      [young.seq, 'purge_unaccounted'],
      [op.seq, 'hash_mismatch'], // no digest, after the digest format began
      [op.seq, 'purge_unaccounted'],
    ]);
  });

  it('a purged reading without a later retention entry is unaccounted', () => {
    const old = journal.append('reading', NOW - 40 * DAY, reading(NOW - 40 * DAY));
    const digest = payloadDigest(
      db.prepare('SELECT payload FROM journal WHERE seq = ?').pluck().get(old.seq) as string,
    );
    db.prepare("UPDATE journal SET type = 'purged', payload = ? WHERE seq = ?").run(
      `{"digest":"${digest}","type":"reading"}`,
      old.seq,
    );
    expect(problemKinds(db)).toEqual([[old.seq, 'purge_unaccounted']]);
  });

  it('purges exactly the delivered readings before the cutoff, whatever the journal holds (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ reading: fc.boolean(), ageDays: fc.integer({ min: 0, max: 60 }) }), {
          maxLength: 40,
        }),
        fc.integer({ min: 0, max: 45 }),
        fc.nat(),
        (items, periodDays, cursorPick) => {
          db.exec('DELETE FROM journal; DELETE FROM journal_head; DELETE FROM journal_cursor;');
          const appended = items.map((item) =>
            item.reading
              ? journal.append('reading', NOW - item.ageDays * DAY, reading(NOW - item.ageDays * DAY))
              : journal.append('operator', NOW - item.ageDays * DAY, operator),
          );
          const cursor = appended.length === 0 ? 0 : cursorPick % (appended.length + 1);
          journal.cursor('influx').commit(cursor);
          runRetention({ db, journal, periods: { readingsMs: periodDays * DAY }, now: NOW, batchSize: 7 });
          const cutoff = NOW - periodDays * DAY;
          for (const e of appended) {
            const purged = e.type === 'reading' && e.at < cutoff && e.seq <= cursor;
            expect(journal.get(e.seq)?.type).toBe(purged ? 'purged' : e.type);
          }
          expect(verifyJournal(db).ok).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('visitor identity retention', () => {
  let db: Db;
  let journal: Journal;

  beforeEach(() => {
    db = openDatabase(':memory:');
    journal = Journal.open(db);
    createRegistryTables(db);
    const person = db.prepare(
      "INSERT INTO reg_persons (id, kind, name, id_hash, id_masked) VALUES (?, ?, '张三', ?, '1101**********001X')",
    );
    const registration = db.prepare(
      `INSERT INTO reg_visitor_registrations (id, person_id, purpose, valid_from, valid_until, travel)
       VALUES (?, ?, 'visit', ?, ?, '[{"region":"110101","at":1}]')`,
    );
    const idcard = db.prepare(
      "INSERT INTO reg_credentials (id, kind, value, holder_id) VALUES (?, 'idcard', ?, ?)",
    );
    person.run('v-old', 'visitor', 'a'.repeat(64));
    registration.run('r-old', 'v-old', NOW - 100 * DAY, NOW - 90 * DAY);
    idcard.run('c-old', 'a'.repeat(64), 'v-old');
    person.run('v-recent', 'visitor', 'b'.repeat(64));
    registration.run('r-recent-1', 'v-recent', NOW - 100 * DAY, NOW - 90 * DAY);
    registration.run('r-recent-2', 'v-recent', NOW - 10 * DAY, NOW - 5 * DAY);
    person.run('v-open', 'visitor', 'c'.repeat(64));
    registration.run('r-open', 'v-open', NOW - 100 * DAY, null);
    person.run('p-resident', 'resident', 'd'.repeat(64));
  });

  afterEach(() => db.close());

  it('clears the name, ID number hash and mask, travel and ID card of visitors past the period only', () => {
    const result = runRetention({ db, journal, periods: { visitorsMs: 30 * DAY }, now: NOW });
    expect(result.visitors).toEqual({ olderThan: NOW - 30 * DAY, purged: 1 });
    const people = db.prepare('SELECT id, name, id_hash, id_masked FROM reg_persons ORDER BY id').all();
    expect(people).toEqual([
      { id: 'p-resident', name: '张三', id_hash: 'd'.repeat(64), id_masked: '1101**********001X' },
      { id: 'v-old', name: null, id_hash: null, id_masked: null },
      { id: 'v-open', name: '张三', id_hash: 'c'.repeat(64), id_masked: '1101**********001X' },
      { id: 'v-recent', name: '张三', id_hash: 'b'.repeat(64), id_masked: '1101**********001X' },
    ]);
    expect(
      db.prepare("SELECT travel, purpose FROM reg_visitor_registrations WHERE id = 'r-old'").get(),
    ).toEqual({
      travel: '[]',
      purpose: null,
    });
    expect(db.prepare("SELECT count(*) FROM reg_credentials WHERE holder_id = 'v-old'").pluck().get()).toBe(
      0,
    );
    // The retention entry holds counts only: no name, no hash.
    const entry = JSON.stringify(journal.get(result.seqs[0] as number));
    expect(entry).not.toMatch(/张三|aaaa/);
    expect(runRetention({ db, journal, periods: { visitorsMs: 30 * DAY }, now: NOW }).visitors?.purged).toBe(
      0,
    );
  });
});
