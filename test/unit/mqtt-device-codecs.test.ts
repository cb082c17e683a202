/**
 * The three MQTT device codecs on payloads shaped as their projects document them (see
 * test/fixtures/mqtt-devices/payloads.ts for the sources), and the commands they publish.
 */
import { describe, expect, it } from 'vitest';
import type { DecodeResult } from '../../drivers/mqtt/device-events.js';
import { jsonCodec } from '../../drivers/mqtt/json-codec.js';
import { pulseTimeMs, pulseTimeValue, tasmotaCodec } from '../../drivers/mqtt/tasmota-codec.js';
import { zigbee2mqttCodec } from '../../drivers/mqtt/zigbee2mqtt-codec.js';
import { PLAIN, TASMOTA, Z2M } from '../fixtures/mqtt-devices/payloads.js';

const b = (text: string) => Buffer.from(text);
const report = (result: DecodeResult) => {
  if (result.kind !== 'events') throw new Error(`expected events, got ${JSON.stringify(result)}`);
  const event = result.events[0];
  if (event?.type !== 'report') throw new Error(`expected a report, got ${JSON.stringify(result)}`);
  return event.report;
};

describe('Zigbee2MQTT codec', () => {
  const lock = zigbee2mqttCodec({ kind: 'lock', baseTopic: 'zigbee2mqtt', friendlyName: 'gate/north-door' });
  const contact = zigbee2mqttCodec({ kind: 'contact', baseTopic: 'z2m', friendlyName: 'north-contact' });

  it('subscribes to the state, the availability and the bridge state', () => {
    expect(lock.topics).toEqual([
      'zigbee2mqtt/gate/north-door',
      'zigbee2mqtt/gate/north-door/availability',
      'zigbee2mqtt/bridge/state',
    ]);
  });

  it('reads a lock: lock_state first, state words otherwise, a jam as jammed', () => {
    const topic = 'zigbee2mqtt/gate/north-door';
    expect(report(lock.decode(topic, b(Z2M.lockLocked)))).toEqual({
      lock: 'locked',
      battery: 90,
      readings: { linkquality: 138 },
    });
    expect(report(lock.decode(topic, b(Z2M.lockUnlocked))).lock).toBe('unlocked');
    expect(report(lock.decode(topic, b(Z2M.lockJammed))).lock).toBe('jammed');
    expect(report(lock.decode(topic, b(Z2M.lockStateOnly))).lock).toBe('unlocked');
  });

  it('reads a door contact: contact false is open; tamper and battery are kept', () => {
    expect(report(contact.decode('z2m/north-contact', b(Z2M.contactClosed)))).toMatchObject({
      open: false,
      battery: 100,
      readings: { voltage: 3025, device_temperature: 25 },
    });
    expect(report(contact.decode('z2m/north-contact', b(Z2M.contactOpenTamper)))).toMatchObject({
      open: true,
      tamper: true,
    });
  });

  it('reads switches (one endpoint or several) and covers', () => {
    const relay = zigbee2mqttCodec({ kind: 'relay', baseTopic: 'zigbee2mqtt', friendlyName: 'strike' });
    expect(report(relay.decode('zigbee2mqtt/strike', b(Z2M.switchOn))).power).toBe(true);
    const l2 = zigbee2mqttCodec({
      kind: 'relay',
      baseTopic: 'zigbee2mqtt',
      friendlyName: 'm',
      endpoint: 'l2',
    });
    expect(report(l2.decode('zigbee2mqtt/m', b(Z2M.switchTwoChannel))).power).toBe(false);
    const cover = zigbee2mqttCodec({ kind: 'barrier', baseTopic: 'zigbee2mqtt', friendlyName: 'arm' });
    expect(report(cover.decode('zigbee2mqtt/arm', b(Z2M.coverOpen)))).toMatchObject({ cover: 'open' });
  });

  it('reads availability as text (1.x) and JSON (2.x), for the device and the bridge', () => {
    const avail = 'zigbee2mqtt/gate/north-door/availability';
    expect(lock.decode(avail, b(Z2M.availabilityLegacy))).toEqual({
      kind: 'events',
      events: [{ type: 'availability', scope: 'device', online: true }],
    });
    expect(lock.decode(avail, b(Z2M.availabilityJson))).toEqual({
      kind: 'events',
      events: [{ type: 'availability', scope: 'device', online: false }],
    });
    expect(lock.decode('zigbee2mqtt/bridge/state', b(Z2M.bridgeOffline))).toEqual({
      kind: 'events',
      events: [{ type: 'availability', scope: 'bridge', online: false }],
    });
  });

  it('calls broken payloads malformed, with a reason', () => {
    const topic = 'zigbee2mqtt/gate/north-door';
    for (const bad of ['not json', '[1,2]', '{"state":"OPEN"}', '{"lock_state":"constructor"}', '"LOCK"']) {
      expect(lock.decode(topic, b(bad)).kind, bad).toBe('malformed');
    }
    expect(contact.decode('z2m/north-contact', b('{"contact":"yes"}')).kind).toBe('malformed');
    expect(lock.decode(`${topic}/availability`, b('maybe')).kind).toBe('malformed');
    expect(lock.decode(topic, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])).kind).toBe('malformed');
    expect(lock.decode(topic, Buffer.alloc(20_000, 0x20)).kind).toBe('malformed');
    expect(lock.decode('zigbee2mqtt/other', b(Z2M.lockLocked)).kind).toBe('ignored');
  });

  it('sends {"state":"UNLOCK"} / {"state":"LOCK"} to <name>/set; a barrier only opens', () => {
    expect(lock.encode({ type: 'release' })).toEqual([
      { topic: 'zigbee2mqtt/gate/north-door/set', payload: '{"state":"UNLOCK"}', retain: false },
    ]);
    expect(lock.encode({ type: 'secure' })[0]?.payload).toBe('{"state":"LOCK"}');
    const l1 = zigbee2mqttCodec({
      kind: 'relay',
      baseTopic: 'zigbee2mqtt',
      friendlyName: 'm',
      endpoint: 'l1',
    });
    expect(l1.encode({ type: 'hold' })[0]?.payload).toBe('{"state_l1":"ON"}');
    const cover = zigbee2mqttCodec({ kind: 'barrier', baseTopic: 'zigbee2mqtt', friendlyName: 'arm' });
    expect(cover.encode({ type: 'release' })[0]?.payload).toBe('{"state":"OPEN"}');
    expect(cover.encode({ type: 'secure' })).toEqual([]);
    expect(contact.encode({ type: 'release' })).toEqual([]);
  });
});

describe('Tasmota codec', () => {
  const relay = tasmotaCodec({ kind: 'relay', topic: 'north_strike' });

  it('subscribes to the LWT, POWER, RESULT, STATE and SENSOR topics', () => {
    expect(relay.topics).toEqual([
      'tele/north_strike/LWT',
      'stat/north_strike/POWER',
      'stat/north_strike/POWER1',
      'stat/north_strike/RESULT',
      'tele/north_strike/STATE',
      'tele/north_strike/SENSOR',
    ]);
  });

  it('reads the LWT, POWER, RESULT and STATE', () => {
    expect(relay.decode('tele/north_strike/LWT', b(TASMOTA.lwtOffline))).toEqual({
      kind: 'events',
      events: [{ type: 'availability', scope: 'device', online: false }],
    });
    expect(report(relay.decode('stat/north_strike/POWER', b(TASMOTA.statPower)))).toEqual({ power: true });
    expect(report(relay.decode('stat/north_strike/RESULT', b(TASMOTA.resultPower)))).toEqual({ power: true });
    expect(relay.decode('stat/north_strike/RESULT', b(TASMOTA.resultPulseTime)).kind).toBe('ignored');
    const state = report(relay.decode('tele/north_strike/STATE', b(TASMOTA.teleState)));
    expect(state.power).toBe(false);
    expect(state.readings).toMatchObject({ UptimeSec: 3723, 'Wifi.RSSI': 76, 'Wifi.Signal': -62 });
  });

  it('reads relay 2 and a switch input as a door contact', () => {
    const two = tasmotaCodec({ kind: 'lock', topic: 'gate', relay: 2 });
    expect(report(two.decode('stat/gate/RESULT', b(TASMOTA.resultPower2))).power).toBe(false);
    const door = tasmotaCodec({ kind: 'contact', topic: 'gate' });
    expect(report(door.decode('stat/gate/RESULT', b(TASMOTA.resultSwitch))).open).toBe(true);
    const sensor = report(door.decode('tele/gate/SENSOR', b(TASMOTA.teleSensor)));
    expect(sensor.open).toBe(false);
    expect(sensor.readings).toMatchObject({ 'AM2301.Temperature': 22.1, 'AM2301.Humidity': 45.2 });
  });

  it('calls broken payloads malformed', () => {
    expect(relay.decode('stat/north_strike/POWER', b('BANANA')).kind).toBe('malformed');
    expect(relay.decode('stat/north_strike/RESULT', b('{"POWER":7}')).kind).toBe('malformed');
    expect(relay.decode('tele/north_strike/STATE', b('{bad')).kind).toBe('malformed');
    expect(relay.decode('tele/north_strike/LWT', b('Sleeping')).kind).toBe('malformed');
  });

  it('pulses with PulseTime before POWER ON, holds with PulseTime 0, secures with POWER OFF', () => {
    expect(relay.pulses).toBe(true);
    expect(relay.encode({ type: 'release', pulseMs: 5000 })).toEqual([
      { topic: 'cmnd/north_strike/PulseTime', payload: '50', retain: false },
      { topic: 'cmnd/north_strike/POWER', payload: 'ON', retain: false },
    ]);
    expect(relay.encode({ type: 'hold' }).map((m) => `${m.topic} ${m.payload}`)).toEqual([
      'cmnd/north_strike/PulseTime 0',
      'cmnd/north_strike/POWER ON',
    ]);
    expect(relay.encode({ type: 'secure' }).map((m) => `${m.topic} ${m.payload}`)).toEqual([
      'cmnd/north_strike/POWER OFF',
    ]);
    const custom = tasmotaCodec({
      kind: 'barrier',
      topic: 'arm',
      relay: 3,
      fullTopic: 'site/%prefix%/%topic%/',
    });
    expect(custom.encode({ type: 'secure' })[0]?.topic).toBe('site/cmnd/arm/POWER3');
    expect(custom.topics[0]).toBe('site/tele/arm/LWT');
  });

  it('encodes PulseTime in tenths up to 11.1 s and in seconds + 100 beyond', () => {
    expect([100, 5000, 11_100, 12_000, 60_000, 1].map(pulseTimeValue)).toEqual([1, 50, 111, 112, 160, 1]);
    expect([1, 50, 111, 112, 160, 0].map(pulseTimeMs)).toEqual([100, 5000, 11_100, 12_000, 60_000, 0]);
    expect(pulseTimeValue(1e9)).toBe(64_900);
  });
});

describe('plain JSON codec', () => {
  const lock = jsonCodec({
    kind: 'lock',
    stateTopic: 'devices/d1/state',
    commandTopic: 'devices/d1/set',
    availabilityTopic: 'devices/d1/availability',
  });

  it('reads JSON states and bare state words', () => {
    expect(report(lock.decode('devices/d1/state', b(PLAIN.lockLocked)))).toEqual({
      lock: 'locked',
      battery: 80,
    });
    expect(report(lock.decode('devices/d1/state', b(PLAIN.bareUnlocked))).lock).toBe('unlocked');
    expect(report(lock.decode('devices/d1/state', b(PLAIN.jammed))).lock).toBe('jammed');
    const door = jsonCodec({ kind: 'contact', stateTopic: 'door/state' });
    expect(report(door.decode('door/state', b(PLAIN.contactOpen)))).toEqual({ open: true, tamper: false });
    expect(report(door.decode('door/state', b(PLAIN.bareClosed))).open).toBe(false);
  });

  it('uses the configured availability words', () => {
    const custom = jsonCodec({
      kind: 'sensor',
      stateTopic: 's',
      availabilityTopic: 'a',
      payloadAvailable: 'alive',
      payloadNotAvailable: 'dead',
    });
    expect(custom.decode('a', b('dead'))).toEqual({
      kind: 'events',
      events: [{ type: 'availability', scope: 'device', online: false }],
    });
    expect(custom.decode('a', b('online')).kind).toBe('malformed');
    expect(lock.decode('devices/d1/availability', b(PLAIN.available)).kind).toBe('events');
  });

  it('calls broken payloads malformed and sends {"state":...} commands', () => {
    expect(lock.decode('devices/d1/state', b('{"state":"OPEN"}')).kind).toBe('malformed');
    expect(lock.decode('devices/d1/state', b('\u0000\u0001')).kind).toBe('malformed');
    expect(lock.encode({ type: 'release' })).toEqual([
      { topic: 'devices/d1/set', payload: '{"state":"UNLOCK"}', retain: false },
    ]);
    expect(lock.encode({ type: 'secure' })[0]?.payload).toBe('{"state":"LOCK"}');
    expect(lock.pulses).toBe(false);
  });
});
