/**
 * `registry.view` (gateway/registry/view-choice.ts): which view the Site gives the rules, and
 * that the database view, which keeps holders and orders, is made again after a registry change
 * journaled by any process (Site.reloadRegistry).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../gateway/db.js';
import { DatabaseRegistryView } from '../../gateway/registry/database-view.js';
import { emptyRecords } from '../../gateway/registry/records.js';
import { RegistrySnapshot } from '../../gateway/registry/snapshot.js';
import { RegistryStore } from '../../gateway/registry/store.js';
import { RegistryWriter } from '../../gateway/registry/store-write.js';
import { DATABASE_VIEW_ABOVE_PERSONS, viewFor } from '../../gateway/registry/view-choice.js';
import { Site } from '../../gateway/site.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const sites: Site[] = [];

afterEach(() => {
  for (const site of sites.splice(0)) site.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openSite(view?: string): Site {
  const dir = mkdtempSync(join(tmpdir(), 'gw-site-view-'));
  dirs.push(dir);
  const config = join(dir, 'gatewarden.yaml');
  const base = readFileSync(join(ROOT, 'config/gatewarden.yaml'), 'utf8')
    .replace('$schema: ./schema.json', '')
    .replace('dataDir: ../data', `dataDir: ${join(dir, 'data')}`);
  writeFileSync(config, view === undefined ? base : `${base}\nregistry:\n  view: ${view}\n`);
  const site = new Site({ configPath: config });
  sites.push(site);
  site.checkpoint.start();
  site.registry.import(
    {
      version: 1,
      households: [{ id: '1-1-101', building: '1', unit: '1', room: '101' }],
      persons: [{ id: 'p1', kind: 'resident', householdId: '1-1-101' }],
      credentials: [{ kind: 'card', value: '0A1B2C3D', holder: 'p1' }],
    },
    { mode: 'replace' },
  );
  return site;
}

describe('registry.view', () => {
  it('auto reads from the database only above the threshold', () => {
    expect(viewFor('auto', DATABASE_VIEW_ABOVE_PERSONS)).toBe('memory');
    expect(viewFor('auto', DATABASE_VIEW_ABOVE_PERSONS + 1)).toBe('database');
    expect(viewFor('memory', 10 * DATABASE_VIEW_ABOVE_PERSONS)).toBe('memory');
    expect(viewFor('database', 0)).toBe('database');
  });

  it('auto counts the stored persons: a snapshot at the threshold, the database view past it', () => {
    const db = openDatabase(':memory:');
    try {
      const store = new RegistryStore(db, { key: Buffer.alloc(32) });
      const persons = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ id: `p${i}`, kind: 'staff' as const }));
      const write = (n: number) =>
        db.transaction(() =>
          new RegistryWriter(db).write({ ...emptyRecords(), persons: persons(n) }, 'replace'),
        )();
      write(DATABASE_VIEW_ABOVE_PERSONS);
      expect(store.loadView('auto')).toBeInstanceOf(RegistrySnapshot);
      write(DATABASE_VIEW_ABOVE_PERSONS + 1);
      expect(store.loadView('auto')).toBeInstanceOf(DatabaseRegistryView);
    } finally {
      db.close();
    }
  });

  it('gives the site the view configured; auto, the default, a snapshot for a small registry', () => {
    expect(openSite().registrySnapshot()).toBeInstanceOf(RegistrySnapshot);
    expect(openSite('memory').registrySnapshot()).toBeInstanceOf(RegistrySnapshot);
    expect(openSite('database').registrySnapshot()).toBeInstanceOf(DatabaseRegistryView);
  });

  it('the database view is made again after a journaled registry change, so a revocation is seen', () => {
    const site = openSite('database');
    const before = site.registrySnapshot().holder('card', '0A1B2C3D');
    expect(before?.person?.id).toBe('p1');
    const at = site.now();
    site.registry.revokeCredential('card:0A1B2C3D', at - 1000);
    site.registry.addQuarantine({
      id: 'q1',
      kind: 'home',
      target: { household: '1-1-101' },
      from: at - 1000,
      until: at + 86_400_000,
    });
    // Until the change is journaled the view answers as when it was made (its cache holds the holder).
    expect(site.registrySnapshot().holder('card', '0A1B2C3D')).toBe(before);
    site.journal.append('operator', at, {
      action: 'registry.revoke',
      operator: 'op-1',
      shift: 'day',
      detail: {},
    });
    site.checkpoint.catchUp();
    const after = site.registrySnapshot().holder('card', '0A1B2C3D');
    expect(after?.credential.revokedAt).toBe(at - 1000);
    expect(after?.orders.map((o) => o.id)).toEqual(['q1']);
  });
});
