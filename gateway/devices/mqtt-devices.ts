import { jsonTopics, type MqttDeviceConfig } from '../../config/mqtt-devices-schema.js';
import { ActuatorDevice } from '../../drivers/mqtt/actuator-device.js';
import { type CodecSettings, createCodec } from '../../drivers/mqtt/codec.js';
import { ContactDevice } from '../../drivers/mqtt/contact-device.js';
import { HouseholdDoorDevice } from '../../drivers/mqtt/household-door-device.js';
import { MqttDevice, type MqttDeviceStatus } from '../../drivers/mqtt/mqtt-device.js';
import type { Clock } from '../../drivers/shared/clock.js';
import type { LaneActuator } from '../../drivers/shared/lane-port.js';
import { childLogger } from '../logging.js';
import type { MessageBus } from '../mqtt/bus.js';
import type { DeviceContext, DeviceModule } from './device-module.js';
import { HouseholdDoorWatch, siteOrdersNow } from './household-doors.js';

const DEFAULT_PULSE_SECONDS = 1;
const DEFAULT_HELD_OPEN_SECONDS = 30;
const DEFAULT_BREACH_GRACE_SECONDS = 60;
const DEFAULT_LOW_BATTERY_PERCENT = 20;

export interface MqttDevicesOptions {
  clock?: Clock;
  /** Told of every status change of every MQTT device (health views, Home Assistant). */
  onStatus?: (status: MqttDeviceStatus) => void;
}

/**
 * One module per MQTT device of `mqtt.devices`, each on the bus of the embedded broker: a lock,
 * relay or barrier acts on its lane's decisions (a LaneActuator), a door contact follows them
 * for its alarms, a sensor only reports. A contact on a household's door (`household` instead of
 * `lane`) is judged against the household's quarantine orders (household-doors.ts). One module
 * per device, so one device's failure stays its own. Locks are built first, so a contact can ask
 * its `lockDevice` whether it is open.
 */
export function buildMqttDevices(
  context: Pick<DeviceContext, 'site' | 'log' | 'port'>,
  bus: MessageBus,
  options: MqttDevicesOptions = {},
): DeviceModule[] {
  const { site, log, port } = context;
  const configs = site.config.mqtt.devices;
  const deps = (d: MqttDeviceConfig) => ({
    bus,
    port,
    codec: createCodec(codecSettings(d)),
    log: childLogger(log, `mqtt-device:${d.id}`),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.onStatus ? { onStatus: options.onStatus } : {}),
  });
  const common = (d: MqttDeviceConfig) => ({
    deviceId: d.id,
    ...(d.lane === undefined ? {} : { laneId: d.lane }),
    ...(d.stateTimeoutSeconds === undefined ? {} : { stateTimeoutMs: d.stateTimeoutSeconds * 1000 }),
  });
  const actuators = new Map<string, ActuatorDevice>();
  for (const d of configs) {
    if (d.kind !== 'lock' && d.kind !== 'relay' && d.kind !== 'barrier') continue;
    const settings = {
      ...common(d),
      kind: d.kind,
      pulseMs: (d.pulseSeconds ?? DEFAULT_PULSE_SECONDS) * 1000,
      ...(d.unlockSeconds === undefined ? {} : { unlockMs: d.unlockSeconds * 1000 }),
    };
    actuators.set(d.id, new ActuatorDevice(settings, deps(d)));
  }
  const ordersNow = siteOrdersNow(site);
  return configs.map((d) => {
    const actuator = actuators.get(d.id);
    if (actuator) return module(actuator, { lane: { laneId: laneOf(d), actuator } });
    if (d.kind === 'contact' && d.household !== undefined) {
      const watch = new HouseholdDoorWatch({
        deviceId: d.id,
        householdId: d.household,
        lowBatteryPercent: d.lowBatteryPercent ?? DEFAULT_LOW_BATTERY_PERCENT,
        port,
        ordersNow,
        log: childLogger(log, `household-door:${d.id}`),
      });
      const settings = {
        ...common(d),
        kind: d.kind,
        graceMs: (d.breachGraceSeconds ?? DEFAULT_BREACH_GRACE_SECONDS) * 1000,
      };
      const door = new HouseholdDoorDevice(settings, { ...deps(d), port: watch.devicePort, door: watch });
      const onStart = () => watch.checkRegistry((id) => site.registrySnapshot().household(id) !== undefined);
      return module(door, { onStart });
    }
    if (d.kind === 'contact') {
      const lock = d.lockDevice === undefined ? undefined : actuators.get(d.lockDevice);
      const settings = {
        ...common(d),
        kind: d.kind,
        heldOpenMs: (d.heldOpenSeconds ?? DEFAULT_HELD_OPEN_SECONDS) * 1000,
      };
      const contact = new ContactDevice(settings, {
        ...deps(d),
        ...(lock ? { lockReleased: () => lock.isReleased() } : {}),
      });
      return module(contact, { lane: { laneId: laneOf(d), actuator: contact } });
    }
    return module(new MqttDevice({ ...common(d), kind: d.kind }, deps(d)));
  });
}

/** The lane of a device that acts on one: the schema requires it (all but household contacts). */
function laneOf(d: MqttDeviceConfig): string {
  if (d.lane === undefined) throw new Error(`mqtt.devices "${d.id}": a ${d.kind} needs a lane`);
  return d.lane;
}

/** A device that follows its lane's decisions and the fire alarm. */
type Actuating = LaneActuator & { setFire(active: boolean): void };

/**
 * `lane`: the lane a device acts on, with the device as its actuator; `onStart`: a check before
 * the device starts (must not throw).
 */
function module(
  device: MqttDevice,
  options: { lane?: { laneId: string; actuator: Actuating }; onStart?: () => void } = {},
): DeviceModule {
  const { lane, onStart } = options;
  return {
    devices: 1,
    ...(lane ? { actuators: [lane], setFire: (active: boolean) => lane.actuator.setFire(active) } : {}),
    states: () => {
      const status = device.status();
      return [
        { deviceId: status.deviceId, online: status.reachability === 'online', counters: status.counters },
      ];
    },
    start: () => {
      onStart?.();
      void device.start();
    },
    stop: () => device.stop(),
  };
}

/** What the codec of a configured device needs to know of its topics. */
export function codecSettings(d: MqttDeviceConfig): CodecSettings {
  switch (d.convention) {
    case 'zigbee2mqtt':
      return {
        convention: d.convention,
        kind: d.kind,
        baseTopic: d.baseTopic,
        friendlyName: d.friendlyName,
        ...(d.endpoint === undefined ? {} : { endpoint: d.endpoint }),
      };
    case 'tasmota':
      return {
        convention: d.convention,
        kind: d.kind,
        topic: d.topic,
        fullTopic: d.fullTopic,
        ...(d.relay === undefined ? {} : { relay: d.relay }),
        ...(d.switchInput === undefined ? {} : { switchInput: d.switchInput }),
        ...(d.openWhen === undefined ? {} : { openWhen: d.openWhen }),
      };
    case 'json': {
      const topics = jsonTopics(d);
      return {
        convention: d.convention,
        kind: d.kind,
        stateTopic: topics.state,
        commandTopic: topics.command,
        availabilityTopic: topics.availability,
        payloadAvailable: d.payloadAvailable,
        payloadNotAvailable: d.payloadNotAvailable,
      };
    }
  }
}
