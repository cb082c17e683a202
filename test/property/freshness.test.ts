/**
 * DATA_STALE as properties over every mode, lane, credential and stale policy: stale data never
 * turn a refusal into a pass, never allow silently, and with freshness off (or fresh data) every
 * decision is exactly what it was before the rule existed.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { SHIFT_IDS, SITE_MODES } from '../../gateway/domain/model.js';
import { type FreshnessPolicy, STALE_POLICIES } from '../../gateway/freshness/freshness.js';
import { decide } from '../../gateway/rules/decide.js';
import { DATA_STALE } from '../../gateway/rules/freshness-rule.js';
import { RULES } from '../../gateway/rules/rule-table.js';
import type { PassRequest, PresentedCredential } from '../../gateway/rules/types.js';
import { type ContextOptions, cardValue, laneContext, NOW, policy, registry } from '../helpers/world.js';

const H = 3600_000;
const BEFORE = RULES.filter((r) => r !== DATA_STALE);

const credential: fc.Arbitrary<PresentedCredential | undefined> = fc.oneof(
  fc.constant(undefined),
  fc
    .constantFrom(
      'C-RES1',
      'C-RES3',
      'C-QHOME',
      'C-STAFF1',
      'C-STAFF-NOCERT',
      'C-VIS-RISK',
      'C-COURIER1',
      'C-REVOKED',
      'C-NOPE',
    )
    .map((name) => ({ kind: 'card' as const, value: cardValue(name) })),
  fc.record({
    kind: fc.constant('idcard' as const),
    value: fc.constantFrom('hash-vis1', 'hash-nobody'),
    idNumberValid: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('qr' as const),
    value: fc.constantFrom('PASS-RES2', 'PASS-NONE'),
    signature: fc.constantFrom('valid' as const, 'invalid' as const),
    codeId: fc.constantFrom('a', 'b'),
  }),
  fc.constantFrom('京A12345', '京B00002', '沪C99999').map((value) => ({ kind: 'plate' as const, value })),
  fc.constantFrom('WC-001', 'WC-002').map((value) => ({ kind: 'workcert' as const, value })),
);

const context: fc.Arbitrary<ContextOptions> = fc.record({
  primary: fc.boolean(),
  kind: fc.constantFrom('pedestrian' as const, 'vehicle' as const),
  direction: fc.constantFrom('in' as const, 'out' as const),
  fire: fc.boolean(),
  escorts: fc.dictionary(fc.constantFrom('res1', 'res3'), fc.integer({ min: NOW - 60_000, max: NOW })),
  seenCodes: fc.subarray(['a', 'b']),
});

const request: fc.Arbitrary<PassRequest> = fc.record(
  {
    at: fc.constant(NOW),
    laneId: fc.constant('lane'),
    shift: fc.constantFrom(...SHIFT_IDS),
    credential,
    override: fc.record({ operator: fc.constant('op'), reason: fc.constant('medical') }),
  },
  { requiredKeys: ['at', 'laneId', 'shift'] },
);

const freshness: fc.Arbitrary<FreshnessPolicy> = fc.record({
  maxAgeMs: fc.integer({ min: 1, max: 240 }).map((h) => h * H),
  stalePolicy: fc.constantFrom(...STALE_POLICIES),
});

/** Undefined: never refreshed; else anywhere from 30 days before NOW to NOW. */
const refreshedAt = fc.option(fc.integer({ min: NOW - 30 * 24 * H, max: NOW }), { nil: undefined });
const mode = fc.constantFrom(...SITE_MODES);
const numRuns = 2000;

function evaluate(
  m: (typeof SITE_MODES)[number],
  o: ContextOptions,
  req: PassRequest,
  f: FreshnessPolicy | undefined,
  at: number | undefined,
  rules = RULES,
) {
  const p = policy(m, f === undefined ? {} : { freshness: f });
  return decide(p, registry, { ...laneContext(o, p), dataRefreshedAt: at }, req, rules);
}

describe('DATA_STALE: invariants', () => {
  test.prop([mode, context, request, freshness, refreshedAt], { numRuns })(
    'stale data never turn a refusal into a pass, and a pass made while stale always says so',
    (m, o, req, f, at) => {
      const before = evaluate(m, o, req, undefined, undefined, BEFORE);
      const now = evaluate(m, o, req, f, at);
      if (now.allow) expect(before.allow).toBe(true);
      const stale = at === undefined || NOW - at > f.maxAgeMs;
      if (stale && now.allow && req.credential !== undefined)
        expect(now.reasons.some((r) => r.code === 'DATA_STALE')).toBe(true);
      if (!stale) expect(now).toEqual(before);
    },
  );

  test.prop([mode, context, request, refreshedAt], { numRuns })(
    'with freshness off, every decision is the one made before the rule existed',
    (m, o, req, at) => {
      expect(evaluate(m, o, req, undefined, at)).toEqual(evaluate(m, o, req, undefined, undefined, BEFORE));
    },
  );

  test.prop([mode, context, request, freshness, refreshedAt], { numRuns })(
    'warn-only never refuses for staleness: same allow as before',
    (m, o, req, f, at) => {
      const warn = { ...f, stalePolicy: 'warn-only' as const };
      expect(evaluate(m, o, req, warn, at).allow).toBe(
        evaluate(m, o, req, undefined, undefined, BEFORE).allow,
      );
    },
  );
});
