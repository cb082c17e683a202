/**
 * A crash or power cut during a journal outage (docs/journal.md "Disk full"): the entries held
 * in memory were flushed to the spill file (held-spill.ts) before anyone acted on them, so a
 * restart lands them once, in order, whether the disk has room again, the outage had in fact
 * ended just before the crash, or the disk is still full. The journal is a real one whose disk
 * can be made full (failing-journal.ts); the spill is a real file in a temporary directory.
 * Dropping a checkpoint without `landHeldBeforeStop` is the crash: nothing else in memory survives.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HeldEntries,
  type HeldEntriesPolicy,
  SPILL_RESERVE_BYTES,
} from '../../gateway/checkpoint/held-entries.js';
import { HeldSpill } from '../../gateway/checkpoint/held-spill.js';
import { encodeRecord, HEADER_BYTES } from '../../gateway/checkpoint/held-spill-codec.js';
import type { AnyJournalEntry, AppendItem } from '../../gateway/journal/journal.js';
import { verifyJournal } from '../../gateway/journal/verify.js';
import { NOW } from '../helpers/world.js';
import { closeFailingJournals, failingJournal } from './failing-journal.js';
import { codes, fullDiskSite } from './full-disk-site.js';

const S = 1000;
const dirs: string[] = [];
afterEach(() => {
  closeFailingJournals();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function spillFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-held-spill-'));
  dirs.push(dir);
  return join(dir, 'gatewarden.db.held');
}

/** The journal as `type` or a decision's first reason, oldest first. */
function story(entries: readonly AnyJournalEntry[]): string[] {
  return entries.map((e) =>
    e.type === 'decision'
      ? (codes(e.payload.decision)[0] ?? '')
      : e.type === 'alarm'
        ? e.payload.code
        : e.type,
  );
}

describe('a crash during a journal outage', () => {
  it('loses nothing: the held entries land at the next start, once, and the state agrees', () => {
    const site = fullDiskSite({ spillFile: spillFile() });
    expect(site.cp.started.spill).toMatchObject({ state: 'empty' });
    site.pass('main-out', 'C-R31');
    site.disk.full = true;
    expect(site.pass('main-in', 'C-R31').journal).toBe('held');
    expect(site.pass('main-out', 'C-R31').journal).toBe('held'); // exit 2 of 3
    expect(site.journal.lastSeq()).toBe(2);
    expect(site.cp.journalStatus()).toMatchObject({ held: 5, volatile: 0 });

    site.disk.full = false;
    const cp = site.restart();
    expect(cp.started.spill).toMatchObject({ state: 'landed', count: 5, firstSeq: 3, lastSeq: 7 });
    const all = site.journal.read(0, 100);
    expect(story(all)).toEqual([
      'reading',
      'RESIDENT',
      'JOURNAL_UNAVAILABLE',
      'reading',
      'RESIDENT',
      'reading',
      'RESIDENT',
    ]);
    expect(verifyJournal(site.db).ok).toBe(true);
    // The held exit counts once: one exit of three is left.
    expect(site.pass('main-in', 'C-R31').decision.allow).toBe(true);
    expect(site.pass('main-out', 'C-R31').decision.allow).toBe(true);
    expect(codes(site.pass('main-in', 'C-R31').decision)).toEqual(['RESIDENT']);
    expect(codes(site.pass('main-out', 'C-R31').decision)).toEqual(['HOUSEHOLD_QUOTA_EXCEEDED']);
    // And the spill was told: another start lands nothing.
    const before = site.journal.lastSeq();
    expect(site.restart().started.spill).toMatchObject({ state: 'empty' });
    expect(site.journal.lastSeq()).toBe(before);
  });

  it('the entries had landed just before the crash, the spill not yet told: not appended twice', () => {
    const file = spillFile();
    const site = fullDiskSite({ spillFile: file });
    site.disk.full = true;
    site.pass('main-in', 'C-R31');
    const untold = `${file}.copy`;
    copyFileSync(file, untold);
    site.disk.full = false;
    site.clock.now += 5 * S;
    site.cp.catchUp(); // the retry lands them and tells the spill
    expect(site.journal.lastSeq()).toBe(3);
    site.pass('main-out', 'C-R32'); // and life goes on before the crash
    // The crash came between the landing and the spill's header: as if it had never been told.
    copyFileSync(untold, file);
    const cp = site.restart();
    expect(cp.started.spill).toMatchObject({ state: 'already-landed', count: 3, firstSeq: 1, lastSeq: 3 });
    expect(site.journal.lastSeq()).toBe(5);
    expect(verifyJournal(site.db).ok).toBe(true);
    expect(codes(site.pass('main-in', 'C-R31').decision)).toContain('ANTI_PASSBACK');
  });

  it('restarted on a disk still full: held again, folded, bounded from when they were held, landed once', () => {
    const site = fullDiskSite({ spillFile: spillFile(), maxEntries: 8 });
    site.disk.full = true;
    site.pass('main-in', 'C-R31'); // alarm, reading, decision
    const heldAt = site.clock.now - 60 * S;

    let cp = site.restart();
    expect(cp.started.spill).toMatchObject({ state: 'held', count: 3, cause: 'SQLITE_FULL' });
    expect(cp.journalStatus()).toMatchObject({ held: 3, since: heldAt + 60 * S, refusing: false });
    // The held pass still counts: in again is anti-passback.
    expect(codes(site.pass('main-in', 'C-R31').decision)).toContain('ANTI_PASSBACK');
    expect(cp.journalStatus().held).toBe(5);

    cp = site.restart(); // a second crash, still full: all five kept
    expect(cp.started.spill).toMatchObject({ state: 'held', count: 5 });
    site.pass('main-out', 'C-R32');
    // Its reading is the 8th held: the bound. The pass is refused, and not recorded.
    expect(site.pass('main-in', 'C-R32')).toMatchObject({
      journal: 'unrecorded',
      decision: { allow: false },
    });
    expect(cp.journalStatus()).toMatchObject({ held: 8, refusing: true });

    site.disk.full = false;
    site.clock.now += 5 * S;
    cp.catchUp();
    expect(story(site.journal.read(0, 100))).toEqual([
      'JOURNAL_UNAVAILABLE',
      'reading',
      'RESIDENT',
      'reading',
      'ANTI_PASSBACK',
      'reading',
      'RESIDENT',
      'reading',
    ]);
    expect(verifyJournal(site.db).ok).toBe(true);
    expect(site.restart().started.spill).toMatchObject({ state: 'empty' });
    expect(site.journal.lastSeq()).toBe(8);
  });

  it('a stop with the spill loses nothing, and says so', () => {
    const site = fullDiskSite({ spillFile: spillFile() });
    site.disk.full = true;
    site.pass('main-in', 'C-R31');
    expect(site.cp.landHeldBeforeStop()).toMatchObject({ held: 3, lost: 0 });
  });

  it('no spill (it cannot be made): the gateway starts, holds in memory, and a stop counts them lost', () => {
    const site = fullDiskSite({ spillFile: join(spillFile(), 'no-such-dir', 'x.held') });
    expect(site.cp.started.spill).toMatchObject({
      state: 'unavailable',
      cause: expect.stringMatching(/ENOENT/),
    });
    site.disk.full = true;
    expect(site.pass('main-in', 'C-R31').journal).toBe('held');
    expect(site.cp.landHeldBeforeStop()).toMatchObject({ held: 3, lost: 3 });
  });
});

describe('held entries over a spill', () => {
  const device = (n: number): AppendItem => ({
    type: 'device',
    at: NOW + n,
    payload: { deviceId: `d${n}`, state: 'online' },
  });

  function held(capacity: number, policy: Partial<HeldEntriesPolicy> = {}) {
    const failing = failingJournal();
    const { spill } = HeldSpill.openFile(spillFile(), capacity);
    const entries = new HeldEntries({
      journal: failing.journal,
      policy: { maxEntries: 1000, maxAgeMs: 600 * S, retryMs: 5 * S, ...policy },
      now: () => NOW,
    });
    entries.useSpill(spill);
    const told: string[] = [];
    entries.onEvent((e) => told.push(e.kind === 'spill-failed' ? `spill-failed ${e.cause}` : e.kind));
    return { ...failing, spill, entries, told };
  }

  it('a spill near full sets the bound, and keeps its reserve for what is forced', () => {
    const size = (item: AppendItem) => encodeRecord(1, { item, heldAt: NOW }).length;
    const alarm = size({
      type: 'alarm',
      at: NOW,
      payload: { code: 'JOURNAL_UNAVAILABLE', severity: 'critical', detail: { cause: 'SQLITE_FULL' } },
    });
    // Room for the alarm and three entries before the reserve, less a byte.
    const { disk, entries, told } = held(
      HEADER_BYTES + alarm + 3 * size(device(1)) + SPILL_RESERVE_BYTES - 1,
    );
    disk.full = true;
    entries.write(device(1)); // the alarm and d1
    entries.write(device(2));
    expect(entries.refusing()).toBe(false);
    entries.write(device(3)); // one byte into the reserve
    expect(entries.refusing()).toBe(true);
    expect(() => entries.write(device(4))).toThrow(expect.objectContaining({ code: 'JOURNAL_UNAVAILABLE' }));
    expect(entries.write(device(5), true).held).toBe(true);
    expect(entries.beforeStop()).toMatchObject({ held: 5, lost: 0 });
    expect(told).toEqual(['unavailable', 'refusing']);
  });

  it('a spill that fails is told once; what is held after it is in memory only', () => {
    const { disk, spill, entries, told } = held(256 * 1024);
    disk.full = true;
    entries.write(device(1));
    spill.release(); // the file is gone from under it: every write now fails
    entries.write(device(2));
    entries.write(device(3));
    expect(told).toEqual(['unavailable', expect.stringMatching(/^spill-failed .*closed/)]);
    expect(entries.status()).toMatchObject({ held: 4, volatile: 2 });
    expect(entries.beforeStop()).toMatchObject({ held: 4, lost: 2 });
  });
});
