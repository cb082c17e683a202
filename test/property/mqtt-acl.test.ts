/**
 * Properties of the broker's topic ACL (gateway/mqtt/broker/topic-acl.ts): a granted
 * subscription never delivers a topic its pattern does not grant, devices never share topics,
 * `$` topics are never publishable, the dashboard never publishes and reads only the live tree.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { CONVENTIONS, devicePatterns } from '../../gateway/mqtt/broker/device-conventions.js';
import {
  type AclSubject,
  filterCovers,
  mayPublish,
  maySubscribe,
  ROLES,
  topicProblem,
} from '../../gateway/mqtt/broker/topic-acl.js';
import { topicMatches } from '../../gateway/mqtt/bus.js';

const CONTEXT = { liveRoot: 'gatewarden' };
/** Few distinct levels, so that patterns, filters and topics often meet. */
const word = fc.constantFrom('a', 'b', 'gatewarden', 'stat', 'cmnd', 'set', '$SYS', '');
const topic = fc.array(word, { minLength: 1, maxLength: 5 }).map((l) => l.join('/'));
const filter = fc
  .tuple(fc.array(fc.oneof(word, fc.constant('+')), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([levels, hash]) => [...levels, ...(hash ? ['#'] : [])].join('/'))
  .filter((f) => topicProblem(f, { wildcards: true, maxBytes: 1024 }) === undefined);
const name = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,11}$/);
const subject = fc.record({
  role: fc.constantFrom(...ROLES),
  publish: fc.array(filter, { maxLength: 3 }),
  subscribe: fc.array(filter, { maxLength: 3 }),
}) as fc.Arbitrary<AclSubject>;

describe('filterCovers', () => {
  test.prop([filter, filter, topic], { numRuns: 5000 })(
    'a filter it covers matches only topics the pattern matches',
    (pattern, f, t) => {
      if (filterCovers(pattern, f) && topicMatches(f, t)) expect(topicMatches(pattern, t)).toBe(true);
    },
  );

  test.prop([filter])('every filter covers itself', (f) => {
    expect(filterCovers(f, f)).toBe(true);
  });

  test.prop([filter, topic])('on a plain topic it is topicMatches', (pattern, t) => {
    expect(filterCovers(pattern, t)).toBe(topicMatches(pattern, t));
  });
});

describe('mayPublish / maySubscribe', () => {
  test.prop([subject, topic])('no role publishes to a $ topic', (s, t) => {
    expect(mayPublish(s, `$${t}`, CONTEXT).allow).toBe(false);
  });

  test.prop([subject, topic])('the dashboard never publishes', (s, t) => {
    expect(mayPublish({ ...s, role: 'dashboard' }, t, CONTEXT).allow).toBe(false);
  });

  test.prop([subject, filter])('the dashboard reads exactly within the live tree', (s, f) => {
    const decision = maySubscribe({ ...s, role: 'dashboard' }, f, CONTEXT);
    expect(decision.allow).toBe(filterCovers('gatewarden/#', f));
    expect(decision.reason.length).toBeGreaterThan(0);
  });

  test.prop([subject, filter, topic])(
    'a device subscription delivers only what its patterns grant',
    (s, f, t) => {
      const device = { ...s, role: 'device' as const };
      if (maySubscribe(device, f, CONTEXT).allow && topicMatches(f, t))
        expect(device.subscribe.some((p) => topicMatches(p, t))).toBe(true);
    },
  );

  test.prop([
    fc.constantFrom(...CONVENTIONS),
    fc.constantFrom(...CONVENTIONS),
    name,
    name,
    fc.array(word, { maxLength: 3 }),
  ])('a device can neither publish to nor subscribe to another device’s topics', (c1, c2, n1, n2, tail) => {
    fc.pre(n1 !== n2);
    const d1: AclSubject = { role: 'device', ...devicePatterns(c1, { name: n1 }) };
    const d2: AclSubject = { role: 'device', ...devicePatterns(c2, { name: n2 }) };
    // Topics of d2: each of its patterns with its wildcards filled in.
    for (const pattern of [...d2.publish, ...d2.subscribe]) {
      const t = pattern.replace(/\+/g, 'x').replace(/#$/, tail.join('/') || 'x');
      expect(mayPublish(d1, t, CONTEXT).allow).toBe(false);
      expect(maySubscribe(d1, t, CONTEXT).allow).toBe(false);
    }
  });

  test.prop([fc.constantFrom(...CONVENTIONS), name])(
    'a device never publishes to its own command topics',
    (c, n) => {
      const d: AclSubject = { role: 'device', ...devicePatterns(c, { name: n }) };
      for (const command of d.subscribe) {
        const t = command.replace(/\/#$/, '/x');
        expect(mayPublish(d, t, CONTEXT).allow).toBe(false);
      }
    },
  );
});

describe('topicProblem', () => {
  test.prop([fc.string(), fc.constantFrom('+', '#', '\u0000'), fc.string()])(
    'a publish topic with a wildcard or NUL is refused',
    (before, bad, after) => {
      expect(topicProblem(`${before}${bad}${after}`, { wildcards: false, maxBytes: 65535 })).toBeDefined();
    },
  );

  test.prop([
    fc
      .string({ minLength: 1, maxLength: 40 })
      .filter((s) => !['+', '#', '\u0000'].some((c) => s.includes(c))),
  ])('any other non-empty topic within the length is accepted', (t) => {
    expect(topicProblem(t, { wildcards: false, maxBytes: 65535 })).toBeUndefined();
  });
});
