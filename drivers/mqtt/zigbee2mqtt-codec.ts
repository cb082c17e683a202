import {
  type DecodeResult,
  type DeviceCodec,
  type DeviceCommand,
  type DeviceReport,
  events,
  ignored,
  type MqttDeviceKind,
  malformed,
  type OutgoingMessage,
} from './device-events.js';
import {
  availabilityWord,
  batteryPercent,
  field,
  jsonObject,
  lookup,
  numericReadings,
  onOff,
  upper,
} from './payload.js';

/**
 * Zigbee2MQTT's topics for one device (zigbee2mqtt.io, guide/usage/mqtt_topics_and_messages;
 * protocols.md §6.4):
 * - `<base>/<friendly name>`: the device's state, a JSON object (`{"state":"LOCK",
 *   "lock_state":"locked","battery":87}`, `{"contact":false}` = open, `{"state":"ON"}`);
 * - `<base>/<friendly name>/set`: commands, `{"state":"UNLOCK"}` / `{"state":"LOCK"}`;
 * - `<base>/<friendly name>/availability`: `online`/`offline`, or `{"state":"online"}` from 2.0;
 * - `<base>/bridge/state`: the bridge's own availability, its MQTT last will. A dead bridge
 *   leaves each device's retained availability at `online`, so the bridge's is followed too.
 */
export interface Zigbee2MqttSettings {
  kind: MqttDeviceKind;
  baseTopic: string;
  /** May contain `/` (Zigbee2MQTT then builds a topic hierarchy). */
  friendlyName: string;
  /** Endpoint of a multi-channel switch: its state is `state_<endpoint>`. */
  endpoint?: string;
}

const LOCK_STATES: Record<string, DeviceReport['lock']> = {
  locked: 'locked',
  unlocked: 'unlocked',
  not_fully_locked: 'jammed',
};
const LOCK_WORDS: Record<string, DeviceReport['lock']> = { LOCK: 'locked', UNLOCK: 'unlocked' };
const COVER_STATES: Record<string, DeviceReport['cover']> = {
  OPEN: 'open',
  CLOSE: 'closed',
  STOP: 'stopped',
};

export function zigbee2mqttCodec(settings: Zigbee2MqttSettings): DeviceCodec {
  const stateTopic = `${settings.baseTopic}/${settings.friendlyName}`;
  const availabilityTopic = `${stateTopic}/availability`;
  const bridgeTopic = `${settings.baseTopic}/bridge/state`;
  const stateKey = settings.endpoint === undefined ? 'state' : `state_${settings.endpoint}`;
  const set = (payload: Record<string, string>): OutgoingMessage[] => [
    { topic: `${stateTopic}/set`, payload: JSON.stringify(payload), retain: false },
  ];

  return {
    topics: [stateTopic, availabilityTopic, bridgeTopic],
    pulses: false,
    decode(topic: string, payload: Buffer): DecodeResult {
      if (topic === availabilityTopic || topic === bridgeTopic) {
        const online = availabilityWord(payload);
        if (!online.ok) return malformed(online.reason);
        const scope = topic === bridgeTopic ? 'bridge' : 'device';
        return events({ type: 'availability', scope, online: online.value });
      }
      if (topic !== stateTopic) return ignored('not a topic of this device');
      const object = jsonObject(payload);
      if (!object.ok) return malformed(object.reason);
      return stateEvents(settings.kind, stateKey, object.value);
    },
    encode(command: DeviceCommand): OutgoingMessage[] {
      const release = command.type !== 'secure';
      switch (settings.kind) {
        case 'lock':
          return set({ state: release ? 'UNLOCK' : 'LOCK' });
        case 'relay':
          return set({ [stateKey]: release ? 'ON' : 'OFF' });
        case 'barrier':
          // Open only: the barrier's controller closes it behind the vehicle (see DeviceCommand).
          return release ? set({ state: 'OPEN' }) : [];
        default:
          return [];
      }
    },
  };
}

function stateEvents(kind: MqttDeviceKind, stateKey: string, object: Record<string, unknown>): DecodeResult {
  const report: DeviceReport = {};
  const state = field(object, stateKey);
  switch (kind) {
    case 'lock': {
      const lockState = field(object, 'lock_state');
      if (lockState !== undefined) {
        const lock = lookup(LOCK_STATES, lockState);
        if (lock === undefined) return malformed('lock_state is not locked, unlocked or not_fully_locked');
        report.lock = lock;
      } else if (state !== undefined) {
        const lock = lookup(LOCK_WORDS, upper(state));
        if (lock === undefined) return malformed(`${stateKey} is not LOCK or UNLOCK`);
        report.lock = lock;
      }
      break;
    }
    case 'relay':
      if (state !== undefined) {
        const power = onOff(state);
        if (power === undefined) return malformed(`${stateKey} is not ON or OFF`);
        report.power = power;
      }
      break;
    case 'barrier':
      if (state !== undefined) {
        const cover = lookup(COVER_STATES, upper(state));
        if (cover === undefined) return malformed(`${stateKey} is not OPEN, CLOSE or STOP`);
        report.cover = cover;
      }
      break;
    case 'contact': {
      const contact = field(object, 'contact');
      if (contact !== undefined) {
        if (typeof contact !== 'boolean') return malformed('contact is not true or false');
        report.open = !contact; // Zigbee2MQTT: contact true = the magnet is near = closed
      }
      break;
    }
    case 'sensor':
      break;
  }
  const tamper = field(object, 'tamper');
  if (typeof tamper === 'boolean') report.tamper = tamper;
  const battery = batteryPercent(field(object, 'battery'));
  if (battery !== undefined) report.battery = battery;
  const readings = numericReadings(object, new Set(['battery']));
  if (Object.keys(readings).length > 0) report.readings = readings;
  return events({ type: 'report', report });
}
