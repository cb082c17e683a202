/**
 * Default topic patterns of an MQTT user, by role and, for devices, by the topic convention the
 * device speaks. A device owns its state, availability and telemetry topics (publish) and its
 * command topics (subscribe), and nothing of another device: the patterns are built from its
 * own topic name, which holds no wildcard.
 *
 *   zigbee2mqtt  publish   <base>/<name>, <base>/<name>/availability
 *                subscribe <base>/<name>/set[/#], <base>/<name>/get[/#]
 *   tasmota      publish   stat/<name>/#, tele/<name>/#   (the last will is tele/<name>/LWT)
 *                subscribe cmnd/<name>/#
 *   plain        publish   devices/<name>/state, devices/<name>/availability, devices/<name>/event
 *                subscribe devices/<name>/set
 *
 * A Zigbee2MQTT bridge (one client for many devices) or any other layout is written out as
 * explicit patterns instead (`--publish`, `--subscribe`).
 */
import type { Role } from './topic-acl.js';

export interface TopicPatterns {
  publish: string[];
  subscribe: string[];
}

export const CONVENTIONS = ['zigbee2mqtt', 'tasmota', 'plain'] as const;
export type Convention = (typeof CONVENTIONS)[number];

export interface ConventionOptions {
  /** The device's topic name: Zigbee2MQTT friendly name, Tasmota topic, or device id. */
  name: string;
  /** Zigbee2MQTT base topic; default `zigbee2mqtt`. */
  base?: string;
}

/** Whether `name` can stand inside patterns: non-empty plain levels, no wildcard, no NUL, no `$` start. */
export function isTopicName(name: string): boolean {
  return /^(?!\$)[^+#/]+(?:\/[^+#/]+)*$/.test(name) && !name.includes('\u0000');
}

export function devicePatterns(
  convention: Convention,
  { name, base = 'zigbee2mqtt' }: ConventionOptions,
): TopicPatterns {
  if (!isTopicName(name)) throw new Error(`"${name}" is not a topic name (no +, #, NUL or leading $)`);
  switch (convention) {
    case 'zigbee2mqtt': {
      const t = `${base}/${name}`;
      return {
        publish: [t, `${t}/availability`],
        subscribe: [`${t}/set`, `${t}/set/#`, `${t}/get`, `${t}/get/#`],
      };
    }
    case 'tasmota':
      return { publish: [`stat/${name}/#`, `tele/${name}/#`], subscribe: [`cmnd/${name}/#`] };
    case 'plain': {
      const t = `devices/${name}`;
      return { publish: [`${t}/state`, `${t}/availability`, `${t}/event`], subscribe: [`${t}/set`] };
    }
  }
}

/** Patterns of a role without patterns of its own: a tool reads the live and discovery trees. */
export function rolePatterns(
  role: Exclude<Role, 'device'>,
  liveRoot: string,
  discoveryPrefix = 'homeassistant',
): TopicPatterns {
  switch (role) {
    case 'tool':
      return {
        publish: [`${discoveryPrefix}/status`],
        subscribe: [`${liveRoot}/#`, `${discoveryPrefix}/#`],
      };
    case 'dashboard':
    case 'gateway':
      return { publish: [], subscribe: [] };
  }
}
