/**
 * MQTT devices on a MemoryBus with a manual clock and a recording lane port, for the unit tests
 * of drivers/mqtt beside the integration tests on Mosquitto.
 */
import { ActuatorDevice, type ActuatorSettings } from '../../drivers/mqtt/actuator-device.js';
import { type CodecSettings, createCodec } from '../../drivers/mqtt/codec.js';
import { ContactDevice, type ContactSettings } from '../../drivers/mqtt/contact-device.js';
import type { DeviceCodec } from '../../drivers/mqtt/device-events.js';
import {
  MqttDevice,
  type MqttDeviceSettings,
  type MqttDeviceStatus,
} from '../../drivers/mqtt/mqtt-device.js';
import type { DeviceAlarm, LanePort } from '../../drivers/shared/lane-port.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import type { Decision } from '../../gateway/rules/types.js';
import { memoryLog } from './idcard-lane.js';
import { ManualClock } from './manual-clock.js';

export const allowUnlock = (durationMs: number): Decision => ({
  allow: true,
  reasons: [{ effect: 'grant', code: 'RESIDENT' }],
  subject: { kind: 'person', id: 'res1', personKind: 'resident' },
  direction: 'in',
  actions: [{ type: 'unlock', durationMs }],
});

export const allowVehicle: Decision = {
  allow: true,
  reasons: [{ effect: 'grant', code: 'VEHICLE_PERMIT' }],
  subject: { kind: 'vehicle', id: 'car1', vehicleKind: 'resident' },
  direction: 'in',
  actions: [{ type: 'raise_barrier' }],
};

export const deny: Decision = {
  allow: false,
  reasons: [{ effect: 'deny', code: 'UNKNOWN_CREDENTIAL' }],
  subject: { kind: 'unknown' },
  direction: 'in',
  actions: [{ type: 'indicate', led: 'red', buzzer: 'long', text: { zh: '未知', en: 'Unknown' } }],
};

/** A LanePort that records device states and alarms; the fire alarm is set by the test. */
export function recordingPort() {
  const states: string[] = [];
  const alarms: DeviceAlarm[] = [];
  const fire = { active: false };
  const port: LanePort = {
    present: () => deny,
    alarm: (alarm) => alarms.push(alarm),
    deviceState: (deviceId, state, detail) =>
      states.push(`${deviceId} ${state}${detail ? `: ${detail}` : ''}`),
    fire: (active) => {
      fire.active = active;
    },
    fireActive: () => fire.active,
  };
  return { port, states, alarms, fire, codes: () => alarms.map((a) => `${a.deviceId} ${a.code}`) };
}

/** Lets the devices' queued publishes (one await per message) run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One bus, one clock, one port and one log shared by the devices a test builds on them. */
export class DeviceRig {
  readonly bus = new MemoryBus();
  readonly clock = new ManualClock();
  readonly recorder = recordingPort();
  readonly log = memoryLog();
  readonly statuses: MqttDeviceStatus[] = [];

  actuator(
    settings: Omit<ActuatorSettings, 'laneId' | 'pulseMs'> & { pulseMs?: number },
    codec: CodecSettings,
  ) {
    const full = { laneId: 'north-ped-in', pulseMs: 1000, ...settings };
    return new ActuatorDevice(full, this.deps(settings.deviceId, createCodec(codec)));
  }

  contact(
    settings: Omit<ContactSettings, 'laneId' | 'kind' | 'heldOpenMs'> & { heldOpenMs?: number },
    codec: CodecSettings,
    lockReleased?: () => boolean,
  ) {
    const full: ContactSettings = {
      laneId: 'north-ped-in',
      kind: 'contact',
      heldOpenMs: 30_000,
      ...settings,
    };
    const deps = this.deps(settings.deviceId, createCodec(codec));
    return new ContactDevice(full, { ...deps, ...(lockReleased ? { lockReleased } : {}) });
  }

  sensor(settings: Omit<MqttDeviceSettings, 'laneId'>, codec: CodecSettings | DeviceCodec) {
    const built = 'decode' in codec ? codec : createCodec(codec);
    return new MqttDevice({ laneId: 'north-ped-in', ...settings }, this.deps(settings.deviceId, built));
  }

  /** Messages published to topics under `prefix` since `from`, as "topic payload". */
  sent(prefix: string, from = 0): string[] {
    return this.bus.published
      .slice(from)
      .filter((m) => m.topic.startsWith(prefix))
      .map((m) => `${m.topic} ${m.payload.toString()}`);
  }

  async say(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    await this.bus.publish(topic, payload, { retain });
    await settle();
  }

  private deps(deviceId: string, codec: DeviceCodec) {
    return {
      bus: this.bus,
      codec,
      port: this.recorder.port,
      log: this.log.logger.child({ device: deviceId }),
      clock: this.clock,
      onStatus: (s: MqttDeviceStatus) => this.statuses.push(s),
    };
  }
}
