/**
 * Home Assistant MQTT discovery configs for the site (protocols.md §6.3), built from the layout
 * and pointing at the local tree: HA reads the same retained states as the dashboard.
 *
 * Read-only, on purpose. Home Assistant gets no command topic: a remote open must go through the
 * authorised upstream request path (an authorised identity, a transaction id, a journal entry, an
 * ok/error reply), and an HA button on the local bus would bypass all of it. Hence:
 * - a pedestrian lane's lock is a `binary_sensor` with device_class `lock` (on = unlocked), not
 *   a `lock`: HA's MQTT lock requires a command topic, and one the gateway ignores would be a lie
 *   (HA would show lock/unlock buttons that do nothing);
 * - a vehicle lane's barrier is a `cover` with device_class `gate` and no command topic, which HA
 *   accepts and shows without open/close controls (its features come only from a command topic);
 * - temperatures, daily counts and the mode are `sensor`s; fire and device links `binary_sensor`s.
 * Every entity is available while the gateway's status (`gateway/status`) says online.
 */
import type { LiveDevice, LiveGate, LiveLane, LiveLayout } from './live-feed-layout.js';
import type { LocalTopics } from './local-topics.js';

export const HA_COMPONENTS = ['binary_sensor', 'cover', 'sensor'] as const;
export type HaComponent = (typeof HA_COMPONENTS)[number];

/** One entity's discovery message: `<prefix>/<component>/<node>/<object>/config`, retained. */
export interface HaDiscovery {
  component: HaComponent;
  objectId: string;
  config: Record<string, unknown>;
}

export interface HaConfigOptions {
  layout: LiveLayout;
  topics: LocalTopics;
  version?: string;
}

/** The node id of the site in discovery topics and the prefix of every unique id. */
export function haNodeId(layout: LiveLayout): string {
  return `gatewarden_${layout.siteId}`;
}

const bilingual = (name: { zh: string; en: string }, zh = '', en = '') =>
  `${name.zh}${zh} ${name.en}${en}`.trim();

/** Every discovery config of the site. */
export function haDiscoveries(options: HaConfigOptions): HaDiscovery[] {
  const { layout } = options;
  const out: HaDiscovery[] = siteEntities(options);
  for (const gate of layout.gates) {
    for (const lane of gate.lanes)
      out.push(gateEntity(options, gate, lane), temperatureEntity(options, gate, lane));
  }
  for (const device of layout.devices.values()) out.push(deviceEntity(options, device));
  return out;
}

function entity(
  options: HaConfigOptions,
  component: HaComponent,
  objectId: string,
  device: Record<string, unknown>,
  fields: Record<string, unknown>,
): HaDiscovery {
  const node = haNodeId(options.layout);
  return {
    component,
    objectId,
    config: {
      unique_id: `${node}_${objectId}`,
      device,
      availability: [{ topic: options.topics.gatewayStatus(), value_template: '{{ value_json.state }}' }],
      origin: { name: 'gatewarden', ...(options.version ? { sw_version: options.version } : {}) },
      ...fields,
    },
  };
}

function siteDevice(options: HaConfigOptions): Record<string, unknown> {
  const { layout, version } = options;
  return {
    identifiers: [haNodeId(layout)],
    name: bilingual(layout.siteName),
    manufacturer: 'gatewarden',
    model: 'Gate gateway',
    ...(version ? { sw_version: version } : {}),
  };
}

function gateDevice(options: HaConfigOptions, gate: LiveGate): Record<string, unknown> {
  const node = haNodeId(options.layout);
  return {
    identifiers: [`${node}_gate_${gate.id}`],
    name: bilingual(gate.name),
    manufacturer: 'gatewarden',
    model: 'Gate',
    via_device: node,
  };
}

function siteEntities(options: HaConfigOptions): HaDiscovery[] {
  const { topics } = options;
  const device = siteDevice(options);
  const counter = (field: 'granted' | 'refused', zh: string, en: string) =>
    entity(options, 'sensor', `passes_${field}_today`, device, {
      name: `${zh} ${en}`,
      state_topic: topics.dailyCounters(),
      value_template: `{{ value_json.${field} }}`,
      state_class: 'total_increasing',
      icon: field === 'granted' ? 'mdi:account-check' : 'mdi:account-cancel',
    });
  return [
    counter('granted', '今日通行', 'Passes today'),
    counter('refused', '今日拒绝', 'Refusals today'),
    entity(options, 'sensor', 'site_mode', device, {
      name: '管控模式 Site mode',
      state_topic: topics.mode(),
      value_template: '{{ value_json.mode }}',
      device_class: 'enum',
      options: ['open', 'closed', 'lockdown'],
      icon: 'mdi:shield-home',
    }),
    entity(options, 'binary_sensor', 'fire_alarm', device, {
      name: '消防报警 Fire alarm',
      state_topic: topics.fire(),
      value_template: "{{ 'ON' if value_json.active else 'OFF' }}",
      device_class: 'safety',
    }),
  ];
}

function gateEntity(options: HaConfigOptions, gate: LiveGate, lane: LiveLane): HaDiscovery {
  const state = options.topics.gateState(gate.id, lane.id);
  const common = { state_topic: state, json_attributes_topic: state };
  if (lane.kind === 'pedestrian') {
    return entity(options, 'binary_sensor', `${lane.id}_lock`, gateDevice(options, gate), {
      name: bilingual(lane.name, '门锁', ' lock'),
      ...common,
      value_template: "{{ 'ON' if value_json.open else 'OFF' }}",
      device_class: 'lock',
    });
  }
  return entity(options, 'cover', `${lane.id}_barrier`, gateDevice(options, gate), {
    name: bilingual(lane.name, '道闸', ' barrier'),
    ...common,
    value_template: "{{ 'open' if value_json.open else 'closed' }}",
    device_class: 'gate',
  });
}

function temperatureEntity(options: HaConfigOptions, gate: LiveGate, lane: LiveLane): HaDiscovery {
  return entity(options, 'sensor', `${lane.id}_temperature`, gateDevice(options, gate), {
    name: bilingual(lane.name, '体温', ' temperature'),
    state_topic: options.topics.temperature(gate.id, lane.id),
    value_template: '{{ value_json.celsius }}',
    device_class: 'temperature',
    unit_of_measurement: '°C',
    state_class: 'measurement',
    suggested_display_precision: 1,
  });
}

function deviceEntity(options: HaConfigOptions, device: LiveDevice): HaDiscovery {
  const { layout } = options;
  const lane = device.lane === undefined ? undefined : layout.lanes.get(device.lane);
  const gate = lane === undefined ? undefined : layout.gates.find((g) => g.id === lane.gate);
  return entity(
    options,
    'binary_sensor',
    `device_${device.id}`,
    gate ? gateDevice(options, gate) : siteDevice(options),
    {
      name: `${device.id} 连接 link`,
      state_topic: options.topics.deviceAvailability(device.id),
      value_template: '{{ value_json.state }}',
      payload_on: 'online',
      payload_off: 'offline',
      device_class: 'connectivity',
      entity_category: 'diagnostic',
      json_attributes_topic: options.topics.deviceState(device.id),
    },
  );
}
