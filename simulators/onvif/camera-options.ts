import { networkInterfaces } from 'node:os';
import type { Clock } from '../../drivers/shared/clock.js';
import { type RandomSource, randomBytesFrom } from '../shared/random.js';
import type { HostileKind } from './faults.js';
import { urlHost } from './http-endpoint.js';
import { type CameraIdentity, type CameraKind, MODELS, SERVICE_PATHS } from './identity.js';
import type { CameraEvent } from './sightings.js';
import type { TemperatureTopic } from './topics.js';
import type { TokenRejection } from './wsse.js';

// Options, events, counters and identity of the simulated camera (onvif-camera.ts).

export interface OnvifCameraOptions {
  /** Address to bind HTTP (and, without `multicast`, discovery) to. Default 127.0.0.1. */
  host?: string;
  /** HTTP port; 0 (the default) lets the OS choose. */
  port?: number;
  /** WS-Discovery UDP port. Default 3702; 0 lets the OS choose. */
  discoveryPort?: number;
  /** Join 239.255.255.250 for discovery on a real LAN. Default false (tests never do). */
  multicast?: boolean;
  kind?: CameraKind;
  name?: string;
  lane?: string;
  user?: string;
  password?: string;
  /** How far a token's Created may be from the camera's clock. Default 5 s. */
  maxClockSkewSeconds?: number;
  /** Camera clock minus real time at start. Default 0. */
  clockSkewSeconds?: number;
  /** Automatic arrivals per minute; 0 (the default) = only injected people and vehicles. */
  ratePerMinute?: number;
  meanCelsius?: number;
  sdCelsius?: number;
  feverRate?: number;
  noMaskRate?: number;
  plates?: readonly string[];
  /** BodyTemperatureAlarm State is true at or over this. Default 37.3 °C. */
  alarmThresholdCelsius?: number;
  temperatureTopic?: TemperatureTopic;
  /** Send the mask event before each temperature. Default true. */
  maskEvents?: boolean;
  /** Seeds the crowd, the endpoint UUID and garbage bytes. */
  seed?: number;
  random?: RandomSource;
  clock?: Clock;
  /** Per subscription; the oldest message is dropped beyond it. Default 1000. */
  maxQueuedMessages?: number;
  maxPullPoints?: number;
}

export interface OnvifCameraEvents {
  event: [event: CameraEvent];
  power: [state: 'down' | 'up'];
  /** A request refused for its UsernameToken. */
  refused: [reason: TokenRejection];
  hostile: [kind: HostileKind];
}

export interface OnvifCameraCounters {
  requests: number;
  faults: number;
  refused: number;
  hostileServed: number;
}

export function identityFor(kind: CameraKind, o: OnvifCameraOptions, endpoint: string): CameraIdentity {
  const model = MODELS[kind];
  return {
    kind,
    name: o.name ?? `${kind}-camera`,
    lane: o.lane ?? 'north-ped-in',
    manufacturer: 'gatewarden',
    model,
    firmwareVersion: '1.0.0-sim',
    serialNumber: `GW${kind === 'thermal' ? 'T' : 'P'}${endpoint.slice(9, 17).toUpperCase()}`,
    hardwareId: `${model}-hw1`,
    endpoint,
  };
}

/** A version-4 UUID URN from the simulator's random source (stable under a seed). */
export function uuidFrom(random: RandomSource): string {
  const b = randomBytesFrom(random, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Device service URLs for discovery: the bound host, or every external IPv4 for a wildcard bind. */
export function deviceXaddrs(host: string, port: number): string[] {
  const wildcard = host === '0.0.0.0' || host === '::';
  const hosts = wildcard
    ? Object.values(networkInterfaces())
        .flat()
        .flatMap((a) => (a !== undefined && a.family === 'IPv4' && !a.internal ? [a.address] : []))
    : [host];
  return hosts.map((h) => `http://${urlHost(h, undefined)}:${port}${SERVICE_PATHS.device}`);
}
