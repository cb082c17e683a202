/**
 * Devices that speak MQTT (locks, barriers, relays, sensors) and Home Assistant discovery.
 * Part of the one schema in `schema.ts`, through `mqtt-schema.ts`.
 */
import { z } from 'zod';

export const mqttDeviceSchema = z.strictObject({
  id: z
    .string()
    .max(64)
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug: lower-case letters, digits and single hyphens')
    .describe('Device id (a slug).'),
  lane: z.string().min(1).describe('Lane the device serves.'),
});

export const homeAssistantSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(false)
    .describe('Publish Home Assistant MQTT discovery on the embedded broker.'),
  prefix: z.string().min(1).default('homeassistant').describe('Discovery prefix of Home Assistant.'),
});

export type MqttDeviceConfig = z.output<typeof mqttDeviceSchema>;
export type HomeAssistantConfig = z.output<typeof homeAssistantSchema>;
