import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../gateway/checkpoint/checkpoint.js';
import { type Db, openDatabase } from '../../gateway/db.js';
import { Journal } from '../../gateway/journal/journal.js';
import { verifyJournal } from '../../gateway/journal/verify.js';
import type { Decision } from '../../gateway/rules/types.js';
import { NOW } from '../helpers/world.js';
import { worldCheckpoint } from '../helpers/world-checkpoint.js';

const denies = (d: Decision) => d.reasons.filter((r) => r.effect === 'deny').map((r) => r.code);

/**
 * A checkpoint over a real SQLite file, reopened from scratch to model a restart: a new
 * process with nothing in memory but what it reads back from the journal.
 */
describe('checkpoint state survives a restart', () => {
  let dir: string;
  let db: Db;
  let clock: number;

  const open = () => {
    db = openDatabase(join(dir, 'gatewarden.db'));
    const checkpoint = worldCheckpoint(db, () => clock);
    checkpoint.start();
    return checkpoint;
  };
  const restart = () => {
    db.close();
    return open();
  };
  const measure = (cp: Checkpoint, laneId: string) =>
    cp.reading(laneId, { at: clock - 1000, celsius: 36.5, mask: true }, 'test');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-checkpoint-'));
    clock = NOW;
  });
  afterEach(() => {
    if (db?.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('remembers the household exit quota', () => {
    let cp = open();
    measure(cp, 'ped-out');
    expect(
      cp.present({ laneId: 'ped-out', credential: { kind: 'card', value: 'C-RES1' } }).decision.allow,
    ).toBe(true);
    clock += 3600_000;
    cp = restart();
    measure(cp, 'ped-out');
    const again = cp.present({ laneId: 'ped-out', credential: { kind: 'card', value: 'c-res1' } }).decision;
    expect(denies(again)).toEqual(['HOUSEHOLD_QUOTA_EXCEEDED']);
  });

  it('does not let a card that entered pass back in', () => {
    let cp = open();
    measure(cp, 'ped-in');
    expect(
      cp.present({ laneId: 'ped-in', credential: { kind: 'card', value: 'C-RES3' } }).decision.allow,
    ).toBe(true);
    clock += 60_000;
    cp = restart();
    measure(cp, 'ped-in');
    expect(
      denies(cp.present({ laneId: 'ped-in', credential: { kind: 'card', value: 'C-RES3' } }).decision),
    ).toEqual(['ANTI_PASSBACK']);
  });

  it('keeps the escort window across a restart', () => {
    let cp = open();
    measure(cp, 'ped-in');
    cp.present({ laneId: 'ped-in', credential: { kind: 'card', value: 'C-RES1' } });
    clock += 5000;
    cp = restart();
    measure(cp, 'ped-in');
    const visitor = cp.present({
      laneId: 'ped-in',
      credential: { kind: 'idcard', value: 'hash-vis1', idNumberValid: true },
    });
    expect(visitor.decision.allow).toBe(true);
    expect(visitor.decision.reasons[0]).toEqual({ effect: 'grant', code: 'VISITOR_ESCORTED' });
  });

  it('keeps the site mode and raises an overdue return once', () => {
    let cp = open();
    cp.setMode('lockdown', 'op1', 'confirmed case');
    cp = restart();
    expect(cp.mode).toBe('lockdown');
    cp.setMode('closed', 'op1', 'lifted');
    measure(cp, 'ped-out');
    cp.present({ laneId: 'ped-out', credential: { kind: 'card', value: 'C-RES1' } });
    clock += 5 * 3600_000;
    expect(cp.tick().map((a) => a.payload.subjectId)).toEqual(['res1']);
    cp = restart();
    expect(cp.tick()).toEqual([]);
    expect(cp.outsideNow().map((o) => o.personId)).toEqual(['res1']);
  });

  it('uses one reading for one person only', () => {
    const cp = open();
    measure(cp, 'ped-in');
    expect(
      cp.present({ laneId: 'ped-in', credential: { kind: 'card', value: 'C-RES1' } }).decision.allow,
    ).toBe(true);
    const next = cp.present({ laneId: 'ped-in', credential: { kind: 'card', value: 'C-RES2' } }).decision;
    expect(denies(next)).toEqual(['TEMPERATURE_REQUIRED']);
  });

  it('refuses a replayed dynamic code after a restart', () => {
    let cp = open();
    const code = {
      kind: 'qr' as const,
      value: 'PASS-RES2',
      signature: 'valid' as const,
      codeId: 'PASS-RES2@42',
    };
    measure(cp, 'ped-out');
    expect(cp.present({ laneId: 'ped-out', credential: code, direction: 'out' }).decision.allow).toBe(false); // not designated
    measure(cp, 'ped-in');
    expect(cp.present({ laneId: 'ped-in', credential: code }).decision.allow).toBe(true);
    cp = restart();
    measure(cp, 'ped-in');
    expect(denies(cp.present({ laneId: 'ped-in', credential: code }).decision)).toContain('REPLAYED_CODE');
  });

  it('journals every decision before returning it, and the chain verifies', () => {
    const cp = open();
    for (let i = 0; i < 20; i++) {
      measure(cp, 'ped-in');
      const { entry } = cp.present({
        laneId: 'ped-in',
        credential: { kind: 'card', value: i % 2 ? 'C-RES1' : 'C-NOPE' },
      });
      expect(entry.seq).toBeGreaterThan(0);
    }
    expect(verifyJournal(db)).toMatchObject({ ok: true, checked: 40 });
    db.prepare("UPDATE journal SET payload = replace(payload, 'CNOPE', 'CRES2') WHERE seq = 2").run();
    const result = verifyJournal(db);
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatchObject({ seq: 2, kind: 'hash_mismatch' });
  });

  it('folds in entries another process appended', () => {
    const cp = open();
    const other = Journal.open(openDatabase(join(dir, 'gatewarden.db')));
    other.append('mode', clock, { from: 'closed', to: 'lockdown', operator: 'cli', reason: 'test' });
    expect(cp.mode).toBe('closed');
    expect(cp.catchUp()).toBe(1);
    expect(cp.mode).toBe('lockdown');
  });
});
