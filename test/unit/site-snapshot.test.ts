/**
 * A Site restarted from a checkpoint snapshot (gateway/checkpoint/snapshot-store.ts): the state
 * comes from the snapshot and the entries after it, and the duty board — kept outside the state
 * — still knows who came on duty before the snapshot (Site's `onRestore`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { dutyShiftAt } from '../../gateway/duty/duty-roster.js';
import { Site } from '../../gateway/site.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NOW = Date.UTC(2026, 10, 29, 3, 0, 0); // 11:00 in Asia/Shanghai: the day shift
let dir: string | undefined;

afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

it('restarts from the snapshot, with the guards who came on duty before it', () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-site-snapshot-'));
  const config = join(dir, 'gatewarden.yaml');
  writeFileSync(
    config,
    readFileSync(join(ROOT, 'config/gatewarden.yaml'), 'utf8')
      .replace('$schema: ./schema.json', '')
      .replace('dataDir: ../data', `dataDir: ${join(dir, 'data')}`),
  );
  const clock = { now: NOW };
  const open = () => new Site({ configPath: config, now: () => clock.now });

  const first = open();
  first.checkpoint.start();
  const { shift, date } = dutyShiftAt(clock.now, first.config.site.timezone);
  first.journal.append('duty', clock.now, {
    action: 'login',
    guard: 'guard-7',
    via: 'dashboard',
    shift,
    date,
  });
  first.checkpoint.setMode('lockdown', 'guard-7', 'test');
  expect(first.checkpoint.saveSnapshot(true)).toBe(true);
  clock.now += 60_000;
  first.checkpoint.setMode('closed', 'guard-7', 'test');
  first.close();

  const again = open();
  try {
    const started = again.checkpoint.start();
    expect(started.fromSnapshot).toBe(2);
    expect(started.replayed).toBe(1);
    expect(again.checkpoint.mode).toBe('closed');
    expect(again.duty.guards()).toEqual(['guard-7']);
  } finally {
    again.close();
  }
});
