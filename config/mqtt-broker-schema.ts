/**
 * The embedded MQTT broker (aedes): the local bus for MQTT devices, the dashboard and local
 * tools. Part of the one schema in `schema.ts`, through `mqtt-schema.ts`.
 */
import { z } from 'zod';

export const mqttBrokerSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Run the embedded broker.'),
  host: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('Address the MQTT (TCP) listener binds to; loopback unless devices connect over the LAN.'),
  port: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(1883)
    .describe('Port of the MQTT (TCP) listener; 0 picks a free one (logged at start).'),
});

export type MqttBrokerConfig = z.output<typeof mqttBrokerSchema>;

/** Makes the broker's file paths absolute (relative to dataDir). */
export function resolveBrokerPaths(broker: MqttBrokerConfig, _dataDir: string): MqttBrokerConfig {
  return broker;
}
