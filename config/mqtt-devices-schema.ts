/**
 * Devices that speak MQTT (locks, barriers, relays, door contacts, sensors) and Home Assistant
 * discovery. Part of the one schema in `schema.ts`, through `mqtt-schema.ts`. A device is one of
 * three conventions (`convention`: zigbee2mqtt | tasmota | json), each naming its topics its
 * own way, and one kind (`kind`); docs/mqtt-devices.md explains both with examples.
 */
import { z } from 'zod';
import { ID_PATTERN } from '../gateway/registry/document.js';

const slug = z
  .string()
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug: lower-case letters, digits and single hyphens');

/** A topic a device publishes or reads: no wildcards, no `$` topics, no empty level. */
const concreteTopic = z
  .string()
  .max(200)
  .regex(/^[^$+#/][^+#]*$/, 'a topic without wildcards (+ #), not starting with $ or /')
  .refine((t) => !t.includes('//') && !t.endsWith('/'), 'a topic without empty levels')
  .refine((t) => !t.includes('\u0000'), 'a topic without NUL characters');

const topicPrefix = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/, 'letters, digits, _ and - in levels separated by single /');

export const MQTT_DEVICE_KIND_NAMES = ['lock', 'relay', 'barrier', 'contact', 'sensor'] as const;
const ACTUATORS: readonly string[] = ['lock', 'relay', 'barrier'];

/** Fields every convention has. Seconds, as the rest of the configuration; the builder converts. */
const common = {
  id: slug.describe('Device id, unique across the site: names it in the journal and on the dashboard.'),
  lane: slug
    .optional()
    .describe(
      'Lane the device serves (a lock or barrier acts on its passes). Required, except for a ' +
        'contact on a household’s door, which names `household` instead.',
    ),
  household: z
    .string()
    .regex(ID_PATTERN, 'a registry household id: 1–128 characters without spaces')
    .optional()
    .describe(
      'contact: registry id of the household whose door this contact watches (home quarantine), ' +
        'instead of `lane`: while an order is in force for the household, an opening not closed ' +
        'within `breachGraceSeconds` is a QUARANTINE_BREACH alarm (docs/mqtt-devices.md).',
    ),
  breachGraceSeconds: z
    .number()
    .positive()
    .max(3600)
    .optional()
    .describe(
      'household contact: seconds the door may stay open during an order (a delivery taken in at ' +
        'the door) before QUARANTINE_BREACH. Default 60.',
    ),
  lowBatteryPercent: z
    .number()
    .min(1)
    .max(99)
    .optional()
    .describe(
      'household contact: a battery at or below this percent during an order is SENSOR_LOW_BATTERY. ' +
        'Default 20.',
    ),
  kind: z
    .enum(MQTT_DEVICE_KIND_NAMES)
    .describe(
      'lock: a door lock; relay: a relay driving a door strike (ON releases); barrier: opens a ' +
        'barrier (its controller closes it); contact: a door contact; sensor: readings only.',
    ),
  stateTimeoutSeconds: z
    .number()
    .positive()
    .max(86400)
    .optional()
    .describe(
      'No message from the device for this long makes it offline (DEVICE_OFFLINE). Leave out for ' +
        'devices that publish only on change and have a last will or availability topic.',
    ),
  unlockSeconds: z
    .number()
    .positive()
    .max(600)
    .optional()
    .describe('lock, relay: seconds a pass releases it, instead of policy.unlockSeconds.'),
  pulseSeconds: z
    .number()
    .positive()
    .max(60)
    .optional()
    .describe('barrier (and a lock or relay on a vehicle lane): seconds the open command lasts. Default 1.'),
  heldOpenSeconds: z
    .number()
    .positive()
    .max(3600)
    .optional()
    .describe('contact: seconds the door may stay open after its release before DOOR_HELD_OPEN. Default 30.'),
  lockDevice: slug
    .optional()
    .describe(
      'contact: id of the MQTT lock or relay of this door; the door opening while it is unlocked is not forced.',
    ),
};

const zigbee2mqttDevice = z
  .strictObject({
    convention: z.literal('zigbee2mqtt'),
    ...common,
    baseTopic: topicPrefix.default('zigbee2mqtt').describe('Zigbee2MQTT base topic (its mqtt.base_topic).'),
    friendlyName: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[^+#/]+(?:\/[^+#/]+)*$/, 'no wildcards, empty levels or leading/trailing /')
      .refine((n) => !n.includes('\u0000'), 'no NUL characters')
      .refine((n) => n.split('/')[0] !== 'bridge', '"bridge" is the bridge’s own topic')
      .describe('Friendly name of the device in Zigbee2MQTT (a / in it makes a topic hierarchy).'),
    endpoint: z
      .string()
      .regex(/^[a-z0-9_]{1,16}$/, 'an endpoint name such as l1')
      .optional()
      .describe('relay: endpoint of a multi-channel switch (state_<endpoint>).'),
  })
  .superRefine((d, ctx) => checkKindFields(d, ctx));

const tasmotaDevice = z
  .strictObject({
    convention: z.literal('tasmota'),
    ...common,
    topic: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, 'Tasmota topic: up to 32 letters, digits, _ and -')
      .describe('The device’s Tasmota Topic (%topic%).'),
    fullTopic: z
      .string()
      .max(100)
      .regex(/^[A-Za-z0-9_%/-]+$/, 'letters, digits, _, -, / and %prefix% / %topic%')
      .refine((t) => t.includes('%prefix%') && t.includes('%topic%'), 'must contain %prefix% and %topic%')
      .default('%prefix%/%topic%/')
      .describe('Tasmota FullTopic, as set on the device.'),
    relay: z
      .number()
      .int()
      .min(1)
      .max(8)
      .optional()
      .describe('lock, relay, barrier: relay number (POWER<n>). Default 1.'),
    switchInput: z
      .number()
      .int()
      .min(1)
      .max(8)
      .optional()
      .describe('contact: switch input (Switch<n>). Default 1.'),
    openWhen: z
      .enum(['on', 'off'])
      .optional()
      .describe(
        'contact: switch state that means open. Default off (a reed contact closed by the closed door).',
      ),
  })
  .superRefine((d, ctx) => checkKindFields(d, ctx));

const jsonDevice = z
  .strictObject({
    convention: z.literal('json'),
    ...common,
    baseTopic: concreteTopic
      .optional()
      .describe(
        'Prefix of the device’s topics: <baseTopic>/state, /set and /availability (the broker’s ' +
          'default ACL for a plain device). Default devices/<id>.',
      ),
    stateTopic: concreteTopic
      .optional()
      .describe('Topic the device publishes its state on, if not <baseTopic>/state.'),
    commandTopic: concreteTopic
      .optional()
      .describe('lock, relay, barrier: topic the device takes commands on, if not <baseTopic>/set.'),
    availabilityTopic: concreteTopic
      .optional()
      .describe(
        'Topic of the device’s retained birth message and last will, if not <baseTopic>/availability.',
      ),
    payloadAvailable: z.string().min(1).max(32).default('online').describe('Availability payload: online.'),
    payloadNotAvailable: z
      .string()
      .min(1)
      .max(32)
      .default('offline')
      .describe('Availability payload: offline.'),
  })
  .superRefine((d, ctx) => checkKindFields(d, ctx));

export const mqttDeviceSchema = z
  .discriminatedUnion('convention', [zigbee2mqttDevice, tasmotaDevice, jsonDevice])
  .describe('A lock, relay, barrier, door contact or sensor that speaks MQTT on the embedded broker.');

/** Fields that belong to some kinds only: named on another kind they are a mistake, not ignored. */
const ONLY_FOR: Record<string, readonly string[]> = {
  unlockSeconds: ['lock', 'relay'],
  pulseSeconds: ACTUATORS,
  heldOpenSeconds: ['contact'],
  lockDevice: ['contact'],
  household: ['contact'],
  breachGraceSeconds: ['contact'],
  lowBatteryPercent: ['contact'],
  endpoint: ['relay'],
  relay: ACTUATORS,
  switchInput: ['contact'],
  openWhen: ['contact'],
  commandTopic: ACTUATORS,
};

/** Fields of a contact at a lane (its releases) and of one on a household's door (its orders). */
const LANE_CONTACT_ONLY = ['heldOpenSeconds', 'lockDevice'] as const;
const HOUSEHOLD_CONTACT_ONLY = ['breachGraceSeconds', 'lowBatteryPercent'] as const;

function checkKindFields(device: Record<string, unknown> & { kind: string }, ctx: z.RefinementCtx): void {
  for (const [fieldName, kinds] of Object.entries(ONLY_FOR)) {
    if (device[fieldName] !== undefined && !kinds.includes(device.kind))
      ctx.addIssue({ code: 'custom', path: [fieldName], message: `only for kind ${kinds.join(' or ')}` });
  }
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const hasLane = device.lane !== undefined;
  const hasHousehold = device.household !== undefined;
  if (device.kind !== 'contact') {
    if (!hasLane) issue('lane', 'a lane is required');
    return;
  }
  if (hasLane === hasHousehold) {
    issue(hasLane ? 'household' : 'lane', 'a contact names exactly one of lane and household');
    return;
  }
  const [wrong, owner] = hasLane ? [HOUSEHOLD_CONTACT_ONLY, 'household'] : [LANE_CONTACT_ONLY, 'lane'];
  for (const fieldName of wrong)
    if (device[fieldName] !== undefined) issue(fieldName, `only for a contact with ${owner}`);
}

/**
 * Checks across the list (for `mqtt.devices`): no two devices on the same topics (one would
 * steal the other's commands), and a contact's `lockDevice` names an MQTT lock or relay.
 */
export function checkMqttDevices(devices: readonly MqttDeviceConfig[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  const byId = new Map(devices.map((d) => [d.id, d]));
  devices.forEach((d, i) => {
    const key = topicKey(d);
    const first = seen.get(key);
    if (first !== undefined)
      ctx.addIssue({ code: 'custom', path: [i], message: `uses the same topics as devices.${first}` });
    else seen.set(key, i);
    if (d.lockDevice !== undefined) {
      const lock = byId.get(d.lockDevice);
      if (lock === undefined || (lock.kind !== 'lock' && lock.kind !== 'relay'))
        ctx.addIssue({
          code: 'custom',
          path: [i, 'lockDevice'],
          message: `no MQTT lock or relay "${d.lockDevice}"`,
        });
    }
  });
}

function topicKey(d: MqttDeviceConfig): string {
  switch (d.convention) {
    case 'zigbee2mqtt':
      return `z2m ${d.baseTopic}/${d.friendlyName} ${d.endpoint ?? ''}`;
    case 'tasmota':
      return `tasmota ${d.fullTopic.replaceAll('%topic%', d.topic)} ${d.kind === 'contact' ? `switch ${d.switchInput ?? 1}` : `relay ${d.relay ?? 1}`}`;
    case 'json':
      return `json ${jsonTopics(d).state}`;
  }
}

type JsonDeviceConfig = Extract<MqttDeviceConfig, { convention: 'json' }>;

/** A plain JSON device's topics, with the defaults under `<baseTopic>` (`devices/<id>`) filled in. */
export function jsonTopics(d: JsonDeviceConfig): { state: string; command: string; availability: string } {
  const base = d.baseTopic ?? `devices/${d.id}`;
  return {
    state: d.stateTopic ?? `${base}/state`,
    command: d.commandTopic ?? `${base}/set`,
    availability: d.availabilityTopic ?? `${base}/availability`,
  };
}

/** A Home Assistant topic or prefix: levels of letters, digits, _ and -, no wildcards or empty levels. */
const haTopic = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/, 'letters, digits, _ and - in levels separated by single /');

export const homeAssistantSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(false)
    .describe(
      'Publish Home Assistant MQTT discovery on the embedded broker (read-only entities; docs/mqtt.md).',
    ),
  prefix: haTopic.default('homeassistant').describe('Discovery prefix of Home Assistant.'),
  statusTopic: haTopic
    .default('homeassistant/status')
    .describe('Topic of Home Assistant’s birth message (`online`): every config is published again on it.'),
});

export type MqttDeviceConfig = z.output<typeof mqttDeviceSchema>;
export type HomeAssistantConfig = z.output<typeof homeAssistantSchema>;
