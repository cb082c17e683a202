/**
 * What an MQTT device says and what it is told, in gatewarden's terms, whatever its convention
 * (Zigbee2MQTT, Tasmota, plain JSON). A codec turns one message (topic + payload) into these
 * events and a command into the messages to publish; it is pure (no I/O, no clock), total (it
 * returns for every input, never throws) and knows the topics of exactly one device.
 */

/** The kinds of device a lane can use over MQTT. */
export const MQTT_DEVICE_KINDS = ['lock', 'relay', 'barrier', 'contact', 'sensor'] as const;
export type MqttDeviceKind = (typeof MQTT_DEVICE_KINDS)[number];

/** Kinds that act on a lane's decisions (release for a pass, hold during a fire alarm). */
export const ACTUATOR_KINDS: readonly MqttDeviceKind[] = ['lock', 'relay', 'barrier'];

/**
 * A state report; a field is present only when the message said it. `readings` holds the
 * other numbers a device reports (battery %, link quality, temperature, RSSI, ...).
 */
export interface DeviceReport {
  /** A lock's bolt. `jammed`: the lock tried and could not (z2m `not_fully_locked`, HA `JAMMED`). */
  lock?: 'locked' | 'unlocked' | 'jammed';
  /** A relay's contact: true = energised (ON). */
  power?: boolean;
  /** A door contact: true = the door is open. */
  open?: boolean;
  /** A cover / barrier arm, as Zigbee2MQTT and Home Assistant name its states. */
  cover?: 'open' | 'closed' | 'opening' | 'closing' | 'stopped';
  /** The case was opened or the device pulled off the wall. */
  tamper?: boolean;
  /** Battery charge, percent (0–100). */
  battery?: number;
  readings?: Record<string, number>;
}

export type DeviceEvent =
  /**
   * The device, or the bridge it hangs on (a Zigbee2MQTT bridge: every device behind it is
   * unreachable while it is offline), declared itself online or offline.
   */
  | { type: 'availability'; scope: 'device' | 'bridge'; online: boolean }
  | { type: 'report'; report: DeviceReport };

/**
 * The outcome of decoding one message (style H9):
 * - `events`: the message was this device's and made sense (possibly no event: a message with
 *   nothing the gateway uses, e.g. a Tasmota `{"Heap":27}`);
 * - `ignored`: the topic is one the codec is subscribed to but carries nothing to act on (our
 *   own command echoed back, a Tasmota result about another setting); not an error;
 * - `malformed`: the message was this device's but its payload is broken: to be logged with the
 *   device and topic, and dropped.
 */
export type DecodeResult =
  | { kind: 'events'; events: DeviceEvent[] }
  | { kind: 'ignored'; why: string }
  | { kind: 'malformed'; reason: string };

/**
 * What the gateway asks an actuator to do.
 * - `release`: unlock / energise / open. With `pulseMs`, on a codec that `pulses`, the device
 *   times the release itself (Tasmota `PulseTime`) and falls back on its own when it ends, even
 *   if the gateway is gone by then; otherwise the gateway sends `secure` when the time is up.
 * - `hold`: release until told otherwise (fire alarm).
 * - `secure`: lock / de-energise. A barrier over Zigbee2MQTT or plain JSON is never told to
 *   close (its controller closes it after the vehicle, with its own loop); such a codec encodes
 *   `secure` as nothing.
 */
export type DeviceCommand = { type: 'release'; pulseMs?: number } | { type: 'hold' } | { type: 'secure' };

export interface OutgoingMessage {
  topic: string;
  payload: string;
  /** Device state conventions publish commands unretained: a stale command must not replay. */
  retain: false;
}

export interface DeviceCodec {
  /** Topics (no wildcards) this device's messages arrive on; the session subscribes to each. */
  readonly topics: readonly string[];
  /** Whether `release` with `pulseMs` is timed by the device itself. */
  readonly pulses: boolean;
  decode(topic: string, payload: Buffer): DecodeResult;
  encode(command: DeviceCommand): OutgoingMessage[];
}

export function events(...list: DeviceEvent[]): DecodeResult {
  return { kind: 'events', events: list };
}

export function malformed(reason: string): DecodeResult {
  return { kind: 'malformed', reason };
}

export function ignored(why: string): DecodeResult {
  return { kind: 'ignored', why };
}
