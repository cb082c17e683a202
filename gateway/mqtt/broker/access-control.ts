/**
 * The aedes hooks of the embedded broker: who may connect (users file, scrypt), publish and
 * subscribe (topic-acl.ts), how fast a client may publish (token bucket) and what a topic may
 * look like. Every refusal is reported as a security event (rate-bounded, see
 * security-events.ts) and logged; the hook contracts are aedes' (docs/Aedes.md):
 *
 * - authenticate: a refusal answers CONNACK 5 "not authorized" (2 "identifier rejected" for a
 *   client id over the limit) and closes the connection. Clients without a user name are refused.
 *   An address with `login.maxFailures` failed logins within the window is refused for the lock's
 *   time before its password is checked (per address, never per user name; loopback exempt
 *   unless `limits.capLoopback`).
 * - authorizePublish: a refusal (bad topic, over the rate, outside the ACL) disconnects the
 *   client; the message reaches no one. Also asked for a client's last will, when it is
 *   published (an ACL refusal then drops the will); the rate does not apply to the will.
 * - authorizeSubscribe: a refusal answers SUBACK 0x80 for that filter; the client stays.
 */
import type { AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from 'pino';
import type { MqttBrokerConfig } from '../../../config/mqtt-broker-schema.js';
import { LoginThrottle } from '../../util/login-throttle.js';
import { addressOf, isLoopback } from './address-limits.js';
import { remoteOf } from './packet-guard.js';
import type { SecurityEvent, SecurityEventThrottle } from './security-events.js';
import { UNKNOWN_USER } from './security-events.js';
import { TokenBucket } from './token-bucket.js';
import { type AclContext, mayPublish, maySubscribe, topicProblem } from './topic-acl.js';
import type { KnownUser, UserDirectory } from './user-directory.js';

/** An error whose refusal was already reported; the broker's client-error listener skips it. */
export class BrokerRefusal extends Error {
  constructor(
    message: string,
    readonly returnCode?: AuthenticateError['returnCode'],
  ) {
    super(message);
    this.name = 'BrokerRefusal';
  }
}

interface Session {
  user: KnownUser;
  bucket: TokenBucket;
}

export interface AccessControlOptions {
  users: UserDirectory;
  acl: AclContext;
  limits: MqttBrokerConfig['limits'];
  /** Failed logins per address before it is locked (loopback exempt unless `limits.capLoopback`). */
  login: MqttBrokerConfig['login'];
  events: SecurityEventThrottle;
  log: Logger;
  /** Monotonic ms for the rate limit; default performance.now. */
  clock?: () => number;
}

export class AccessControl {
  private readonly sessions = new Map<Client, Session>();
  private readonly clock: () => number;
  private readonly throttle: LoginThrottle;

  constructor(private readonly options: AccessControlOptions) {
    this.clock = options.clock ?? (() => performance.now());
    const { login } = options;
    this.throttle = new LoginThrottle({
      now: this.clock,
      maxFailures: login.maxFailures,
      windowMs: login.windowMinutes * 60_000,
      lockMs: login.lockMinutes * 60_000,
    });
  }

  readonly authenticate = (
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void => {
    const { limits, users } = this.options;
    const refuse = (event: Omit<SecurityEvent, 'clientId' | 'remote'>, returnCode: 2 | 5 = 5) => {
      this.report(client, event);
      done(new BrokerRefusal(event.reason, returnCode) as AuthenticateError, false);
    };
    const address = addressOf(remoteOf(client.conn) ?? '?');
    // The lock is per address, never per user name: anyone could lock a door relay out by name.
    const keys = !limits.capLoopback && isLoopback(address) ? [] : [address];
    const locked = this.lockedFor(keys);
    if (Buffer.byteLength(client.id) > limits.maxClientIdLength) {
      const reason = `client id longer than ${limits.maxClientIdLength} bytes`;
      refuse({ code: 'MQTT_CLIENT_REFUSED', reason, user: this.knownName(username) }, 2);
    } else if (locked > 0) {
      // Refused before the password is checked: guessing from this address gets nowhere.
      const reason = `address locked after repeated failed logins; retry in ${locked} s`;
      refuse({ code: 'MQTT_AUTH_FAILED', reason, user: this.knownName(username) });
    } else if (username === undefined) {
      this.throttle.failed(keys);
      refuse({ code: 'MQTT_AUTH_FAILED', reason: 'no credentials' });
    } else {
      users.authenticate(username, password).then(
        (result) => {
          if (result.ok) {
            this.throttle.succeeded(keys);
            this.admit(client, result.user);
            done(null, true);
          } else {
            this.throttle.failed(keys);
            refuse({ code: 'MQTT_AUTH_FAILED', reason: result.reason, user: this.knownName(username) });
          }
        },
        (err: unknown) => {
          this.options.log.error({ err }, 'MQTT password check failed');
          refuse({
            code: 'MQTT_AUTH_FAILED',
            reason: 'password check failed',
            user: this.knownName(username),
          });
        },
      );
    }
  };

  readonly authorizePublish = (
    client: Client | null,
    packet: PublishPacket,
    done: (error?: Error | null) => void,
  ): void => {
    const { topic } = packet;
    if (client === null) {
      // A will aedes publishes for a connection it no longer has. Only $ is barred.
      done(topic.startsWith('$') ? new BrokerRefusal('$ topics are the broker’s') : null);
      return;
    }
    const refusal = this.publishRefusal(client, topic);
    if (refusal === undefined) {
      done(null);
      return;
    }
    this.report(client, { ...refusal, topic, user: this.userOf(client) });
    done(new BrokerRefusal(refusal.reason));
  };

  readonly authorizeSubscribe = (
    client: Client,
    subscription: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void => {
    const { topic } = subscription;
    const reason = this.subscribeRefusal(client, topic);
    if (reason === undefined) {
      done(null, subscription);
      return;
    }
    this.report(client, { code: 'MQTT_ACCESS_DENIED', reason, topic, user: this.userOf(client) });
    done(null, null);
  };

  /** Seconds the address keys are locked for; 0: they may try. */
  private lockedFor(keys: readonly string[]): number {
    return keys.length === 0 ? 0 : this.throttle.retryAfter(keys);
  }

  private admit(client: Client, user: KnownUser): void {
    const { limits } = this.options;
    this.sessions.set(client, {
      user,
      bucket: new TokenBucket(limits.publishPerSecond, limits.publishBurst, this.clock()),
    });
    client.conn.once('close', () => this.sessions.delete(client));
    this.options.log.debug({ user: user.name, clientId: client.id }, 'MQTT client authenticated');
  }

  private publishRefusal(client: Client, topic: string): Pick<SecurityEvent, 'code' | 'reason'> | undefined {
    const { limits, acl } = this.options;
    const session = this.sessions.get(client);
    if (session === undefined) return { code: 'MQTT_ACCESS_DENIED', reason: 'not authenticated' };
    const problem = topicProblem(topic, { wildcards: false, maxBytes: limits.maxTopicLength });
    if (problem !== undefined) return { code: 'MQTT_CLIENT_REFUSED', reason: `bad topic: ${problem}` };
    // A closed client's publish is its will, sent once on its behalf: not counted as a flood.
    if (!client.closed && !session.bucket.take(this.clock()))
      return { code: 'MQTT_CLIENT_REFUSED', reason: `publishes faster than ${limits.publishPerSecond}/s` };
    const decision = mayPublish(session.user.subject, topic, acl);
    return decision.allow
      ? undefined
      : { code: 'MQTT_ACCESS_DENIED', reason: `publish refused: ${decision.reason}` };
  }

  private subscribeRefusal(client: Client, topic: string): string | undefined {
    const session = this.sessions.get(client);
    if (session === undefined) return 'not authenticated';
    const problem = topicProblem(topic, { wildcards: true, maxBytes: this.options.limits.maxTopicLength });
    if (problem !== undefined) return `bad filter: ${problem}`;
    const decision = maySubscribe(session.user.subject, topic, this.options.acl);
    return decision.allow ? undefined : `subscribe refused: ${decision.reason}`;
  }

  /** The user a connected client authenticated as. */
  userOf(client: Client): string | undefined {
    return this.sessions.get(client)?.user.name;
  }

  /** Clients connected as one of `names` (to close them after their user was removed or changed). */
  clientsOf(names: readonly string[]): Client[] {
    const wanted = new Set(names);
    return [...this.sessions].filter(([, s]) => wanted.has(s.user.name)).map(([c]) => c);
  }

  /** Reports an event about `client`, adding its id and remote address. */
  report(
    client: Client | null,
    event: Omit<SecurityEvent, 'clientId' | 'remote'>,
    remote = remoteOf(client?.conn),
  ): void {
    const full: SecurityEvent = {
      ...event,
      ...(client?.id ? { clientId: client.id } : {}),
      ...(remote === undefined ? {} : { remote }),
    };
    const line = { code: full.code, user: full.user, clientId: full.clientId, topic: full.topic, remote };
    let journaled = false;
    try {
      journaled = this.options.events.report(full);
    } catch (err) {
      // A journal that cannot take the entry must not take the broker down with it.
      this.options.log.error({ err, ...line }, 'security event could not be journaled');
    }
    if (journaled) this.options.log.warn(line, `MQTT client refused: ${full.reason}`);
    else this.options.log.debug(line, `MQTT client refused: ${full.reason} (journal entry held back)`);
  }

  /** A name offered at CONNECT, kept only if it is a user (else it might be a mistyped password). */
  private knownName(username: string | undefined): string {
    return username !== undefined && this.options.users.find(username) ? username : UNKNOWN_USER;
  }
}
