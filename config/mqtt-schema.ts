/**
 * The `mqtt` section of the configuration: the embedded broker, the MQTT devices, Home
 * Assistant discovery and the upstream bridge. Composed here from one file per part.
 */
import { z } from 'zod';
import { mqttBrokerSchema, resolveBrokerPaths } from './mqtt-broker-schema.js';
import { checkMqttDevices, homeAssistantSchema, mqttDeviceSchema } from './mqtt-devices-schema.js';
import { mqttUpstreamSchema, resolveUpstreamPaths } from './mqtt-upstream-schema.js';

export const mqttSchema = z
  .strictObject({
    broker: mqttBrokerSchema.prefault({}).describe('The embedded broker: the local bus (on by default).'),
    devices: z
      .array(mqttDeviceSchema)
      .superRefine((devices, ctx) => checkMqttDevices(devices, ctx))
      .default([])
      .describe('Locks, barriers, relays and sensors that speak MQTT, on the embedded broker.'),
    homeAssistant: homeAssistantSchema.prefault({}).describe('Home Assistant MQTT discovery.'),
    upstream: mqttUpstreamSchema
      .optional()
      .describe('Upstream broker; absent: nothing is sent upstream (the journal keeps all).'),
  })
  .refine((mqtt) => mqtt.devices.length === 0 || mqtt.broker.enabled, {
    path: ['devices'],
    message: 'MQTT devices connect to the embedded broker: set broker.enabled to true or remove them',
  });

export type MqttConfig = z.output<typeof mqttSchema>;

/** Makes every file path of the section absolute (relative to dataDir). */
export function resolveMqttPaths(mqtt: MqttConfig, dataDir: string): MqttConfig {
  return {
    ...mqtt,
    broker: resolveBrokerPaths(mqtt.broker, dataDir),
    ...(mqtt.upstream ? { upstream: resolveUpstreamPaths(mqtt.upstream, dataDir) } : {}),
  };
}
