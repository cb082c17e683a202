import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { SHIFT_IDS, SITE_MODES } from '../../gateway/domain/model.js';
import { decide } from '../../gateway/rules/decide.js';
import { isDenyCode } from '../../gateway/rules/reasons.js';
import { RULES } from '../../gateway/rules/rule-table.js';
import type { PassRequest, PresentedCredential } from '../../gateway/rules/types.js';
import { type ContextOptions, cardValue, laneContext, NOW, policy, registry } from '../helpers/world.js';

const PERSON_IDS = [
  'res1',
  'res2',
  'res3',
  'qhome',
  'qcentral',
  'sealed',
  'staff1',
  'vis1',
  'vis-risk',
  'courier1',
];
const CARDS = [
  'C-RES1',
  'C-RES2',
  'C-RES3',
  'C-QHOME',
  'C-QCENTRAL',
  'C-SEALED',
  'C-STAFF1',
  'C-STAFF-NOCERT',
];
const MORE_CARDS = [
  'C-VIS-RISK',
  'C-VIS-UNREG',
  'C-COURIER1',
  'C-REPAIR1',
  'C-EXPIRED',
  'C-REVOKED',
  'C-NOPE',
];

const credential: fc.Arbitrary<PresentedCredential | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(...CARDS, ...MORE_CARDS).map((name) => ({ kind: 'card' as const, value: cardValue(name) })),
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
  fc
    .constantFrom('京A12345', '京B00001', '京B00002', '沪C99999', '粤Z00000')
    .map((value) => ({ kind: 'plate' as const, value })),
  fc.constantFrom('WC-001', 'WC-002').map((value) => ({ kind: 'workcert' as const, value })),
);

const context: fc.Arbitrary<ContextOptions> = fc.record({
  primary: fc.boolean(),
  kind: fc.constantFrom('pedestrian' as const, 'vehicle' as const),
  direction: fc.constantFrom('in' as const, 'out' as const),
  fire: fc.boolean(),
  temperature: fc.option(
    fc.record({
      at: fc.integer({ min: NOW - 15_000, max: NOW }),
      celsius: fc.double({ min: 34, max: 41, noNaN: true }),
      mask: fc.constantFrom(true, false, null),
    }),
    { nil: null },
  ),
  escorts: fc.dictionary(fc.constantFrom(...PERSON_IDS), fc.integer({ min: NOW - 60_000, max: NOW })),
  lastDirections: fc.dictionary(
    fc.constantFrom(...PERSON_IDS, 'v-res'),
    fc.constantFrom('in' as const, 'out' as const),
  ),
  exits: fc.dictionary(
    fc.constantFrom('3-2-501', '3-2-502'),
    fc.array(fc.integer({ min: NOW - 96 * 3600_000, max: NOW }), { maxLength: 3 }),
  ),
  seenCodes: fc.subarray(['a', 'b']),
});

const request: fc.Arbitrary<PassRequest> = fc.record(
  {
    at: fc.constant(NOW),
    laneId: fc.constant('lane'),
    shift: fc.constantFrom(...SHIFT_IDS),
    credential,
    purpose: fc.constant('delivery' as const),
    override: fc.record({ operator: fc.constant('op'), reason: fc.constant('medical') }),
  },
  { requiredKeys: ['at', 'laneId', 'shift'] },
);

const mode = fc.constantFrom(...SITE_MODES);

function evaluate(m: (typeof SITE_MODES)[number], ctx: ContextOptions, req: PassRequest, rules = RULES) {
  const p = policy(m);
  return decide(p, registry, laneContext(ctx, p), req, rules);
}

const numRuns = 2000;

describe('pass rules: invariants', () => {
  test.prop([mode, context, request], { numRuns })(
    'a fever is never allowed, unless a fire release or an emergency override opens the lane',
    (m, ctx, req) => {
      const d = evaluate(m, ctx, req);
      const fever = d.reasons.some((r) => r.effect === 'deny' && r.code === 'FEVER');
      if (fever && d.allow) {
        expect(ctx.fire === true || req.override !== undefined).toBe(true);
        expect(d.actions).toContainEqual({ type: 'alarm', code: 'FEVER', severity: 'critical' });
      }
    },
  );

  test.prop([context, request], { numRuns })(
    'lockdown lets nobody through but on-duty staff, an override or a fire release',
    (ctx, req) => {
      const d = evaluate('lockdown', ctx, req);
      if (!d.allow) return;
      const grant = d.reasons.find((r) => r.effect === 'grant')?.code;
      expect(['STAFF', 'EMERGENCY_OVERRIDE', 'FIRE_RELEASE']).toContain(grant);
      if (grant === 'STAFF') {
        expect(d.subject).toMatchObject({ kind: 'person', personKind: 'staff' });
        expect(req.shift).toBe('day'); // staff1 works the day shift; the other staff member has no valid certificate
      }
    },
  );

  test.prop([mode, context, request], { numRuns })(
    'a deny always has at least one deny reason',
    (m, ctx, req) => {
      const d = evaluate(m, ctx, req);
      if (!d.allow) expect(d.reasons.some((r) => r.effect === 'deny' && isDenyCode(r.code))).toBe(true);
    },
  );

  test.prop([mode, context, request], { numRuns })(
    'an allow has exactly one grant and opens the lane; a deny has none and never opens',
    (m, ctx, req) => {
      const d = evaluate(m, ctx, req);
      const grants = d.reasons.filter((r) => r.effect === 'grant');
      const opens = d.actions.filter((a) => a.type === 'unlock' || a.type === 'raise_barrier');
      expect(grants.length).toBe(d.allow ? 1 : 0);
      expect(opens.length).toBe(d.allow ? 1 : 0);
    },
  );

  test.prop([mode, context, request, fc.shuffledSubarray([...RULES], { minLength: RULES.length })], {
    numRuns,
  })('a decision is the same whatever order its rules are evaluated in', (m, ctx, req, shuffled) => {
    expect(evaluate(m, ctx, req, shuffled)).toEqual(evaluate(m, ctx, req));
  });

  test.prop([context, request], { numRuns })('lockdown is never more permissive than closed', (ctx, req) => {
    if (evaluate('lockdown', ctx, req).allow) expect(evaluate('closed', ctx, req).allow).toBe(true);
  });
});
