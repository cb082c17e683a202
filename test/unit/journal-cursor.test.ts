import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import { GatewardenError } from '../../gateway/errors.js';
import { Journal } from '../../gateway/journal/journal.js';

const T0 = Date.UTC(2024, 4, 1);

describe('SinkCursor', () => {
  let dir: string;
  let path: string;
  let db: Db;
  let journal: Journal;
  let clock: number;

  function open(): void {
    db = openDatabase(path);
    journal = Journal.open(db, { now: () => clock });
  }

  function appendDevices(n: number): void {
    for (let i = 0; i < n; i++) journal.append('device', T0 + i, { deviceId: `d${i}`, state: 'online' });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatewarden-cursor-'));
    path = join(dir, 'gateway.db');
    clock = T0;
    open();
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts at 0 with everything pending, and is listed once asked for', () => {
    appendDevices(3);
    const cursor = journal.cursor('influx');
    expect(cursor.position).toBe(0);
    expect(cursor.lag()).toBe(3);
    expect(cursor.pending(10).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(cursor.pending(10).map((e) => e.seq)).toEqual([1, 2, 3]); // reading does not move it
    expect(journal.cursors()).toEqual([{ name: 'influx', position: 0, lag: 3, updatedAt: T0 }]);
  });

  it('commits monotonic progress and keeps it across a reopen', () => {
    appendDevices(5);
    const cursor = journal.cursor('mqtt');
    clock = T0 + 1000;
    cursor.commit(2);
    cursor.commit(2); // a retried commit is a no-op
    expect(cursor.position).toBe(2);
    expect(cursor.pending(2).map((e) => e.seq)).toEqual([3, 4]);
    db.close();
    open();
    const reopened = journal.cursor('mqtt');
    expect(reopened.position).toBe(2);
    expect(reopened.lag()).toBe(3);
    expect(journal.cursors()).toEqual([{ name: 'mqtt', position: 2, lag: 3, updatedAt: T0 + 1000 }]);
  });

  it('refuses to go backwards or past the last seq', () => {
    appendDevices(3);
    const cursor = journal.cursor('dashboard');
    cursor.commit(2);
    expect(() => cursor.commit(1)).toThrow(GatewardenError);
    expect(() => cursor.commit(4)).toThrow(/cannot commit seq 4/);
    expect(() => cursor.commit(2.5)).toThrow(GatewardenError);
    expect(cursor.position).toBe(2);
  });

  it('keeps each sink’s position separate', () => {
    appendDevices(4);
    journal.cursor('a').commit(4);
    journal.cursor('b').commit(1);
    expect(journal.cursors().map((c) => [c.name, c.position, c.lag])).toEqual([
      ['a', 4, 0],
      ['b', 1, 3],
    ]);
  });

  it('lets a type-filtering sink commit past entries of other types', () => {
    appendDevices(2);
    journal.append('operator', T0, { action: 'x', operator: 'op-1', shift: 'day', detail: {} });
    appendDevices(2);
    const cursor = journal.cursor('ops');
    const batch = cursor.pendingBatch(10, ['operator']);
    expect(batch.entries.map((e) => e.seq)).toEqual([3]);
    expect(batch.throughSeq).toBe(5);
    cursor.commit(batch.throughSeq);
    expect(cursor.lag()).toBe(0);
    expect(cursor.pendingBatch(10, ['operator'])).toEqual({ entries: [], throughSeq: 5 });
  });

  it('stops a full batch at its last entry', () => {
    appendDevices(5);
    const batch = journal.cursor('influx').pendingBatch(2);
    expect(batch.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(batch.throughSeq).toBe(2);
  });

  it('delivers at least once: an unacknowledged batch is read again after a crash', () => {
    appendDevices(4);
    const cursor = journal.cursor('influx');
    cursor.commit(cursor.pendingBatch(2).throughSeq); // acknowledged
    const unacknowledged = cursor.pendingBatch(2); // sent, then the process died before the ack
    db.close();
    open();
    expect(journal.cursor('influx').pendingBatch(2)).toEqual(unacknowledged);
  });

  it('refuses a name that would be awkward in logs and topics', () => {
    expect(() => journal.cursor('')).toThrow(GatewardenError);
    expect(() => journal.cursor('has space')).toThrow(/invalid sink cursor name/);
  });
});
