/**
 * The gateway side of the MQTT device integration tests, in process: a real Site on a temporary
 * directory (configuration file, SQLite journal, the residents roster imported), its real
 * SiteLanePort, and the MQTT devices of the configuration built by buildMqttDevices on a
 * ClientBus: an MQTT.js client of the test's Mosquitto, as the simulators are.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectAsync } from 'mqtt';
import type { DeviceModule } from '../../../gateway/devices/device-module.js';
import { buildMqttDevices } from '../../../gateway/devices/mqtt-devices.js';
import { SiteLanePort } from '../../../gateway/devices/site-lane-port.js';
import type { AnyJournalEntry } from '../../../gateway/journal/journal.js';
import { ClientBus } from '../../../gateway/mqtt/client-bus.js';
import { normaliseCredentialValue } from '../../../gateway/registry/credential-value.js';
import { readRosterFiles } from '../../../gateway/registry/csv.js';
import { Site } from '../../../gateway/site.js';
import { memoryLog } from '../../helpers/idcard-lane.js';

const ROOT = resolve(import.meta.dirname, '../../..');

/** Zhang Wei's card in test/fixtures/registry/residents.csv: a resident, allowed in. */
export const RESIDENT_CARD = { kind: 'card' as const, value: normaliseCredentialValue('card', '04A22B9C') };

/** Two pedestrian lanes in; the pass rules in open mode; a 1 s unlock time. */
const SITE_YAML = (dataDir: string) => `
site: { id: mqtt-devices, name: { zh: 测试小区, en: Test }, dataDir: ${dataDir} }
mode: open
policy: { antiPassback: false, unlockSeconds: 1 }
gates:
  - id: north
    name: { zh: 北门, en: North }
    primary: true
    lanes:
      - { id: north-ped-in, name: { zh: 北门入口, en: North in }, kind: pedestrian, direction: in }
      - { id: north-side-in, name: { zh: 北门侧门, en: North side door }, kind: pedestrian, direction: in }
`;

export interface MqttDeviceSite {
  site: Site;
  port: SiteLanePort;
  modules: DeviceModule[];
  log: ReturnType<typeof memoryLog>;
  /** Journal entries of one type, oldest first. */
  entries<T extends AnyJournalEntry['type']>(type: T): AnyJournalEntry<T>[];
  online(deviceId: string): boolean;
  dispose(): Promise<void>;
}

export async function startMqttDeviceSite(brokerUrl: string, mqttYaml: string): Promise<MqttDeviceSite> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-mqtt-devices-'));
  const configPath = join(dir, 'gatewarden.yaml');
  writeFileSync(configPath, SITE_YAML(join(dir, 'data')) + mqttYaml);
  const site = new Site({ configPath, gateway: true });
  const roster = readRosterFiles(
    [{ path: join(ROOT, 'test/fixtures/registry/residents.csv'), roster: 'residents' }],
    {
      key: site.key,
      timeZone: site.config.site.timezone,
    },
  );
  site.registry.import(roster, { mode: 'merge' });
  site.checkpoint.start();
  const port = new SiteLanePort(site);
  const log = memoryLog();
  const client = await connectAsync(brokerUrl, { clientId: 'gatewarden-devices', reconnectPeriod: 500 });
  const bus = new ClientBus(client, log.logger);
  const modules = buildMqttDevices({ site, log: log.logger, port }, bus);
  for (const m of modules)
    for (const { laneId, actuator } of m.actuators ?? []) port.addActuator(laneId, actuator);
  port.onFire((active) => {
    for (const m of modules) m.setFire?.(active);
  });
  for (const m of modules) m.start();
  return {
    site,
    port,
    modules,
    log,
    entries: <T extends AnyJournalEntry['type']>(type: T) =>
      site.journal.tail(500).filter((e) => e.type === type) as AnyJournalEntry<T>[],
    online: (deviceId) => modules.flatMap((m) => m.states()).some((s) => s.deviceId === deviceId && s.online),
    async dispose() {
      await Promise.all(modules.map((m) => m.stop()));
      await client.endAsync();
      site.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
