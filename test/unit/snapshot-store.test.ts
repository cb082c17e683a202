import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../gateway/checkpoint/checkpoint.js';
import { foldFingerprint, SnapshotStore } from '../../gateway/checkpoint/snapshot-store.js';
import { type Db, openDatabase } from '../../gateway/db.js';
import type { Policy } from '../../gateway/rules/types.js';
import { NOW, policy } from '../helpers/world.js';
import { worldCheckpoint } from '../helpers/world-checkpoint.js';

const KEY = Buffer.alloc(32, 1);

describe('checkpoint snapshots at start', () => {
  let dir: string;
  let db: Db;
  let clock: number;

  const open = (options: { key?: Buffer; policy?: (mode: 'open' | 'closed' | 'lockdown') => Policy } = {}) =>
    worldCheckpoint(db, () => clock, {
      policy: options.policy ?? policy,
      snapshots: { db, key: options.key ?? KEY },
    });
  /** A reading and a resident out (#1, #2: a household exit, the quota's state), a snapshot, `more` readings. */
  const history = (more: number) => {
    const cp = open();
    cp.start();
    cp.reading('ped-out', { at: clock - 1000, celsius: 36.5, mask: true }, 'test');
    expect(
      cp.present({ laneId: 'ped-out', credential: { kind: 'card', value: 'c-res1' } }).decision.allow,
    ).toBe(true);
    expect(cp.saveSnapshot(true)).toBe(true);
    for (let i = 0; i < more; i++) {
      clock += 60_000;
      cp.reading('ped-out', { at: clock, celsius: 36.6, mask: true }, 'test');
    }
    return cp;
  };
  const quotaDenied = (cp: Checkpoint) => {
    cp.reading('ped-out', { at: clock - 1000, celsius: 36.5, mask: true }, 'test');
    const d = cp.present({ laneId: 'ped-out', credential: { kind: 'card', value: 'c-res2' } }).decision;
    return d.reasons.some((r) => r.code === 'HOUSEHOLD_QUOTA_EXCEEDED');
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-snapshot-'));
    db = openDatabase(join(dir, 'gatewarden.db'));
    clock = NOW;
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays only the entries after the snapshot, and keeps what the snapshot held', () => {
    history(3);
    const cp = open();
    const started = cp.start();
    expect(started).toEqual({ replayed: 3, fromSnapshot: 2 });
    expect(quotaDenied(cp)).toBe(true);
  });

  it('is not saved again before SNAPSHOT_EVERY entries, unless forced; never with nothing new', () => {
    const cp = history(2);
    expect(cp.saveSnapshot()).toBe(false);
    expect(cp.saveSnapshot(true)).toBe(true);
    expect(cp.saveSnapshot(true)).toBe(false);
  });

  it('is ignored, and the whole journal replayed, when its state was edited', () => {
    history(1);
    db.prepare(
      'UPDATE checkpoint_snapshot SET state = replace(state, \'"householdExits":[[\', \'"householdExits":[["x\') WHERE id = 1',
    ).run();
    const cp = open();
    const started = cp.start();
    expect(started.fromSnapshot).toBeUndefined();
    expect(started.snapshotIgnored).toMatch(/MAC/);
    expect(started.replayed).toBe(3);
    expect(quotaDenied(cp)).toBe(true);
  });

  it('is ignored when made with another key', () => {
    history(1);
    const started = open({ key: Buffer.alloc(32, 2) }).start();
    expect(started.snapshotIgnored).toMatch(/MAC/);
    expect(started.replayed).toBe(3);
  });

  it('is ignored when the settings the fold depends on changed', () => {
    history(1);
    const wider = (mode: 'open' | 'closed' | 'lockdown') => ({ ...policy(mode), escortWindowMs: 90_000 });
    const started = open({ policy: wider }).start();
    expect(started.snapshotIgnored).toMatch(/settings/);
    expect(started.replayed).toBe(3);
  });

  it('is ignored when the journal entry it was taken at is not the same any more', () => {
    history(0);
    db.prepare("UPDATE journal SET hash = 'f00d' WHERE seq = 2").run();
    expect(open().start().snapshotIgnored).toMatch(/#2/);
  });

  it('keeps its MAC over the fold fingerprint, which names every setting in a fixed order', () => {
    expect(foldFingerprint({ b: 2, a: 1 })).toBe(foldFingerprint({ a: 1, b: 2 }));
    expect(foldFingerprint({ a: 1 })).not.toBe(foldFingerprint({ a: 2 }));
    const store = new SnapshotStore(db, KEY, foldFingerprint({ a: 1 }));
    expect(store.load()).toEqual({ none: true });
  });
});

describe('when a due snapshot is saved', () => {
  it('waits for quiet in the journal, but not past five times its interval', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-snapshot-quiet-'));
    const db = openDatabase(join(dir, 'gatewarden.db'));
    try {
      let clock = NOW;
      const cp = worldCheckpoint(db, () => clock, { snapshots: { db, key: KEY, every: 2, quietMs: 2000 } });
      cp.start();
      const reading = () => cp.reading('ped-out', { at: clock, celsius: 36.6, mask: true }, 'test');
      reading();
      reading();
      expect(cp.saveSnapshot()).toBe(false); // due, but the journal was written just now
      clock += 1999;
      expect(cp.saveSnapshot()).toBe(false);
      clock += 1;
      expect(cp.saveSnapshot()).toBe(true);
      for (let i = 0; i < 9; i++) reading();
      expect(cp.saveSnapshot()).toBe(false); // 9 due, below five times 2
      reading();
      expect(cp.saveSnapshot()).toBe(true); // 10 due: saved however busy
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
