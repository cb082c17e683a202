import type { Agent } from 'node:http';
import onvif from 'onvif';
import { routeSubscriptionCallsThrough } from './guarded-agent.js';

/**
 * The ONVIF calls the camera session makes, as promises, over the `onvif` package's `Cam`
 * (agsh/onvif 0.8.x: WS-UsernameToken digest, the camera's time shift, GetServices with the
 * GetCapabilities fallback, the pull-point calls). Every reply keeps the raw XML: the session
 * parses notifications itself (the package's `linerase` turns "0123" into 123 and recurses
 * without a depth limit) and reads SOAP faults from it.
 *
 * The package's own event loop (the `event` listener) is not used: it stops for good when a
 * subscription is refused for anything but a network error, and cannot tell the gateway that
 * a camera went silent. The session runs its own loop over these calls.
 */
export interface CameraLink {
  /** GetSystemDateAndTime, the camera's clock (unauthenticated first, as cameras allow). */
  systemTime(): Promise<Date>;
  deviceInformation(): Promise<CameraInformation>;
  createPullPoint(): Promise<PullPoint>;
  /** PullMessages on the current subscription; resolves with the raw response XML. */
  pull(messageLimit: number): Promise<string>;
  /** Renew; resolves with the new termination time (epoch ms, camera clock), when it says. */
  renew(): Promise<number | undefined>;
  unsubscribe(): Promise<void>;
}

export interface CameraInformation {
  manufacturer?: string;
  model?: string;
  firmwareVersion?: string;
  serialNumber?: string;
}

export interface PullPoint {
  address: string;
  /** Camera clock, epoch ms. */
  currentTime?: number;
  terminationTime?: number;
}

/** A failed call: the package's error, and the reply's XML when the camera sent one (a fault). */
export class CameraCallError extends Error {
  constructor(
    readonly call: string,
    readonly failure: Error,
    readonly xml: string | undefined,
  ) {
    super(`${call}: ${failure.message}`);
    this.name = 'CameraCallError';
  }

  /** The socket error code (ECONNREFUSED, ECONNRESET, ...) when the call failed on the network. */
  get code(): string | undefined {
    return (this.failure as NodeJS.ErrnoException).code;
  }
}

export interface CameraAddress {
  hostname: string;
  port: number;
  path: string;
  username?: string;
  password?: string;
  /** Sockets for every request (guarded-agent.ts bounds what a camera may send). */
  agent: Agent;
  /** Reply timeout of a request other than PullMessages, ms. */
  timeoutMs: number;
}

/** Connects (GetSystemDateAndTime, GetServices or GetCapabilities, media profiles) and returns the link. */
export function connectCamera(address: CameraAddress): Promise<CameraLink> {
  const cam = new onvif.Cam({
    hostname: address.hostname,
    port: address.port,
    path: address.path,
    timeout: address.timeoutMs,
    agent: address.agent,
    autoconnect: false,
    ...(address.username === undefined ? {} : { username: address.username }),
    ...(address.password === undefined ? {} : { password: address.password }),
  });
  routeSubscriptionCallsThrough(cam, address.agent);
  // The package emits 'warning' for media calls a thermal camera may not implement; not an error.
  cam.on('warning', () => {});
  const link = new CamLink(cam);
  return new Promise((resolve, reject) => {
    cam.connect((err, _data, xml) => {
      if (err) reject(new CameraCallError('connect', err, link.raw(xml)));
      else resolve(link);
    });
  });
}

type Cam = InstanceType<typeof onvif.Cam>;

class CamLink implements CameraLink {
  private lastRaw: string | undefined;

  constructor(private readonly cam: Cam) {
    // The XML the package hands its callbacks has every xmlns declaration cut out; the reply as
    // received is only in 'rawResponse', emitted in the same tick just before the callback.
    cam.on('rawResponse', (xml: string) => {
      this.lastRaw = xml;
    });
  }

  /** The reply as the camera sent it, for the callback that got `stripped`. */
  raw(stripped: string | undefined): string | undefined {
    const raw = this.lastRaw;
    this.lastRaw = undefined;
    return stripped === undefined ? undefined : (raw ?? stripped);
  }

  systemTime(): Promise<Date> {
    return this.call<Date>('GetSystemDateAndTime', (cb) => this.cam.getSystemDateAndTime(cb));
  }

  async deviceInformation(): Promise<CameraInformation> {
    const info = await this.call<Record<string, unknown>>('GetDeviceInformation', (cb) =>
      this.cam.getDeviceInformation(cb),
    );
    const text = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
    const result: CameraInformation = {};
    const fields = [
      ['manufacturer', info?.manufacturer],
      ['model', info?.model],
      ['firmwareVersion', info?.firmwareVersion],
      ['serialNumber', info?.serialNumber],
    ] as const;
    for (const [key, value] of fields) {
      const t = text(value);
      if (t !== undefined) result[key] = t;
    }
    return result;
  }

  async createPullPoint(): Promise<PullPoint> {
    const sub = await this.call<{
      subscriptionReference?: { address?: { href?: string } | string };
      currentTime?: Date;
      terminationTime?: Date;
    }>('CreatePullPointSubscription', (cb) => this.cam.createPullPointSubscription(cb));
    const address = sub?.subscriptionReference?.address;
    const point: PullPoint = {
      address: typeof address === 'string' ? address : String(address?.href ?? ''),
    };
    const current = epoch(sub?.currentTime);
    const termination = epoch(sub?.terminationTime);
    if (current !== undefined) point.currentTime = current;
    if (termination !== undefined) point.terminationTime = termination;
    return point;
  }

  pull(messageLimit: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.cam.pullMessages({ messageLimit }, (err, _data, xml) => {
        const raw = this.raw(xml);
        if (err) reject(new CameraCallError('PullMessages', err, raw));
        else resolve(raw ?? '');
      });
    });
  }

  async renew(): Promise<number | undefined> {
    const data = await this.call<{ terminationTime?: Date }>('Renew', (cb) => this.cam.renew({}, cb));
    return epoch(data?.terminationTime);
  }

  async unsubscribe(): Promise<void> {
    await this.call('Unsubscribe', (cb) => this.cam.unsubscribe(cb, true));
  }

  private call<T>(
    name: string,
    start: (cb: (err: Error | null, data?: T, xml?: string) => void) => void,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      try {
        start((err, data, xml) => {
          if (err) reject(new CameraCallError(name, err, this.raw(xml)));
          else resolve(data as T);
        });
      } catch (err) {
        // The package throws synchronously when there is no subscription to act on.
        reject(new CameraCallError(name, err as Error, undefined));
      }
    });
  }
}

function epoch(value: unknown): number | undefined {
  if (value instanceof Date && Number.isFinite(value.getTime())) return value.getTime();
  return undefined;
}
