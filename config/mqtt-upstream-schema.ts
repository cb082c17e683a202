/**
 * The upstream MQTT bridge (MQTT.js): the journal to an upstream broker, requests from it, and
 * passes shared with the other gateways of the site. Part of the one schema in `schema.ts`,
 * through `mqtt-schema.ts`. Written in human units (seconds); the bridge converts.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

const filePath = z.string().min(1);

/** A topic prefix: one or more levels, no wildcards, no empty level, not a `$` (system) topic. */
const topicPrefix = z
  .string()
  .max(100)
  .regex(
    /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/,
    'letters, digits, _ and - in levels separated by single /, no wildcards',
  );

const tlsSchema = z
  .strictObject({
    caFile: filePath
      .optional()
      .describe('CA certificate(s) (PEM) that sign the broker; the system CAs when absent.'),
    certFile: filePath
      .optional()
      .describe('Client certificate (PEM), for brokers that authenticate by certificate.'),
    keyFile: filePath
      .optional()
      .describe(
        'Private key of the client certificate (PEM); must be readable by its owner only (chmod 600).',
      ),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe('Refuse a broker whose certificate does not verify. Turn off only on a test bench.'),
  })
  .refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), {
    message: 'certFile and keyFile go together',
  });

/** Requests from upstream (docs/mqtt-requests.md): who may send them, and their freshness. */
const requestsSchema = z
  .strictObject({
    issuers: z
      .array(
        z.strictObject({
          id: z
            .string()
            .max(64)
            .regex(
              /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
              'must be a slug: lower-case letters, digits and single hyphens',
            )
            .describe('Key id that requests name in `issuer`.'),
          publicKeyFile: z
            .string()
            .min(1)
            .describe('Ed25519 public key (PEM, SPKI), relative to dataDir; owner-only (chmod 600).'),
        }),
      )
      .refine((list) => new Set(list.map((i) => i.id)).size === list.length, 'lists an issuer id twice')
      .default([])
      .describe('Who may send requests; none: every request is refused.'),
    freshnessSeconds: z
      .number()
      .int()
      .min(10)
      .max(3600)
      .default(300)
      .describe("A request's issuedAt must be within this of the gateway's clock, either side."),
    retentionHours: z
      .number()
      .positive()
      .max(8760)
      .default(168)
      .describe('How long answers are kept, to repeat them for a transaction sent again.'),
    alarmIntervalSeconds: z
      .number()
      .positive()
      .default(60)
      .describe('At most one UPSTREAM_REQUEST_REFUSED alarm per reason per interval.'),
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(1048576)
      .default(65536)
      .describe('Larger requests are refused unread.'),
  })
  .refine((r) => r.retentionHours * 3600 >= r.freshnessSeconds, {
    path: ['retentionHours'],
    message: 'must cover freshnessSeconds',
  });

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
  topicPrefix: topicPrefix
    .default('gatewarden')
    .describe('First level(s) of every upstream topic: <prefix>/<site>/<gateway>/…'),
  clientId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/, 'letters, digits, . _ and - only, 1 to 128 characters')
    .optional()
    .describe(
      'MQTT client id; stable, so the broker keeps the session. Default gatewarden-<site>-<gateway>. ' +
        'Strict MQTT 3.1.1 brokers accept only 23 characters.',
    ),
  username: z.string().min(1).optional().describe('User name, for brokers that authenticate by password.'),
  passwordFile: filePath
    .optional()
    .describe(
      'File holding the password (relative to dataDir, chmod 600); never written in this file. ' +
        'Read again before each connection attempt after a refusal, so a fixed file takes effect without a restart.',
    ),
  tls: tlsSchema.optional().describe('TLS for mqtts:// and wss:// (CA, client certificate).'),
  protocolVersion: z
    .union([z.literal(5), z.literal(4)])
    .default(5)
    .describe('5: MQTT 5, falling back to 3.1.1 when the broker refuses 5. 4: MQTT 3.1.1 only.'),
  keepaliveSeconds: z.number().int().min(5).max(3600).default(30).describe('MQTT keepalive.'),
  connectTimeoutSeconds: z
    .number()
    .min(1)
    .max(300)
    .default(15)
    .describe('Longest wait for the broker to answer a connection attempt.'),
  reconnect: z
    .strictObject({
      initialSeconds: z.number().min(0.05).default(1).describe('Wait before the first reconnection attempt.'),
      maxSeconds: z.number().min(0.1).default(60).describe('Longest wait between attempts.'),
    })
    .prefault({})
    .describe('Reconnection: the wait doubles after each failed attempt up to the maximum, with jitter.'),
  sessionExpirySeconds: z
    .number()
    .int()
    .min(0)
    .max(0xffff_ffff)
    .default(86_400)
    .describe(
      'MQTT 5: how long the broker keeps the session (subscriptions, requests queued for the gateway) ' +
        'after a disconnection. MQTT 3.1.1 brokers keep it as they are configured.',
    ),
  batchSize: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(500)
    .describe('Journal entries read and acknowledged as one batch; the cursor moves once per batch.'),
  inFlight: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(20)
    .describe("Most messages awaiting the broker's acknowledgement at once (capped by its Receive Maximum)."),
  pollSeconds: z
    .number()
    .min(0.01)
    .max(60)
    .default(1)
    .describe('How often the journal is checked for entries appended by other processes (the CLI).'),
  requests: requestsSchema.prefault({}).describe('Requests from upstream (docs/mqtt-requests.md).'),
  dailyReport: z
    .strictObject({
      at: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM')
        .default('00:05')
        .describe("Site time after which the previous day's report (日报告/零报告) is sent."),
      backfillDays: z
        .number()
        .int()
        .min(1)
        .max(92)
        .default(7)
        .describe('Most days of missed reports sent after an outage.'),
    })
    .prefault({})
    .describe('The daily report upstream, sent every day even when every count is zero.'),
});

export type MqttUpstreamConfig = z.output<typeof mqttUpstreamSchema>;

/** Makes the bridge's file paths absolute (relative to dataDir). */
export function resolveUpstreamPaths(upstream: MqttUpstreamConfig, dataDir: string): MqttUpstreamConfig {
  const at = (path: string) => resolve(dataDir, path);
  const tls = upstream.tls;
  return {
    ...upstream,
    ...(upstream.passwordFile === undefined ? {} : { passwordFile: at(upstream.passwordFile) }),
    requests: {
      ...upstream.requests,
      issuers: upstream.requests.issuers.map((i) => ({ ...i, publicKeyFile: at(i.publicKeyFile) })),
    },
    ...(tls === undefined
      ? {}
      : {
          tls: {
            ...tls,
            ...(tls.caFile === undefined ? {} : { caFile: at(tls.caFile) }),
            ...(tls.certFile === undefined ? {} : { certFile: at(tls.certFile) }),
            ...(tls.keyFile === undefined ? {} : { keyFile: at(tls.keyFile) }),
          },
        }),
  };
}
