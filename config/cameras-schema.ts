/**
 * The `cameras` section of the configuration: ONVIF thermal and plate cameras (docs/onvif.md).
 * Part of the one schema in `schema.ts`; password files are relative to `site.dataDir` until
 * `resolveCameraPaths`. Human units (seconds); the device builder converts.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

const slug = z
  .string()
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug: lower-case letters, digits and single hyphens');

export const cameraSchema = z.strictObject({
  id: slug.describe(
    'Device id, unique across the site: names the camera in the journal and on the dashboard.',
  ),
  lane: slug.describe('Lane the camera watches: its readings or plates count there.'),
  kind: z
    .enum(['thermal', 'plate'])
    .describe(
      'thermal: body temperatures (and masks) for the lane; plate: licence plates presented as credentials.',
    ),
  url: z
    .url({ protocol: /^http$/ })
    .describe(
      'Device service URL, e.g. http://192.168.1.64/onvif/device_service (`gatewarden cameras discover` lists them).',
    ),
  username: z.string().min(1).max(64).optional().describe('ONVIF user (WS-UsernameToken digest).'),
  passwordFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      'File holding the ONVIF password (relative to dataDir, owner-only); never written in this file.',
    ),
  vendor: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .default('onvif')
    .describe(
      'How to read its events: "onvif" for the standard radiometry, mask and plate topics; a vendor adapter name otherwise.',
    ),
  heartbeatSeconds: z
    .number()
    .min(0.2)
    .max(60)
    .default(2)
    .describe('How often the camera is asked the time (liveness and clock offset).'),
  offlineAfterSeconds: z
    .number()
    .min(0.5)
    .max(600)
    .default(6)
    .describe('No answer for this long makes the camera offline (DEVICE_OFFLINE).'),
  silentAfterSeconds: z
    .number()
    .min(1)
    .max(3600)
    .default(30)
    .describe(
      'thermal: a person refused TEMPERATURE_REQUIRED while the last reading is older than this raises CAMERA_SILENT.',
    ),
  maxClockSkewSeconds: z
    .number()
    .min(1)
    .max(3600)
    .default(5)
    .describe('Camera clock off ours by more than this raises CAMERA_CLOCK_SKEW.'),
  maskWindowSeconds: z
    .number()
    .min(0.1)
    .max(30)
    .default(3)
    .describe('A mask event this recent (or of the same object) joins the temperature reading that follows.'),
});

export const camerasSchema = z.strictObject({
  devices: z
    .array(
      cameraSchema.refine((c) => c.heartbeatSeconds < c.offlineAfterSeconds, {
        path: ['heartbeatSeconds'],
        error:
          'must be shorter than offlineAfterSeconds, or a quiet camera would go offline between two heartbeats',
      }),
    )
    .refine((list) => new Set(list.map((c) => c.id)).size === list.length, 'lists a camera id twice')
    .default([])
    .describe('ONVIF cameras.'),
});

export type CamerasConfig = z.output<typeof camerasSchema>;
export type CameraConfig = CamerasConfig['devices'][number];

/** Makes every password file absolute (relative to dataDir). */
export function resolveCameraPaths(cameras: CamerasConfig, dataDir: string): CamerasConfig {
  return {
    devices: cameras.devices.map((c) =>
      c.passwordFile === undefined ? c : { ...c, passwordFile: resolve(dataDir, c.passwordFile) },
    ),
  };
}
