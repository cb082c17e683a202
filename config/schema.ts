/**
 * The configuration, defined once. This zod schema is the single source of the TypeScript type
 * (`GatewardenConfig`), the defaults, the validation and, through `write-json-schema.ts`, the
 * JSON Schema that editors use (every `.describe()` becomes a description there).
 *
 * The file is written in human units (seconds, hours, days, °C); `policyFromConfig` converts to
 * the milliseconds the rules use. Every object is strict, so a misspelt key is an error rather
 * than a silently ignored setting. Nothing is re-read at run time: every change needs a restart.
 */
import { z } from 'zod';
import { DIRECTIONS, GATE_KINDS, LANE_KINDS, SITE_MODES, type SiteMode } from '../gateway/domain/model.js';
import { LOG_LEVELS } from '../gateway/logging.js';
import { REGISTRY_VIEWS } from '../gateway/registry/view-choice.js';
import type { Policy } from '../gateway/rules/types.js';
import { isTimeZone } from '../gateway/util/site-time.js';
import { apiSchema } from './api-schema.js';
import { camerasSchema } from './cameras-schema.js';
import {
  barrierSchema,
  idcardSchema,
  modbusSchema,
  osdpSchema,
  scannerSchema,
  serialLineSchema,
} from './devices-schema.js';
import { dutySchema } from './duty-schema.js';
import { freshnessSchema } from './freshness-schema.js';
import { journalOutageSchema } from './journal-outage-schema.js';
import { mqttSchema } from './mqtt-schema.js';
import { passesSchema } from './passes-schema.js';
import { retentionSchema } from './retention-schema.js';
import { checkStations, patrolSchema, stationsSchema } from './stations-schema.js';
import { telemetrySchema } from './telemetry-schema.js';
import { thermometerSchema } from './thermometer-schema.js';

/** Ids appear in MQTT topics, InfluxDB tags and file names: keep them to a safe alphabet. */
const slug = z
  .string()
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug: lower-case letters, digits and single hyphens');

const localizedName = z.strictObject({
  zh: z.string().min(1).describe('Chinese name, shown on gate displays and the dashboard.'),
  en: z.string().min(1).describe('English name.'),
});

const siteSchema = z.strictObject({
  id: slug.describe('Site id (a slug): names the site in topics, telemetry and reports.'),
  name: localizedName.describe('Name of the community.'),
  timezone: z
    .string()
    .refine(isTimeZone, 'is not a known IANA time zone, e.g. Asia/Shanghai')
    .default('Asia/Shanghai')
    .describe('IANA time zone of the site: duty shifts (08:00, 17:00, 20:00) and daily reports follow it.'),
  dataDir: z
    .string()
    .min(1)
    .default('./data')
    .describe('Folder for the database, keys and other state, relative to the folder of this file.'),
  database: z.string().min(1).default('gatewarden.db').describe('SQLite database file, relative to dataDir.'),
});

const quotaSchema = z.strictObject({
  exits: z.number().int().min(0).default(1).describe('Exits allowed per household within the period.'),
  periodHours: z.number().positive().default(48).describe('Length of the quota period in hours.'),
});

const quarantineDaysSchema = z.strictObject({
  centralised: z
    .number()
    .int()
    .positive()
    .default(14)
    .describe('Close contacts: centralised quarantine, days.'),
  highRisk: z
    .number()
    .int()
    .positive()
    .default(14)
    .describe('Arrivals from high-risk regions: home quarantine, days.'),
  outOfProvince: z
    .number()
    .int()
    .positive()
    .default(7)
    .describe('Other out-of-province arrivals: home quarantine, days.'),
});

const remeasureSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'A camera reading at or above feverThresholdC asks for a re-measure (TEMPERATURE_REMEASURE) before the final FEVER; off: FEVER at once.',
      ),
    waitSeconds: z
      .number()
      .min(0)
      .max(600)
      .default(30)
      .describe(
        'Seconds after the high reading before a camera reading counts as its re-measure (acclimatisation); camera readings before are journaled and not used.',
      ),
    withinSeconds: z
      .number()
      .positive()
      .max(3600)
      .default(300)
      .describe('Seconds a high reading waits for its re-measure; a reading after that starts afresh.'),
    camera: z
      .boolean()
      .default(true)
      .describe('A second camera reading after the wait may be the re-measure.'),
    handheld: z
      .boolean()
      .default(true)
      .describe(
        'A handheld thermometer reading (entered by the operator or sent by a thermometer) may be the re-measure, at once.',
      ),
  })
  .refine((r) => !r.enabled || r.camera || r.handheld, {
    message: 'allows neither camera nor handheld re-measures: no high reading could ever be confirmed',
    path: ['handheld'],
  })
  .refine((r) => !r.enabled || !r.camera || r.withinSeconds > r.waitSeconds, {
    message: 'must be longer than waitSeconds, or no camera reading could be the re-measure',
    path: ['withinSeconds'],
  });

const policySchema = z.strictObject({
  feverThresholdC: z
    .number()
    .min(35)
    .max(42)
    .default(37.3)
    .describe('Body temperature in °C at or above which a pass is refused (FEVER) and an alarm raised.'),
  temperatureWindowSeconds: z
    .number()
    .positive()
    .max(600)
    .default(10)
    .describe('How recent, in seconds, a reading at the lane must be to count for a credential.'),
  remeasure: remeasureSchema
    .prefault({})
    .describe(
      'Re-measure of a high reading (thermal screening over-reads): a handheld reading, or a camera reading after a wait.',
    ),
  temperatureDirections: z
    .array(z.enum(DIRECTIONS))
    .refine((dirs) => new Set(dirs).size === dirs.length, 'lists a direction twice')
    .default(() => [...DIRECTIONS])
    .describe('Directions on which a temperature reading is required in closed and lockdown modes.'),
  maskRequired: z
    .boolean()
    .default(true)
    .describe('Turn back a person the camera sees without a mask (NO_MASK).'),
  escortWindowSeconds: z
    .number()
    .positive()
    .max(600)
    .default(30)
    .describe("Seconds within which a visitor's escort must present a credential at the same lane."),
  householdQuota: quotaSchema
    .prefault({})
    .describe('"One household, one card": supply trips out per household in closed mode (plan 6 §3.4).'),
  returnWithinHours: z
    .number()
    .positive()
    .default(4)
    .describe('Hours after a household supply trip out before an overdue-return alarm is raised.'),
  highRiskLookbackDays: z
    .number()
    .int()
    .positive()
    .default(14)
    .describe('Days of travel history checked against the high-risk regions (HIGH_RISK_ORIGIN).'),
  disinfectionPeriodHours: z
    .number()
    .positive()
    .default(24)
    .describe('Hours a work vehicle stays admitted after its last disinfection.'),
  antiPassback: z
    .boolean()
    .default(true)
    .describe('Refuse a credential that entered and tries to enter again before leaving.'),
  repairNeedsEscort: z
    .boolean()
    .default(false)
    .describe('Repair workers need an escort like visitors (plan 4 §2.(4).5 leaves it to the community).'),
  unlockSeconds: z
    .number()
    .positive()
    .max(60)
    .default(5)
    .describe('Seconds a door lock stays released after a granted pass.'),
  quarantineDays: quarantineDaysSchema
    .prefault({})
    .describe('Length of quarantine orders by kind (plan 6 §3.3).'),
});

const laneSchema = z.strictObject({
  id: slug.describe('Lane id, unique across the whole site.'),
  name: localizedName.describe('Name of the lane.'),
  kind: z.enum(LANE_KINDS).describe('Pedestrian door or vehicle barrier.'),
  direction: z.enum(DIRECTIONS).describe('Way through the gate this lane serves.'),
});

/** A building or unit as the registry writes it (households' `building`, `unit`): text, so quoted in YAML. */
const placeName = (what: string) =>
  z
    .string({ error: `${what} is text: quote it, e.g. ${what}: "3"` })
    .min(1)
    .max(32);

const gateSchema = z.strictObject({
  id: slug.describe('Gate id, unique within the site.'),
  name: localizedName.describe('Name of the gate.'),
  kind: z
    .enum(GATE_KINDS)
    .default('perimeter')
    .describe(
      "perimeter: a gate of the community's fence. building: the entrance of one building (or of one unit of it) inside the community; passing it is neither entering nor leaving the community (docs/rules.md, Building entrances).",
    ),
  building: placeName('building')
    .optional()
    .describe(
      'Building gates only (required there): the building this is the entrance of, as in the registry.',
    ),
  unit: placeName('unit')
    .optional()
    .describe("Building gates only: the unit whose door this is; absent: the whole building's door."),
  primary: z
    .boolean()
    .default(false)
    .describe(
      'Perimeter gates only: only primary gates accept passes in closed and lockdown modes; the others answer GATE_CLOSED.',
    ),
  lanes: z.array(laneSchema).min(1).describe('The lanes of this gate.'),
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Cross-field checks on the gates. They run even when some gate failed its own validation
 * (`when`), so that one run reports every problem; hence the input is inspected defensively.
 */
function checkGates(gates: readonly unknown[], ctx: z.RefinementCtx): void {
  const gateIds = new Map<string, number>();
  const laneIds = new Map<string, string>();
  let primaries = 0;
  let primaryUnknown = false;
  gates.forEach((gate, g) => {
    if (!isRecord(gate)) return;
    if (typeof gate.id === 'string') {
      const first = gateIds.get(gate.id);
      if (first === undefined) gateIds.set(gate.id, g);
      else
        ctx.addIssue({
          code: 'custom',
          path: [g, 'id'],
          message: `duplicate gate id "${gate.id}" (first at gates.${first})`,
        });
    }
    const building = gate.kind === 'building';
    checkBuildingGate(gate, g, ctx);
    if (gate.primary === true) {
      if (!building) primaries++;
    } else if (gate.primary !== false && gate.primary !== undefined) primaryUnknown = true;
    if (!Array.isArray(gate.lanes)) return;
    gate.lanes.forEach((lane: unknown, l) => {
      if (!isRecord(lane)) return;
      if (building && lane.kind === 'vehicle')
        ctx.addIssue({
          code: 'custom',
          path: [g, 'lanes', l, 'kind'],
          message: 'a building entrance has pedestrian lanes only',
        });
      if (typeof lane.id !== 'string') return;
      const first = laneIds.get(lane.id);
      if (first === undefined) laneIds.set(lane.id, `gates.${g}.lanes.${l}`);
      else
        ctx.addIssue({
          code: 'custom',
          path: [g, 'lanes', l, 'id'],
          message: `duplicate lane id "${lane.id}" (first at ${first})`,
        });
    });
  });
  // An empty list is already reported by `.min(1)`; a non-boolean `primary` by its own type check.
  if (gates.length > 0 && primaries === 0 && !primaryUnknown) {
    ctx.addIssue({
      code: 'custom',
      path: [],
      message: 'no gate is primary: mark at least one gate `primary: true`',
    });
  }
}

/** A building gate names its building and is never primary; a perimeter gate has no building or unit. */
function checkBuildingGate(gate: Record<string, unknown>, g: number, ctx: z.RefinementCtx): void {
  const issue = (field: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: [g, field], message });
  if (gate.kind !== 'building') {
    for (const field of ['building', 'unit'])
      if (gate[field] !== undefined)
        issue(field, `only a building gate has a ${field}: add \`kind: building\``);
    return;
  }
  if (gate.building === undefined)
    issue('building', 'a building gate needs the building it is the entrance of');
  if (gate.primary === true)
    issue('primary', 'a building entrance cannot be primary: primary gates are entrances of the community');
}

const gatesSchema = z
  .array(gateSchema)
  .min(1)
  .superRefine((gates, ctx) => checkGates(gates, ctx), { when: (payload) => Array.isArray(payload.value) })
  .describe('The gates of the site. In closed and lockdown modes only primary gates accept passes.');

/**
 * A device names a line and a lane that exist, and no two devices share an id or a line
 * address. Runs even when other parts failed (`when`), so the input is read defensively.
 */
function checkDevices(config: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const records = (value: unknown) => (Array.isArray(value) ? value.filter(isRecord) : []);
  const lanes = new Set(records(config.gates).flatMap((g) => records(g.lanes).map((l) => l.id)));
  // Readers (OSDP, ID card, QR) may also stand at a station (patrol point, guardhouse): docs/patrol.md.
  const readerPlaces = new Set([...lanes, ...records(config.stations).map((s) => s.id)]);
  const lines = new Set(records(config.lines).map((l) => l.id));
  const ids = new Set<unknown>();
  const addresses = new Set<string>();
  const boards = new Set<unknown>();
  const families = [
    ['osdp', 'devices'],
    ['idcard', 'devices'],
    ['modbus', 'boards'],
  ] as const;
  for (const [family, list] of families) {
    const section = isRecord(config[family]) ? config[family] : {};
    // Indexed over the raw list, so a path names the right entry even next to a malformed one.
    (Array.isArray(section[list]) ? section[list] : []).forEach((device: unknown, i) => {
      if (!isRecord(device)) return;
      const issue = (field: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: [family, list, i, field], message });
      if (ids.has(device.id)) issue('id', `duplicate device id "${device.id}"`);
      ids.add(device.id);
      if (typeof device.line === 'string' && !lines.has(device.line))
        issue('line', `no line "${device.line}" under lines`);
      if (typeof device.lane === 'string' && !readerPlaces.has(device.lane))
        issue('lane', `no lane "${device.lane}" in gates`);
      if (family === 'idcard') return;
      if (family === 'modbus') boards.add(device.id);
      const field = family === 'osdp' ? 'address' : 'unit';
      const key = `${family}/${device.line}/${device[field]}`;
      if (addresses.has(key))
        issue(field, `${field} ${device[field]} is used twice on line "${device.line}"`);
      addresses.add(key);
    });
  }
  (Array.isArray(config.scanners) ? config.scanners : []).forEach((scanner: unknown, i) => {
    if (!isRecord(scanner)) return;
    const issue = (field: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: ['scanners', i, field], message });
    if (ids.has(scanner.id)) issue('id', `duplicate device id "${scanner.id}"`);
    ids.add(scanner.id);
    if (typeof scanner.lane === 'string' && !readerPlaces.has(scanner.lane))
      issue('lane', `no lane "${scanner.lane}" in gates`);
  });
  (Array.isArray(config.thermometers) ? config.thermometers : []).forEach((thermometer: unknown, i) => {
    if (!isRecord(thermometer)) return;
    const issue = (field: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: ['thermometers', i, field], message });
    if (ids.has(thermometer.id)) issue('id', `duplicate device id "${thermometer.id}"`);
    ids.add(thermometer.id);
    if (typeof thermometer.lane === 'string' && !lanes.has(thermometer.lane))
      issue('lane', `no lane "${thermometer.lane}" in gates`);
  });
  const mqtt = isRecord(config.mqtt) ? config.mqtt : {};
  (Array.isArray(mqtt.devices) ? mqtt.devices : []).forEach((device: unknown, i) => {
    if (!isRecord(device)) return;
    const issue = (field: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: ['mqtt', 'devices', i, field], message });
    if (ids.has(device.id)) issue('id', `duplicate device id "${device.id}"`);
    ids.add(device.id);
    if (typeof device.lane === 'string' && !lanes.has(device.lane))
      issue('lane', `no lane "${device.lane}" in gates`);
  });
  const cameras = isRecord(config.cameras) ? config.cameras : {};
  (Array.isArray(cameras.devices) ? cameras.devices : []).forEach((camera: unknown, i) => {
    if (!isRecord(camera)) return;
    const issue = (field: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: ['cameras', 'devices', i, field], message });
    if (ids.has(camera.id)) issue('id', `duplicate device id "${camera.id}"`);
    ids.add(camera.id);
    if (typeof camera.lane === 'string' && !lanes.has(camera.lane))
      issue('lane', `no lane "${camera.lane}" in gates`);
  });
  (Array.isArray(config.barriers) ? config.barriers : []).forEach((barrier: unknown, i) => {
    if (!isRecord(barrier)) return;
    const issue = (field: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: ['barriers', i, field], message });
    if (ids.has(barrier.id)) issue('id', `duplicate device id "${barrier.id}"`);
    ids.add(barrier.id);
    if (typeof barrier.board === 'string' && !boards.has(barrier.board))
      issue('board', `no board "${barrier.board}" under modbus.boards`);
    if (typeof barrier.lane === 'string' && !lanes.has(barrier.lane))
      issue('lane', `no lane "${barrier.lane}" in gates`);
  });
}

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema of this file, for editors (e.g. ./schema.json).'),
    site: siteSchema.describe('The community this gateway serves.'),
    mode: z
      .enum(SITE_MODES)
      .default('closed')
      .describe(
        'Site mode at first start; afterwards the mode switched at run time (kept in the database) wins.',
      ),
    policy: policySchema.prefault({}).describe('Thresholds of the pass rules, in human units.'),
    gates: gatesSchema,
    lines: z
      .array(serialLineSchema)
      .refine((lines) => new Set(lines.map((l) => l.id)).size === lines.length, 'lists a line id twice')
      .default([])
      .describe('Serial lines (RS-485 buses): one owner each, shared by every device wired to it.'),
    osdp: osdpSchema.prefault({}).describe('OSDP readers and door modules (SIA OSDP 2.2 / IEC 60839-11-5).'),
    idcard: idcardSchema.prefault({}).describe('Resident ID-card readers.'),
    modbus: modbusSchema.prefault({}).describe('Modbus RTU relay/IO boards on the serial lines.'),
    barriers: z.array(barrierSchema).default([]).describe('Vehicle barriers driven through relay/IO boards.'),
    scanners: z
      .array(scannerSchema)
      .default([])
      .describe('QR and barcode scanners (serial line mode or USB HID).'),
    thermometers: z
      .array(thermometerSchema)
      .default([])
      .describe('Handheld thermometers on a serial or USB-serial port: the re-measure of a high reading.'),
    registry: z
      .strictObject({
        pseudonymKeyFile: z
          .string()
          .min(1)
          .default('keys/pseudonym.key')
          .describe('Secret key that turns ID numbers into keyed hashes, relative to dataDir.'),
        view: z
          .enum(REGISTRY_VIEWS)
          .default('auto')
          .describe(
            'How the rules read the registry (docs/registry.md "Registry views"): memory = the whole registry loaded at start (fastest decisions); database = point queries on SQLite (little memory, ready at once); auto = database above 20,000 persons, else memory.',
          ),
      })
      .prefault({})
      .describe('Resident registry.'),
    cameras: camerasSchema.prefault({}).describe('ONVIF thermal and plate cameras (docs/onvif.md).'),
    stations: stationsSchema,
    patrol: patrolSchema
      .prefault({})
      .describe('Patrol rounds through the patrol stations, per duty shift (docs/patrol.md).'),
    duty: dutySchema
      .prefault({})
      .describe('Guards on duty at the checkpoint: shift log-in, handover (docs/duty.md).'),
    api: apiSchema
      .optional()
      .describe('The admin API (docs/api.md); absent: not served. Users: gatewarden api user add.'),
    telemetry: telemetrySchema
      .prefault({})
      .describe('Telemetry: InfluxDB store-and-forward, high-rate samples, Prometheus metrics.'),
    mqtt: mqttSchema
      .prefault({})
      .describe('MQTT: the embedded broker, MQTT devices, Home Assistant discovery, the upstream bridge.'),
    passes: passesSchema
      .prefault({})
      .describe('Signed QR passes: trusted issuer keys, revocations, dynamic codes (docs/passes.md).'),
    journalOutage: journalOutageSchema
      .prefault({})
      .describe(
        'Disk full or I/O errors on the data directory: how long passes are decided from memory and held (docs/journal.md).',
      ),
    freshness: freshnessSchema
      .prefault({})
      .describe(
        'Stale registry, revocations or keys: dashboard, alarm and stale policy (docs/freshness.md).',
      ),
    retention: retentionSchema
      .prefault({})
      .describe(
        'Retention: when visitors’ identity data and temperature readings are purged (docs/journal.md).',
      ),
    log: z
      .strictObject({
        level: z.enum(LOG_LEVELS).default('info').describe('Lowest level written to the log.'),
        file: z
          .string()
          .min(1)
          .optional()
          .describe('Log to this file (relative to dataDir) instead of stderr.'),
      })
      .prefault({})
      .describe('Logging.'),
  })
  .superRefine((config, ctx) => checkDevices(config, ctx), { when: (payload) => isRecord(payload.value) })
  .superRefine((config, ctx) => checkStations(config, ctx), { when: (payload) => isRecord(payload.value) })
  .meta({
    title: 'gatewarden configuration',
    description: 'Configuration of a gatewarden edge gateway: one community, its gates and pass rules.',
  });

/**
 * A validated configuration with every default filled in. As returned by `loadConfig`, every
 * path in it (`site.dataDir`, `site.database`, `registry.pseudonymKeyFile`, `log.file`) is absolute.
 */
export type GatewardenConfig = z.output<typeof configSchema>;
/** What may be written in the file: fields with defaults are optional. */
export type GatewardenConfigInput = z.input<typeof configSchema>;
export type PolicyConfig = GatewardenConfig['policy'];
export type GateConfig = GatewardenConfig['gates'][number];
export type LaneConfig = GateConfig['lanes'][number];

const SECOND_MS = 1000;
const HOUR_MS = 3600 * SECOND_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * The rules' view of the policy, in milliseconds. `mode` is the current run-time mode, not
 * necessarily `config.mode`. `returnWithinHours` and `quarantineDays` are not rule inputs and
 * stay in the configuration for the modules that use them.
 */
export function policyFromConfig(config: Pick<GatewardenConfig, 'policy'>, mode: SiteMode): Policy {
  const p = config.policy;
  return {
    mode,
    feverThresholdC: p.feverThresholdC,
    temperatureWindowMs: Math.round(p.temperatureWindowSeconds * SECOND_MS),
    temperatureDirections: [...p.temperatureDirections],
    maskRequired: p.maskRequired,
    escortWindowMs: Math.round(p.escortWindowSeconds * SECOND_MS),
    householdQuota: {
      exits: p.householdQuota.exits,
      periodMs: Math.round(p.householdQuota.periodHours * HOUR_MS),
    },
    highRiskLookbackMs: p.highRiskLookbackDays * DAY_MS,
    disinfectionPeriodMs: Math.round(p.disinfectionPeriodHours * HOUR_MS),
    antiPassback: p.antiPassback,
    repairNeedsEscort: p.repairNeedsEscort,
    unlockMs: Math.round(p.unlockSeconds * SECOND_MS),
    remeasure: {
      enabled: p.remeasure.enabled,
      waitMs: Math.round(p.remeasure.waitSeconds * SECOND_MS),
      withinMs: Math.round(p.remeasure.withinSeconds * SECOND_MS),
      camera: p.remeasure.camera,
      handheld: p.remeasure.handheld,
    },
  };
}

/** The policy with every default of the schema: for benchmarks, tests and tools without a file. */
export function defaultPolicy(mode: SiteMode): Policy {
  return policyFromConfig({ policy: policySchema.parse({}) }, mode);
}
