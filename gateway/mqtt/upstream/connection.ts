/**
 * The one MQTT.js connection to the upstream broker, shared by the journal publisher and (as a
 * `ClientBus`, `bus`) by the requests and the peers.
 *
 * Contract
 * - Stable client id, persistent session (`clean: false`; MQTT 5 session expiry from the
 *   configuration). On every connect a retained birth `{"state":"online",…}` goes to
 *   `<base>/status`; the last will there is a retained `{"state":"offline"}`, and stop()
 *   publishes that itself before it disconnects (an orderly DISCONNECT suppresses the will).
 * - Reconnection is ours, not MQTT.js's (its `reconnectPeriod` is fixed): after a failed attempt
 *   or a lost connection the wait doubles up to the maximum, with jitter; it starts again from
 *   the initial wait once a connection stayed up for a while (a broker that accepts and at once
 *   drops us, e.g. a duplicate client id taking the session over, keeps the backoff growing).
 * - MQTT 5 first when configured; a CONNACK "unacceptable protocol version" switches this
 *   connection to 3.1.1 for good (logged), on the next attempt.
 * - A refusal (CONNACK refusal, TLS failure) is retried with the same backoff, and reported to
 *   `onRefused` once per streak of refusals; a successful connection ends the streak. The
 *   password file is read again before the attempt after a refusal.
 * - When the connection drops, every QoS 1 publish that was not acknowledged is failed (its
 *   promise rejects), and so are publishes queued while offline, before the next attempt:
 *   MQTT.js's in-memory queue never re-sends anything. The journal publisher re-sends from its
 *   cursor instead, so nothing is sent twice by both, and nothing depends on process memory.
 *   Subscriptions are kept (the session, or MQTT.js's resubscription when the session is new).
 */
import { connect, type IConnackPacket, type IDisconnectPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { MqttUpstreamConfig } from '../../../config/mqtt-upstream-schema.js';
import { type Clock, systemClock } from '../../../drivers/shared/clock.js';
import { ClientBus } from '../client-bus.js';
import { Backoff } from './backoff.js';
import {
  brokerAddress,
  rereadPassword,
  upstreamClientId,
  upstreamClientOptions,
  useMqtt311,
} from './client-options.js';
import { classifyUpstreamError, RefusalStreak, type UpstreamFailure } from './connection-failure.js';
import type { PublishLink } from './journal-publisher.js';
import { birthStatus, sayGoodbye } from './status-messages.js';
import { type UpstreamTopicBase, upstreamTopics } from './topics.js';

/** A connection that lasted this long (or the maximum wait, if shorter) resets the backoff. */
const STABLE_MS = 10_000;
/** Longest stop() waits for the offline status and the DISCONNECT to go out. */
const STOP_MS = 3000;

export interface UpstreamConnectionOptions {
  config: MqttUpstreamConfig;
  base: UpstreamTopicBase;
  /** Goes into the birth message. */
  version: string;
  log: Logger;
  now: () => number;
  /** The broker refused us (first refusal of a streak): journal the alarm. */
  onRefused: (failure: Extract<UpstreamFailure, { kind: 'refused' | 'tls' }>, broker: string) => void;
  clock?: Clock;
  random?: () => number;
}

export interface UpstreamConnectionStatus {
  broker: string;
  clientId: string;
  connected: boolean;
  protocolVersion: 4 | 5;
  /** Successful connections since start. */
  connects: number;
  /** Refused attempts since start. */
  refusals: number;
  /** Failed attempts since the last stable connection. */
  failedAttempts: number;
  lastError: string | undefined;
}

export class UpstreamConnection implements PublishLink {
  readonly client: MqttClient;
  readonly bus: ClientBus;
  readonly broker: string;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly connectListeners = new Set<() => void>();
  private protocolVersion: 4 | 5;
  private reconnectTimer: unknown;
  private started = false;
  private stopping = false;
  private awaitingConnack = false;
  private fallbackDue = false;
  private readonly refusals = new RefusalStreak();
  private passwordStale = false;
  private connectedAt: number | undefined;
  private attempts = 0;
  private connects = 0;
  private lastError: string | undefined;

  constructor(private readonly options: UpstreamConnectionOptions) {
    const { config, base, log } = options;
    this.clock = options.clock ?? systemClock;
    this.backoff = new Backoff(
      { initialMs: config.reconnect.initialSeconds * 1000, maxMs: config.reconnect.maxSeconds * 1000 },
      options.random,
    );
    this.broker = brokerAddress(config.url);
    this.protocolVersion = config.protocolVersion;
    this.client = connect(config.url, upstreamClientOptions(config, base, this.protocolVersion));
    this.bus = new ClientBus(this.client, log);
    this.client.on('connect', (connack) => this.onConnect(connack));
    this.client.on('error', (error) => this.onError(error));
    this.client.on('close', () => this.onClose());
    this.client.on('disconnect', (packet: IDisconnectPacket) =>
      log.warn({ reasonCode: packet.reasonCode, broker: this.broker }, 'the upstream broker disconnected us'),
    );
  }

  get connected(): boolean {
    return this.client.connected;
  }

  get receiveMaximum(): number | undefined {
    return this.client.connected ? this.client.serverProperties?.receiveMaximum : undefined;
  }

  /** Calls `listener` after every successful connection; returns the function that removes it. */
  onConnected(listener: () => void): () => void {
    this.connectListeners.add(listener);
    return () => this.connectListeners.delete(listener);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.attempt();
  }

  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    this.clock.clearTimeout(this.reconnectTimer);
    let ended = false;
    if (this.client.connected) {
      const status = upstreamTopics.status(this.options.base);
      try {
        await sayGoodbye(this.client, status, this.options.now(), { clock: this.clock, ms: STOP_MS });
        ended = true;
      } catch (err) {
        this.options.log.warn(
          { err, broker: this.broker },
          'upstream broker did not take the orderly goodbye',
        );
      }
    }
    // Not connected (or the goodbye failed): close the socket, if any, without waiting.
    if (!ended) this.client.end(true);
    this.failUnacknowledged();
  }

  status(): UpstreamConnectionStatus {
    return {
      broker: this.broker,
      clientId: upstreamClientId(this.options.config, this.options.base.siteId),
      connected: this.client.connected,
      protocolVersion: this.protocolVersion,
      connects: this.connects,
      refusals: this.refusals.count,
      failedAttempts: this.backoff.failures,
      lastError: this.lastError,
    };
  }

  private attempt(): void {
    this.reconnectTimer = undefined;
    if (this.stopping) return;
    const { config, log } = this.options;
    if (this.fallbackDue) {
      this.fallbackDue = false;
      this.protocolVersion = 4;
      useMqtt311(this.client);
    }
    if (this.passwordStale && config.passwordFile !== undefined)
      rereadPassword(this.client, config.passwordFile, log);
    this.passwordStale = false;
    this.failUnacknowledged();
    this.awaitingConnack = true;
    // reconnect() starts from fresh in-memory stores; nothing is left in them (see above).
    if (this.attempts++ === 0) this.client.connect();
    else this.client.reconnect();
  }

  private onConnect(connack: IConnackPacket): void {
    this.awaitingConnack = false;
    this.connects++;
    this.connectedAt = this.clock.now();
    this.lastError = undefined;
    const { log, base, config } = this.options;
    log.info(
      {
        broker: this.broker,
        protocolVersion: this.protocolVersion,
        sessionPresent: connack.sessionPresent,
        refusals: this.refusals.end() ? this.refusals.count : undefined,
      },
      'connected to the upstream broker (已连接上游服务器)',
    );
    const birth = birthStatus({
      at: this.options.now(),
      gateway: config.gatewayId,
      site: base.siteId,
      version: this.options.version,
    });
    this.client.publish(upstreamTopics.status(base), birth, { qos: 1, retain: true }, (err) => {
      if (err && !this.stopping) log.warn({ err }, 'the birth message was not acknowledged');
    });
    for (const listener of [...this.connectListeners]) listener();
  }

  private onError(error: Error): void {
    const failure = classifyUpstreamError(error, this.awaitingConnack);
    const { log } = this.options;
    this.lastError = failure.message;
    if (failure.kind === 'unsupported_protocol' && this.protocolVersion === 5) {
      this.fallbackDue = true;
      log.warn(
        { broker: this.broker, code: failure.code },
        'upstream broker refuses MQTT 5: using MQTT 3.1.1',
      );
      return;
    }
    if (failure.kind === 'refused' || failure.kind === 'tls' || failure.kind === 'unsupported_protocol') {
      const refusal = failure.kind === 'tls' ? failure : { ...failure, kind: 'refused' as const };
      this.passwordStale = true;
      if (!this.refusals.add()) return;
      log.error(
        { broker: this.broker, kind: refusal.kind, code: refusal.code, err: failure.message },
        '上游服务器拒绝连接 the upstream broker refused the connection: check the credentials, client id and TLS',
      );
      this.options.onRefused(refusal, this.broker);
      return;
    }
    const failures = this.backoff.failures;
    if (failures === 0 || (failures + 1) % 20 === 0)
      log.warn(
        { broker: this.broker, code: failure.code, err: failure.message, failures },
        'upstream connection failed',
      );
  }

  private onClose(): void {
    this.awaitingConnack = false;
    this.failUnacknowledged();
    if (this.stopping || !this.started || this.reconnectTimer !== undefined) return;
    const { config, log } = this.options;
    const lived = this.connectedAt === undefined ? 0 : this.clock.now() - this.connectedAt;
    if (this.connectedAt !== undefined)
      log.warn(
        { broker: this.broker, connectedMs: Math.round(lived) },
        'upstream connection lost; reconnecting',
      );
    this.connectedAt = undefined;
    if (lived >= Math.min(STABLE_MS, config.reconnect.maxSeconds * 1000)) this.backoff.reset();
    const delay = this.backoff.next();
    this.reconnectTimer = this.clock.setTimeout(() => this.attempt(), delay);
  }

  /**
   * Rejects every QoS 1 publish still awaiting its PUBACK or queued offline (see the contract).
   * Subscriptions waiting for their SUBACK are left alone: MQTT.js sends them on connect.
   */
  private failUnacknowledged(): void {
    for (const [id, pending] of Object.entries(this.client.outgoing))
      if (pending.cmd === 'publish') this.client.removeOutgoingMessage(Number(id));
  }
}
