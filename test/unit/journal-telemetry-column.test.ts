/**
 * The journal's `telemetry` column (journal.ts, "Derived text"): written with the entry when a
 * renderer is installed, NULL otherwise; added to a journal made before it; never part of the
 * hash chain. And the gateway's telemetry installs the sink's renderer while it runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import { type AppendItem, Journal } from '../../gateway/journal/journal.js';
import { verifyJournal } from '../../gateway/journal/verify.js';
import { PointMapper } from '../../gateway/telemetry/points.js';
import { telemetryRenderer } from '../../gateway/telemetry/prerender.js';
import { cachedPseudonym } from '../../gateway/telemetry/pseudonym.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-journal-telemetry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mapper = new PointMapper({
  siteId: 'demo',
  feverThresholdC: 37.3,
  pseudonym: cachedPseudonym(Buffer.alloc(32, 9)),
});
const AT = Date.UTC(2026, 10, 29, 8);

const ITEMS: AppendItem[] = [
  {
    type: 'reading',
    at: AT,
    payload: {
      gateId: 'north',
      laneId: 'north-ped-in',
      reading: { at: AT, celsius: 36.6, mask: true },
      source: 'cam-1',
    },
  },
  {
    type: 'decision',
    at: AT + 1,
    payload: {
      gateId: 'north',
      request: {
        at: AT + 1,
        laneId: 'north-ped-in',
        shift: 'day',
        credential: { kind: 'card', value: 'C0042' },
      },
      decision: {
        allow: true,
        reasons: [{ effect: 'grant', code: 'RESIDENT' }],
        subject: { kind: 'person', id: 'p-17', personKind: 'resident', householdId: 'h-3' },
        direction: 'in',
        actions: [],
      },
      latencyUs: 5,
    },
  },
  { type: 'mode', at: AT + 2, payload: { from: 'open', to: 'lockdown', operator: 'op-1', reason: '演练' } },
];

function texts(db: Db): (string | null)[] {
  return db
    .prepare<[], { telemetry: string | null }>('SELECT telemetry FROM journal ORDER BY seq')
    .all()
    .map((r) => r.telemetry);
}

function hashes(db: Db): string[] {
  return db
    .prepare<[], { hash: string }>('SELECT hash FROM journal ORDER BY seq')
    .all()
    .map((r) => r.hash);
}

describe('journal telemetry column', () => {
  it("stores the renderer's text with each entry, and NULL without a renderer", () => {
    const db = openDatabase(':memory:');
    const journal = Journal.open(db);
    const seen: number[] = [];
    journal.setTelemetryRenderer((entry) => {
      seen.push(entry.seq);
      return entry.type === 'mode' ? undefined : `${entry.type}#${entry.seq}@${entry.at}`;
    });
    journal.appendMany(ITEMS);
    journal.setTelemetryRenderer(undefined);
    journal.append('fire', AT + 3, { active: true, source: 'panel' });
    expect(seen).toEqual([1, 2, 3]);
    expect(texts(db)).toEqual([`reading#1@${AT}`, `decision#2@${AT + 1}`, null, null]);
  });

  it('an append whose renderer throws succeeds, with NULL; an append that fails writes no text', () => {
    const db = openDatabase(':memory:');
    const journal = Journal.open(db);
    journal.setTelemetryRenderer(() => {
      throw new Error('renderer bug');
    });
    expect(journal.append('fire', AT, { active: true, source: 'panel' }).seq).toBe(1);
    journal.setTelemetryRenderer(() => 'text');
    const bad = {
      gateId: 'g',
      laneId: 'l',
      reading: { at: AT, celsius: Number.NaN, mask: true },
      source: 's',
    };
    expect(() => journal.append('reading', AT, bad)).toThrow(/finite/);
    expect(texts(db)).toEqual([null]);
  });

  it('the hash chain does not include the column: same hashes with and without, verify passes after it changes', () => {
    const withText = openDatabase(':memory:');
    const journal = Journal.open(withText);
    journal.setTelemetryRenderer(telemetryRenderer(mapper));
    journal.appendMany(ITEMS);
    const without = openDatabase(':memory:');
    Journal.open(without).appendMany(ITEMS);
    expect(texts(withText).filter((t) => t !== null)).toHaveLength(3);
    expect(hashes(withText)).toEqual(hashes(without));
    expect(verifyJournal(withText).ok).toBe(true);
    withText.exec(
      "UPDATE journal SET telemetry = 'changed' WHERE seq = 1; UPDATE journal SET telemetry = NULL WHERE seq = 2",
    );
    expect(verifyJournal(withText)).toMatchObject({ ok: true, checked: 3 });
  });

  it('adds the column to a journal made before it: old rows NULL, the chain intact, new rows prerendered', () => {
    const path = join(dir, 'old.db');
    const old = openDatabase(path);
    Journal.open(old).appendMany(ITEMS);
    // The table as it was before the column.
    old.exec('ALTER TABLE journal DROP COLUMN telemetry');
    old.close();

    const db = openDatabase(path);
    const journal = Journal.open(db);
    // Opening again (another process, or the sink's worker) finds it there.
    Journal.open(openDatabase(path));
    journal.setTelemetryRenderer(telemetryRenderer(mapper));
    journal.append('fire', AT + 3, { active: false, source: 'panel' });
    const stored = texts(db);
    expect(stored.slice(0, 3)).toEqual([null, null, null]);
    expect(stored[3]).toMatch(/^[0-9a-f]{12}:\d+:fire,site=demo /);
    expect(verifyJournal(db)).toMatchObject({ ok: true, checked: 4 });
    db.close();
  });

  it('the stored text names no card number and no registry id: subjects as keyed pseudonyms', () => {
    const db = openDatabase(':memory:');
    const journal = Journal.open(db);
    journal.setTelemetryRenderer(telemetryRenderer(mapper));
    journal.appendMany(ITEMS);
    const pass = texts(db)[1] ?? '';
    expect(pass).toMatch(/^[0-9a-f]{12}:\d+:pass,/);
    expect(pass).not.toMatch(/C0042|p-17|h-3/);
    expect(pass).toContain(`subject="${cachedPseudonym(Buffer.alloc(32, 9))('p-17')}"`);
  });
});
