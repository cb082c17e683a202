/**
 * A MessageBus over the embedded broker, in process: the gateway's own publishes and
 * subscriptions go straight to aedes (`publish`, and `subscribe` on its mqemitter), with no
 * socket and no MQTT client in between. See bus.ts for the contract.
 *
 * The gateway is trusted, but its topics still pass the same checks as the `gateway` role's
 * (topic syntax, no `$` topics), so a bug cannot publish into $SYS or hand clients a malformed
 * topic. aedes' own `publish` asks no hook, hence the explicit check here.
 *
 * Retained messages: mqemitter does not replay them, so `subscribe` reads them from the
 * persistence (`createRetainedStream`) after registering, and holds live messages back until
 * the replay is done, keeping arrival order. A retained message that arrives during the replay
 * and is also replayed is delivered once.
 */
import type { Aedes, AedesPublishPacket } from 'aedes';
import type { Logger } from 'pino';
import {
  type BusHandler,
  type BusMessage,
  type MessageBus,
  type PublishOptions,
  type Qos,
  topicMatches,
} from '../bus.js';
import { type AclContext, type AclSubject, mayPublish, maySubscribe, topicProblem } from './topic-acl.js';

const GATEWAY: AclSubject = { role: 'gateway', publish: [], subscribe: [] };
/** MQTT's own limit on a topic (a UTF-8 string of at most 65535 bytes). */
const MAX_TOPIC_BYTES = 65535;

type Deliver = (packet: AedesPublishPacket, callback: () => void) => void;

interface RetainedSource {
  persistence: { createRetainedStream(pattern: string): AsyncIterable<AedesPublishPacket> };
}

export class LocalBus implements MessageBus {
  constructor(
    private readonly aedes: Aedes,
    private readonly log: Logger,
    private readonly acl: AclContext,
  ) {}

  async publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    this.check(topic, false);
    await new Promise<void>((resolve, reject) =>
      this.aedes.publish(
        {
          cmd: 'publish',
          topic,
          payload: Buffer.from(payload),
          qos: options.qos ?? 0,
          retain: options.retain ?? false,
          dup: false,
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }

  async subscribe(
    filter: string,
    handler: BusHandler,
    _options: { qos?: Qos } = {},
  ): Promise<() => Promise<void>> {
    this.check(filter, true);
    let held: { message: BusMessage; retained: boolean }[] | undefined = [];
    const deliver: Deliver = (packet, callback) => {
      // mqemitter matches `#` against `$SYS/…` too; MQTT does not (§4.7.2).
      if (topicMatches(filter, packet.topic)) {
        const message = toMessage(packet, false);
        if (held) held.push({ message, retained: packet.retain });
        else this.dispatch(handler, filter, message);
      }
      callback();
    };
    await new Promise<void>((resolve) => this.aedes.subscribe(filter, deliver, resolve));
    const replayed = new Map<string, Buffer>();
    try {
      const stream = (this.aedes as unknown as RetainedSource).persistence.createRetainedStream(filter);
      for await (const packet of stream) {
        if (!topicMatches(filter, packet.topic)) continue;
        const message = toMessage(packet, true);
        replayed.set(message.topic, message.payload);
        this.dispatch(handler, filter, message);
      }
    } finally {
      const live = held;
      held = undefined;
      for (const { message, retained } of live) {
        const replay = replayed.get(message.topic);
        const alreadyGiven = retained && replay !== undefined && message.payload.equals(replay);
        if (!alreadyGiven) this.dispatch(handler, filter, message);
      }
    }
    return () => new Promise<void>((resolve) => this.aedes.unsubscribe(filter, deliver, resolve));
  }

  private check(topic: string, isFilter: boolean): void {
    const problem = topicProblem(topic, { wildcards: isFilter, maxBytes: MAX_TOPIC_BYTES });
    if (problem !== undefined) throw new Error(`local bus: "${topic}": ${problem}`);
    const decision = isFilter ? maySubscribe(GATEWAY, topic, this.acl) : mayPublish(GATEWAY, topic, this.acl);
    if (!decision.allow) throw new Error(`local bus: "${topic}": ${decision.reason}`);
  }

  private dispatch(handler: BusHandler, filter: string, message: BusMessage): void {
    try {
      handler(message);
    } catch (err) {
      this.log.error(
        { err, topic: message.topic, filter },
        'local bus handler failed; message dropped for it',
      );
    }
  }
}

function toMessage(packet: AedesPublishPacket, retain: boolean): BusMessage {
  const payload =
    typeof packet.payload === 'string' ? Buffer.from(packet.payload) : Buffer.from(packet.payload);
  return { topic: packet.topic, payload, retain, qos: packet.qos };
}
