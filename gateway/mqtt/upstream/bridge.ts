/**
 * The upstream bridge of a running gateway: the connection to the upstream broker and the
 * journal publisher on it. It needs the journal and the configuration only (not the whole
 * site), so a tool or a test process can run it on a journal file. Lifecycle as the other
 * modules: the constructor builds (and reads the password and TLS files: a missing one throws
 * a GatewardenError), `start()` connects and starts publishing, `stop()` finishes the batch in
 * flight, publishes the offline status and disconnects. The cursor `mqtt.upstream` keeps what
 * was not acknowledged yet, for the next start.
 *
 * The requests from upstream and the peers' passes run on `bus`, the same connection.
 */
import type { Logger } from 'pino';
import type { MqttUpstreamConfig } from '../../../config/mqtt-upstream-schema.js';
import type { Clock } from '../../../drivers/shared/clock.js';
import type { Journal } from '../../journal/journal.js';
import { childLogger } from '../../logging.js';
import type { MessageBus } from '../bus.js';
import { UpstreamConnection, type UpstreamConnectionStatus } from './connection.js';
import { gatewayVersion } from './gateway-version.js';
import { JournalPublisher, type JournalPublisherStatus } from './journal-publisher.js';
import type { UpstreamTopicBase } from './topics.js';

export interface UpstreamBridgeOptions {
  journal: Journal;
  /** Journals the bridge's alarms (UPSTREAM_REFUSED): the running gateway's `Site.record`; default `journal.append`. */
  record?: Journal['append'];
  /** `mqtt.upstream` of the configuration, with its paths resolved (resolveUpstreamPaths). */
  upstream: MqttUpstreamConfig;
  siteId: string;
  log: Logger;
  /** Clock for event times (the birth message, alarms); default Date.now. */
  now?: () => number;
  /** Default: the version in package.json. */
  version?: string;
  clock?: Clock;
  random?: () => number;
}

export interface UpstreamBridgeStatus {
  connection: UpstreamConnectionStatus;
  journal: JournalPublisherStatus;
}

/** Longest stop() lets a batch in flight finish before it cuts the connection. */
const DRAIN_MS = 5000;

export class UpstreamBridge {
  readonly base: UpstreamTopicBase;
  readonly connection: UpstreamConnection;
  readonly publisher: JournalPublisher;
  private readonly log: Logger;

  constructor(options: UpstreamBridgeOptions) {
    const { journal, upstream, siteId } = options;
    const now = options.now ?? Date.now;
    const record: Journal['append'] =
      options.record ?? ((type, at, payload) => journal.append(type, at, payload));
    this.log = childLogger(options.log, 'mqtt:upstream');
    this.base = { prefix: upstream.topicPrefix, siteId, gatewayId: upstream.gatewayId };
    const retry = {
      initialMs: upstream.reconnect.initialSeconds * 1000,
      maxMs: upstream.reconnect.maxSeconds * 1000,
    };
    this.connection = new UpstreamConnection({
      config: upstream,
      base: this.base,
      version: options.version ?? gatewayVersion(),
      log: this.log,
      now,
      onRefused: (failure, broker) => {
        const detail = {
          broker,
          kind: failure.kind,
          code: failure.code,
          error: failure.message.slice(0, 200),
        };
        try {
          record('alarm', now(), { code: 'UPSTREAM_REFUSED', severity: 'critical', detail });
        } catch (err) {
          this.log.error({ err, detail }, 'cannot journal the UPSTREAM_REFUSED alarm');
        }
      },
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
    this.publisher = new JournalPublisher({
      journal,
      bus: this.connection.bus,
      link: this.connection,
      base: this.base,
      batchSize: upstream.batchSize,
      inFlight: upstream.inFlight,
      pollMs: upstream.pollSeconds * 1000,
      retry,
      log: this.log,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
    this.connection.onConnected(() => this.publisher.wake());
  }

  /** The upstream connection as a MessageBus (requests from upstream, peers' passes). */
  get bus(): MessageBus {
    return this.connection.bus;
  }

  start(): void {
    this.publisher.start();
    this.connection.start();
    this.log.info(
      {
        broker: this.connection.broker,
        base: `${this.base.prefix}/${this.base.siteId}/${this.base.gatewayId}`,
      },
      'upstream bridge started',
    );
  }

  async stop(): Promise<void> {
    const publisherStopped = this.publisher.stop();
    // A batch waiting on a broker that stopped answering is cut short by closing the connection,
    // which fails its publishes; the cursor still says where to go on.
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      publisherStopped.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), DRAIN_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) this.log.warn('the batch in flight did not finish; it is sent again on the next start');
    await this.connection.stop();
    await publisherStopped;
  }

  status(): UpstreamBridgeStatus {
    return { connection: this.connection.status(), journal: this.publisher.status() };
  }
}
