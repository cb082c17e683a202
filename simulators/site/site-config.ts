import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema, type GatewardenConfigInput } from '../../config/schema.js';
import {
  BARRIERS,
  BUILDING_GATE,
  BUILDING_LOCK,
  CAMERA_USER,
  CAMERAS,
  IDCARD_READER,
  OSDP_READERS,
  PTY_LINES,
  type PtyLine,
  QR_SCANNERS,
  TASMOTA_RELAY,
  THERMOMETER,
  Z2M_DOOR,
} from './site-plan.js';

/**
 * The configuration of the simulated site: the default site's community, mode, policy and gates
 * (read from `config/gatewarden.yaml`, so the two never drift apart) plus building 1's entrance
 * and every device of site-plan.ts on the pty ends and loopback URLs the launcher made. The result is checked
 * against the one schema before it is written, so a mistake here is reported field by field
 * rather than as a gateway that will not start.
 */

export interface SitePorts {
  api: number;
  mqtt: number;
  mqttWebSocket: number;
}

export interface SiteConfigInputs {
  /** The working folder (absolute): ptys, the configuration, `data/`. */
  dir: string;
  /** The default configuration whose site, mode, policy and gates are taken. */
  defaultConfig: string;
  /** The JSON Schema, for editors opening the generated file. */
  schemaFile: string;
  ports: SitePorts;
  /** Device service URL of each simulated camera, by camera id. */
  cameraUrls: Readonly<Record<string, string>>;
  /**
   * Policy fields laid over the default configuration's (one level deep: `householdQuota:
   * { periodHours }` keeps its `exits`). The crowd scenario compresses the quota's period with
   * its days (scenario/plan.ts, `scenarioPolicy`).
   */
  policy?: PolicyOverrides;
}

export type PolicyOverrides = Readonly<Record<string, unknown>>;

/** The pty end the gateway opens (`gateway`) or the simulator opens (`sim`). */
export function ptyPath(dir: string, line: PtyLine, end: 'gateway' | 'sim'): string {
  return join(dir, end === 'gateway' ? `tty-${line.name}` : `tty-${line.name}-sim`);
}

/** Password file of a camera, relative to dataDir (as the configuration names it). */
export function cameraPasswordFile(cameraId: string): string {
  return `keys/${cameraId}.pw`;
}

type DeviceSections = Pick<
  GatewardenConfigInput,
  | 'lines'
  | 'osdp'
  | 'idcard'
  | 'modbus'
  | 'barriers'
  | 'scanners'
  | 'thermometers'
  | 'cameras'
  | 'api'
  | 'mqtt'
>;

export function siteConfig(inputs: SiteConfigInputs): Record<string, unknown> {
  const base = readDefaultSite(inputs.defaultConfig);
  const config = {
    $schema: inputs.schemaFile,
    site: { ...base.site, dataDir: 'data' },
    ...(base.mode === undefined ? {} : { mode: base.mode }),
    ...policySection(base.policy, inputs.policy),
    gates: withBuildingGate(base.gates),
    ...deviceSections(inputs),
    log: { level: 'info' },
  };
  const checked = configSchema.safeParse(config);
  if (!checked.success) {
    const problems = checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`the generated site configuration is invalid: ${problems}`);
  }
  return config;
}

function deviceSections({ dir, ports, cameraUrls }: SiteConfigInputs): DeviceSections {
  const gatewayEnd = (line: PtyLine) => ptyPath(dir, line, 'gateway');
  return {
    lines: [PTY_LINES.osdp, PTY_LINES.modbus, PTY_LINES.sam].map((line) => ({
      id: line.name,
      path: gatewayEnd(line),
      baud: line.baud,
    })),
    osdp: {
      devices: OSDP_READERS.map((r) => ({
        id: r.id,
        line: PTY_LINES.osdp.name,
        address: r.address,
        lane: r.lane,
        reader: 0,
        // Commissioned: each reader holds the key derived from the site's master key (site-setup.ts).
        door: { output: 0, lock: r.lock, contactInput: 0, rexInput: 1, ...(r.fire ? { fireInput: 2 } : {}) },
      })),
    },
    idcard: { devices: [{ id: IDCARD_READER.id, line: PTY_LINES.sam.name, lane: IDCARD_READER.lane }] },
    modbus: { boards: BARRIERS.map((b) => ({ id: b.board, line: PTY_LINES.modbus.name, unit: b.unit })) },
    barriers: BARRIERS.map((b) => ({
      id: b.id,
      lane: b.lane,
      board: b.board,
      coils: { open: 0, close: 1, stop: 2 },
      inputs: { loop: 0, upLimit: 1, downLimit: 2, fire: 3 },
    })),
    scanners: QR_SCANNERS.map((q) => ({
      id: q.id,
      lane: q.lane,
      serial: { path: gatewayEnd(q.line), baud: q.line.baud, terminator: 'cr' as const },
    })),
    thermometers: [
      {
        id: THERMOMETER.id,
        lane: THERMOMETER.lane,
        serial: { path: gatewayEnd(PTY_LINES.thermometer), baud: PTY_LINES.thermometer.baud },
      },
    ],
    cameras: {
      devices: CAMERAS.map((c) => {
        const url = cameraUrls[c.id];
        if (url === undefined) throw new Error(`no URL for camera ${c.id}`);
        return {
          id: c.id,
          lane: c.lane,
          kind: c.kind,
          url,
          username: CAMERA_USER,
          passwordFile: cameraPasswordFile(c.id),
        };
      }),
    },
    api: { host: '127.0.0.1', port: ports.api },
    mqtt: {
      broker: {
        host: '127.0.0.1',
        port: ports.mqtt,
        websocket: { host: '127.0.0.1', port: ports.mqttWebSocket },
      },
      devices: [
        {
          convention: 'tasmota',
          id: TASMOTA_RELAY.id,
          lane: TASMOTA_RELAY.lane,
          kind: 'relay',
          topic: TASMOTA_RELAY.topic,
        },
        {
          convention: 'zigbee2mqtt',
          id: Z2M_DOOR.lockId,
          lane: Z2M_DOOR.lane,
          kind: 'lock',
          baseTopic: Z2M_DOOR.baseTopic,
          friendlyName: Z2M_DOOR.lockName,
        },
        {
          convention: 'zigbee2mqtt',
          id: Z2M_DOOR.contactId,
          lane: Z2M_DOOR.lane,
          kind: 'contact',
          baseTopic: Z2M_DOOR.baseTopic,
          friendlyName: Z2M_DOOR.contactName,
          lockDevice: Z2M_DOOR.lockId,
        },
        {
          convention: 'zigbee2mqtt',
          id: BUILDING_LOCK.lockId,
          lane: BUILDING_LOCK.lane,
          kind: 'lock',
          baseTopic: BUILDING_LOCK.baseTopic,
          friendlyName: BUILDING_LOCK.lockName,
          // Short, so that two passes at the door a few seconds apart each see the bolt move.
          unlockSeconds: 2,
        },
      ],
    },
  };
}

/** The default site's gates, and building 1's entrance unless the default configuration has it already. */
function withBuildingGate(gates: unknown): unknown {
  if (!Array.isArray(gates)) return gates;
  const has = gates.some((g) => (g as { id?: unknown } | null)?.id === BUILDING_GATE.id);
  return has ? gates : [...gates, BUILDING_GATE];
}

function policySection(base: unknown, overrides: PolicyOverrides | undefined): { policy?: unknown } {
  if (overrides === undefined) return base === undefined ? {} : { policy: base };
  const merged: Record<string, unknown> = { ...(isObject(base) ? base : {}) };
  for (const [key, value] of Object.entries(overrides)) {
    const under = merged[key];
    merged[key] = isObject(under) && isObject(value) ? { ...under, ...value } : value;
  }
  return { policy: merged };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface DefaultSite {
  site: { id: unknown; name: unknown; timezone?: unknown };
  mode?: unknown;
  policy?: unknown;
  gates: unknown;
}

/** The community part of the default configuration, as written there (defaults stay implicit). */
function readDefaultSite(path: string): DefaultSite {
  const raw = parse(readFileSync(path, 'utf8')) as Record<string, unknown> | null;
  const site = raw?.site as Record<string, unknown> | undefined;
  if (raw === null || site === undefined || raw.gates === undefined)
    throw new Error(`${path} has no site or gates section to build the simulated site from`);
  return {
    site: {
      id: site.id,
      name: site.name,
      ...(site.timezone === undefined ? {} : { timezone: site.timezone }),
    },
    ...(raw.mode === undefined ? {} : { mode: raw.mode }),
    ...(raw.policy === undefined ? {} : { policy: raw.policy }),
    gates: raw.gates,
  };
}
