/**
 * Who the simulated camera says it is: GetDeviceInformation, GetScopes and the WS-Discovery
 * ProbeMatch all read from here, so they cannot disagree. Service paths are fixed, one per
 * service as on most cameras; the host and port in their URLs are the ones actually bound.
 */
export type CameraKind = 'thermal' | 'plate';

export interface CameraIdentity {
  kind: CameraKind;
  /** Human name (scope `name/…`), e.g. `north-gate-thermal`. */
  name: string;
  /** The lane the camera watches (scope `location/…`). */
  lane: string;
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
  /** `urn:uuid:…`, the WS-Discovery endpoint reference; stable for the simulator's life. */
  endpoint: string;
}

export const SERVICE_PATHS = {
  device: '/onvif/device_service',
  media: '/onvif/media_service',
  events: '/onvif/event_service',
  analytics: '/onvif/analytics_service',
  /** Pull-point subscriptions live at `<subscription>/<id>`. */
  subscription: '/onvif/subscription',
} as const;

export const MODELS: Record<CameraKind, string> = { thermal: 'sim-thermal', plate: 'sim-plate' };

/** The one video source and media profile (what agsh/onvif's `connect()` needs to find). */
export const VIDEO_SOURCE_TOKEN = 'VideoSource_1';
export function profileToken(kind: CameraKind): string {
  return `${kind}_main`;
}

/** ONVIF scopes (Core: `onvif://www.onvif.org/<category>/<value>`), values percent-encoded. */
export function scopesOf(identity: CameraIdentity): string[] {
  const base = 'onvif://www.onvif.org';
  return [
    `${base}/type/video_encoder`,
    `${base}/type/video_analytics`,
    `${base}/type/${identity.kind === 'thermal' ? 'thermal_camera' : 'plate_recognition'}`,
    `${base}/Profile/Streaming`,
    `${base}/name/${encodeURIComponent(identity.name)}`,
    `${base}/hardware/${encodeURIComponent(identity.model)}`,
    `${base}/location/${encodeURIComponent(identity.lane)}`,
  ];
}
