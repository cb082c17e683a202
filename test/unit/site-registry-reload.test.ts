/**
 * When a Site reloads its registry snapshot (gateway/site.ts, changesRegistry): after a registry
 * action journaled by any process, and after a retention run that purged visitors — the purge
 * may come from `gatewarden retention run` while the gateway runs — and not after other entries.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Site } from '../../gateway/site.js';

const ROOT = resolve(import.meta.dirname, '../..');
let dir: string;
let site: Site;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-site-reload-'));
  const config = join(dir, 'gatewarden.yaml');
  const base = readFileSync(join(ROOT, 'config/gatewarden.yaml'), 'utf8')
    .replace('$schema: ./schema.json', '')
    .replace('dataDir: ../data', `dataDir: ${join(dir, 'data')}`);
  writeFileSync(config, base);
  site = new Site({ configPath: config });
  site.checkpoint.start();
});
afterEach(() => {
  site.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Appends as another process would, then lets the checkpoint fold it in; true when the snapshot was replaced. */
function reloadedAfter(append: () => void): boolean {
  const before = site.registrySnapshot();
  append();
  site.checkpoint.catchUp();
  return site.registrySnapshot() !== before;
}

describe('the site reloads its registry snapshot', () => {
  it('after a retention run that purged visitors, not after one that purged none', () => {
    const at = site.now();
    expect(
      reloadedAfter(() => site.journal.append('retention', at, { visitors: { olderThan: at, purged: 2 } })),
    ).toBe(true);
    expect(
      reloadedAfter(() =>
        site.journal.append('retention', at, {
          visitors: { olderThan: at, purged: 0 },
          readings: { olderThan: at, purged: 40, keptUndelivered: 0 },
        }),
      ),
    ).toBe(false);
  });

  it('after a registry action, not after other operator actions', () => {
    const at = site.now();
    const action = (name: string) => () =>
      site.journal.append('operator', at, { action: name, operator: 'op-1', shift: 'day', detail: {} });
    expect(reloadedAfter(action('visitor.register'))).toBe(true);
    expect(reloadedAfter(action('mode.note'))).toBe(false);
  });
});
