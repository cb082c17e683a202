/**
 * The telemetry section of the configuration: the InfluxDB sink, the on-disk budget of
 * high-rate samples and the Prometheus endpoint. Part of the one schema in `schema.ts`.
 * Written in human units (seconds, MiB); the sink converts.
 */
import { z } from 'zod';

const influxSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .describe('Base URL of the InfluxDB 1.x HTTP API (or any server taking the v1 /write endpoint).'),
  database: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only, 1 to 64 characters')
    .default('gatewarden')
    .describe('Database the points are written to.'),
  retentionPolicy: z
    .string()
    .min(1)
    .optional()
    .describe('Retention policy; the database default when absent.'),
  username: z.string().min(1).optional().describe('User for HTTP basic authentication.'),
  passwordFile: z
    .string()
    .min(1)
    .optional()
    .describe('File holding the password (relative to dataDir); never written in this file.'),
  createDatabase: z
    .boolean()
    .default(true)
    .describe('Create the database when the server answers 404 "database not found".'),
  batchSize: z.number().int().min(1).max(50_000).default(5000).describe('Most points in one write request.'),
  flushSeconds: z
    .number()
    .min(0.01)
    .max(60)
    .default(1)
    .describe('Longest a new entry waits to be batched with others before it is sent.'),
  timeoutSeconds: z.number().min(0.1).max(300).default(10).describe('Timeout of one write request.'),
  retry: z
    .strictObject({
      initialSeconds: z.number().min(0.01).default(0.5).describe('First wait after a failed write.'),
      maxSeconds: z.number().min(0.1).default(60).describe('Longest wait between retries.'),
    })
    .prefault({})
    .describe('Exponential backoff with full jitter after network errors and 5xx answers.'),
  replayPointsPerSecond: z
    .number()
    .int()
    .min(100)
    .default(20_000)
    .describe(
      'Highest rate at which a backlog (after an outage or a restart) is sent, so that live points go out between its batches.',
    ),
});

export const telemetrySchema = z.strictObject({
  influx: influxSchema
    .optional()
    .describe('InfluxDB sink; absent: no points are sent (the journal keeps all).'),
  sampleSeconds: z
    .number()
    .min(1)
    .max(3600)
    .default(60)
    .describe('Interval of the high-rate samples: device health and occupancy.'),
  highRateBudgetMiB: z
    .number()
    .min(0.01)
    .default(64)
    .describe(
      'Disk budget of high-rate samples waiting to be sent. When it is exhausted the oldest samples are thinned ' +
        '(counted and journaled as a notice); passes, refusals, readings and alarms live in the journal and are never dropped.',
    ),
  metrics: z
    .strictObject({
      host: z
        .string()
        .min(1)
        .default('127.0.0.1')
        .describe('Address the Prometheus endpoint listens on (loopback by default).'),
      port: z
        .number()
        .int()
        .min(0)
        .max(65_535)
        .default(9464)
        .describe('Port of GET /metrics; 0 picks a free one.'),
      bearerTokenFile: z
        .string()
        .min(1)
        .optional()
        .describe(
          'File (relative to dataDir, owner-only) holding the token a scrape must send as Authorization: Bearer; absent: no authentication (keep the endpoint on loopback then).',
        ),
    })
    .optional()
    .describe('Prometheus endpoint (GET /metrics); absent: off.'),
});

export type TelemetryConfig = z.output<typeof telemetrySchema>;
export type InfluxConfig = NonNullable<TelemetryConfig['influx']>;
