/**
 * The gateway's availability upstream, retained on `<base>/status` (readers look at `state`):
 * the birth on every connection, the last will the broker publishes when the connection dies
 * without a DISCONNECT, and the goodbye an orderly stop publishes itself (the DISCONNECT that
 * follows suppresses the will).
 */
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../../drivers/shared/clock.js';

/** The last will: fixed when the connection is made, so it carries no time. */
export const OFFLINE_STATUS = JSON.stringify({ state: 'offline' });

export function birthStatus(birth: { at: number; gateway: string; site: string; version: string }): string {
  return JSON.stringify({ state: 'online', ...birth });
}

/**
 * Publishes the goodbye (QoS 1, retained) and disconnects in order, each step within `ms`.
 * Throws when the broker does not answer in time; the caller then closes the socket.
 */
export async function sayGoodbye(
  client: MqttClient,
  topic: string,
  at: number,
  timing: { clock: Clock; ms: number },
): Promise<void> {
  const goodbye = JSON.stringify({ state: 'offline', at });
  await within(client.publishAsync(topic, goodbye, { qos: 1, retain: true }), timing);
  await within(client.endAsync(), timing);
}

async function within<T>(promise: Promise<T>, { clock, ms }: { clock: Clock; ms: number }): Promise<T> {
  let timer: unknown;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clock.clearTimeout(timer);
  }
}
