import type { OsdpDeviceConfig } from '../../config/devices-schema.js';
import { OsdpDoorAdapter } from '../../drivers/osdp/door-adapter.js';
import { OsdpControlPanel, type PdStatus } from '../../drivers/osdp/link/control-panel.js';
import type { ScanCredentials } from '../../drivers/shared/code-credentials.js';
import { childLogger } from '../logging.js';
import { loadOrCreateKey, readSecretFile } from '../util/key-file.js';
import type { DeviceContext, DeviceModule } from './device-module.js';

/** One OSDP control panel per line that has PDs, one door adapter per PD. */
export function buildOsdp(context: DeviceContext): DeviceModule[] {
  const { site, log, port } = context;
  const osdp = site.config.osdp;
  const masterKey = osdp.devices.some((d) => d.secure === 'required')
    ? loadOrCreateKey(osdp.masterKeyFile, 16, 'OSDP master key')
    : undefined;
  // The key before the last `gatewarden keys rotate osdp` (gateway/cli/site-keys.ts), until retired.
  const previousMasterKey =
    masterKey && readSecretFile(`${osdp.masterKeyFile}.previous`, 'previous OSDP master key');
  const byLine = new Map<string, OsdpDeviceConfig[]>();
  for (const d of osdp.devices) byLine.set(d.line, [...(byLine.get(d.line) ?? []), d]);
  return [...byLine].map(([lineId, devices]) => {
    const panel = new OsdpControlPanel({
      line: context.line(lineId),
      pds: devices.map((d) => ({
        address: d.address,
        name: d.id,
        secure: d.secure,
        installKey: d.installKey,
        ...(masterKey ? { masterKey } : {}),
        ...(previousMasterKey?.length === 16 ? { previousMasterKey } : {}),
      })),
      timing: { offlineAfterMs: osdp.offlineAfterSeconds * 1000 },
    });
    const panelLog = childLogger(log, `osdp:${lineId}`);
    panel.on('online', (s: PdStatus) =>
      panelLog.info({ pd: s.name, secure: s.secure, identity: s.identity }, 'PD online'),
    );
    panel.on('offline', (s: PdStatus, reason: string) => panelLog.warn({ pd: s.name, reason }, 'PD offline'));
    panel.on('refused', (s: PdStatus, reason: string) =>
      panelLog.error({ pd: s.name, reason }, 'PD refused'),
    );
    panel.on('keyInstalled', (s: PdStatus) =>
      panelLog.warn({ pd: s.name }, 'PD provisioned with its own key; remove installKey'),
    );
    // Built on the first code typed: a site with no keypads needs no pass files.
    const codes: ScanCredentials = {
      credentialFor: (text, at) => context.passCredentials().credentialFor(text, at),
    };
    const locks = keypadLocks(site);
    const adapters = devices.map((d) => {
      const lockedUntil = locks.get(d.id);
      const config = {
        ...doorConfig(d),
        codes,
        gatedUnlock: osdp.gatedUnlock,
        ...(lockedUntil === undefined ? {} : { keypadLockedUntil: lockedUntil }),
      };
      return new OsdpDoorAdapter(config, panel, port, childLogger(log, `osdp:${d.id}`));
    });
    return {
      devices: adapters.length,
      actuators: adapters.map((actuator, i) => ({ laneId: (devices[i] as OsdpDeviceConfig).lane, actuator })),
      states: () =>
        panel.statuses().map((s) => ({
          deviceId: s.name,
          online: s.online,
          counters: { ...s.counters },
          ...(s.lastRoundTripMs === undefined ? {} : { roundTripMs: s.lastRoundTripMs }),
        })),
      start: () => {
        for (const a of adapters) a.start();
        panel.start();
      },
      stop: async () => {
        for (const a of adapters) a.stop();
        await panel.stop();
      },
      setFire: (active: boolean) => {
        for (const a of adapters) a.setFire(active);
      },
    };
  });
}

function doorConfig(d: OsdpDeviceConfig): ConstructorParameters<typeof OsdpDoorAdapter>[0] {
  const door = d.door;
  return {
    deviceId: d.id,
    laneId: d.lane,
    address: d.address,
    ...(d.reader !== undefined ? { reader: d.reader } : {}),
    ...(door
      ? {
          door: {
            output: door.output,
            lock: door.lock,
            ...(door.contactInput !== undefined ? { contactInput: door.contactInput } : {}),
            ...(door.rexInput !== undefined ? { rexInput: door.rexInput } : {}),
            ...(door.fireInput !== undefined ? { fireInput: door.fireInput } : {}),
            heldOpenMs: door.heldOpenSeconds * 1000,
            rexReleaseMs: door.rexReleaseSeconds * 1000,
          },
        }
      : {}),
  };
}

/** How far back a keypad lock is looked for: longer than any lock the limit sets. */
const KEYPAD_LOCK_LOOKBACK_MS = 24 * 3600_000;

/**
 * Keypad locks still running now, by device, from the journal's KEYPAD_LOCKED alarms (their time
 * and `lockSeconds`): a restart, or a power cut a guesser causes, does not lift a lock.
 */
export function keypadLocks(site: Pick<DeviceContext['site'], 'now' | 'journal'>): Map<string, number> {
  const now = site.now();
  const locks = new Map<string, number>();
  const range = {
    fromAt: now - KEYPAD_LOCK_LOOKBACK_MS,
    toAt: Number.MAX_SAFE_INTEGER,
    types: ['alarm' as const],
  };
  for (const entry of site.journal.iterateRange(range)) {
    const { code, detail } = entry.payload;
    const [deviceId, seconds] = [detail?.device, detail?.lockSeconds];
    if (code !== 'KEYPAD_LOCKED' || typeof deviceId !== 'string' || typeof seconds !== 'number') continue;
    const until = entry.at + seconds * 1000;
    if (until > now) locks.set(deviceId, Math.max(locks.get(deviceId) ?? 0, until));
  }
  return locks;
}
