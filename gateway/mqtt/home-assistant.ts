/**
 * Home Assistant MQTT discovery on the local bus: the site's entities (home-assistant-configs.ts)
 * as retained config messages, published at start and again whenever Home Assistant announces
 * itself (`<prefix>/status` = `online`, its birth message), so a Home Assistant that lost its
 * entities (or a broker that lost its retained messages) gets them back.
 *
 * Contract
 * - Nothing is accepted from Home Assistant but its status: no command topic is subscribed.
 * - A retained `online` (an old birth kept by the broker) is not a new start and is ignored;
 *   any other payload than online/offline is logged and dropped.
 * - Re-publishing is paced: at most once per `minRepublishMs` (default 10 s); `online`s that
 *   come faster are folded into one publish at the end of the interval, so a client flooding the
 *   status topic cannot make the gateway flood the bus.
 * - Removal of entities of lanes no longer configured is not done: delete them in Home Assistant
 *   (or publish an empty retained config). Lifecycle as the live feed (style H5).
 */
import type { Logger } from 'pino';
import type { HomeAssistantConfig } from '../../config/mqtt-devices-schema.js';
import { type Clock, systemClock } from '../../drivers/shared/clock.js';
import { childLogger } from '../logging.js';
import type { BusMessage, MessageBus } from './bus.js';
import { type HaDiscovery, haDiscoveries, haNodeId } from './home-assistant-configs.js';
import { type LiveLayoutConfig, liveLayout } from './live-feed-layout.js';
import { localTopics } from './local-topics.js';

export interface HomeAssistantOptions {
  bus: MessageBus;
  config: LiveLayoutConfig;
  log: Logger;
  /** First level of the live tree; default `gatewarden` (as the live feed's). */
  root?: string;
  version?: string;
  now?: () => number;
  timers?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  minRepublishMs?: number;
}

export class HomeAssistantDiscovery {
  readonly discoveries: readonly HaDiscovery[];
  private readonly settings: HomeAssistantConfig;
  private readonly log: Logger;
  private readonly node: string;
  private readonly now: () => number;
  private readonly timers: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  private unsubscribe: (() => Promise<void>) | undefined;
  private lastPublishAt = Number.NEGATIVE_INFINITY;
  private deferred: unknown;
  private running = false;
  /** How many times the configs went out (start included). */
  publishes = 0;

  constructor(private readonly options: HomeAssistantOptions) {
    this.settings = options.config.mqtt.homeAssistant;
    const layout = liveLayout(options.config);
    const topics = localTopics(layout.siteId, options.root);
    this.node = haNodeId(layout);
    this.discoveries = haDiscoveries({
      layout,
      topics,
      ...(options.version ? { version: options.version } : {}),
    });
    this.log = childLogger(options.log, 'mqtt:home-assistant');
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? systemClock;
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** `<prefix>/<component>/<node>/<object>/config` */
  configTopic(d: Pick<HaDiscovery, 'component' | 'objectId'>): string {
    return `${this.settings.prefix}/${d.component}/${this.node}/${d.objectId}/config`;
  }

  get statusTopic(): string {
    return this.settings.statusTopic;
  }

  /** Listens for Home Assistant's status and publishes every config; nothing when disabled. */
  async start(): Promise<void> {
    if (!this.settings.enabled || this.running) return;
    this.running = true;
    this.unsubscribe = await this.options.bus.subscribe(this.statusTopic, (m) => this.onStatus(m), {
      qos: 1,
    });
    this.log.info(
      { entities: this.discoveries.length, prefix: this.settings.prefix },
      'Home Assistant discovery on',
    );
    await this.publishAll();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.timers.clearTimeout(this.deferred);
    this.deferred = undefined;
    await this.unsubscribe?.().catch((err: unknown) => this.log.warn({ err }, 'unsubscribing failed'));
    this.unsubscribe = undefined;
  }

  /** Publishes every config (retained, QoS 1); resolves when all settled, never rejects. */
  async publishAll(): Promise<void> {
    this.lastPublishAt = this.now();
    this.publishes++;
    const results = await Promise.allSettled(
      this.discoveries.map((d) =>
        this.options.bus.publish(this.configTopic(d), JSON.stringify(d.config), { qos: 1, retain: true }),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) {
      this.log.warn(
        { failed: failed.length, of: results.length, err: (failed[0] as PromiseRejectedResult).reason },
        'Home Assistant discovery configs not all published; they go out again at its next birth',
      );
    }
  }

  private onStatus(message: BusMessage): void {
    if (!this.running || message.retain) return;
    const status = message.payload.length <= 16 ? message.payload.toString('utf8') : '';
    if (status === 'offline') return;
    if (status !== 'online') {
      this.log.warn(
        { topic: message.topic, bytes: message.payload.length },
        'unknown Home Assistant status; dropped',
      );
      return;
    }
    if (this.deferred !== undefined) return;
    const wait = this.lastPublishAt + (this.options.minRepublishMs ?? 10_000) - this.now();
    if (wait <= 0) {
      void this.publishAll();
      return;
    }
    this.deferred = this.timers.setTimeout(() => {
      this.deferred = undefined;
      if (this.running) void this.publishAll();
    }, wait);
  }
}
