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
  field,
  isRecord,
  jsonObject,
  numericReadings,
  onOff,
  payloadText,
} from './payload.js';

/**
 * Tasmota's topics for one device (tasmota.github.io/docs: MQTT, Commands): the full topic is
 * `%prefix%/%topic%/` with prefixes `cmnd` (to the device), `stat` (answers) and `tele`
 * (periodic and the last will):
 * - `cmnd/<topic>/POWER<x>` ON|OFF; `cmnd/<topic>/PulseTime<x> <v>`: the next ON turns itself
 *   off after v/10 s (v 1–111) or v−100 s (v 112–64900); 0 = no pulse;
 * - `stat/<topic>/POWER<x>` ON|OFF and `stat/<topic>/RESULT` `{"POWER":"ON"}` after a change;
 * - `tele/<topic>/LWT` `Online` (retained, at connect) / `Offline` (the retained last will);
 * - `tele/<topic>/STATE` every TelePeriod (`{"UptimeSec":60,"POWER":"OFF","Wifi":{...}}`);
 * - `tele/<topic>/SENSOR` (`{"Switch1":"ON","AM2301":{"Temperature":22.1}}`), and switch
 *   changes as `stat/<topic>/RESULT` `{"Switch1":{"Action":"ON"}}` (SetOption114).
 * Relay 1 is addressed without an index (`POWER`), as Tasmota reports a one-relay device.
 */
export interface TasmotaSettings {
  kind: MqttDeviceKind;
  topic: string;
  /** Tasmota's FullTopic; `%prefix%` and `%topic%` are replaced. Default `%prefix%/%topic%/`. */
  fullTopic?: string;
  /** Relay number (1–8) that drives the lock, strike or barrier input. */
  relay?: number;
  /** Switch input (1–8) wired to the door contact. */
  switchInput?: number;
  /** The switch state that means "door open": OFF for a reed contact that closes with the door. */
  openWhen?: 'on' | 'off';
}

const PULSE_TENTHS_MAX = 111;
const PULSE_VALUE_MAX = 64900;

/** PulseTime's value for a pulse of `ms` (rounded to what Tasmota can time; at least 0.1 s). */
export function pulseTimeValue(ms: number): number {
  if (ms <= PULSE_TENTHS_MAX * 100) return Math.max(1, Math.round(ms / 100));
  return Math.min(PULSE_VALUE_MAX, Math.round(ms / 1000) + 100);
}

/** How long a PulseTime value times a pulse, ms (0: no pulse). */
export function pulseTimeMs(value: number): number {
  if (value <= 0) return 0;
  return value <= PULSE_TENTHS_MAX ? value * 100 : (value - 100) * 1000;
}

export function tasmotaCodec(settings: TasmotaSettings): DeviceCodec {
  const relay = settings.relay ?? 1;
  const switchKey = `Switch${settings.switchInput ?? 1}`;
  const openWhenOn = settings.openWhen === 'on';
  const full = (settings.fullTopic ?? '%prefix%/%topic%/').replaceAll('%topic%', settings.topic);
  const at = (prefix: string, command: string) =>
    `${full.replaceAll('%prefix%', prefix)}${full.endsWith('/') ? '' : '/'}${command}`;
  const suffix = relay === 1 ? '' : String(relay);
  const powerKeys = relay === 1 ? ['POWER', 'POWER1'] : [`POWER${relay}`];
  const topics = {
    lwt: at('tele', 'LWT'),
    state: at('tele', 'STATE'),
    sensor: at('tele', 'SENSOR'),
    result: at('stat', 'RESULT'),
  };
  const powerTopics = powerKeys.map((key) => at('stat', key));
  const actuator = settings.kind === 'lock' || settings.kind === 'relay' || settings.kind === 'barrier';
  const command = (name: string, payload: string): OutgoingMessage => ({
    topic: at('cmnd', name),
    payload,
    retain: false,
  });

  const jsonEvents = (payload: Buffer, what: 'result' | 'state' | 'sensor'): DecodeResult => {
    const object = jsonObject(payload);
    if (!object.ok) return malformed(object.reason);
    const report: DeviceReport = {};
    const power = powerKeys.map((key) => field(object.value, key)).find((v) => v !== undefined);
    if (power !== undefined && actuator) {
      const on = onOff(power);
      if (on === undefined) return malformed(`${powerKeys[0]} is not ON or OFF`);
      report.power = on;
    }
    let sw = field(object.value, switchKey);
    if (isRecord(sw)) sw = field(sw, 'Action');
    if (sw !== undefined && settings.kind === 'contact') {
      const on = onOff(sw);
      if (on === undefined) return malformed(`${switchKey} is not ON or OFF`);
      report.open = on === openWhenOn;
    }
    if (what !== 'result') {
      const readings = numericReadings(object.value);
      if (Object.keys(readings).length > 0) report.readings = readings;
    }
    if (what === 'result' && Object.keys(report).length === 0)
      return ignored('a result about another setting');
    return events({ type: 'report', report });
  };

  return {
    topics: [topics.lwt, ...powerTopics, topics.result, topics.state, topics.sensor],
    pulses: actuator,
    decode(topic: string, payload: Buffer): DecodeResult {
      if (topic === topics.lwt) {
        const online = availabilityWord(payload);
        if (!online.ok) return malformed(online.reason);
        return events({ type: 'availability', scope: 'device', online: online.value });
      }
      if (powerTopics.includes(topic)) {
        const text = payloadText(payload);
        if (!text.ok) return malformed(text.reason);
        const on = onOff(text.value);
        if (on === undefined) return malformed('POWER is not ON or OFF');
        return actuator ? events({ type: 'report', report: { power: on } }) : ignored('relay of no use here');
      }
      if (topic === topics.result) return jsonEvents(payload, 'result');
      if (topic === topics.state) return jsonEvents(payload, 'state');
      if (topic === topics.sensor) return jsonEvents(payload, 'sensor');
      return ignored('not a topic of this device');
    },
    encode(cmd: DeviceCommand): OutgoingMessage[] {
      if (!actuator) return [];
      if (cmd.type === 'secure') return [command(`POWER${suffix}`, 'OFF')];
      // Every ON states its PulseTime: the setting persists in the device, so an ON meant to hold
      // must clear a pulse left from an earlier release.
      const pulse = cmd.type === 'release' && cmd.pulseMs !== undefined ? pulseTimeValue(cmd.pulseMs) : 0;
      return [command(`PulseTime${suffix}`, String(pulse)), command(`POWER${suffix}`, 'ON')];
    },
  };
}
