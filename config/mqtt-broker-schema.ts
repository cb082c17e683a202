/**
 * The embedded MQTT broker (aedes): the local bus for MQTT devices, the dashboard and local
 * tools. Part of the one schema in `schema.ts`, through `mqtt-schema.ts`. Written in human
 * units (seconds, bytes); the broker converts. See docs/mqtt-broker.md.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

const port = (what: string, byDefault: number) =>
  z
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(byDefault)
    .describe(`Port of the ${what} listener; 0 picks a free one (logged at start).`);

const host = (what: string) =>
  z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe(`Address the ${what} listener binds to; loopback unless clients connect over the LAN.`);

const websocketSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Serve MQTT over WebSocket (the dashboard connects here).'),
  host: host('WebSocket'),
  port: port('WebSocket', 9001),
  path: z.string().startsWith('/').default('/mqtt').describe('HTTP path of the WebSocket endpoint.'),
});

const tlsSchema = z.strictObject({
  host: host('MQTT over TLS'),
  port: port('MQTT over TLS', 8883),
  certFile: z.string().min(1).describe('PEM certificate (chain) of the listener, relative to dataDir.'),
  keyFile: z.string().min(1).describe('PEM private key of the listener, relative to dataDir (mode 0600).'),
});

const limitsSchema = z.strictObject({
  maxPacketBytes: z
    .number()
    .int()
    .min(256)
    .max(256 * 1024 * 1024)
    .default(64 * 1024)
    .describe('Largest MQTT packet a client may send (after the fixed header); a larger one disconnects it.'),
  publishPerSecond: z
    .number()
    .min(0.1)
    .default(50)
    .describe('Sustained publish rate allowed per client (token bucket); a client above it is disconnected.'),
  publishBurst: z
    .number()
    .int()
    .min(1)
    .default(200)
    .describe('Publishes a client may send at once before its rate applies (bucket size).'),
  maxTopicLength: z
    .number()
    .int()
    .min(16)
    .max(65535)
    .default(256)
    .describe('Longest topic (in UTF-8 bytes) a client may publish to or subscribe to.'),
  maxClientIdLength: z
    .number()
    .int()
    .min(23)
    .max(65535)
    .default(64)
    .describe(
      'Longest client id accepted (MQTT requires at least 23); longer: CONNACK "identifier rejected".',
    ),
  connectionsPerAddress: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(32)
    .describe(
      'Open connections one network address may hold (all listeners together); more are closed at once. Loopback is not counted unless limits.capLoopback.',
    ),
  capLoopback: z
    .boolean()
    .default(false)
    .describe(
      'Apply connectionsPerAddress and the login lock to 127.0.0.0/8 and ::1 too (the gateway’s own box: off by default, so a local tool with a wrong password cannot lock out the others).',
    ),
});

const loginSchema = z.strictObject({
  maxFailures: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .describe('Failed logins from one address within the window before that address is locked.'),
  windowMinutes: z.number().positive().max(1440).default(5).describe('Window in which failures are counted.'),
  lockMinutes: z
    .number()
    .positive()
    .max(1440)
    .default(5)
    .describe('How long a locked address is refused before its password is even checked.'),
});

export const mqttBrokerSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Run the embedded broker.'),
  id: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" and "-" only, 1 to 64 characters')
    .default('gatewarden-local')
    .describe('Broker id (its $SYS topics).'),
  host: host('MQTT (TCP)'),
  port: port('MQTT (TCP)', 1883),
  websocket: websocketSchema.prefault({}).describe('MQTT over WebSocket, for the dashboard.'),
  tls: tlsSchema.optional().describe('MQTT over TLS listener; absent: none.'),
  usersFile: z
    .string()
    .min(1)
    .default('mqtt-users.json')
    .describe(
      'Users of the broker with their roles, topics and scrypt password hashes, relative to dataDir ' +
        '(mode 0600; edited with `gatewarden mqtt user`).',
    ),
  liveTopicRoot: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'one topic level: letters, digits, "_" and "-"')
    .default('gatewarden')
    .describe('First level of the live tree the gateway publishes and the dashboard reads (`<root>/#`).'),
  limits: limitsSchema
    .prefault({})
    .describe('What one client may send; above it the client is disconnected.'),
  login: loginSchema
    .prefault({})
    .describe(
      'Password-guessing protection, per client address (never per user name: that would let anyone lock a door relay out).',
    ),
  connectTimeoutSeconds: z
    .number()
    .min(1)
    .max(300)
    .default(10)
    .describe('A connection that sends no CONNECT within this time is closed.'),
  drainTimeoutSeconds: z
    .number()
    .min(1)
    .max(600)
    .default(30)
    .describe('A client that reads nothing for this long is disconnected, so it cannot stall delivery.'),
  securityEventSeconds: z
    .number()
    .min(1)
    .max(86_400)
    .default(60)
    .describe(
      'At most one journaled security event per user (or address) and kind in this interval; the next carries the count of those held back.',
    ),
});

export type MqttBrokerConfig = z.output<typeof mqttBrokerSchema>;

/** Makes the broker's file paths absolute (relative to dataDir). */
export function resolveBrokerPaths(broker: MqttBrokerConfig, dataDir: string): MqttBrokerConfig {
  return {
    ...broker,
    usersFile: resolve(dataDir, broker.usersFile),
    ...(broker.tls
      ? {
          tls: {
            ...broker.tls,
            certFile: resolve(dataDir, broker.tls.certFile),
            keyFile: resolve(dataDir, broker.tls.keyFile),
          },
        }
      : {}),
  };
}
