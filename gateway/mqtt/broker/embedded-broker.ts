/**
 * The embedded MQTT broker (aedes 1.2, MQTT 3.1 and 3.1.1): the gateway's local bus. Lifecycle
 * (style H5): the constructor builds and touches nothing; `start()` reads the users file and
 * listens (TCP, WebSocket, TLS as configured); `stop()` closes every client and listener.
 * Security refusals go to the injected alarm sink (the journal in the gateway), rate-bounded.
 *
 * Every connection gets a packet-size guard before aedes reads from it; aedes hooks do the rest
 * (access-control.ts). Errors of one client (malformed packets, bad topics, resets) close that
 * client only; those that are refusals are reported as MQTT_CLIENT_REFUSED.
 */

import type { Duplex } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import type { Logger } from 'pino';
import type { MqttBrokerConfig } from '../../../config/mqtt-broker-schema.js';
import { GatewardenError } from '../../errors.js';
import { childLogger } from '../../logging.js';
import { AccessControl, BrokerRefusal } from './access-control.js';
import { addressOf, ConnectionCap } from './address-limits.js';
import { type BrokerAddresses, BrokerListeners, type Transport } from './listeners.js';
import { LocalBus } from './local-bus.js';
import { guardConnection, PacketRefusedError } from './packet-guard.js';
import { type AlarmSink, SecurityEventThrottle } from './security-events.js';
import { UserDirectory } from './user-directory.js';

// mqtt-packet (aedes' and MQTT.js' encoder, one copy in the process) otherwise builds a table
// of 65,536 two-byte Buffers at the first packet written: 6.3 MB of heap and 65k objects for
// every GC to trace, a sixteenth of the gateway's footprint (docs/performance.md "Footprint").
// Without it each packet id or length is encoded into a fresh 2-byte Buffer (MQTT.js' own
// `writeCache: false` does the same).
mqttPacket.writeToStream.cacheNumbers = false;

export interface EmbeddedBrokerOptions {
  /** The `mqtt.broker` section with its paths resolved (as loadConfig returns it). */
  config: MqttBrokerConfig;
  log: Logger;
  /** Where security events go, e.g. `journalAlarmSink(site.journal, site.now)`. */
  alarm: AlarmSink;
  /** Clock of the security-event windows; default Date.now. */
  now?: () => number;
}

/** How often the users file is checked for changes and held-back security events are flushed. */
const HOUSEKEEPING_MS = 2000;

/** aedes errors that are a client's fault, reported as refusals; anything else is logged only. */
const CLIENT_FAULTS: readonly [RegExp, string][] = [
  [/Max payload size exceeded/, 'packet too large (WebSocket message)'],
  [/not allowed in PUBLISH|only allowed in|empty topic|impossible to|too many levels/, 'bad topic'],
  [/connect did not arrive in time/, 'no CONNECT in time'],
  [/queue limit reached|maxInflightInbound/, 'too many packets in flight'],
  [/^Invalid protocol$/, 'packet out of order (before or after CONNECT)'],
  [/drain timeout/, 'stopped reading (drain timeout)'],
  [/Invalid|Malformed|Packet|Cannot parse|must not|flag/, 'malformed packet'],
];

export class EmbeddedBroker {
  readonly aedes: Aedes;
  readonly users: UserDirectory;
  private readonly log: Logger;
  private readonly events: SecurityEventThrottle;
  private readonly access: AccessControl;
  private readonly listeners: BrokerListeners;
  private readonly connections = new Set<Duplex>();
  private readonly cap: ConnectionCap;
  private housekeeping: NodeJS.Timeout | undefined;
  private bound: BrokerAddresses | undefined;

  constructor(private readonly options: EmbeddedBrokerOptions) {
    const { config } = options;
    this.log = childLogger(options.log, 'mqtt:broker');
    this.users = new UserDirectory(config.usersFile, config.liveTopicRoot, this.log);
    this.events = new SecurityEventThrottle(
      options.alarm,
      config.securityEventSeconds * 1000,
      options.now ?? Date.now,
    );
    this.cap = new ConnectionCap(config.limits.connectionsPerAddress, config.limits.capLoopback);
    this.access = new AccessControl({
      users: this.users,
      acl: { liveRoot: config.liveTopicRoot },
      limits: config.limits,
      login: config.login,
      events: this.events,
      log: this.log,
    });
    this.aedes = new Aedes({
      id: config.id,
      connectTimeout: config.connectTimeoutSeconds * 1000,
      drainTimeout: config.drainTimeoutSeconds * 1000,
      // aedes applies this only to MQTT 3.1 clients; access-control checks every client.
      maxClientsIdLength: config.limits.maxClientIdLength,
      authenticate: this.access.authenticate,
      authorizePublish: this.access.authorizePublish,
      authorizeSubscribe: this.access.authorizeSubscribe,
    });
    this.aedes.on('clientError', (client, err) => this.clientFailed(client, err));
    this.aedes.on('connectionError', (client, err) => this.clientFailed(client, err));
    this.listeners = new BrokerListeners(
      config,
      (stream, remote, transport) => this.accept(stream, remote, transport),
      this.log,
    );
  }

  /** Bound addresses once started (port 0 in the configuration gives the chosen port here). */
  get addresses(): BrokerAddresses {
    if (this.bound === undefined) throw new Error('the embedded broker is not started');
    return this.bound;
  }

  async start(): Promise<BrokerAddresses> {
    this.users.load();
    if (this.users.size === 0)
      this.log.warn(
        { file: this.options.config.usersFile },
        'MQTT 没有用户，所有客户端都会被拒绝 / no MQTT users: every client is refused (gatewarden mqtt user add)',
      );
    await this.aedes.listen();
    try {
      this.bound = await this.listeners.start();
    } catch (cause) {
      await this.stop();
      throw new GatewardenError(
        'CONFIG_INVALID',
        `the embedded MQTT broker cannot start: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    this.housekeeping = setInterval(() => this.tidy(), HOUSEKEEPING_MS);
    this.housekeeping.unref();
    this.log.info({ ...this.bound, users: this.users.size }, 'embedded MQTT broker listening');
    return this.bound;
  }

  /** A MessageBus over this broker, in process (see local-bus.ts). */
  bus(): LocalBus {
    return new LocalBus(this.aedes, this.log, { liveRoot: this.options.config.liveTopicRoot });
  }

  async stop(): Promise<void> {
    clearInterval(this.housekeeping);
    this.housekeeping = undefined;
    const listenersClosed = this.listeners.stop();
    await new Promise<void>((done) => this.aedes.close(() => done()));
    for (const conn of this.connections) conn.destroy(); // those that never sent CONNECT
    await listenersClosed;
    try {
      this.events.flush(true);
    } catch (err) {
      this.log.error({ err }, 'held-back security events could not be journaled');
    }
    this.bound = undefined;
  }

  private accept(stream: Duplex, remote: string, transport: Transport): void {
    const address = addressOf(remote);
    if (!this.cap.take(address)) {
      const reason = `more than ${this.options.config.limits.connectionsPerAddress} connections from one address`;
      this.access.report(null, { code: 'MQTT_CLIENT_REFUSED', reason }, remote);
      stream.destroy();
      return;
    }
    stream.once('close', () => this.cap.release(address));
    guardConnection(stream, this.options.config.limits.maxPacketBytes, remote);
    this.connections.add(stream);
    stream.once('close', () => this.connections.delete(stream));
    this.log.debug({ remote, transport }, 'MQTT connection accepted');
    this.aedes.handle(stream);
  }

  private clientFailed(client: Client, err: Error): void {
    if (err instanceof BrokerRefusal) return; // reported where it was decided
    if (err instanceof PacketRefusedError) {
      const { result } = err;
      this.access.report(client, {
        code: 'MQTT_CLIENT_REFUSED',
        reason: result.reason,
        ...(result.reason === 'packet too large' ? { bytes: result.bytes } : {}),
        user: this.access.userOf(client),
      });
      return;
    }
    const fault = CLIENT_FAULTS.find(([pattern]) => pattern.test(err.message));
    if (fault === undefined) {
      this.log.debug({ clientId: client.id, err: err.message }, 'MQTT client connection ended with an error');
      return;
    }
    this.access.report(client, {
      code: 'MQTT_CLIENT_REFUSED',
      reason: `${fault[1]}: ${err.message}`,
      user: this.access.userOf(client),
    });
  }

  /** Applies users-file changes (closing clients of removed or changed users) and flushes events. */
  private tidy(): void {
    try {
      this.users.refresh();
      for (const client of this.access.clientsOf(this.users.takeChanged())) {
        this.log.info(
          { clientId: client.id, user: this.access.userOf(client) },
          'MQTT user changed: client disconnected',
        );
        client.close();
      }
      this.events.flush();
    } catch (err) {
      this.log.error({ err }, 'MQTT broker housekeeping failed');
    }
  }
}
