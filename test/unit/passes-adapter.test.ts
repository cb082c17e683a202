/**
 * The scanner adapter with the signed-pass layer injected: what is presented at the lane, and
 * what the log says (the outcome and reason, never the pass text, its id or its code).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { newCounters, type Scanner, type ScannerEvents } from '../../drivers/scanner/scanner.js';
import { ScannerAdapter } from '../../drivers/scanner/scanner-adapter.js';
import { childLogger } from '../../gateway/logging.js';
import { passSecret, stepAt, stepCode } from '../../gateway/passes/dynamic-code.js';
import { KeyRing } from '../../gateway/passes/key-ring.js';
import { passText } from '../../gateway/passes/pass-codec.js';
import { SignedPassCredentials } from '../../gateway/passes/scan-credential.js';
import { memoryLog, recordingLanePort } from '../helpers/idcard-lane.js';
import {
  body,
  DYNAMIC_KEY,
  ISSUER,
  PASS_ID,
  SITE_KEY,
  STEP_SECONDS,
  signedBytes,
  signedText,
  T0,
  trusted,
} from './passes-fixtures.js';

class FakeScanner extends EventEmitter<ScannerEvents> implements Scanner {
  readonly deviceName = 'fake';
  readonly isOnline = true;
  readonly counters = newCounters();
  start = async () => true;
  stop = async () => undefined;
}

function rig(credentials?: SignedPassCredentials['credentialFor']) {
  const scanner = new FakeScanner();
  const lane = recordingLanePort();
  const log = memoryLog();
  const adapter = new ScannerAdapter(
    {
      deviceId: 'qr-1',
      laneId: 'north-ped-in',
      ...(credentials ? { credentials: { credentialFor: credentials } } : {}),
    },
    scanner,
    lane.port,
    childLogger(log.logger, 'scanner:qr-1'),
  );
  adapter.start();
  const scan = (text: string) => scanner.emit('scan', { text, at: T0 });
  return { scan, lane, log };
}

const layer = new SignedPassCredentials({
  trust: () => ({ ok: true, ring: new KeyRing([trusted(ISSUER)]), revoked: new Set() }),
  dynamicKey: DYNAMIC_KEY,
  stepSeconds: STEP_SECONDS,
  siteKey: SITE_KEY,
  holderOf: () => undefined,
  unsigned: 'allow',
});

describe('ScannerAdapter with signed passes', () => {
  it('presents what the pass layer makes of each scan and logs only the outcome', () => {
    const t = rig((text, at) => layer.credentialFor(text, at));
    const code = stepCode(passSecret(DYNAMIC_KEY, PASS_ID), stepAt(T0, STEP_SECONDS));
    const screen = passText(signedBytes(body({ dynamic: true })), code);
    const tampered = `${screen.slice(0, 20)}${screen.charAt(20) === 'A' ? 'B' : 'A'}${screen.slice(21)}`;
    t.scan(` ${signedText(body())} `);
    t.scan(screen);
    t.scan(tampered);
    expect(t.lane.presented.map((p) => p.credential)).toEqual([
      { kind: 'qr', value: PASS_ID, signature: 'valid' },
      { kind: 'qr', value: PASS_ID, signature: 'valid', codeId: `${PASS_ID}@${stepAt(T0, STEP_SECONDS)}` },
      { kind: 'qr', value: expect.stringMatching(/^unverified:/), signature: 'invalid' },
    ]);
    const passNotes = t.log.lines().map((l) => l.pass);
    expect(passNotes).toEqual([
      { status: 'valid', kind: 'household', dynamic: 0 },
      { status: 'valid', kind: 'household', dynamic: 1 },
      { status: 'invalid', reason: 'bad-signature' },
    ]);
    for (const secret of [screen.slice(4, 40), code, PASS_ID]) expect(t.log.text()).not.toContain(secret);
  });

  it('presents nothing when the pass layer fails, and logs the failure', () => {
    const t = rig(() => {
      throw new Error('broken');
    });
    t.scan(signedText(body()));
    expect(t.lane.presented).toEqual([]);
    expect(t.log.text()).toContain('code could not be checked; not presented');
  });

  it('without a pass layer presents the plain code as before', () => {
    const t = rig();
    t.scan('QR-LINA');
    expect(t.lane.presented.map((p) => p.credential)).toEqual([{ kind: 'qr', value: 'QR-LINA' }]);
  });
});
