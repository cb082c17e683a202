import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import { entryCanonical } from '../../gateway/journal/canonical.js';
import { chainHash, Journal } from '../../gateway/journal/journal.js';
import { type JournalProblemKind, verifyJournal } from '../../gateway/journal/verify.js';

const T0 = Date.UTC(2024, 4, 1);

describe('verifyJournal', () => {
  let dir: string;
  let db: Db;
  let journal: Journal;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatewarden-verify-'));
    db = openDatabase(join(dir, 'gateway.db'));
    journal = Journal.open(db);
    for (let i = 1; i <= 6; i++) {
      journal.append('operator', T0 + i, {
        action: 'visitor.register',
        operator: 'op-1',
        shift: 'day',
        detail: { i },
      });
    }
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function problems(): [number, JournalProblemKind][] {
    const result = verifyJournal(db, { pageSize: 4 });
    expect(result.ok).toBe(result.problems.length === 0);
    return result.problems.map((p) => [p.seq, p.kind]);
  }

  it('accepts an intact journal, and an empty or missing one', () => {
    expect(verifyJournal(db, { pageSize: 4 })).toMatchObject({
      ok: true,
      checked: 6,
      lastSeq: 6,
      problems: [],
    });
    const empty = openDatabase(':memory:');
    expect(verifyJournal(empty)).toMatchObject({ ok: true, checked: 0, lastSeq: 0, problems: [] });
    Journal.open(empty);
    expect(verifyJournal(empty).ok).toBe(true);
  });

  it('catches an edited payload', () => {
    db.prepare(`UPDATE journal SET payload = replace(payload, 'op-1', 'op-2') WHERE seq = 3`).run();
    expect(problems()).toEqual([[3, 'hash_mismatch']]);
  });

  it('catches an edited time or type', () => {
    db.prepare('UPDATE journal SET at = at + 1 WHERE seq = 2').run();
    db.prepare(`UPDATE journal SET type = 'device' WHERE seq = 5`).run();
    expect(problems()).toEqual([
      [2, 'hash_mismatch'],
      [5, 'hash_mismatch'],
    ]);
  });

  it('catches a deleted row in the middle', () => {
    db.prepare('DELETE FROM journal WHERE seq = 4').run();
    expect(problems()).toEqual([
      [5, 'gap'],
      [5, 'broken_link'],
    ]);
  });

  it('catches a deleted first row', () => {
    db.prepare('DELETE FROM journal WHERE seq = 1').run();
    expect(problems()).toEqual([
      [2, 'gap'],
      [2, 'broken_link'],
    ]);
  });

  it('catches deleted newest rows through the head', () => {
    db.prepare('DELETE FROM journal WHERE seq >= 5').run();
    const result = verifyJournal(db);
    expect(result.problems.map((p) => [p.seq, p.kind])).toEqual([[6, 'head_mismatch']]);
    expect(result.lastSeq).toBe(4);
  });

  it('catches a missing head', () => {
    db.prepare('DELETE FROM journal_head').run();
    expect(problems()).toEqual([[6, 'head_mismatch']]);
  });

  it('catches a renumbered row', () => {
    db.prepare('UPDATE journal SET seq = 100 WHERE seq = 3').run();
    expect(problems()).toEqual([
      [4, 'gap'],
      [4, 'broken_link'],
      [100, 'gap'],
      [100, 'broken_link'],
      [100, 'hash_mismatch'],
      [6, 'head_mismatch'],
    ]);
  });

  it('catches two rows swapped', () => {
    db.transaction(() => {
      db.prepare('UPDATE journal SET seq = -1 WHERE seq = 2').run();
      db.prepare('UPDATE journal SET seq = 2 WHERE seq = 3').run();
      db.prepare('UPDATE journal SET seq = 3 WHERE seq = -1').run();
    })();
    const kinds = problems();
    expect(kinds).toContainEqual([2, 'hash_mismatch']);
    expect(kinds).toContainEqual([3, 'hash_mismatch']);
    expect(kinds).toContainEqual([2, 'broken_link']);
  });

  it('catches a rehashed edit through the next row’s link', () => {
    // A forger who edits a row and recomputes its hash still breaks the link to the next row.
    const row = db.prepare('SELECT at, type, payload, prev_hash FROM journal WHERE seq = 3').get() as {
      at: number;
      type: string;
      payload: string;
      prev_hash: string;
    };
    const forged = row.payload.replace('op-1', 'op-2');
    const hash = chainHash(row.prev_hash, entryCanonical(3, row.at, row.type, forged));
    db.prepare('UPDATE journal SET payload = ?, hash = ? WHERE seq = 3').run(forged, hash);
    expect(problems()).toEqual([[4, 'broken_link']]);
  });

  it('catches a payload that is no longer valid UTF-8', () => {
    db.prepare(`UPDATE journal SET payload = CAST(X'7B22FF227D' AS TEXT) WHERE seq = 2`).run();
    const result = verifyJournal(db);
    expect(result.problems).toEqual([
      { seq: 2, kind: 'hash_mismatch', message: expect.stringMatching(/UTF-8/) },
    ]);
  });

  it('caps the problems it collects but checks every row', () => {
    db.prepare(`UPDATE journal SET payload = replace(payload, 'op-1', 'op-9')`).run();
    const result = verifyJournal(db, { maxProblems: 2 });
    expect(result).toMatchObject({ ok: false, checked: 6 });
    expect(result.problems).toHaveLength(2);
  });
});
