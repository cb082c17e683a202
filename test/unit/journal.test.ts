import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import { GatewardenError } from '../../gateway/errors.js';
import { canonicalJson, entryCanonical } from '../../gateway/journal/canonical.js';
import type { JournalEventMap } from '../../gateway/journal/events.js';
import { type AnyJournalEntry, chainHash, GENESIS_HASH, Journal } from '../../gateway/journal/journal.js';

const T0 = Date.UTC(2024, 4, 1, 0, 0, 0);

function operatorPayload(action: string, n = 0): JournalEventMap['operator'] {
  return { action, operator: 'op-1', shift: 'day', detail: { n } };
}

function devicePayload(state: 'online' | 'offline'): JournalEventMap['device'] {
  return { deviceId: 'reader-1', laneId: 'lane-a', state };
}

describe('Journal', () => {
  let dir: string;
  let path: string;
  let db: Db;
  let journal: Journal;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatewarden-journal-'));
    path = join(dir, 'gateway.db');
    db = openDatabase(path);
    journal = Journal.open(db);
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts empty', () => {
    expect(journal.lastSeq()).toBe(0);
    expect(journal.read(0, 10)).toEqual([]);
    expect(journal.tail(5)).toEqual([]);
    expect(journal.get(1)).toBeUndefined();
  });

  it('numbers entries from 1 without gaps and chains their hashes from genesis', () => {
    const a = journal.append('operator', T0, operatorPayload('registry.import'));
    const b = journal.append('device', T0 + 1, devicePayload('online'));
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.prevHash).toBe(a.hash);
    expect(a.hash).toBe(
      chainHash(GENESIS_HASH, canonicalJson({ seq: 1, at: T0, type: 'operator', payload: a.payload })),
    );
    expect(journal.lastSeq()).toBe(2);
  });

  it('knows the newest seq after appends here and after appends by another connection (a CLI)', () => {
    expect(journal.lastSeq()).toBe(0);
    journal.append('operator', T0, operatorPayload('a'));
    expect(journal.lastSeq()).toBe(1);
    const otherDb = openDatabase(path);
    try {
      const other = Journal.open(otherDb);
      other.append('operator', T0 + 1, operatorPayload('b'));
      other.append('operator', T0 + 2, operatorPayload('c'));
      expect(journal.lastSeq()).toBe(3);
      expect(journal.append('operator', T0 + 3, operatorPayload('d')).seq).toBe(4);
      expect(journal.lastSeq()).toBe(4);
      expect(other.lastSeq()).toBe(4);
    } finally {
      otherDb.close();
    }
  });

  it('returns committed entries that read back identically, after reopening too', () => {
    const appended = journal.append('operator', T0, operatorPayload('visitor.register', 7));
    db.close();
    db = openDatabase(path);
    journal = Journal.open(db);
    expect(journal.get(1)).toEqual(appended);
    expect(journal.append('device', T0, devicePayload('offline')).seq).toBe(2);
  });

  it('stores the canonical JSON of the payload (sorted keys, undefined members left out)', () => {
    journal.append('device', T0, { state: 'online', deviceId: 'd', laneId: undefined });
    const row = db.prepare('SELECT payload FROM journal WHERE seq = 1').get() as { payload: string };
    expect(row.payload).toBe('{"deviceId":"d","state":"online"}');
  });

  it('refuses a payload with a non-finite number or a bad time, and writes nothing', () => {
    const reading = { at: T0, celsius: Number.NaN, mask: null };
    expect(() => journal.append('reading', T0, { gateId: 'g', laneId: 'l', reading, source: 'cam' })).toThrow(
      GatewardenError,
    );
    expect(() => journal.append('device', 1.5, devicePayload('online'))).toThrow(/epoch milliseconds/);
    expect(journal.lastSeq()).toBe(0);
  });

  it('appends a batch in one transaction, all or none', () => {
    const entries = journal.appendMany([
      { type: 'device', at: T0, payload: devicePayload('online') },
      { type: 'operator', at: T0, payload: operatorPayload('override.open') },
    ]);
    expect(entries.map((e) => e.seq)).toEqual([1, 2]);
    const bad = { at: T0, celsius: Number.POSITIVE_INFINITY, mask: null };
    expect(() =>
      journal.appendMany([
        { type: 'device', at: T0, payload: devicePayload('offline') },
        { type: 'reading', at: T0, payload: { gateId: 'g', laneId: 'l', reading: bad, source: 'cam' } },
      ]),
    ).toThrow(GatewardenError);
    expect(journal.lastSeq()).toBe(2);
  });

  it('reads after a seq with a limit and a type filter, ascending', () => {
    for (let i = 0; i < 10; i++) {
      if (i % 2 === 0) journal.append('device', T0 + i, devicePayload('online'));
      else journal.append('operator', T0 + i, operatorPayload('x', i));
    }
    expect(journal.read(3, 4).map((e) => e.seq)).toEqual([4, 5, 6, 7]);
    const operators = journal.read(0, 100, ['operator']);
    expect(operators.map((e) => e.seq)).toEqual([2, 4, 6, 8, 10]);
    expect(operators.every((e) => e.type === 'operator' && e.payload.action === 'x')).toBe(true);
    expect(journal.read(0, 100, [])).toEqual([]);
    expect(() => journal.read(0, 0)).toThrow(/positive integer/);
  });

  it('returns the newest entries with tail, ascending', () => {
    for (let i = 0; i < 5; i++) journal.append('device', T0 + i, devicePayload('online'));
    expect(journal.tail(2).map((e) => e.seq)).toEqual([4, 5]);
    expect(journal.tail(50).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('iterates page by page and lets the consumer append meanwhile', () => {
    db.close();
    db = openDatabase(path);
    journal = Journal.open(db, { pageSize: 3 });
    for (let i = 0; i < 10; i++) journal.append('device', T0 + i, devicePayload('online'));
    const seen: number[] = [];
    for (const entry of journal.iterate(2)) {
      seen.push(entry.seq);
      if (entry.seq === 4) journal.append('operator', T0, operatorPayload('during-iteration'));
    }
    expect(seen).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // Appended while the last, short page is consumed: still yielded.
    const tail: number[] = [];
    for (const entry of journal.iterate(10)) {
      tail.push(entry.seq);
      if (entry.seq === 11) journal.append('device', T0, devicePayload('offline'));
    }
    expect(tail).toEqual([11, 12]);
    expect([...journal.iterate(0, ['operator'])].map((e) => e.seq)).toEqual([11]);
  });

  it('reads a window of event time [fromAt, toAt) ordered by time, across pages and ties', () => {
    db.close();
    db = openDatabase(path);
    journal = Journal.open(db, { pageSize: 2 });
    const times = [T0 + 50, T0 + 10, T0 + 10, T0 + 10, T0 + 99, T0 + 100, T0 + 5];
    for (const at of times) journal.append('device', at, devicePayload('online'));
    journal.append('operator', T0 + 20, operatorPayload('x'));
    const inWindow = journal.readRange({ fromAt: T0 + 10, toAt: T0 + 100 });
    expect(inWindow.map((e) => [e.at - T0, e.seq])).toEqual([
      [10, 2],
      [10, 3],
      [10, 4],
      [20, 8],
      [50, 1],
      [99, 5],
    ]);
    const operators = journal.readRange({ fromAt: T0, toAt: T0 + 1000, types: ['operator'] });
    expect(operators.map((e) => e.seq)).toEqual([8]);
  });

  it('uses the index on `at` for range reads', () => {
    const plan = db
      .prepare(
        'EXPLAIN QUERY PLAN SELECT seq FROM journal WHERE at >= ? AND (at, seq) > (?, ?) AND at < ? ORDER BY at, seq',
      )
      .all(0, 0, 0, 1) as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/journal_at/);
  });

  it('tells listeners about each committed entry, typed by the event map', () => {
    const seen: AnyJournalEntry[] = [];
    const off = journal.on('append', (entry) => {
      expect(journal.lastSeq()).toBeGreaterThanOrEqual(entry.seq); // committed before the listener runs
      seen.push(entry);
    });
    journal.append('device', T0, devicePayload('online'));
    journal.appendMany([
      { type: 'device', at: T0, payload: devicePayload('offline') },
      { type: 'operator', at: T0, payload: operatorPayload('x') },
    ]);
    off();
    journal.append('device', T0, devicePayload('online'));
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('keeps appending when a listener throws or rejects, and reports it', async () => {
    const errors: [unknown, number][] = [];
    db.close();
    db = openDatabase(path);
    journal = Journal.open(db, { onListenerError: (error, entry) => errors.push([error, entry.seq]) });
    const later = vi.fn();
    journal.on('append', () => {
      throw new Error('listener broke');
    });
    journal.on('append', async () => {
      throw new Error('async listener broke');
    });
    journal.on('append', later);
    const entry = journal.append('device', T0, devicePayload('online'));
    expect(entry.seq).toBe(1);
    expect(later).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(errors).toHaveLength(2));
    expect(errors.map(([e, seq]) => [(e as Error).message, seq])).toEqual([
      ['listener broke', 1],
      ['async listener broke', 1],
    ]);
  });

  it('removes all of an owner’s listeners', () => {
    const owner = {};
    const calls: string[] = [];
    journal.on('append', () => calls.push('a'), owner);
    journal.on('append', () => calls.push('b'), owner);
    journal.on('append', () => calls.push('other'));
    journal.removeListeners(owner);
    journal.append('device', T0, devicePayload('online'));
    expect(calls).toEqual(['other']);
  });

  it('refuses to append over a head that was rolled back behind the rows', () => {
    journal.append('device', T0, devicePayload('online'));
    journal.append('device', T0, devicePayload('online'));
    db.prepare('UPDATE journal_head SET seq = 1').run();
    expect(() => journal.append('device', T0, devicePayload('online'))).toThrow(/head is behind/);
  });

  it('hashes the same canonical text however the envelope is built', () => {
    const payload = { b: [1, { y: true, x: null }], a: 'ä' };
    expect(entryCanonical(3, T0, 'operator', canonicalJson(payload))).toBe(
      canonicalJson({ type: 'operator', payload, seq: 3, at: T0 }),
    );
  });
});
