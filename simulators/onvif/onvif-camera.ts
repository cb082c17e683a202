import { EventEmitter } from 'node:events';
import { type Clock, systemClock } from '../../drivers/shared/clock.js';
import { type RandomSource, seededRandom } from '../shared/random.js';
import {
  deviceXaddrs,
  identityFor,
  type OnvifCameraCounters,
  type OnvifCameraEvents,
  type OnvifCameraOptions,
  uuidFrom,
} from './camera-options.js';
import { type CameraServices, dispatchCall } from './camera-routes.js';
import { DeviceService } from './device-service.js';
import { DiscoveryResponder } from './discovery-responder.js';
import { EventService } from './event-service.js';
import { type HostileKind, hostileReply } from './faults.js';
import { HttpEndpoint, urlHost } from './http-endpoint.js';
import { type CameraIdentity, SERVICE_PATHS, scopesOf } from './identity.js';
import { MediaService } from './media-service.js';
import { bodyAlarmInitialized, type EventMessage } from './notifications.js';
import { PullPointHub } from './pull-points.js';
import { type PersonEvent, type PersonSpec, Sightings, type VehicleEvent } from './sightings.js';
import { faults, type SoapReply } from './soap.js';
import type { TopicName } from './topics.js';
import { NonceCache, readUsernameToken, verifyUsernameToken } from './wsse.js';
import { isoTime } from './xs-time.js';

export type { OnvifCameraCounters, OnvifCameraEvents, OnvifCameraOptions } from './camera-options.js';
export type { CameraEvent, PersonEvent, PersonSpec, VehicleEvent } from './sightings.js';

interface RebootState {
  timer: unknown;
  /** Settles `reboot()`'s promise: back up, stopped meanwhile, or the port could not be had again. */
  done(err?: Error): void;
}

/**
 * A simulated ONVIF thermal (temperature and mask) or plate camera: device, media, events and
 * analytics services over HTTP/SOAP 1.2, WS-UsernameToken authentication, pull-point events,
 * WS-Discovery, a crowd passing by, and faults. Lifecycle: the constructor builds; `start()`
 * binds (resolving the bound ports); `stop()` closes everything. A technician drives it from
 * `gatewarden-sim onvif-camera`; tests drive it through the methods below.
 */
export class OnvifCameraSimulator extends EventEmitter<OnvifCameraEvents> {
  readonly identity: CameraIdentity;
  readonly counters: OnvifCameraCounters = { requests: 0, faults: 0, refused: 0, hostileServed: 0 };
  readonly hub: PullPointHub;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly host: string;
  private readonly nonces = new NonceCache();
  private readonly http: HttpEndpoint;
  private readonly discovery: DiscoveryResponder;
  private readonly sightings: Sightings;
  private readonly services: CameraServices;
  private skewMs: number;
  private slowMs = 0;
  private user: string;
  private password: string;
  private hostile: HostileKind | undefined;
  private boots = 1;
  private running = false;
  private rebooting: RebootState | undefined;

  constructor(private readonly options: OnvifCameraOptions = {}) {
    super();
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? (options.seed === undefined ? Math.random : seededRandom(options.seed));
    this.host = options.host ?? '127.0.0.1';
    this.skewMs = (options.clockSkewSeconds ?? 0) * 1000;
    this.user = options.user ?? 'admin';
    this.password = options.password ?? 'admin';
    const kind = options.kind ?? 'thermal';
    this.identity = identityFor(kind, options, uuidFrom(this.random));
    this.hub = new PullPointHub({
      clock: this.clock,
      maxPullPoints: options.maxPullPoints ?? 10,
      maxQueue: options.maxQueuedMessages ?? 1000,
    });
    this.sightings = new Sightings({
      ...options,
      kind,
      random: this.random,
      clock: this.clock,
      cameraNow: () => this.cameraNow(),
      publish: (messages) => this.hub.publish(messages),
      onEvent: (event) => this.emit('event', event),
    });
    this.services = {
      device: new DeviceService({
        identity: this.identity,
        cameraNow: () => this.cameraNow(),
        maxPullPoints: this.hub.capacity,
      }),
      media: new MediaService(kind),
      events: new EventService({
        hub: this.hub,
        clock: this.clock,
        skewMs: () => this.skewMs,
        topics: () => this.topics(),
        initialMessages: (utcTime) => this.initialMessages(utcTime),
        takeHostileReply: () => this.takeHostileReply(),
      }),
    };
    this.http = new HttpEndpoint({
      host: this.host,
      clock: this.clock,
      dispatch: (call) => dispatchCall(call, this.services, (header) => this.authenticate(header)),
      replyDelayMs: () => this.slowMs,
      onExchange: (_path, _action, status) => {
        this.counters.requests++;
        if (status >= 400) this.counters.faults++;
      },
    });
    this.discovery = new DiscoveryResponder({
      host: this.host,
      port: options.discoveryPort ?? 3702,
      multicast: options.multicast ?? false,
      endpoint: this.identity.endpoint,
      scopes: () => scopesOf(this.identity),
      xaddrs: () => deviceXaddrs(this.host, this.http.port),
      instanceId: () => this.boots,
      online: () => this.rebooting === undefined,
    });
  }

  async start(): Promise<{ host: string; port: number; discoveryPort: number }> {
    const port = await this.http.listen(this.options.port ?? 0);
    let discoveryPort: number;
    try {
      discoveryPort = await this.discovery.start();
    } catch (err) {
      await this.http.close();
      throw err;
    }
    this.running = true;
    this.sightings.start();
    return { host: this.host, port, discoveryPort };
  }

  async stop(): Promise<void> {
    this.running = false;
    this.sightings.stop();
    if (this.rebooting) {
      this.clock.clearTimeout(this.rebooting.timer);
      this.rebooting.done();
      this.rebooting = undefined;
    }
    this.hub.clear();
    await Promise.all([this.http.close(), this.discovery.stop()]);
  }

  /** The device service URL (`http://host:port/onvif/device_service`). */
  get deviceServiceUrl(): string {
    return `http://${urlHost(this.host, '127.0.0.1')}:${this.http.port}${SERVICE_PATHS.device}`;
  }

  get discoveryCounters() {
    return this.discovery.counters;
  }

  get down(): boolean {
    return this.rebooting !== undefined;
  }

  get paused(): boolean {
    return this.sightings.paused;
  }

  /** The camera's clock (epoch ms): real time plus the skew. */
  cameraNow(): number {
    return this.clock.now() + this.skewMs;
  }

  /** A person walks past (thermal camera); unspecified values are drawn as the crowd's are. */
  person(spec: PersonSpec = {}): Promise<PersonEvent> {
    return Promise.resolve().then(() => this.sightings.person(spec, true));
  }

  /** A vehicle drives past (plate camera); without a plate one is drawn. */
  vehicle(plate?: string, confidence?: number): Promise<VehicleEvent> {
    return Promise.resolve().then(() => this.sightings.vehicle(plate, confidence, true));
  }

  pause(): void {
    this.sightings.pause();
  }

  resume(): void {
    this.sightings.resume();
  }

  /**
   * Power-cycles the camera: HTTP closes (open connections reset), every subscription and
   * remembered nonce is forgotten, discovery goes quiet; after `downMs` HTTP listens again on
   * the same port. Resolves when it is back (or when the simulator is stopped meanwhile).
   */
  async reboot(downMs: number): Promise<void> {
    if (!this.running) throw new Error('the camera is not running');
    if (this.rebooting) throw new Error('the camera is already rebooting');
    const state: RebootState = { timer: undefined, done: () => {} };
    const up = new Promise<void>((resolve, reject) => {
      state.done = (err) => (err ? reject(err) : resolve());
    });
    this.rebooting = state;
    this.emit('power', 'down');
    await this.http.close();
    this.hub.clear();
    this.nonces.clear();
    this.hostile = undefined;
    this.sightings.lastReading = undefined;
    if (this.rebooting === state)
      state.timer = this.clock.setTimeout(() => void this.bootAgain(state), Math.max(0, downMs));
    return up;
  }

  /** Moves the camera's clock to real time + `seconds`; tokens are judged against it. */
  setClockSkew(seconds: number): void {
    this.skewMs = seconds * 1000;
  }

  /** Delays every HTTP reply by `ms` (0 = off). */
  setSlowResponses(ms: number): void {
    this.slowMs = Math.max(0, ms);
  }

  /** Adds `celsius` to every temperature the camera reports. */
  setCalibrationDrift(celsius: number): void {
    this.sightings.driftCelsius = celsius;
  }

  /** Replaces the one account the camera accepts. */
  setPassword(user: string, password: string): void {
    this.user = user;
    this.password = password;
  }

  /** Serves `kind` (faults.ts) in place of the next PullMessages reply, once. */
  serveHostile(kind: HostileKind): void {
    this.hostile = kind;
  }

  get settings() {
    return {
      skewSeconds: this.skewMs / 1000,
      slowMs: this.slowMs,
      driftCelsius: this.sightings.driftCelsius,
      hostile: this.hostile,
      boots: this.boots,
    };
  }

  private async bootAgain(state: RebootState): Promise<void> {
    try {
      await this.http.listen(this.http.port);
    } catch (err) {
      this.rebooting = undefined;
      state.done(err as Error);
      return;
    }
    this.boots++;
    this.rebooting = undefined;
    this.emit('power', 'up');
    state.done();
  }

  private authenticate(header: unknown): void {
    const verdict = verifyUsernameToken(readUsernameToken(header), {
      user: this.user,
      password: this.password,
      cameraNow: this.cameraNow(),
      now: this.clock.now(),
      maxClockSkewSeconds: this.options.maxClockSkewSeconds ?? 5,
      nonces: this.nonces,
    });
    if (verdict.ok) return;
    this.counters.refused++;
    this.emit('refused', verdict.reason);
    throw faults.notAuthorized();
  }

  private topics(): TopicName[] {
    if (this.identity.kind === 'plate') return ['plate'];
    const temperature = this.options.temperatureTopic ?? 'body';
    return this.options.maskEvents === false ? [temperature] : ['mask', temperature];
  }

  /** The BodyTemperatureAlarm rule is a property: new subscriptions get its state first. */
  private initialMessages(utcTime: string): EventMessage[] {
    if (this.identity.kind !== 'thermal' || (this.options.temperatureTopic ?? 'body') !== 'body') return [];
    return [bodyAlarmInitialized(this.sightings.lastReading, utcTime)];
  }

  private takeHostileReply(): SoapReply | undefined {
    const kind = this.hostile;
    if (kind === undefined) return undefined;
    this.hostile = undefined;
    this.counters.hostileServed++;
    this.emit('hostile', kind);
    return hostileReply(kind, isoTime(this.cameraNow()), this.random);
  }
}
