/**
 * Passes made at the other gateways of the same site, read from the upstream broker, so that
 * anti-passback and household quotas hold across gates (docs/mqtt-requests.md, "Peers").
 *
 * Each allowed decision of a known subject at another gateway is journaled here as a `passage`
 * with its `origin` (gateway, seq); the checkpoint's state folds it in like a local pass (last
 * direction; a resident's exit counts toward the household quota). Idempotent by origin: the
 * highest seq applied per peer gateway is kept in `upstream_peer_seqs`, in the same database
 * transaction as the passage, and a message with that seq or a lower one changes nothing
 * (QoS 1 redeliveries, a peer's publisher resending after an outage).
 *
 * Catch-up after a cut is the broker's: the subscription is QoS 1 in the bridge's persistent
 * session, so messages published while this gateway was away are delivered on reconnect.
 * Meanwhile the gateway decides on what it knows. Limits: see docs/mqtt-requests.md.
 *
 * Lifecycle (style H5): the constructor creates the table; `start()` subscribes; `stop()`
 * stops taking messages in (the broker keeps the subscription). A malformed or foreign message
 * is logged with its topic and dropped.
 */
import type { Logger } from 'pino';
import type { Site } from '../../site.js';
import type { BusMessage, MessageBus } from '../bus.js';
import { type PeerDecision, passageOf, peerDecisionSchema } from './peers-message.js';
import { issueError } from './request-schema.js';
import { type UpstreamTopicBase, upstreamTopics } from './topics.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS upstream_peer_seqs (
    gateway TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
  );
`;

export interface PeerPassesOptions {
  site: Site;
  bus: MessageBus;
  log: Logger;
  topics: UpstreamTopicBase;
  /** Larger messages are dropped unread; default 64 KiB. */
  maxBytes?: number;
}

/** What became of one message (for logs and tests). */
export type PeerOutcome = 'applied' | 'nothing-to-apply' | 'duplicate' | 'own' | 'dropped';

export class PeerPasses {
  private readonly highest;
  private readonly setHighest;
  private active: { on: boolean } | undefined;

  constructor(private readonly options: PeerPassesOptions) {
    const { db } = options.site;
    db.exec(SCHEMA);
    this.highest = db.prepare<[string], { seq: number }>(
      'SELECT seq FROM upstream_peer_seqs WHERE gateway = ?',
    );
    this.setHighest = db.prepare(
      'INSERT INTO upstream_peer_seqs (gateway, seq) VALUES (?, ?) ON CONFLICT (gateway) DO UPDATE SET seq = excluded.seq',
    );
  }

  async start(): Promise<void> {
    const { prefix, siteId } = this.options.topics;
    const active = { on: true };
    this.active = active;
    await this.options.bus.subscribe(
      upstreamTopics.siteDecisions({ prefix, siteId }),
      (message) => {
        if (active.on) this.receive(message);
      },
      { qos: 1 },
    );
  }

  /**
   * Stops taking messages in. The subscription is left with the broker on purpose: in the
   * bridge's persistent session the broker keeps the passes made meanwhile and delivers them on
   * reconnect, a restart included. End the upstream client BEFORE this: MQTT.js acknowledges a
   * QoS 1 message after its handlers ran, so one that arrived after `stop()` would be lost.
   */
  async stop(): Promise<void> {
    if (this.active) this.active.on = false;
    this.active = undefined;
  }

  /** The highest seq applied from `gateway`, 0 when none. */
  appliedUpTo(gateway: string): number {
    return this.highest.get(gateway)?.seq ?? 0;
  }

  /** Takes in one message. Never throws. */
  receive(message: Pick<BusMessage, 'topic' | 'payload'>): PeerOutcome {
    try {
      const decision = this.read(message);
      if (decision === undefined) return 'dropped';
      if (decision.gateway === this.options.topics.gatewayId) return 'own';
      return this.apply(decision);
    } catch (err) {
      this.options.log.error({ err, topic: message.topic }, 'peer pass not applied');
      return 'dropped';
    }
  }

  private read(message: Pick<BusMessage, 'topic' | 'payload'>): PeerDecision | undefined {
    const { log, topics } = this.options;
    const maxBytes = this.options.maxBytes ?? 64 * 1024;
    const drop = (why: string, detail: Record<string, unknown> = {}) => {
      log.warn(
        { topic: message.topic, bytes: message.payload.length, ...detail },
        `peer pass dropped: ${why}`,
      );
      return undefined;
    };
    if (message.payload.length > maxBytes) return drop(`larger than ${maxBytes} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(message.payload.toString('utf8'));
    } catch {
      return drop('not JSON');
    }
    const parsed = peerDecisionSchema.safeParse(json);
    if (!parsed.success) return drop('not a decision message', { problem: issueError(parsed.error) });
    const decision = parsed.data;
    // `<prefix>/<site>/<gateway>/journal/decision`: a message must come from its own subtree.
    const topicGateway = message.topic.split('/').at(-3);
    if (decision.site !== topics.siteId || decision.gateway !== topicGateway) {
      return drop('site or gateway does not match the topic', {
        site: decision.site,
        gateway: decision.gateway,
      });
    }
    return decision;
  }

  private apply(message: PeerDecision): PeerOutcome {
    const { site, log } = this.options;
    const passage = passageOf(message);
    const outcome = site.db
      .transaction((): PeerOutcome => {
        if (message.seq <= this.appliedUpTo(message.gateway)) return 'duplicate';
        this.setHighest.run(message.gateway, message.seq);
        if (passage === undefined) return 'nothing-to-apply';
        site.journal.append('passage', message.at, passage);
        return 'applied';
      })
      .immediate();
    if (outcome === 'applied') {
      site.checkpoint.catchUp();
      log.debug({ gateway: message.gateway, seq: message.seq }, 'peer pass applied');
    }
    return outcome;
  }
}
