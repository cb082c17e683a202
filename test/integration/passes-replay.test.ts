/**
 * Dynamic pass codes through the real checkpoint and journal (SQLite in a temp dir): the
 * credential layer sets `codeId`, the checkpoint remembers accepted codes as a fold of the
 * journal, and REPLAYED_CODE refuses the same code at another lane, also after a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Checkpoint, type SiteLayout } from '../../gateway/checkpoint/checkpoint.js';
import { type Db, openDatabase } from '../../gateway/db.js';
import { Journal } from '../../gateway/journal/journal.js';
import { passSecret, stepAt, stepCode } from '../../gateway/passes/dynamic-code.js';
import { KeyRing } from '../../gateway/passes/key-ring.js';
import { passText } from '../../gateway/passes/pass-codec.js';
import { SignedPassCredentials } from '../../gateway/passes/scan-credential.js';
import { RegistrySnapshot } from '../../gateway/registry/snapshot.js';
import type { Decision } from '../../gateway/rules/types.js';
import { policy } from '../helpers/world.js';
import {
  body,
  DYNAMIC_KEY,
  HOLDER,
  ISSUER,
  PASS_ID,
  SITE_KEY,
  STEP_SECONDS,
  signedBytes,
  T0,
  trusted,
} from '../unit/passes-fixtures.js';

const layout: SiteLayout = {
  gates: [
    {
      id: 'north',
      primary: true,
      lanes: [
        { id: 'lane-a', kind: 'pedestrian', direction: 'out' },
        { id: 'lane-b', kind: 'pedestrian', direction: 'out' },
      ],
    },
  ],
};

const registry = new RegistrySnapshot({
  households: [{ id: 'h1', building: '3', unit: '2', room: '502', designatedMemberIds: [] }],
  persons: [{ id: HOLDER, kind: 'resident', householdId: 'h1' }],
  credentials: [{ id: `qr:${PASS_ID}`, kind: 'qr', value: PASS_ID, holderId: HOLDER }],
});

const credentials = new SignedPassCredentials({
  trust: () => ({ ok: true, ring: new KeyRing([trusted(ISSUER)]), revoked: new Set() }),
  dynamicKey: DYNAMIC_KEY,
  stepSeconds: STEP_SECONDS,
  siteKey: SITE_KEY,
  holderOf: (id) => registry.credential('qr', id)?.holderId,
  unsigned: 'refuse',
});

const pass = signedBytes(body({ dynamic: true }));
const screenAt = (at: number, stepOffset = 0) =>
  passText(pass, stepCode(passSecret(DYNAMIC_KEY, PASS_ID), stepAt(at, STEP_SECONDS) + stepOffset));
const denies = (d: Decision) => d.reasons.filter((r) => r.effect === 'deny').map((r) => r.code);

describe('dynamic pass codes at the checkpoint', () => {
  let dir: string;
  let db: Db;
  let clock: number;

  const open = () => {
    db = openDatabase(join(dir, 'gatewarden.db'));
    const checkpoint = new Checkpoint({
      journal: Journal.open(db),
      layout,
      registry: () => registry,
      // Household quota off: this test is about codes, and every pass here goes out.
      policy: (mode) => policy(mode, { householdQuota: { exits: 100, periodMs: 1000 } }),
      initialMode: 'open',
      timezone: 'Asia/Shanghai',
      returnWithinMs: 4 * 3600_000,
      now: () => clock,
    });
    checkpoint.start();
    return checkpoint;
  };
  const scan = (cp: Checkpoint, laneId: string, text: string) =>
    cp.present({ laneId, credential: credentials.credentialFor(text, clock).credential }).decision;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-pass-replay-'));
    clock = T0 + 5000;
  });
  afterEach(() => {
    if (db?.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets a code through once and refuses it at another lane, across a restart', () => {
    let cp = open();
    const code = screenAt(clock);
    const first = scan(cp, 'lane-a', code);
    expect(first.allow).toBe(true);
    expect(first.subject).toMatchObject({ kind: 'person', id: HOLDER });
    clock += 2000;
    expect(denies(scan(cp, 'lane-b', code))).toEqual(['REPLAYED_CODE']);
    db.close();
    cp = open();
    clock += 2000;
    expect(denies(scan(cp, 'lane-b', code))).toEqual(['REPLAYED_CODE']);
    // The phone's next code is a new code: it passes.
    clock += STEP_SECONDS * 1000;
    expect(scan(cp, 'lane-b', screenAt(clock)).allow).toBe(true);
  });

  it('refuses a code from two steps ago, and a bare screenshot of the pass without its code', () => {
    const cp = open();
    expect(denies(scan(cp, 'lane-a', screenAt(clock, -2)))).toEqual(['INVALID_SIGNATURE']);
    expect(denies(scan(cp, 'lane-a', passText(pass)))).toEqual(['INVALID_SIGNATURE']);
    // A refused code is not remembered: the right code still passes once.
    expect(scan(cp, 'lane-a', screenAt(clock)).allow).toBe(true);
  });
});
