/**
 * DATA_STALE (gateway/rules/freshness-rule.ts): each stale policy against each kind of
 * credential, the window's edge, a never-refreshed site, and the pure helpers of
 * gateway/freshness/freshness.ts.
 */
import { describe, expect, it } from 'vitest';
import { freshnessPolicyOf, freshnessSchema } from '../../config/freshness-schema.js';
import type { SiteMode } from '../../gateway/domain/model.js';
import {
  type FreshnessPolicy,
  isRefresh,
  isStale,
  type StalePolicy,
  staleStatus,
} from '../../gateway/freshness/freshness.js';
import { decide } from '../../gateway/rules/decide.js';
import { explain } from '../../gateway/rules/explain.js';
import type { Decision, PassRequest, PresentedCredential } from '../../gateway/rules/types.js';
import { type ContextOptions, cardValue, laneContext, NOW, policy, registry } from '../helpers/world.js';

const H = 3600_000;
const MAX_AGE = 72 * H;
const FRESH = NOW - H;
const STALE = NOW - MAX_AGE - 1;

interface Kind {
  name: string;
  credential: PresentedCredential;
  ctx: ContextOptions;
  /** What the same request gets with freshness off, in open mode. */
  grant: string;
}

/** One credential of each kind the stale policies tell apart; each passes in open mode when fresh. */
const KINDS: Kind[] = [
  {
    name: 'resident card',
    credential: { kind: 'card', value: cardValue('C-RES1') },
    ctx: {},
    grant: 'RESIDENT',
  },
  { name: 'staff card', credential: { kind: 'card', value: cardValue('C-STAFF1') }, ctx: {}, grant: 'STAFF' },
  {
    name: 'signed QR pass',
    credential: { kind: 'qr', value: 'PASS-RES2', signature: 'valid', codeId: 'PASS-RES2@1' },
    ctx: {},
    grant: 'RESIDENT',
  },
  {
    name: 'visitor ID card',
    credential: { kind: 'idcard', value: 'hash-vis1', idNumberValid: true },
    ctx: {},
    grant: 'VISITOR_REGISTERED',
  },
  {
    name: 'resident plate',
    credential: { kind: 'plate', value: '京A12345' },
    ctx: { kind: 'vehicle' },
    grant: 'VEHICLE_PERMIT',
  },
];

/** Refused (true) or let through with the notice (false), per policy and kind. */
const REFUSED: Record<StalePolicy, Record<string, boolean>> = {
  'residents-cards': {
    'resident card': false,
    'staff card': false,
    'signed QR pass': true,
    'visitor ID card': true,
    'resident plate': true,
  },
  'deny-qr': {
    'resident card': false,
    'staff card': false,
    'signed QR pass': true,
    'visitor ID card': false,
    'resident plate': false,
  },
  'warn-only': {
    'resident card': false,
    'staff card': false,
    'signed QR pass': false,
    'visitor ID card': false,
    'resident plate': false,
  },
};

function run(
  kind: Kind,
  freshness: FreshnessPolicy | undefined,
  refreshedAt: number | undefined,
  mode: SiteMode = 'open',
): Decision {
  const p = policy(mode, freshness === undefined ? {} : { freshness });
  const ctx = { ...laneContext(kind.ctx, p), dataRefreshedAt: refreshedAt };
  const request: PassRequest = { at: NOW, laneId: 'lane', shift: 'day', credential: kind.credential };
  return decide(p, registry, ctx, request);
}

const codes = (d: Decision, effect: 'deny' | 'notice' | 'grant') =>
  d.reasons.filter((r) => r.effect === effect).map((r) => r.code);

describe('DATA_STALE: each stale policy × each credential kind', () => {
  for (const stalePolicy of ['residents-cards', 'deny-qr', 'warn-only'] as const) {
    const freshness = { maxAgeMs: MAX_AGE, stalePolicy };
    for (const kind of KINDS) {
      const refused = REFUSED[stalePolicy][kind.name];
      it(`${stalePolicy}: ${kind.name} → ${refused ? 'refused' : 'passes with the notice'}`, () => {
        expect(codes(run(kind, undefined, undefined), 'grant')).toEqual([kind.grant]);
        const d = run(kind, freshness, STALE);
        if (refused) {
          expect(d.allow).toBe(false);
          expect(codes(d, 'deny')).toEqual(['DATA_STALE']);
          expect(d.reasons).toContainEqual({
            effect: 'deny',
            code: 'DATA_STALE',
            detail: { policy: stalePolicy },
          });
          expect(d.actions).toContainEqual({
            type: 'indicate',
            led: 'red',
            buzzer: 'long',
            text: { zh: '登记数据过期，请联系值班员', en: 'Registry data out of date: see the guard' },
          });
        } else {
          expect(d.allow).toBe(true);
          expect(codes(d, 'grant')).toEqual([kind.grant]);
          expect(codes(d, 'notice')).toEqual(['DATA_STALE']);
          // Never a silent allow: the light at the gate is amber, not green.
          expect(d.actions).toContainEqual(expect.objectContaining({ type: 'indicate', led: 'amber' }));
        }
      });
      it(`${stalePolicy}: ${kind.name} while fresh → as with freshness off`, () => {
        expect(run(kind, freshness, FRESH)).toEqual(run(kind, undefined, undefined));
      });
    }
  }
});

describe('DATA_STALE: the window and its edges', () => {
  const freshness: FreshnessPolicy = { maxAgeMs: MAX_AGE, stalePolicy: 'residents-cards' };
  const qr = KINDS[2] as Kind;

  it('exactly maxAge after the refresh is still fresh; one ms later is stale', () => {
    expect(run(qr, freshness, NOW - MAX_AGE).allow).toBe(true);
    expect(codes(run(qr, freshness, NOW - MAX_AGE - 1), 'deny')).toEqual(['DATA_STALE']);
  });

  it('a site never refreshed is stale', () => {
    expect(codes(run(qr, freshness, undefined), 'deny')).toEqual(['DATA_STALE']);
  });

  it('lists DATA_STALE with every other failing rule (closed mode, no escort for the visitor)', () => {
    const d = run(KINDS[3] as Kind, freshness, STALE, 'closed');
    expect(codes(d, 'deny')).toEqual(['ESCORT_REQUIRED', 'DATA_STALE']);
  });

  it('an emergency override still opens while stale, and the decision says the data were stale', () => {
    const p = policy('closed', { freshness });
    const ctx = { ...laneContext({}, p), dataRefreshedAt: STALE };
    const d = decide(p, registry, ctx, {
      at: NOW,
      laneId: 'lane',
      shift: 'day',
      credential: qr.credential,
      override: { operator: 'op', reason: 'medical' },
    });
    expect(d.allow).toBe(true);
    expect(codes(d, 'deny')).toContain('DATA_STALE');
  });

  it('explains the deny and the notice in zh and en', () => {
    const denied = explain(run(qr, freshness, STALE));
    expect(denied.reasons.find((r) => r.code === 'DATA_STALE')?.message.zh).toBe(
      '登记数据过期，请联系值班员',
    );
    const noticed = explain(run(KINDS[0] as Kind, freshness, STALE));
    expect(noticed.reasons.find((r) => r.effect === 'notice')?.message.en).toMatch(/out of date/);
  });
});

describe('freshness helpers and configuration', () => {
  it('counts imports, revocations, key rotations and upstream changes as refreshes, not local edits', () => {
    expect(isRefresh('registry.import', 'cli')).toBe(true);
    expect(isRefresh('pass.revoke', 'cli')).toBe(true);
    expect(isRefresh('pass.key-rotate', 'cli')).toBe(true);
    expect(isRefresh('visitor.register', 'upstream:district-1')).toBe(true);
    expect(isRefresh('registry.revoke', 'upstream:district-1')).toBe(true);
    expect(isRefresh('registry.person.put', 'admin-1')).toBe(false);
    expect(isRefresh('visitor.register', 'operator-1')).toBe(false);
    expect(isRefresh('pass.issue', 'cli')).toBe(false);
    expect(isRefresh('api.user.add', 'upstream:district-1')).toBe(false);
  });

  it('reports when the data went stale', () => {
    const p: FreshnessPolicy = { maxAgeMs: MAX_AGE, stalePolicy: 'deny-qr' };
    expect(isStale(p, FRESH, NOW)).toBe(false);
    expect(staleStatus(p, FRESH, NOW)).toBeNull();
    expect(staleStatus(undefined, undefined, NOW)).toBeNull();
    expect(staleStatus(p, STALE, NOW)).toEqual({
      since: STALE + MAX_AGE,
      refreshedAt: STALE,
      policy: 'deny-qr',
    });
    expect(staleStatus(p, undefined, NOW)).toEqual({ since: null, refreshedAt: null, policy: 'deny-qr' });
  });

  it('is off by default; on, it converts hours; bad values name the field', () => {
    expect(freshnessPolicyOf(freshnessSchema.parse({}))).toBeUndefined();
    expect(freshnessPolicyOf(freshnessSchema.parse({ enabled: true, maxAgeHours: 1.5 }))).toEqual({
      maxAgeMs: 5_400_000,
      stalePolicy: 'residents-cards',
    });
    const bad = freshnessSchema.safeParse({ enabled: true, stalePolicy: 'allow-all', maxAgeHours: 0 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['maxAgeHours', 'stalePolicy']);
  });
});
