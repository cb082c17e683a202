/**
 * The local live topic tree on the gateway's own bus (the embedded broker): what the dashboard,
 * Home Assistant and Node-RED read. One place for the layout, typed as a topic → payload map;
 * documented with an example payload per topic in docs/mqtt.md (a test checks every pattern is).
 *
 *   <root>/<site>/pass/<gate>/<lane>          allowed decisions          stream, QoS 0
 *   <root>/<site>/refusal/<gate>/<lane>       refused decisions          stream, QoS 0
 *   <root>/<site>/temperature/<gate>/<lane>   temperature readings       stream, QoS 0
 *   <root>/<site>/alarm                       alarms                     stream, QoS 0
 *   <root>/<site>/alarm/ack                   alarm acknowledgements     stream, QoS 0
 *   <root>/<site>/device/<device>/availability  online/offline           retained
 *   <root>/<site>/device/<device>/state       last device entry          retained
 *   <root>/<site>/gate/<gate>/<lane>/state    lock/barrier, last pass    retained
 *   <root>/<site>/mode                        open/closed/lockdown       retained
 *   <root>/<site>/fire                        fire alarm input           retained
 *   <root>/<site>/gateway/status              birth (and will)           retained
 *   <root>/<site>/counters/daily              today's pass counts        retained
 *
 * Privacy: every payload is JSON without names, ID numbers, credential values (card UIDs,
 * plates, QR ids) or operator free text. Subjects appear as a keyed pseudonym of their own
 * label (see live-feed-privacy.ts); the dashboard fetches detail by role through the API, using
 * the `seq` each stream message carries, never through MQTT.
 */
import type {
  AlarmAckMessage,
  AlarmMessage,
  AvailabilityMessage,
  DailyCountersMessage,
  DeviceStateMessage,
  FireMessage,
  GateStateMessage,
  GatewayStatusMessage,
  ModeMessage,
  PassMessage,
  RefusalMessage,
  TemperatureMessage,
} from './live-feed-payloads.js';

export type * from './live-feed-payloads.js';

/** Default first level of the tree (the broker's `liveTopicRoot`, the dashboard's ACL root). */
export const LOCAL_TOPIC_ROOT = 'gatewarden';

/** Topic pattern (below `<root>/<site>/`) → payload. */
export interface LocalTopicMap {
  'pass/+/+': PassMessage;
  'refusal/+/+': RefusalMessage;
  'temperature/+/+': TemperatureMessage;
  alarm: AlarmMessage;
  'alarm/ack': AlarmAckMessage;
  'device/+/availability': AvailabilityMessage;
  'device/+/state': DeviceStateMessage;
  'gate/+/+/state': GateStateMessage;
  mode: ModeMessage;
  fire: FireMessage;
  'gateway/status': GatewayStatusMessage;
  'counters/daily': DailyCountersMessage;
}
export type LocalTopicPattern = keyof LocalTopicMap;

/** Streams are QoS 0 and not retained (a missed pass is in the journal); states are retained, QoS 1. */
export const LOCAL_TOPIC_RETAINED: Readonly<Record<LocalTopicPattern, boolean>> = {
  'pass/+/+': false,
  'refusal/+/+': false,
  'temperature/+/+': false,
  alarm: false,
  'alarm/ack': false,
  'device/+/availability': true,
  'device/+/state': true,
  'gate/+/+/state': true,
  mode: true,
  fire: true,
  'gateway/status': true,
  'counters/daily': true,
};

export const LOCAL_TOPIC_PATTERNS = Object.keys(LOCAL_TOPIC_RETAINED) as LocalTopicPattern[];

/** One message for the bus, typed by its pattern. */
export type LocalMessage<P extends LocalTopicPattern = LocalTopicPattern> = {
  [K in P]: { pattern: K; topic: string; payload: LocalTopicMap[K]; retain: boolean };
}[P];

/** A topic level from a configured or journaled id: no separators, wildcards or NUL. */
function level(value: string): string {
  if (value.length === 0 || /[/+#]/.test(value) || value.includes('\0')) {
    throw new TypeError(`"${value}" cannot be a topic level (empty, or holds / + # or NUL)`);
  }
  return value;
}

/** The topics of one site's tree. Throws a TypeError for an id that cannot be a topic level. */
export function localTopics(siteId: string, root = LOCAL_TOPIC_ROOT) {
  const base = `${level(root)}/${level(siteId)}`;
  return {
    base,
    /** Everything of the site: what the dashboard subscribes to. */
    all: `${base}/#`,
    pass: (gate: string, lane: string) => `${base}/pass/${level(gate)}/${level(lane)}`,
    refusal: (gate: string, lane: string) => `${base}/refusal/${level(gate)}/${level(lane)}`,
    temperature: (gate: string, lane: string) => `${base}/temperature/${level(gate)}/${level(lane)}`,
    alarm: () => `${base}/alarm`,
    alarmAck: () => `${base}/alarm/ack`,
    deviceAvailability: (device: string) => `${base}/device/${level(device)}/availability`,
    deviceState: (device: string) => `${base}/device/${level(device)}/state`,
    gateState: (gate: string, lane: string) => `${base}/gate/${level(gate)}/${level(lane)}/state`,
    mode: () => `${base}/mode`,
    fire: () => `${base}/fire`,
    gatewayStatus: () => `${base}/gateway/status`,
    dailyCounters: () => `${base}/counters/daily`,
  };
}
export type LocalTopics = ReturnType<typeof localTopics>;

/** A message for `topic`, retained as its pattern says. */
export function localMessage<P extends LocalTopicPattern>(
  pattern: P,
  topic: string,
  payload: LocalTopicMap[P],
): LocalMessage<P> {
  return { pattern, topic, payload, retain: LOCAL_TOPIC_RETAINED[pattern] } as LocalMessage<P>;
}

/** The pattern a topic of this site's tree belongs to; undefined for any other topic. */
export function localTopicPattern(topics: LocalTopics, topic: string): LocalTopicPattern | undefined {
  const prefix = `${topics.base}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length);
  return LOCAL_TOPIC_PATTERNS.find((p) => {
    const f = p.split('/');
    const t = rest.split('/');
    return f.length === t.length && f.every((x, i) => x === '+' || x === t[i]);
  });
}

/** The retained last will for a client bus that carries the tree (set on the MQTT.js client). */
export function gatewayWill(topics: LocalTopics): { topic: string; payload: string; retain: true; qos: 1 } {
  const payload: GatewayStatusMessage = { state: 'offline', at: null };
  return { topic: topics.gatewayStatus(), payload: JSON.stringify(payload), retain: true, qos: 1 };
}
