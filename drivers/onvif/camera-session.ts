import type { Agent } from 'node:http';
import type { Logger } from 'pino';
import { type Clock, withTimeout } from '../shared/clock.js';
import { classifyFailure, type Failure } from './camera-failures.js';
import { type CameraAddress, type CameraInformation, type CameraLink, connectCamera } from './camera-link.js';
import { guardedAgent } from './guarded-agent.js';
import { parsePullMessagesResponse } from './notifications.js';
import { type CameraObservation, interpretWithProblems, type TopicInterpreter } from './observations.js';
import { DEFAULT_XML_LIMITS, type XmlLimits } from './xml-guard.js';

/**
 * `online`: connected and answering; `offline`: no answer for `offlineAfterMs`; `refused`: the
 * camera answers but refuses our credentials (an operator must fix the configuration).
 */
export type CameraState = 'connecting' | 'online' | 'offline' | 'refused';

export interface CameraSessionOptions {
  hostname: string;
  port: number;
  path: string;
  username?: string;
  password?: string;
  interpreter: TopicInterpreter;
  clock: Clock;
  log: Logger;
  /** A liveness probe (GetSystemDateAndTime, which also measures the clock offset) this often. */
  heartbeatMs?: number;
  /** No answer to anything for this long makes the camera offline. */
  offlineAfterMs?: number;
  /** Reply timeout of every call but PullMessages (which the camera may hold up to a minute). */
  requestTimeoutMs?: number;
  /** Reconnect back-off: doubles from `initialMs` up to `maxMs`, with ±20 % jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /** Renew the pull point when less than this is left of it. */
  renewMarginMs?: number;
  messageLimit?: number;
  limits?: XmlLimits;
  /** Injected in tests: opens a link without the `onvif` package. */
  connect?: (address: CameraAddress) => Promise<CameraLink>;
  random?: () => number;
}

export interface CameraSessionListener {
  observations(list: readonly CameraObservation[], receivedAt: number): void;
  state(state: CameraState, detail: string | undefined): void;
  /** Camera clock minus ours, ms (to ±1 s: ONVIF gives whole seconds), after each heartbeat. */
  clockOffset?(offsetMs: number): void;
  /** A reply refused (hostile or broken XML) or notifications that could not be read. */
  problem?(failure: Failure): void;
}

export interface CameraSessionStatus {
  state: CameraState;
  clockOffsetMs: number | undefined;
  roundTripMs: number | undefined;
  lastSeenAt: number | undefined;
  information: CameraInformation | undefined;
  counters: Readonly<Record<string, number>>;
}

const DEFAULTS = {
  heartbeatMs: 2000,
  offlineAfterMs: 6000,
  requestTimeoutMs: 5000,
  backoff: { initialMs: 500, maxMs: 30_000 },
  renewMarginMs: 70_000,
  messageLimit: 100,
};

/**
 * One camera's ONVIF session (style: session layer): connects, keeps one pull-point
 * subscription, pulls its notifications and hands the observations its interpreter reads in
 * them to the listener. Recreates the subscription when the camera forgets it (restart,
 * expiry), renews it before it expires, reconnects with back-off when the camera goes away,
 * and says when it is offline (a heartbeat, since a pull may legitimately wait a minute).
 *
 * Every connection gets its own HTTP agent, destroyed when the connection is abandoned, so a
 * pull still waiting on a dead camera cannot deliver into a newer connection (`epoch`).
 */
export class CameraSession {
  private readonly o: Required<Omit<CameraSessionOptions, 'username' | 'password' | 'connect' | 'random'>> &
    Pick<CameraSessionOptions, 'username' | 'password'>;
  private readonly connect: (address: CameraAddress) => Promise<CameraLink>;
  private readonly random: () => number;
  private running = false;
  private epoch = 0;
  private link: CameraLink | undefined;
  private agent: Agent | undefined;
  private state: CameraState = 'connecting';
  private startedAt = 0;
  private lastSeenAt: number | undefined;
  private clockOffsetMs: number | undefined;
  private roundTripMs: number | undefined;
  private information: CameraInformation | undefined;
  private heartbeatTimer: unknown;
  private heartbeatPending = false;
  /** Reconnections after a token was refused on a connection that had been let in. */
  private authRetries = 0;
  private wakeRun: (() => void) | undefined;
  /** Settles when the current connection is abandoned (see `abandon`). */
  private abandoned: Promise<void>;
  private signalAbandoned: () => void = () => {};
  private runDone: Promise<void> = Promise.resolve();
  private readonly counters = {
    connects: 0,
    subscriptions: 0,
    resubscriptions: 0,
    renewals: 0,
    pulls: 0,
    notifications: 0,
    observations: 0,
    skipped: 0,
    refusedValues: 0,
    badReplies: 0,
    failures: 0,
    offline: 0,
  };

  constructor(
    options: CameraSessionOptions,
    private readonly listener: CameraSessionListener,
  ) {
    this.o = {
      ...DEFAULTS,
      limits: DEFAULT_XML_LIMITS,
      ...options,
    };
    this.connect = options.connect ?? connectCamera;
    this.abandoned = this.nextAbandonment();
    this.random = options.random ?? Math.random;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.o.clock.now();
    this.scheduleHeartbeat();
    this.runDone = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.o.clock.clearTimeout(this.heartbeatTimer);
    const link = this.link;
    this.abandon();
    this.wakeRun?.();
    if (link !== undefined && this.state === 'online') {
      // Cameras keep a pull point until it expires: give it back (others forgot to, agsh #125).
      await withTimeout(link.unsubscribe(), this.o.requestTimeoutMs, this.o.clock).catch(() => {});
    }
    this.agent?.destroy();
    await this.runDone;
  }

  status(): CameraSessionStatus {
    return {
      state: this.state,
      clockOffsetMs: this.clockOffsetMs,
      roundTripMs: this.roundTripMs,
      lastSeenAt: this.lastSeenAt,
      information: this.information,
      counters: { ...this.counters },
    };
  }

  private async run(): Promise<void> {
    let delay = this.o.backoff.initialMs;
    while (this.running) {
      const epoch = ++this.epoch;
      try {
        const link = await this.open();
        if (epoch !== this.epoch) continue;
        this.link = link;
        this.counters.connects++;
        this.information = await link.deviceInformation().catch(() => undefined);
        await this.measureClock(link);
        this.seen();
        this.setState('online', describe(this.information));
        delay = this.o.backoff.initialMs;
        await this.pullLoop(link, epoch);
      } catch (err) {
        if (!this.running || epoch !== this.epoch) continue;
        const failure = classifyFailure(err);
        if (failure.kind === 'not-authorised' && this.link !== undefined && this.authRetries++ === 0) {
          // Refused after we were let in: the camera's clock moved and our token times are off.
          // A new connection learns its clock again; refused twice in a row, it is the credentials.
          this.o.log.info(
            { detail: failure.detail },
            'camera refused a token after connecting; reconnecting',
          );
        } else {
          this.onFailure(failure);
        }
      }
      if (!this.running) break;
      this.abandon();
      await this.pause(this.jitter(delay));
      delay = Math.min(delay * 2, this.o.backoff.maxMs);
    }
  }

  private open(): Promise<CameraLink> {
    this.agent?.destroy();
    const agent = guardedAgent(this.o.limits);
    this.agent = agent;
    const address: CameraAddress = {
      hostname: this.o.hostname,
      port: this.o.port,
      path: this.o.path,
      agent,
      timeoutMs: this.o.requestTimeoutMs,
    };
    if (this.o.username !== undefined) address.username = this.o.username;
    if (this.o.password !== undefined) address.password = this.o.password;
    return this.connect(address);
  }

  /** Pulls until a failure that needs a new connection; returns when the connection is abandoned. */
  private async pullLoop(link: CameraLink, epoch: number): Promise<void> {
    let terminationAt = await this.subscribe(link);
    while (this.running && epoch === this.epoch) {
      if (terminationAt - this.o.clock.now() < this.o.renewMarginMs) {
        terminationAt = await this.renewOrResubscribe(link);
        if (epoch !== this.epoch) return;
      }
      this.counters.pulls++;
      // A pull may wait a minute; abandoning the connection (offline, stop) must not wait for it.
      const reply = await Promise.race([
        link.pull(this.o.messageLimit).then(
          (xml) => ({ xml }),
          (error: unknown) => ({ error }),
        ),
        this.abandoned.then(() => undefined),
      ]);
      if (reply === undefined || epoch !== this.epoch) return;
      if ('error' in reply) {
        const failure = classifyFailure(reply.error);
        if (failure.kind === 'subscription-lost') {
          this.counters.resubscriptions++;
          this.o.log.info({ detail: failure.detail }, 'camera lost the subscription; creating a new one');
          terminationAt = await this.subscribe(link);
          continue;
        }
        if (failure.kind !== 'bad-reply') throw reply.error;
        this.onFailure(failure);
        // A camera that keeps sending what we refuse is retried on a timer, never in a tight loop.
        await this.pause(this.o.backoff.initialMs);
        continue;
      }
      const xml = reply.xml;
      if (epoch !== this.epoch) return;
      this.seen();
      this.authRetries = 0;
      terminationAt = this.deliver(xml) ?? terminationAt;
    }
  }

  /** Parses one PullMessages reply and hands on what it says; returns the new termination time. */
  private deliver(xml: string): number | undefined {
    const receivedAt = this.o.clock.now();
    let parsed: ReturnType<typeof parsePullMessagesResponse>;
    try {
      parsed = parsePullMessagesResponse(xml, this.o.limits);
    } catch (err) {
      this.onFailure({ kind: 'bad-reply', detail: `PullMessages: ${(err as Error).message}` });
      return undefined;
    }
    this.counters.notifications += parsed.notifications.length;
    this.counters.skipped += parsed.skipped ?? 0;
    const observations: CameraObservation[] = [];
    for (const notification of parsed.notifications) {
      const { observations: read, problems } = interpretWithProblems(notification, this.o.interpreter);
      for (const o of read) observations.push(o);
      if (problems.length > 0) {
        // A value the camera sent that we refuse (an impossible temperature, a bad plate).
        this.counters.refusedValues += problems.length;
        this.o.log.warn({ problems }, 'refused values in a camera notification');
      }
    }
    this.counters.observations += observations.length;
    if (observations.length > 0) {
      try {
        this.listener.observations(observations, receivedAt);
      } catch (err) {
        this.o.log.error({ err }, 'camera observations listener failed');
      }
    }
    const { currentTime, terminationTime } = parsed;
    return currentTime !== undefined && terminationTime !== undefined
      ? receivedAt + (terminationTime - currentTime)
      : undefined;
  }

  private async subscribe(link: CameraLink): Promise<number> {
    const point = await link.createPullPoint();
    this.counters.subscriptions++;
    this.seen();
    return this.terminationAt(point.currentTime, point.terminationTime);
  }

  private async renewOrResubscribe(link: CameraLink): Promise<number> {
    try {
      const termination = await link.renew();
      this.counters.renewals++;
      this.seen();
      // Renew answers carry the camera's termination time: measured against its clock.
      const now = this.o.clock.now();
      return termination !== undefined && this.clockOffsetMs !== undefined
        ? termination - this.clockOffsetMs
        : now + 60_000;
    } catch (err) {
      const failure = classifyFailure(err);
      if (failure.kind !== 'subscription-lost' && failure.kind !== 'fault') throw err;
      // Some firmwares refuse Renew (relative times, SubscriptionId per pull): start a new pull point.
      this.counters.resubscriptions++;
      return this.subscribe(link);
    }
  }

  private terminationAt(current: number | undefined, termination: number | undefined): number {
    const now = this.o.clock.now();
    return current !== undefined && termination !== undefined ? now + (termination - current) : now + 60_000;
  }

  private async measureClock(link: CameraLink): Promise<void> {
    const sent = this.o.clock.now();
    const time = await link.systemTime();
    const received = this.o.clock.now();
    this.roundTripMs = Math.round(received - sent);
    this.clockOffsetMs = Math.round(time.getTime() - (sent + received) / 2);
    this.listener.clockOffset?.(this.clockOffsetMs);
  }

  private scheduleHeartbeat(): void {
    this.heartbeatTimer = this.o.clock.setTimeout(() => {
      if (!this.running) return;
      this.heartbeat();
      this.scheduleHeartbeat();
    }, this.o.heartbeatMs);
  }

  private heartbeat(): void {
    const link = this.link;
    if (link !== undefined && !this.heartbeatPending) {
      this.heartbeatPending = true;
      const epoch = this.epoch;
      withTimeout(this.measureClock(link), this.o.requestTimeoutMs, this.o.clock)
        .then(() => {
          if (epoch === this.epoch) this.seen();
        })
        .catch(() => {})
        .finally(() => {
          this.heartbeatPending = false;
        });
    }
    const since = this.lastSeenAt ?? this.startedAt;
    if (
      this.state !== 'offline' &&
      this.state !== 'refused' &&
      this.o.clock.now() - since > this.o.offlineAfterMs
    ) {
      this.counters.offline++;
      this.setState('offline', `no answer for ${Math.round((this.o.clock.now() - since) / 1000)} s`);
      // A pull may be hanging on a camera that is gone: drop the connection and start over.
      this.abandon();
      this.wakeRun?.();
    }
  }

  private onFailure(failure: Failure): void {
    this.counters.failures++;
    if (failure.kind === 'bad-reply') this.counters.badReplies++;
    this.o.log.warn({ kind: failure.kind, detail: failure.detail }, 'camera call failed');
    if (failure.kind === 'not-authorised') this.setState('refused', failure.detail);
    this.listener.problem?.(failure);
  }

  private seen(): void {
    this.lastSeenAt = this.o.clock.now();
    if (this.state === 'offline' && this.link !== undefined)
      this.setState('online', describe(this.information));
  }

  private setState(state: CameraState, detail: string | undefined): void {
    if (state === this.state) return;
    this.state = state;
    this.listener.state(state, detail);
  }

  /** Forgets the current connection: late replies on it are ignored and its sockets closed. */
  private abandon(): void {
    this.epoch++;
    this.signalAbandoned();
    this.abandoned = this.nextAbandonment();
    this.link = undefined;
    this.agent?.destroy();
    this.agent = undefined;
  }

  private nextAbandonment(): Promise<void> {
    return new Promise((resolve) => {
      this.signalAbandoned = resolve;
    });
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.o.clock.setTimeout(() => {
        this.wakeRun = undefined;
        resolve();
      }, ms);
      this.wakeRun = () => {
        this.o.clock.clearTimeout(timer);
        this.wakeRun = undefined;
        resolve();
      };
    });
  }

  private jitter(ms: number): number {
    return Math.round(ms * (0.8 + 0.4 * this.random()));
  }
}

function describe(info: CameraInformation | undefined): string | undefined {
  if (info === undefined) return undefined;
  const text = [info.manufacturer, info.model, info.firmwareVersion].filter(Boolean).join(' ');
  return text === '' ? undefined : text;
}
