import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ScratchSite } from './cli.js';

/** The relay's MQTT password, as its simulator must give it. */
export const STRIKE_PASSWORD = 'relay-secret';

/**
 * Wires a Tasmota relay (`north-strike`, topic `north_strike`) as the strike of north-ped-in on a
 * scratch site: the device under the configuration's `mqtt` section, and its broker user (role
 * device) added through the CLI, as an installer does.
 */
export function addTasmotaStrike(site: ScratchSite): void {
  writeFileSync(
    site.config,
    readFileSync(site.config, 'utf8').replace(
      '\nmqtt:\n',
      '\nmqtt:\n  devices:\n    - { convention: tasmota, id: north-strike, lane: north-ped-in, kind: relay, topic: north_strike }\n',
    ),
  );
  const passwordFile = join(site.dir, 'relay.pw');
  writeFileSync(passwordFile, `${STRIKE_PASSWORD}\n`, { mode: 0o600 });
  const user = ['north-strike', '--role', 'device', '--device', 'north_strike', '--convention', 'tasmota'];
  const added = site.run(['mqtt', 'user', 'add', ...user, '--password-file', passwordFile]);
  expect(added.status, added.stderr).toBe(0);
}
