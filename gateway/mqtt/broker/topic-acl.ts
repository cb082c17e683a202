/**
 * Who may publish and subscribe where on the embedded broker: a pure function of a user's role
 * and topic patterns and the topic, returning the decision with its reason (style H16: never a
 * bare boolean), so every refusal can be journaled with why.
 *
 * Roles
 * - `device`: publishes only to topics matched by its own `publish` patterns and subscribes only
 *   to filters wholly covered by its own `subscribe` patterns (its command topics).
 * - `dashboard`: subscribes only within the live tree `<liveRoot>/#`; never publishes.
 * - `tool` (Home Assistant, Node-RED): publishes and subscribes within its own patterns
 *   (defaults: reads the live tree and the discovery tree, publishes HA's birth message).
 * - `gateway`: the gateway itself; publishes and subscribes anywhere but `$SYS`.
 * Publishing to a topic beginning with `$` is refused for every role ($SYS belongs to the broker).
 *
 * Topic syntax (empty, wildcards in a publish topic, NUL, length) is checked before the ACL,
 * by `topicProblem`; a pattern list never grants a malformed topic.
 */
import { topicMatches } from '../bus.js';

export const ROLES = ['device', 'dashboard', 'gateway', 'tool'] as const;
export type Role = (typeof ROLES)[number];

export interface AclSubject {
  role: Role;
  /** Topic filters (MQTT wildcards allowed) this user may publish to; ignored for dashboard and gateway. */
  publish: readonly string[];
  /** Topic filters this user may subscribe within; ignored for dashboard and gateway. */
  subscribe: readonly string[];
}

export interface AclDecision {
  allow: boolean;
  reason: string;
}

export interface AclContext {
  /** First level of the live tree, e.g. `gatewarden`. */
  liveRoot: string;
}

const allow = (reason: string): AclDecision => ({ allow: true, reason });
const deny = (reason: string): AclDecision => ({ allow: false, reason });

/** Whether `subject` may publish to the (syntactically valid) topic `topic`. */
export function mayPublish(subject: AclSubject, topic: string, _context: AclContext): AclDecision {
  if (topic.startsWith('$')) return deny('topics starting with $ belong to the broker');
  switch (subject.role) {
    case 'gateway':
      return allow('the gateway publishes anywhere but $SYS');
    case 'dashboard':
      return deny('the dashboard only reads');
    case 'device':
    case 'tool': {
      const pattern = subject.publish.find((p) => topicMatches(p, topic));
      return pattern === undefined
        ? deny(`not among the ${subject.role}'s publish topics`)
        : allow(`matches publish pattern ${pattern}`);
    }
  }
}

/** Whether `subject` may subscribe to the (syntactically valid) filter `filter`. */
export function maySubscribe(subject: AclSubject, filter: string, context: AclContext): AclDecision {
  switch (subject.role) {
    case 'gateway':
      return filter.startsWith('$')
        ? deny('the gateway does not read $ topics')
        : allow('the gateway reads anywhere');
    case 'dashboard':
      return filterCovers(`${context.liveRoot}/#`, filter)
        ? allow('within the live tree')
        : deny(`outside the live tree ${context.liveRoot}/#`);
    case 'device':
    case 'tool': {
      const pattern = subject.subscribe.find((p) => filterCovers(p, filter));
      return pattern === undefined
        ? deny(`not within the ${subject.role}'s subscribe topics`)
        : allow(`within subscribe pattern ${pattern}`);
    }
  }
}

/**
 * Whether every topic matched by `filter` is also matched by `pattern` (both MQTT filters),
 * so a subscription to `filter` can never deliver a topic `pattern` does not grant. `a/#`
 * covers `a`, `a/b`, `a/+/c` and `a/#`; `a/+` covers `a/b` and `a/+` but not `a/#` or `a/b/c`.
 * A pattern starting with a wildcard covers no filter starting with `$` (MQTT §4.7.2).
 */
export function filterCovers(pattern: string, filter: string): boolean {
  const p = pattern.split('/');
  const f = filter.split('/');
  if (f[0]?.startsWith('$') && (p[0] === '+' || p[0] === '#')) return false;
  for (let i = 0; i < p.length; i++) {
    const level = p[i];
    if (level === '#') return true;
    if (i >= f.length) return false;
    const wanted = f[i];
    if (wanted === '#') return false;
    if (level === '+') continue;
    if (wanted === '+' || wanted !== level) return false;
  }
  return f.length === p.length;
}

/** Why `topic` is not acceptable as a publish topic (`wildcards: false`) or subscribe filter, if it is not. */
export function topicProblem(
  topic: string,
  options: { wildcards: boolean; maxBytes: number },
): string | undefined {
  if (topic.length === 0) return 'empty topic';
  if (Buffer.byteLength(topic) > options.maxBytes) return `topic longer than ${options.maxBytes} bytes`;
  if (topic.includes('\u0000')) return 'NUL character in topic';
  if (!options.wildcards) {
    return /[+#]/.test(topic) ? 'wildcard in a publish topic' : undefined;
  }
  const levels = topic.split('/');
  for (const [i, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1))
      return '# allowed only as the whole last level';
    if (level.includes('+') && level !== '+') return '+ allowed only as a whole level';
  }
  return undefined;
}
