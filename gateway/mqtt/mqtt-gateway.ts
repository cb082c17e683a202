import type { Logger } from 'pino';
import { systemClock } from '../../drivers/shared/clock.js';
import { childLogger } from '../logging.js';
import type { Site } from '../site.js';
import { EmbeddedBroker } from './broker/embedded-broker.js';
import { journalAlarmSink } from './broker/security-events.js';
import type { MessageBus } from './bus.js';
import { HomeAssistantDiscovery } from './home-assistant.js';
import { LiveFeed } from './live-feed.js';
import type { UpstreamBridge } from './upstream/bridge.js';
import { DailyReports } from './upstream/daily-reports.js';
import { gatewayVersion } from './upstream/gateway-version.js';
import { PeerPasses } from './upstream/peers.js';
import { loadIssuerKeys } from './upstream/request-signature.js';
import { UpstreamRequests } from './upstream/requests.js';
import type { LaneActuation } from './upstream/requests-apply.js';

export interface MqttGatewayOptions {
  site: Site;
  log: Logger;
}

/**
 * Everything MQTT in the running gateway, composed from the `mqtt` section (style H5): the
 * embedded broker and its local bus, the live feed and Home Assistant discovery on that bus,
 * and the upstream bridge with the requests, peer passes and daily reports it carries. MQTT devices are built
 * by the DeviceHost on `bus`.
 *
 * Lifecycle: `create()` builds (a missing key or password file throws here, at start-up), loading
 * the upstream bridge and MQTT.js only when an upstream is configured;
 * `startBroker()` listens and returns the local bus, before the devices are built;
 * `start()` starts the rest once the devices are up; `stop()` takes it all down, upstream
 * first (it still reads the journal), the broker last (the others publish on it while stopping).
 */
export class MqttGateway {
  readonly broker: EmbeddedBroker | undefined;
  readonly upstream: UpstreamBridge | undefined;
  private live: LiveFeed | undefined;
  private homeAssistant: HomeAssistantDiscovery | undefined;
  private requests: UpstreamRequests | undefined;
  private peers: PeerPasses | undefined;
  private dailyReports: DailyReports | undefined;
  private readonly log: Logger;
  private readonly version = gatewayVersion();
  private readonly issuers: ReturnType<typeof loadIssuerKeys> | undefined;

  static async create(options: MqttGatewayOptions): Promise<MqttGateway> {
    const bridge = options.site.config.mqtt.upstream ? await import('./upstream/bridge.js') : undefined;
    return new MqttGateway(options, bridge?.UpstreamBridge);
  }

  private constructor(
    private readonly options: MqttGatewayOptions,
    Bridge: typeof UpstreamBridge | undefined,
  ) {
    const { site } = options;
    const { broker, upstream } = site.config.mqtt;
    this.log = childLogger(options.log, 'mqtt');
    if (broker.enabled) {
      this.broker = new EmbeddedBroker({
        config: broker,
        log: options.log,
        alarm: journalAlarmSink((type, at, payload) => site.record(type, at, payload), site.now),
        now: site.now,
      });
    }
    if (upstream && Bridge) {
      this.issuers = loadIssuerKeys(upstream.requests.issuers);
      this.upstream = new Bridge({
        journal: site.journal,
        record: (type, at, payload) => site.record(type, at, payload),
        upstream,
        siteId: site.config.site.id,
        log: options.log,
        now: site.now,
        version: this.version,
      });
    }
  }

  /** Starts the embedded broker (when enabled) and returns its local bus. */
  async startBroker(): Promise<MessageBus | undefined> {
    if (!this.broker) return undefined;
    const addresses = await this.broker.start();
    this.log.info({ addresses }, 'embedded MQTT broker listening');
    return this.broker.bus();
  }

  /** Starts the live feed, discovery and the upstream side; `actuate` opens a lane for a remote open. */
  async start(actuate: LaneActuation): Promise<void> {
    const { site, log } = this.options;
    const config = site.config;
    if (this.broker) {
      const bus = this.broker.bus();
      const root = config.mqtt.broker.liveTopicRoot;
      this.live = new LiveFeed({
        journal: site.journal,
        config,
        bus,
        log,
        pseudonymKey: site.key,
        now: site.now,
        root,
        version: this.version,
      });
      this.live.start();
      this.homeAssistant = new HomeAssistantDiscovery({ bus, config, log, root, version: this.version });
      await this.homeAssistant.start();
    }
    const upstream = this.upstream;
    const settings = config.mqtt.upstream;
    if (upstream && settings && this.issuers) {
      const topics = upstream.base;
      const r = settings.requests;
      this.requests = new UpstreamRequests({
        site,
        bus: upstream.bus,
        log,
        topics,
        issuers: this.issuers,
        freshnessMs: r.freshnessSeconds * 1000,
        retentionMs: r.retentionHours * 3_600_000,
        alarmIntervalMs: r.alarmIntervalSeconds * 1000,
        maxBytes: r.maxBytes,
        actuate,
      });
      this.peers = new PeerPasses({ site, bus: upstream.bus, log, topics });
      // Subscribed before the connection comes up and not awaited: the broker delivers a
      // persistent session's backlog right after CONNACK, and MQTT.js acknowledges each
      // message once its handlers ran, so a handler registered later would lose it.
      for (const part of [this.requests, this.peers]) {
        part.start().catch((err: unknown) => this.log.error({ err }, 'upstream subscription failed'));
      }
      upstream.start();
      this.dailyReports = new DailyReports({
        db: site.db,
        journal: site.journal,
        bus: upstream.bus,
        link: upstream.connection,
        base: topics,
        tz: config.site.timezone,
        feverThresholdC: config.policy.feverThresholdC,
        sendAt: settings.dailyReport.at,
        backfillDays: settings.dailyReport.backfillDays,
        clock: systemClock,
        log: childLogger(log, 'mqtt:upstream'),
      });
      this.dailyReports.start();
    }
  }

  /** Folds in journal entries other processes appended (the CLI), on the gateway's follow timer. */
  follow(): void {
    this.live?.follow();
  }

  async stop(): Promise<void> {
    this.dailyReports?.stop();
    await this.upstream?.stop();
    await Promise.all([this.requests?.stop(), this.peers?.stop()]);
    await this.homeAssistant?.stop();
    await this.live?.stop();
    await this.broker?.stop();
  }
}
