import type { CameraConfig } from '../../config/cameras-schema.js';
import { CameraAdapter } from '../../drivers/onvif/camera-adapter.js';
import { CameraSession } from '../../drivers/onvif/camera-session.js';
import { interpreterFor } from '../../drivers/onvif/observations.js';
import { systemClock } from '../../drivers/shared/clock.js';
import { GatewardenError } from '../errors.js';
import { childLogger } from '../logging.js';
import { readSecretFile } from '../util/key-file.js';
import type { DeviceContext, DeviceModule } from './device-module.js';

/**
 * One ONVIF session and adapter per camera. A thermal camera's adapter also watches its lane's
 * decisions (as an actuator that actuates nothing) to tell a silent camera from an empty lane.
 */
export function buildCameras(context: DeviceContext): DeviceModule[] {
  const { site, log, port } = context;
  return site.config.cameras.devices.map((c) => {
    const deviceLog = childLogger(log, `camera:${c.id}`);
    const url = new URL(c.url);
    const adapter = new CameraAdapter(
      {
        deviceId: c.id,
        laneId: c.lane,
        kind: c.kind,
        maskWindowMs: c.maskWindowSeconds * 1000,
        silentAfterMs: c.silentAfterSeconds * 1000,
        maxClockSkewMs: c.maxClockSkewSeconds * 1000,
      },
      port,
      systemClock,
      deviceLog,
    );
    const session = new CameraSession(
      {
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || 80),
        path: url.pathname,
        ...(c.username === undefined ? {} : { username: c.username }),
        ...(c.passwordFile === undefined ? {} : { password: readCameraPassword(c) }),
        interpreter: interpreterFor(c.vendor),
        clock: systemClock,
        log: deviceLog,
        heartbeatMs: c.heartbeatSeconds * 1000,
        offlineAfterMs: c.offlineAfterSeconds * 1000,
      },
      adapter,
    );
    return {
      devices: 1,
      actuators: [{ laneId: c.lane, actuator: adapter }],
      states: () => {
        const status = session.status();
        const state = {
          deviceId: c.id,
          online: status.state === 'online',
          counters: { ...status.counters },
        };
        return [status.roundTripMs === undefined ? state : { ...state, roundTripMs: status.roundTripMs }];
      },
      start: () => session.start(),
      stop: () => session.stop(),
    };
  });
}

function readCameraPassword(c: CameraConfig): string {
  const path = c.passwordFile as string;
  const secret = readSecretFile(path, `password file of camera "${c.id}"`);
  if (secret === undefined)
    throw new GatewardenError(
      'CONFIG_UNREADABLE',
      `password file of camera "${c.id}" (${path}) does not exist`,
    );
  return secret.toString('utf8').trim();
}
