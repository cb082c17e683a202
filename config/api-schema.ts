/**
 * The `api` section of the configuration: the admin API (and, later, the dashboard it serves);
 * absent, neither is served. Part of the one schema in `schema.ts`. Human units; the server
 * converts. Users: `gatewarden api user add`.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

export const apiSchema = z.strictObject({
  host: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe(
      'Address to listen on. 127.0.0.1 keeps it on the gateway; the LAN address opens it to the guard room.',
    ),
  port: z.number().int().min(0).max(65535).default(8080).describe('TCP port (0: any free port).'),
  tls: z
    .strictObject({
      certFile: z.string().min(1).describe('PEM certificate (chain) of the API, relative to dataDir.'),
      keyFile: z
        .string()
        .min(1)
        .describe('PEM private key of the API, relative to dataDir (owner-only, mode 0600).'),
    })
    .optional()
    .describe(
      'Serve the API, the dashboard and its live socket over HTTPS (wss) instead of plain HTTP; needed whenever host is not loopback, since passwords and session tokens cross the network.',
    ),
  sessionIdleMinutes: z
    .number()
    .positive()
    .max(24 * 60)
    .default(60)
    .describe('A session unused this long ends.'),
  sessionHours: z
    .number()
    .positive()
    .max(24)
    .default(12)
    .describe('A session ends this long after login whatever its use (a duty shift and the handover).'),
  login: z
    .strictObject({
      maxFailures: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(5)
        .describe('Failed logins per address or user name before a lock.'),
      windowMinutes: z
        .number()
        .positive()
        .max(1440)
        .default(15)
        .describe('Window in which failures are counted.'),
      lockMinutes: z.number().positive().max(1440).default(15).describe('How long a lock lasts.'),
    })
    .prefault({})
    .describe('Password-guessing protection of the login route.'),
});

export type ApiConfig = z.output<typeof apiSchema>;

/** Makes the API's file paths absolute (relative to dataDir). */
export function resolveApiPaths(api: ApiConfig, dataDir: string): ApiConfig {
  if (api.tls === undefined) return api;
  return {
    ...api,
    tls: { certFile: resolve(dataDir, api.tls.certFile), keyFile: resolve(dataDir, api.tls.keyFile) },
  };
}
