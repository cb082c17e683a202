import { randomUUID } from 'node:crypto';
import type { Clock } from '../../drivers/shared/clock.js';
import type { EventMessage } from './notifications.js';
import type { TopicFilter } from './topics.js';

/**
 * Real-time pull-point subscriptions (protocols.md §5.5), held in memory as a camera holds
 * them: each has a bounded queue (the oldest message is dropped and counted when it is full),
 * at most one waiting PullMessages, and a termination time after which it is forgotten.
 *
 * Waiting pulls: a PullMessages with nothing queued waits until messages arrive or its hold
 * time ends. When a second PullMessages arrives while one waits, the older one is answered at
 * once with no messages (not UnableToGetMessagesFault): a client that gave up on a pull and
 * sent another keeps working, and the stale request ends cleanly.
 *
 * Times here are on the simulator's clock (`clock.now()`); the services convert to and from
 * the camera's clock (which runs `skew` ahead) at the edge.
 */
export class PullPoint {
  readonly id = randomUUID();
  /** Messages dropped because the queue was full. */
  dropped = 0;
  private readonly queue: EventMessage[] = [];
  private waiter: { limit: number; finish(messages: EventMessage[]): void } | undefined;
  private ended = false;

  constructor(
    public terminationMs: number,
    private readonly filter: TopicFilter,
    private readonly maxQueue: number,
    private readonly clock: Clock,
  ) {}

  get closed(): boolean {
    return this.ended;
  }

  /** A PullMessages is held, waiting for messages. */
  get waiting(): boolean {
    return this.waiter !== undefined;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Queues the messages this subscription's filter takes (all of them before any waiter wakes). */
  push(messages: readonly EventMessage[]): number {
    if (this.ended) return 0;
    let taken = 0;
    for (const message of messages) {
      if (!this.filter(message.topic)) continue;
      this.queue.push(message);
      taken++;
      if (this.queue.length > this.maxQueue) {
        this.queue.shift();
        this.dropped++;
      }
    }
    if (taken > 0 && this.waiter) this.waiter.finish(this.take(this.waiter.limit));
    return taken;
  }

  /** Up to `limit` queued messages now, or the first to arrive within `holdMs` (else none). */
  pull(limit: number, holdMs: number, signal: AbortSignal): Promise<EventMessage[]> {
    this.waiter?.finish([]);
    if (this.queue.length > 0 || holdMs <= 0 || this.ended || signal.aborted)
      return Promise.resolve(this.take(limit));
    return new Promise((resolve) => {
      const finish = (messages: EventMessage[]) => {
        this.clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (this.waiter === waiter) this.waiter = undefined;
        resolve(messages);
      };
      const waiter = { limit, finish };
      const onAbort = () => finish([]);
      const timer = this.clock.setTimeout(() => finish(this.take(limit)), holdMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = waiter;
    });
  }

  /** Ends the subscription: a waiting pull is answered with nothing, messages are discarded. */
  close(): void {
    this.ended = true;
    this.queue.length = 0;
    this.waiter?.finish([]);
  }

  private take(limit: number): EventMessage[] {
    return this.queue.splice(0, Math.max(1, limit));
  }
}

export interface PullPointHubOptions {
  clock: Clock;
  maxPullPoints: number;
  maxQueue: number;
}

/** The camera's subscriptions by id, each forgotten at its termination time. */
export class PullPointHub {
  private readonly points = new Map<string, { point: PullPoint; timer: unknown }>();

  constructor(private readonly options: PullPointHubOptions) {}

  get size(): number {
    return this.points.size;
  }

  /** How many subscriptions the camera holds at most. */
  get capacity(): number {
    return this.options.maxPullPoints;
  }

  get full(): boolean {
    return this.points.size >= this.options.maxPullPoints;
  }

  /** Messages dropped from full queues, over the live subscriptions. */
  get dropped(): number {
    let total = 0;
    for (const { point } of this.points.values()) total += point.dropped;
    return total;
  }

  create(terminationMs: number, filter: TopicFilter): PullPoint {
    const point = new PullPoint(terminationMs, filter, this.options.maxQueue, this.options.clock);
    this.points.set(point.id, { point, timer: undefined });
    this.arm(point);
    return point;
  }

  /** A live subscription, or undefined (unknown, unsubscribed or past its termination time). */
  get(id: string): PullPoint | undefined {
    const entry = this.points.get(id);
    if (!entry) return undefined;
    if (entry.point.terminationMs <= this.options.clock.now()) {
      this.remove(id);
      return undefined;
    }
    return entry.point;
  }

  /** Sets the termination time (Renew may also shorten it). */
  setTermination(point: PullPoint, terminationMs: number): void {
    point.terminationMs = terminationMs;
    this.arm(point);
  }

  /** Keeps the subscription alive at least until `untilMs`. */
  extend(point: PullPoint, untilMs: number): void {
    if (untilMs > point.terminationMs) this.setTermination(point, untilMs);
  }

  remove(id: string): void {
    const entry = this.points.get(id);
    if (!entry) return;
    this.options.clock.clearTimeout(entry.timer);
    this.points.delete(id);
    entry.point.close();
  }

  /** Queues messages on every subscription whose filter takes them; says how many took any. */
  publish(messages: readonly EventMessage[]): number {
    let reached = 0;
    for (const { point } of this.points.values()) if (point.push(messages) > 0) reached++;
    return reached;
  }

  /** Every live subscription (for Initialized property messages and status). */
  all(): PullPoint[] {
    return [...this.points.values()].map((e) => e.point);
  }

  /** Forgets every subscription (a reboot or stop). */
  clear(): void {
    for (const id of [...this.points.keys()]) this.remove(id);
  }

  private arm(point: PullPoint): void {
    const entry = this.points.get(point.id);
    if (!entry) return;
    this.options.clock.clearTimeout(entry.timer);
    // setTimeout fires at once beyond 2^31-1 ms; a long subscription is re-armed in steps.
    const delay = Math.min(2 ** 31 - 1, Math.max(0, point.terminationMs - this.options.clock.now()));
    entry.timer = this.options.clock.setTimeout(() => {
      if (point.terminationMs <= this.options.clock.now()) this.remove(point.id);
      else this.arm(point);
    }, delay);
  }
}
