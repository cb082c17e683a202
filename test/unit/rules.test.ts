import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SiteMode } from '../../gateway/domain/model.js';
import { decide } from '../../gateway/rules/decide.js';
import { DENY_CODES, type DenyCode, GRANT_CODES, REASON_MESSAGES } from '../../gateway/rules/reasons.js';
import { RULES } from '../../gateway/rules/rule-table.js';
import { renderRulesMarkdown } from '../../gateway/rules/rules-doc.js';
import type { Decision, PassRequest, PresentedCredential } from '../../gateway/rules/types.js';
import { type ContextOptions, cardValue, laneContext, NOW, policy, registry } from '../helpers/world.js';

const MODES: readonly SiteMode[] = ['open', 'closed', 'lockdown'];
const H = 3600_000;

const cardOf = (value: string): PresentedCredential => ({ kind: 'card', value: cardValue(value) });
const plate = (value: string): PresentedCredential => ({ kind: 'plate', value });

function run(mode: SiteMode, req: Partial<PassRequest>, ctx: ContextOptions = {}): Decision {
  const p = policy(mode);
  const request: PassRequest = { at: NOW, laneId: 'lane', shift: 'day', ...req };
  return decide(p, registry, laneContext(ctx, p), request);
}

const denies = (d: Decision) => d.reasons.filter((r) => r.effect === 'deny').map((r) => r.code);
const grant = (d: Decision) => d.reasons.find((r) => r.effect === 'grant')?.code;

/**
 * One case per reason code where that code, and nothing else, fails in closed mode. `open`
 * says what the same request gets in open mode; in lockdown every closed-mode rule still
 * applies and LOCKDOWN is added, since none of these subjects is on-duty staff.
 */
interface AloneCase {
  name: string;
  code: DenyCode;
  req: Partial<PassRequest>;
  ctx?: ContextOptions;
  open: DenyCode[] | 'allow';
}

const escorted: ContextOptions = { escorts: { res1: NOW - 5000 } };

const ALONE: AloneCase[] = [
  {
    name: 'resident at a secondary gate',
    code: 'GATE_CLOSED',
    req: { credential: cardOf('C-RES1') },
    ctx: { primary: false },
    open: 'allow',
  },
  { name: 'nothing shown', code: 'NO_CREDENTIAL', req: {}, open: ['NO_CREDENTIAL'] },
  {
    name: 'unknown card',
    code: 'UNKNOWN_CREDENTIAL',
    req: { credential: cardOf('C-NOPE') },
    open: ['UNKNOWN_CREDENTIAL'],
  },
  {
    name: 'card of a holder missing from the registry',
    code: 'UNKNOWN_CREDENTIAL',
    req: { credential: cardOf('C-ORPHAN') },
    open: ['UNKNOWN_CREDENTIAL'],
  },
  {
    name: 'unknown ID card on the way out',
    code: 'UNKNOWN_CREDENTIAL',
    req: { credential: { kind: 'idcard', value: 'hash-nobody', idNumberValid: true } },
    ctx: { direction: 'out' },
    open: ['UNKNOWN_CREDENTIAL'],
  },
  {
    name: 'card past its validity',
    code: 'CREDENTIAL_EXPIRED',
    req: { credential: cardOf('C-EXPIRED') },
    open: ['CREDENTIAL_EXPIRED'],
  },
  {
    name: 'card not yet valid',
    code: 'CREDENTIAL_EXPIRED',
    req: { credential: cardOf('C-FUTURE') },
    open: ['CREDENTIAL_EXPIRED'],
  },
  {
    name: 'revoked card',
    code: 'CREDENTIAL_REVOKED',
    req: { credential: cardOf('C-REVOKED') },
    open: ['CREDENTIAL_REVOKED'],
  },
  {
    name: 'ID card failing its check digit',
    code: 'IDCARD_INVALID',
    req: { credential: { kind: 'idcard', value: 'hash-vis1', idNumberValid: false } },
    ctx: escorted,
    open: ['IDCARD_INVALID'],
  },
  {
    name: 'no reading at the lane',
    code: 'TEMPERATURE_REQUIRED',
    req: { credential: cardOf('C-RES1') },
    ctx: { temperature: null },
    open: 'allow',
  },
  {
    name: 'reading older than the window',
    code: 'TEMPERATURE_REQUIRED',
    req: { credential: cardOf('C-RES1') },
    ctx: { temperature: { at: NOW - 10_001, celsius: 36.5, mask: true } },
    open: 'allow',
  },
  {
    name: 'temperature exactly at the threshold',
    code: 'FEVER',
    req: { credential: cardOf('C-RES1') },
    ctx: { temperature: { at: NOW - 1000, celsius: 37.3, mask: true } },
    open: ['FEVER'],
  },
  {
    name: 'high reading waiting for its re-measure',
    code: 'TEMPERATURE_REMEASURE',
    req: { credential: cardOf('C-RES1') },
    ctx: { temperature: { at: NOW - 1000, celsius: 37.9, mask: true, remeasure: 'required' } },
    open: ['TEMPERATURE_REMEASURE'],
  },
  {
    name: 'no mask seen',
    code: 'NO_MASK',
    req: { credential: cardOf('C-RES1') },
    ctx: { temperature: { at: NOW - 1000, celsius: 36.4, mask: false } },
    open: 'allow',
  },
  {
    name: 'home-quarantined resident going out',
    code: 'QUARANTINED',
    req: { credential: cardOf('C-QHOME') },
    ctx: { direction: 'out' },
    open: ['QUARANTINED'],
  },
  {
    name: 'centrally quarantined person coming in',
    code: 'QUARANTINED',
    req: { credential: cardOf('C-QCENTRAL') },
    open: ['QUARANTINED'],
  },
  {
    name: 'resident of a sealed unit going out',
    code: 'QUARANTINED',
    req: { credential: cardOf('C-SEALED') },
    ctx: { direction: 'out' },
    open: ['QUARANTINED'],
  },
  {
    name: 'household already out within 48 h',
    code: 'HOUSEHOLD_QUOTA_EXCEEDED',
    req: { credential: cardOf('C-RES1') },
    ctx: { direction: 'out', exits: { '3-2-501': [NOW - 47 * H] } },
    open: 'allow',
  },
  {
    name: 'member who is not the designated shopper',
    code: 'NOT_DESIGNATED_MEMBER',
    req: { credential: cardOf('C-RES2') },
    ctx: { direction: 'out' },
    open: 'allow',
  },
  {
    name: 'visitor whose registration lapsed',
    code: 'VISITOR_NOT_REGISTERED',
    req: { credential: cardOf('C-VIS-UNREG') },
    ctx: escorted,
    open: ['VISITOR_NOT_REGISTERED'],
  },
  {
    name: 'unknown ID card on the way in',
    code: 'VISITOR_NOT_REGISTERED',
    req: { credential: { kind: 'idcard', value: 'hash-nobody', idNumberValid: true } },
    open: ['VISITOR_NOT_REGISTERED'],
  },
  {
    name: 'visitor without escort',
    code: 'ESCORT_REQUIRED',
    req: { credential: { kind: 'idcard', value: 'hash-vis1', idNumberValid: true } },
    open: 'allow',
  },
  {
    name: 'visitor whose escort showed a card 31 s before',
    code: 'ESCORT_REQUIRED',
    req: { credential: { kind: 'idcard', value: 'hash-vis1', idNumberValid: true } },
    ctx: { escorts: { res1: NOW - 31_000 } },
    open: 'allow',
  },
  {
    name: 'visitor back from a high-risk region',
    code: 'HIGH_RISK_ORIGIN',
    req: { credential: cardOf('C-VIS-RISK') },
    ctx: escorted,
    open: 'allow',
  },
  // In open mode a courier is a visitor like any other and needs a registration.
  {
    name: 'courier',
    code: 'DELIVERY_NOT_ALLOWED',
    req: { credential: cardOf('C-COURIER1') },
    open: ['VISITOR_NOT_REGISTERED'],
  },
  {
    name: 'resident declared as delivering',
    code: 'DELIVERY_NOT_ALLOWED',
    req: { credential: cardOf('C-RES3'), purpose: 'delivery' },
    open: 'allow',
  },
  {
    name: 'outside vehicle',
    code: 'VEHICLE_NO_PERMIT',
    req: { credential: plate('沪C99999') },
    ctx: { kind: 'vehicle', temperature: null },
    open: ['VEHICLE_NO_PERMIT'],
  },
  {
    name: 'unknown plate',
    code: 'VEHICLE_NO_PERMIT',
    req: { credential: plate('粤Z00000') },
    ctx: { kind: 'vehicle', temperature: null },
    open: ['VEHICLE_NO_PERMIT'],
  },
  {
    name: 'lapsed permit',
    code: 'VEHICLE_NO_PERMIT',
    req: { credential: plate('京A54321') },
    ctx: { kind: 'vehicle', temperature: null },
    open: ['VEHICLE_NO_PERMIT'],
  },
  {
    name: 'work vehicle disinfected 2 days ago',
    code: 'VEHICLE_DISINFECTION_DUE',
    req: { credential: plate('京B00001') },
    ctx: { kind: 'vehicle', temperature: null },
    open: 'allow',
  },
  {
    name: 'card already inside',
    code: 'ANTI_PASSBACK',
    req: { credential: cardOf('C-RES1') },
    ctx: { lastDirections: { res1: 'in' } },
    open: ['ANTI_PASSBACK'],
  },
  {
    name: 'QR pass with a bad signature',
    code: 'INVALID_SIGNATURE',
    req: { credential: { kind: 'qr', value: 'PASS-RES2', signature: 'invalid' } },
    open: ['INVALID_SIGNATURE'],
  },
  {
    name: 'dynamic code seen before',
    code: 'REPLAYED_CODE',
    req: { credential: { kind: 'qr', value: 'PASS-RES2', signature: 'valid', codeId: 'PASS-RES2@1000' } },
    ctx: { seenCodes: ['PASS-RES2@1000'] },
    open: ['REPLAYED_CODE'],
  },
];

describe('every reason code alone, in each mode', () => {
  it('covers every deny code of the catalogue', () => {
    // The codes of building entrances alone: test/unit/rules-building.test.ts; DATA_STALE (off
    // in these policies): test/unit/freshness-rule.test.ts; JOURNAL_UNAVAILABLE (a journal
    // outage): test/faults/held-entries.test.ts.
    const covered = new Set([
      ...ALONE.map((c) => c.code),
      'LOCKDOWN',
      'BUILDING_SEALED',
      'NOT_THIS_BUILDING',
      'DATA_STALE',
      'JOURNAL_UNAVAILABLE',
    ]);
    expect(DENY_CODES.filter((c) => !covered.has(c))).toEqual([]);
  });

  for (const c of ALONE) {
    it(`closed: ${c.name} → ${c.code}`, () => {
      const d = run('closed', c.req, c.ctx);
      expect(d.allow).toBe(false);
      expect(denies(d)).toEqual([c.code]);
      expect(grant(d)).toBeUndefined();
    });
    it(`lockdown: ${c.name} → ${c.code} and LOCKDOWN`, () => {
      const d = run('lockdown', c.req, c.ctx);
      expect(d.allow).toBe(false);
      expect(new Set(denies(d))).toEqual(new Set([c.code, 'LOCKDOWN']));
    });
    it(`open: ${c.name} → ${c.open === 'allow' ? 'allowed' : c.open.join(', ')}`, () => {
      const d = run('open', c.req, c.ctx);
      if (c.open === 'allow') {
        expect(denies(d)).toEqual([]);
        expect(d.allow).toBe(true);
      } else {
        expect(d.allow).toBe(false);
        expect(denies(d)).toEqual(c.open);
      }
    });
  }
});

describe('lockdown', () => {
  it('lets on-duty staff with a valid work certificate through', () => {
    const d = run('lockdown', { credential: cardOf('C-STAFF1'), shift: 'day' });
    expect(d.allow).toBe(true);
    expect(grant(d)).toBe('STAFF');
  });
  it('stops staff off duty', () => {
    expect(denies(run('lockdown', { credential: cardOf('C-STAFF1'), shift: 'night' }))).toEqual(['LOCKDOWN']);
  });
  it('stops staff whose work certificate expired', () => {
    expect(denies(run('lockdown', { credential: cardOf('C-STAFF-NOCERT') }))).toEqual(['LOCKDOWN']);
  });
  it('lets staff pass in closed mode off duty', () => {
    expect(grant(run('closed', { credential: cardOf('C-STAFF1'), shift: 'night' }))).toBe('STAFF');
  });
  it('still takes the temperature of staff', () => {
    const d = run('lockdown', { credential: { kind: 'workcert', value: 'WC-001' } }, { temperature: null });
    expect(denies(d)).toEqual(['TEMPERATURE_REQUIRED']);
  });
});

describe('grants', () => {
  it('names who passed', () => {
    expect(grant(run('closed', { credential: cardOf('C-RES1') }))).toBe('RESIDENT');
    expect(
      grant(
        run('closed', { credential: { kind: 'idcard', value: 'hash-vis1', idNumberValid: true } }, escorted),
      ),
    ).toBe('VISITOR_ESCORTED');
    expect(
      grant(run('open', { credential: { kind: 'idcard', value: 'hash-vis1', idNumberValid: true } })),
    ).toBe('VISITOR_REGISTERED');
    expect(grant(run('closed', { credential: cardOf('C-REPAIR1') }))).toBe('VISITOR_REGISTERED');
    expect(
      grant(run('closed', { credential: plate('京A12345') }, { kind: 'vehicle', temperature: null })),
    ).toBe('VEHICLE_PERMIT');
    expect(
      grant(run('closed', { credential: plate('京B00002') }, { kind: 'vehicle', temperature: null })),
    ).toBe('VEHICLE_PERMIT');
  });
  it('lets a home-quarantined resident back in with an alarm', () => {
    const d = run('closed', { credential: cardOf('C-QHOME') });
    expect(d.allow).toBe(true);
    expect(d.reasons).toContainEqual({ effect: 'notice', code: 'QUARANTINED' });
    expect(d.actions).toContainEqual({ type: 'alarm', code: 'QUARANTINED', severity: 'critical' });
  });
  it('ignores a lifted order', () => {
    expect(run('closed', { credential: cardOf('C-RES3') }, { direction: 'out' }).allow).toBe(true);
  });
  it('allows quota again after the period', () => {
    const d = run(
      'closed',
      { credential: cardOf('C-RES1') },
      { direction: 'out', exits: { '3-2-501': [NOW - 48 * H - 1] } },
    );
    expect(d.allow).toBe(true);
  });
  it('lets a temperature just under the threshold pass', () => {
    const d = run(
      'closed',
      { credential: cardOf('C-RES1') },
      { temperature: { at: NOW, celsius: 37.29, mask: null } },
    );
    expect(d.allow).toBe(true);
  });
  it('lets a visitor leave whatever their registration', () => {
    expect(run('closed', { credential: cardOf('C-VIS-UNREG') }, { direction: 'out' }).allow).toBe(true);
  });
});

describe('combinations list every failing rule, in catalogue order', () => {
  it('fever, no mask, quota and designated member at once', () => {
    const d = run(
      'closed',
      { credential: cardOf('C-RES2') },
      {
        direction: 'out',
        temperature: { at: NOW, celsius: 38.1, mask: false },
        exits: { '3-2-501': [NOW - H] },
      },
    );
    expect(denies(d)).toEqual(['FEVER', 'NO_MASK', 'HOUSEHOLD_QUOTA_EXCEEDED', 'NOT_DESIGNATED_MEMBER']);
    expect(d.actions).toContainEqual({ type: 'alarm', code: 'FEVER', severity: 'critical' });
  });
  it('a revoked card at a secondary gate in lockdown with no reading', () => {
    const d = run('lockdown', { credential: cardOf('C-REVOKED') }, { primary: false, temperature: null });
    expect(denies(d)).toEqual(['GATE_CLOSED', 'LOCKDOWN', 'CREDENTIAL_REVOKED', 'TEMPERATURE_REQUIRED']);
  });
  it('an unescorted visitor from a high-risk region with a fever', () => {
    const d = run(
      'closed',
      { credential: cardOf('C-VIS-RISK') },
      { temperature: { at: NOW, celsius: 39, mask: true } },
    );
    expect(denies(d)).toEqual(['FEVER', 'ESCORT_REQUIRED', 'HIGH_RISK_ORIGIN']);
  });
  it('a replayed code with a bad signature, already inside', () => {
    const d = run(
      'open',
      { credential: { kind: 'qr', value: 'PASS-RES2', signature: 'invalid', codeId: 'x' } },
      { seenCodes: ['x'], lastDirections: { res2: 'in' } },
    );
    expect(denies(d)).toEqual(['ANTI_PASSBACK', 'INVALID_SIGNATURE', 'REPLAYED_CODE']);
  });
  it('a dirty work vehicle at the secondary gate', () => {
    const d = run(
      'closed',
      { credential: plate('京B00001') },
      { primary: false, kind: 'vehicle', temperature: null },
    );
    expect(denies(d)).toEqual(['GATE_CLOSED', 'VEHICLE_DISINFECTION_DUE']);
  });
});

describe('precedence: fire release > emergency override > lockdown > closed > open', () => {
  it('fire releases a lockdown lane even for a fever, with the alarm', () => {
    const d = run(
      'lockdown',
      { credential: cardOf('C-RES1') },
      { fire: true, temperature: { at: NOW, celsius: 38.5, mask: true } },
    );
    expect(d.allow).toBe(true);
    expect(grant(d)).toBe('FIRE_RELEASE');
    expect(denies(d)).toEqual(['LOCKDOWN', 'FEVER']);
    expect(d.actions).toContainEqual({ type: 'alarm', code: 'FEVER', severity: 'critical' });
  });
  it('fire releases with nothing shown at all', () => {
    expect(grant(run('lockdown', {}, { fire: true, primary: false }))).toBe('FIRE_RELEASE');
  });
  it('fire wins over an override', () => {
    expect(grant(run('closed', { override: { operator: 'op1', reason: 'x' } }, { fire: true }))).toBe(
      'FIRE_RELEASE',
    );
  });
  it('an operator override opens a lockdown lane and keeps what failed', () => {
    const d = run('lockdown', { override: { operator: 'op1', reason: '120 救护车' } }, { temperature: null });
    expect(d.allow).toBe(true);
    expect(grant(d)).toBe('EMERGENCY_OVERRIDE');
    expect(denies(d)).toEqual(['LOCKDOWN', 'NO_CREDENTIAL', 'TEMPERATURE_REQUIRED']);
  });
  it('lockdown is stricter than closed, closed stricter than open', () => {
    const req = { credential: cardOf('C-RES1') };
    expect(run('open', req).allow).toBe(true);
    expect(run('closed', req).allow).toBe(true);
    expect(run('lockdown', req).allow).toBe(false);
    const atSecondary = { primary: false } as const;
    expect(run('open', req, atSecondary).allow).toBe(true);
    expect(run('closed', req, atSecondary).allow).toBe(false);
  });
});

describe('actions', () => {
  it('unlocks a pedestrian lane and shows green', () => {
    const d = run('closed', { credential: cardOf('C-RES1') });
    expect(d.actions).toEqual([
      { type: 'unlock', durationMs: 5000 },
      { type: 'indicate', led: 'green', buzzer: 'short', text: REASON_MESSAGES.RESIDENT },
    ]);
  });
  it('raises a barrier on a vehicle lane', () => {
    const d = run('closed', { credential: plate('京A12345') }, { kind: 'vehicle', temperature: null });
    expect(d.actions[0]).toEqual({ type: 'raise_barrier' });
  });
  it('shows the first reason in red on a deny and never opens', () => {
    const d = run('closed', { credential: cardOf('C-RES1') }, { primary: false, temperature: null });
    expect(d.actions).toEqual([
      { type: 'indicate', led: 'red', buzzer: 'long', text: REASON_MESSAGES.GATE_CLOSED },
    ]);
  });
});

describe('catalogue', () => {
  it('has a zh-CN and an English message for every code', () => {
    for (const code of [...DENY_CODES, ...GRANT_CODES]) {
      expect(REASON_MESSAGES[code].zh.length, code).toBeGreaterThan(0);
      expect(REASON_MESSAGES[code].en.length, code).toBeGreaterThan(0);
    }
  });
  it('has exactly one rule per deny code, each explained', () => {
    expect(RULES.map((r) => r.code).sort()).toEqual([...DENY_CODES].sort());
    for (const r of RULES) expect(r.explains.length).toBeGreaterThan(20);
  });
  it('is documented in docs/rules.md, generated from the rule table (npm run docs)', () => {
    const committed = readFileSync(join(import.meta.dirname, '../../docs/rules.md'), 'utf8');
    expect(committed).toBe(renderRulesMarkdown());
  });
  it('evaluates every mode without throwing for every rule', () => {
    for (const mode of MODES) expect(() => run(mode, {})).not.toThrow();
  });
});
