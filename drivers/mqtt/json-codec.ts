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
  payloadText,
  upper,
} from './payload.js';

/**
 * Plain JSON devices on topics of the installer's choosing (protocols.md §6.5, last line):
 * - state topic: `{"state":"LOCKED","battery":80}`, or the bare state word (`LOCKED`), with
 *   Home Assistant's words: locks LOCKED | UNLOCKED | JAMMED (LOCK/UNLOCK accepted), relays
 *   ON | OFF, barriers OPEN | CLOSED | OPENING | CLOSING | STOPPED; door contacts
 *   `{"contact":"open"}` or the bare `open` / `closed`; `tamper` true|false; other numbers
 *   are kept as readings;
 * - command topic: `{"state":"UNLOCK"}` / `{"state":"LOCK"}`, `{"state":"ON"}` / `OFF`,
 *   `{"state":"OPEN"}` (barriers are never told to close);
 * - availability topic (optional): `online` / `offline`, or the configured words, or JSON
 *   `{"state":"online"}`: normally the device's retained birth message and last will.
 */
export interface JsonSettings {
  kind: MqttDeviceKind;
  stateTopic: string;
  commandTopic?: string;
  availabilityTopic?: string;
  payloadAvailable?: string;
  payloadNotAvailable?: string;
}

const LOCK: Record<string, DeviceReport['lock']> = {
  LOCKED: 'locked',
  LOCK: 'locked',
  UNLOCKED: 'unlocked',
  UNLOCK: 'unlocked',
  JAMMED: 'jammed',
};
const COVER: Record<string, DeviceReport['cover']> = {
  OPEN: 'open',
  CLOSED: 'closed',
  OPENING: 'opening',
  CLOSING: 'closing',
  STOPPED: 'stopped',
};
const CONTACT: Record<string, boolean> = { OPEN: true, CLOSED: false };

export function jsonCodec(settings: JsonSettings): DeviceCodec {
  const words = {
    online: settings.payloadAvailable ?? 'online',
    offline: settings.payloadNotAvailable ?? 'offline',
  };
  const send = (state: string): OutgoingMessage[] =>
    settings.commandTopic === undefined
      ? []
      : [{ topic: settings.commandTopic, payload: JSON.stringify({ state }), retain: false }];
  const topics = [settings.stateTopic];
  if (settings.availabilityTopic !== undefined) topics.push(settings.availabilityTopic);

  return {
    topics,
    pulses: false,
    decode(topic: string, payload: Buffer): DecodeResult {
      if (topic === settings.availabilityTopic) {
        const online = availabilityWord(payload, words);
        if (!online.ok) return malformed(online.reason);
        return events({ type: 'availability', scope: 'device', online: online.value });
      }
      if (topic !== settings.stateTopic) return ignored('not a topic of this device');
      const object = stateObject(payload, settings.kind);
      if (!object.ok) return malformed(object.reason);
      return stateEvents(settings.kind, object.value);
    },
    encode(command: DeviceCommand): OutgoingMessage[] {
      const release = command.type !== 'secure';
      switch (settings.kind) {
        case 'lock':
          return send(release ? 'UNLOCK' : 'LOCK');
        case 'relay':
          return send(release ? 'ON' : 'OFF');
        case 'barrier':
          return release ? send('OPEN') : [];
        default:
          return [];
      }
    },
  };
}

/** The payload as an object: JSON, or a bare word standing for `{"state": word}` (`{"contact": word}`). */
function stateObject(
  payload: Buffer,
  kind: MqttDeviceKind,
): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  const text = payloadText(payload);
  if (!text.ok) return text;
  const trimmed = text.value.trim();
  if (trimmed.startsWith('{')) return jsonObject(payload);
  if (!/^[A-Za-z_]{1,16}$/.test(trimmed))
    return { ok: false, reason: 'payload is neither JSON nor a state word' };
  return { ok: true, value: kind === 'contact' ? { contact: trimmed } : { state: trimmed } };
}

function stateEvents(kind: MqttDeviceKind, object: Record<string, unknown>): DecodeResult {
  const report: DeviceReport = {};
  const state = field(object, 'state');
  const word = upper(state);
  if (state !== undefined) {
    if (kind === 'lock') {
      report.lock = lookup(LOCK, word);
      if (report.lock === undefined) return malformed('state is not LOCKED, UNLOCKED or JAMMED');
    } else if (kind === 'relay') {
      const power = onOff(state);
      if (power === undefined) return malformed('state is not ON or OFF');
      report.power = power;
    } else if (kind === 'barrier') {
      report.cover = lookup(COVER, word);
      if (report.cover === undefined) return malformed('state is not a barrier state');
    }
  }
  const contact = field(object, 'contact');
  if (kind === 'contact' && contact !== undefined) {
    const open = lookup(CONTACT, upper(contact));
    if (open === undefined) return malformed('contact is not open or closed');
    report.open = open;
  }
  const tamper = field(object, 'tamper');
  if (typeof tamper === 'boolean') report.tamper = tamper;
  const battery = batteryPercent(field(object, 'battery'));
  if (battery !== undefined) report.battery = battery;
  const readings = numericReadings(object, new Set(['battery']));
  if (Object.keys(readings).length > 0) report.readings = readings;
  return events({ type: 'report', report });
}
