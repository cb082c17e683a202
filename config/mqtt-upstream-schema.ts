/**
 * The upstream MQTT bridge (MQTT.js): the journal to an upstream broker, requests from it, and
 * passes shared with the other gateways of the site. Part of the one schema in `schema.ts`,
 * through `mqtt-schema.ts`.
 */
import { z } from 'zod';

export const mqttUpstreamSchema = z.strictObject({
  url: z
    .url({ protocol: /^(mqtt|mqtts|ws|wss)$/ })
    .describe('Upstream broker, e.g. mqtts://broker.example.org:8883.'),
  gatewayId: z
    .string()
    .max(64)
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug: lower-case letters, digits and single hyphens')
    .default('main')
    .describe('This gateway among the gateways of the site (a slug): names its topics upstream.'),
});

export type MqttUpstreamConfig = z.output<typeof mqttUpstreamSchema>;

/** Makes the bridge's file paths absolute (relative to dataDir). */
export function resolveUpstreamPaths(upstream: MqttUpstreamConfig, _dataDir: string): MqttUpstreamConfig {
  return upstream;
}
