/**
 * MQTT.js options for the upstream connection, from the configuration: stable client id,
 * persistent session, last will, credentials and TLS material read from their files.
 */
import { readFileSync } from 'node:fs';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { MqttUpstreamConfig } from '../../../config/mqtt-upstream-schema.js';
import { GatewardenError } from '../../errors.js';
import { readSecretFile } from '../../util/key-file.js';
import { OFFLINE_STATUS } from './status-messages.js';
import { type UpstreamTopicBase, upstreamTopics } from './topics.js';

/** `gatewarden-<site>-<gateway>` unless configured: stable, so the broker finds the session again. */
export function upstreamClientId(config: MqttUpstreamConfig, siteId: string): string {
  return config.clientId ?? `gatewarden-${siteId}-${config.gatewayId}`;
}

/**
 * The options for `mqtt.connect`. Reconnection is off (`reconnectPeriod: 0`): the connection
 * reconnects itself with a growing, jittered wait (backoff.ts). `manualConnect`: start() connects.
 * Throws a GatewardenError when a password, certificate or key file cannot be read.
 */
export function upstreamClientOptions(
  config: MqttUpstreamConfig,
  base: UpstreamTopicBase,
  protocolVersion: 4 | 5,
): IClientOptions {
  const options: IClientOptions = {
    clientId: upstreamClientId(config, base.siteId),
    protocolVersion,
    // A persistent session: the broker keeps the gateway's subscriptions and what is queued
    // for it (requests from upstream) across outages. Journal delivery does not depend on it.
    clean: false,
    keepalive: config.keepaliveSeconds,
    connectTimeout: config.connectTimeoutSeconds * 1000,
    reconnectPeriod: 0,
    manualConnect: true,
    // QoS 0 messages published while offline are refused at once rather than queued in memory.
    queueQoSZero: false,
    // No table of 65,536 pre-encoded numbers (6.3 MB of heap): see embedded-broker.ts.
    writeCache: false,
    will: { topic: upstreamTopics.status(base), payload: Buffer.from(OFFLINE_STATUS), qos: 1, retain: true },
    ...protocolProperties(config, protocolVersion),
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(config.passwordFile === undefined ? {} : { password: readUpstreamPassword(config.passwordFile) }),
  };
  const tls = config.tls;
  if (tls !== undefined) {
    options.rejectUnauthorized = tls.rejectUnauthorized;
    if (tls.caFile !== undefined) options.ca = readPublicFile(tls.caFile, 'upstream CA certificate');
    if (tls.certFile !== undefined)
      options.cert = readPublicFile(tls.certFile, 'upstream client certificate');
    if (tls.keyFile !== undefined) options.key = readSecret(tls.keyFile, 'upstream client key');
  }
  return options;
}

/** MQTT 5 session expiry; nothing for 3.1.1, which has no properties. */
export function protocolProperties(
  config: MqttUpstreamConfig,
  protocolVersion: 4 | 5,
): Pick<IClientOptions, 'properties'> {
  return protocolVersion === 5 ? { properties: { sessionExpiryInterval: config.sessionExpirySeconds } } : {};
}

/** Switches a client to MQTT 3.1.1 for its next connection (a broker refused MQTT 5). */
export function useMqtt311(client: MqttClient): void {
  client.options.protocolVersion = 4;
  client.options.properties = undefined;
}

/** Reads the password file again for the next connection; keeps the old password if it cannot. */
export function rereadPassword(client: MqttClient, path: string, log: Logger): void {
  try {
    client.options.password = readUpstreamPassword(path);
  } catch (err) {
    log.warn({ err }, 'cannot read the upstream password file again; trying the previous password');
  }
}

export function readUpstreamPassword(path: string): string {
  return readSecret(path, 'upstream password file').toString('utf8').trim();
}

function readSecret(path: string, what: string): Buffer {
  const secret = readSecretFile(path, what);
  if (secret === undefined) throw new GatewardenError('CONFIG_UNREADABLE', `${what} ${path} does not exist`);
  return secret;
}

function readPublicFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new GatewardenError('CONFIG_UNREADABLE', `cannot read ${what} ${path}`, { cause });
  }
}

/** host:port of the broker, without credentials a URL might carry: for logs and alarms. */
export function brokerAddress(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}
