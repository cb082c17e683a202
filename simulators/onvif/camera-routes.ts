import { handleAnalytics } from './analytics-service.js';
import type { DeviceService } from './device-service.js';
import type { EventService } from './event-service.js';
import { SERVICE_PATHS } from './identity.js';
import type { MediaService } from './media-service.js';
import type { SoapCall, SoapReply } from './soap.js';

export interface CameraServices {
  device: DeviceService;
  media: MediaService;
  events: EventService;
}

const SUBSCRIPTION = new RegExp(`^${SERVICE_PATHS.subscription}/([^/]+)$`);

/**
 * Routes a request by path to its service, after the token check: every operation needs a
 * valid UsernameToken except GetSystemDateAndTime on the device service (which clients call
 * first, to learn the camera's clock). Real cameras may also let GetServices and GetCapabilities
 * through unauthenticated (ONVIF's PRE_AUTH class); this one does not, so a wrong password
 * fails `connect()` at once. An unknown path is a plain 404, before any authentication.
 */
export async function dispatchCall(
  call: SoapCall,
  services: CameraServices,
  authenticate: (header: unknown) => void,
): Promise<SoapReply> {
  const handler = route(call.path, services);
  if (!handler) return { status: 404, body: 'no such service\n', contentType: 'text/plain; charset=utf-8' };
  const open = call.path === SERVICE_PATHS.device && call.action === 'GetSystemDateAndTime';
  if (!open) authenticate(call.header);
  return handler(call);
}

function route(path: string, services: CameraServices): ((call: SoapCall) => Promise<SoapReply>) | undefined {
  const subscription = SUBSCRIPTION.exec(path)?.[1];
  if (subscription !== undefined) return (call) => services.events.handleSubscription(call, subscription);
  switch (path) {
    case SERVICE_PATHS.device:
      return async (call) => services.device.handle(call);
    case SERVICE_PATHS.media:
      return async (call) => services.media.handle(call);
    case SERVICE_PATHS.events:
      return async (call) => services.events.handleService(call);
    case SERVICE_PATHS.analytics:
      return async (call) => handleAnalytics(call);
    default:
      return undefined;
  }
}
