/**
 * Keypad locks survive a restart (gateway/devices/osdp-devices.ts `keypadLocks`): read from the
 * journal's KEYPAD_LOCKED alarms as SiteLanePort journals them (`detail.device`,
 * `detail.lockSeconds`), a lock still running now is handed to its door adapter; an ended one,
 * another alarm or another device's is not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import { keypadLocks } from '../../gateway/devices/osdp-devices.js';
import { Journal } from '../../gateway/journal/journal.js';

const NOW = 1_700_000_000_000;
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

describe('keypad locks at start', () => {
  it('finds the locks still running, per device, from the journal', () => {
    const db = openDatabase(':memory:');
    dbs.push(db);
    const journal = Journal.open(db);
    const locked = (at: number, device: string, lockSeconds: number) =>
      journal.append('alarm', at, {
        code: 'KEYPAD_LOCKED',
        severity: 'warning',
        detail: { device, lockSeconds },
      });
    locked(NOW - 90_000, 'door-1', 60); // ended 30 s ago
    locked(NOW - 30_000, 'door-2', 60); // 30 s left
    locked(NOW - 10_000, 'door-2', 60); // a later one: 50 s left
    locked(NOW - 5_000, 'door-3', 600);
    journal.append('alarm', NOW - 1000, {
      code: 'DOOR_FORCED_OPEN',
      severity: 'critical',
      detail: { device: 'door-4' },
    });
    const locks = keypadLocks({ now: () => NOW, journal });
    expect(Object.fromEntries(locks)).toEqual({ 'door-2': NOW + 50_000, 'door-3': NOW + 595_000 });
  });
});
