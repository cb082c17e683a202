/**
 * Requests from upstream (`<base>/request`, QoS 1) and the gateway's replies (`<base>/response`,
 * QoS 1): registry changes, mode switches and remote opens, each signed by an authorised issuer,
 * applied once per transaction and journaled (docs/mqtt-requests.md).
 *
 * Lifecycle (style H5): the constructor creates the ledger table and builds; `start()`
 * subscribes; `stop()` stops taking requests and waits for replies in flight. Works on any MessageBus,
 * so the bridge hands in its upstream ClientBus and unit tests a MemoryBus.
 *
 * Order of checks for each message: request-check.ts (size, JSON, envelope, issuer, signature,
 * target) → the ledger (a transaction answered before gets the same answer again, nothing is
 * applied) → freshness of `issuedAt` → the type's fields → apply and record the answer in one
 * database transaction → reply. Every refusal is replied to and raises a rate-bounded
 * UPSTREAM_REQUEST_REFUSED alarm. Messages are handled one at a time, in arrival order; a
 * failure of any kind becomes an error reply, never a crash.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { GatewardenError } from '../../errors.js';
import { parseInstant } from '../../registry/instant.js';
import type { Site } from '../../site.js';
import type { BusMessage, MessageBus } from '../bus.js';
import { authenticate, type CheckContext } from './request-check.js';
import { issueError, type ReplyError, type RequestEnvelope, requestSchema } from './request-schema.js';
import { fresh } from './request-signature.js';
import { applyRequest, type LaneActuation } from './requests-apply.js';
import { RequestLedger } from './requests-ledger.js';
import { type Refusal, RefusalAlarms } from './requests-refusals.js';
import { type UpstreamTopicBase, upstreamTopics } from './topics.js';

export interface UpstreamRequestsOptions {
  site: Site;
  bus: MessageBus;
  log: Logger;
  topics: UpstreamTopicBase;
  /** Issuer key id → Ed25519 public key (`loadIssuerKeys`). No issuers: every request is refused. */
  issuers: ReadonlyMap<string, KeyObject>;
  /** `issuedAt` must lie within this many ms of the gateway's clock. */
  freshnessMs: number;
  /** How long answers are kept for repeats; at least `freshnessMs`. */
  retentionMs: number;
  /** At most one refusal alarm per reason code in this many ms. */
  alarmIntervalMs: number;
  /** Larger request messages are refused unread; default 64 KiB. */
  maxBytes?: number;
  /** Opens a lane for `lane.open`; absent, the override is journaled but nothing opens. */
  actuate?: LaneActuation;
}

/** Site refusals that are answers (kept and repeated); any other error is INTERNAL. */
const SITE_REFUSALS = new Set(['REGISTRY_IMPORT_INVALID', 'REGISTRY_NOT_FOUND', 'REQUEST_INVALID', 'USAGE']);

const INTERNAL: ReplyError = { code: 'INTERNAL', message: 'the gateway could not apply the request' };

export class UpstreamRequests {
  private readonly ledger: RequestLedger;
  private readonly alarms: RefusalAlarms;
  private readonly check: CheckContext;
  private readonly inFlight = new Set<Promise<void>>();
  private active: { on: boolean } | undefined;

  constructor(private readonly options: UpstreamRequestsOptions) {
    const { site, topics } = options;
    if (options.retentionMs < options.freshnessMs) {
      throw new GatewardenError(
        'CONFIG_INVALID',
        'upstream requests: retention shorter than freshness window',
      );
    }
    this.ledger = new RequestLedger(site.db, options.retentionMs);
    this.alarms = new RefusalAlarms({
      now: site.now,
      intervalMs: options.alarmIntervalMs,
      log: options.log,
      raise: (severity, detail) => {
        site.record('alarm', site.now(), { code: 'UPSTREAM_REQUEST_REFUSED', severity, detail });
      },
    });
    this.check = {
      keys: options.issuers,
      siteId: topics.siteId,
      gatewayId: topics.gatewayId,
      maxBytes: options.maxBytes ?? 64 * 1024,
    };
  }

  async start(): Promise<void> {
    const active = { on: true };
    this.active = active;
    await this.options.bus.subscribe(
      upstreamTopics.request(this.options.topics),
      (message) => {
        if (!active.on) return;
        const handled = this.handle(message).finally(() => this.inFlight.delete(handled));
        this.inFlight.add(handled);
      },
      { qos: 1 },
    );
  }

  /**
   * Stops taking requests in and waits for the replies in flight. The subscription stays with
   * the broker, so that the persistent session keeps requests sent while the gateway is down
   * (they are answered on reconnect, or refused as stale). End the upstream client first (see
   * PeerPasses.stop).
   */
  async stop(): Promise<void> {
    if (this.active) this.active.on = false;
    this.active = undefined;
    await Promise.all([...this.inFlight]);
  }

  /** Answers one message and publishes the reply. Never rejects. */
  async handle(message: Pick<BusMessage, 'payload'>): Promise<void> {
    let reply: string;
    try {
      reply = this.answer(message.payload);
    } catch (err) {
      // Even the refusal path failed (the database is gone?): answer without journaling.
      this.options.log.error({ err }, 'upstream request not handled');
      reply = JSON.stringify({ transactionId: null, ok: false, error: INTERNAL });
    }
    try {
      await this.options.bus.publish(upstreamTopics.response(this.options.topics), reply, { qos: 1 });
    } catch (err) {
      // The answer is in the ledger: upstream gets it again by sending the request again.
      this.options.log.warn({ err }, 'reply to an upstream request not sent');
    }
  }

  /** The reply text for a request message; applies the request when it is due. */
  answer(payload: Buffer): string {
    const checked = authenticate(payload, this.check);
    if (!checked.ok) {
      const { transactionId, error, issuer } = checked;
      return this.refuse({ transactionId, error, authentic: false, ...(issuer && { issuer }) });
    }
    const { envelope, body } = checked;
    const repeated = this.ledger.answered(envelope.issuer, envelope.transactionId, this.options.site.now());
    if (repeated !== undefined) {
      this.options.log.info(
        { transactionId: envelope.transactionId, issuer: envelope.issuer },
        'upstream request seen before: same answer, nothing applied',
      );
      return repeated;
    }
    try {
      return this.applyFresh(envelope, body);
    } catch (err) {
      this.options.log.error({ err, transactionId: envelope.transactionId }, 'upstream request failed');
      return this.refuse(this.refusal(envelope, INTERNAL));
    }
  }

  private applyFresh(envelope: RequestEnvelope, body: Record<string, unknown>): string {
    const { site } = this.options;
    const now = site.now();
    const issuedAt = parseInstant(envelope.issuedAt, site.config.site.timezone);
    if (issuedAt === undefined || !fresh(issuedAt, now, this.options.freshnessMs)) {
      const message = `issuedAt ${envelope.issuedAt} is not within ${this.options.freshnessMs / 1000} s of the gateway's clock`;
      return this.refuse(this.refusal(envelope, { code: 'REQUEST_STALE', message, field: 'issuedAt' }));
    }
    const parsed = requestSchema.safeParse(body);
    if (!parsed.success) return this.refuseAndKeep(envelope, issueError(parsed.error), now);
    const request = parsed.data;
    const operator = `upstream:${envelope.issuer}`;
    let applied: ReturnType<typeof applyRequest>;
    let text: string;
    try {
      [applied, text] = site.db
        .transaction(() => {
          const a = applyRequest(site, request, operator, this.options.actuate);
          const reply = { transactionId: request.transactionId, ok: true as const, result: a.result };
          return [a, this.ledger.record(envelope.issuer, request.type, now, reply)] as const;
        })
        .immediate();
    } catch (err) {
      if (!(err instanceof GatewardenError) || !SITE_REFUSALS.has(err.code)) throw err;
      const field = err.problems[0]?.field;
      const problem = err.problems[0]?.message;
      const error: ReplyError = {
        code: err.code === 'USAGE' ? 'REQUEST_INVALID' : (err.code as ReplyError['code']),
        message: problem === undefined ? err.message : `${err.message}: ${problem}`,
        ...(field !== undefined && { field }),
      };
      return this.refuseAndKeep(envelope, error, now);
    }
    this.options.log.info(
      { transactionId: request.transactionId, type: request.type, issuer: envelope.issuer },
      'upstream request applied',
    );
    try {
      site.checkpoint.catchUp();
      applied.afterCommit?.();
    } catch (err) {
      this.options.log.error(
        { err, transactionId: request.transactionId },
        'actuating after a request failed',
      );
    }
    return text;
  }

  /** An authentic, fresh request refused for its content: the answer is kept for repeats. */
  private refuseAndKeep(envelope: RequestEnvelope, error: ReplyError, now: number): string {
    this.alarms.refused(this.refusal(envelope, error));
    const reply = { transactionId: envelope.transactionId, ok: false as const, error };
    return this.ledger.record(envelope.issuer, envelope.type, now, reply);
  }

  private refuse(refusal: Refusal): string {
    this.alarms.refused(refusal);
    return JSON.stringify({ transactionId: refusal.transactionId, ok: false, error: refusal.error });
  }

  private refusal(envelope: RequestEnvelope, error: ReplyError): Refusal {
    const { transactionId, issuer, type } = envelope;
    return { transactionId, error, authentic: true, issuer, type: type.slice(0, 64) };
  }
}
