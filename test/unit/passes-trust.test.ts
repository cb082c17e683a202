import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PassesConfig, passesSchema, resolvePassesPaths } from '../../config/passes-schema.js';
import { parseKeyRing } from '../../gateway/passes/key-ring.js';
import { parseRevocations } from '../../gateway/passes/revocations.js';
import { TrustFiles } from '../../gateway/passes/trust-files.js';
import {
  addRevocation,
  currentIssuerKeyId,
  loadIssuerKey,
  readRingEntries,
  ringEntry,
  rotateIssuerKey,
  writeRingEntries,
} from '../../gateway/passes/trust-writes.js';
import { ISSUER, OTHER_ISSUER, PASS_ID, T0 } from './passes-fixtures.js';

const DAY = 86_400_000;

describe('pass trust files', () => {
  let dir: string;
  let passes: PassesConfig;
  let problems: string[];
  let trust: TrustFiles;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-passes-'));
    passes = resolvePassesPaths(passesSchema.parse({}), dir);
    problems = [];
    trust = new TrustFiles(passes, (p) => problems.push(p));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('trusts no key and revokes nothing while the files do not exist', () => {
    const t = trust.current();
    expect(t.ok && t.ring.size === 0 && t.revoked.size === 0).toBe(true);
  });

  it('sees a revocation or a new key at the next read, without a restart', () => {
    writeRingEntries(passes, [ringEntry(ISSUER, T0)]);
    let t = trust.current();
    expect(t.ok && t.ring.lookup(ISSUER.keyId, T0).ok).toBe(true);
    expect(addRevocation(passes, { passId: PASS_ID, at: T0, note: 'phone\nlost' })).toBe(true);
    expect(addRevocation(passes, { passId: PASS_ID, at: T0 + 1 })).toBe(false);
    t = trust.current();
    expect(t.ok && t.revoked.has(PASS_ID)).toBe(true);
    expect(readFileSync(passes.revocationFile, 'utf8')).toContain(
      `${PASS_ID} 2024-05-01T00:00:00.000Z # phone lost\n`,
    );
    writeRingEntries(passes, [ringEntry(ISSUER, T0), ringEntry(OTHER_ISSUER, T0)]);
    t = trust.current();
    expect(t.ok && t.ring.size).toBe(2);
    expect(problems).toEqual([]);
  });

  it('fails closed on a file others may write, and on a file it cannot parse, reporting once', () => {
    writeRingEntries(passes, [ringEntry(ISSUER, T0)]);
    chmodSync(passes.keyRingFile, 0o666);
    expect(trust.current()).toEqual({
      ok: false,
      problem: expect.stringMatching(/writable by other users \(mode 0666\)/),
    });
    trust.current();
    expect(problems).toHaveLength(1);
    chmodSync(passes.keyRingFile, 0o644);
    expect(trust.current().ok).toBe(true);
    writeFileSync(passes.revocationFile, 'gwp-0123 yesterday\n', { mode: 0o600 });
    expect(trust.current()).toEqual({ ok: false, problem: expect.stringContaining('line 1: not a pass id') });
    expect(problems).toHaveLength(2);
  });

  it('creates the issuer key owner-only on first use and keeps it', () => {
    const first = loadIssuerKey(passes);
    expect(first.created).toBe(true);
    expect(statSync(passes.issuerKeyFile).mode & 0o777).toBe(0o600);
    const again = loadIssuerKey(passes);
    expect(again).toMatchObject({ created: false, key: { keyId: first.key.keyId } });
    chmodSync(passes.issuerKeyFile, 0o644);
    expect(() => loadIssuerKey(passes)).toThrow(/open to other users/);
  });

  it('rotates: the new key signs from now, the old one stays trusted for the overlap', () => {
    const { key: old } = loadIssuerKey(passes);
    writeRingEntries(passes, [ringEntry(old, T0 - DAY)]);
    const rotated = rotateIssuerKey(passes, T0, 7 * DAY);
    expect(rotated.retired).toBe(old.keyId);
    expect(currentIssuerKeyId(passes)).toBe(rotated.key.keyId);
    expect(statSync(passes.issuerKeyFile).mode & 0o777).toBe(0o600);
    expect(readRingEntries(passes)).toEqual([
      { ...ringEntry(old, T0 - DAY), validUntil: new Date(T0 + 7 * DAY).toISOString() },
      ringEntry(rotated.key, T0),
    ]);
    const t = trust.current();
    if (!t.ok) throw new Error(t.problem);
    expect(t.ring.lookup(old.keyId, T0 + 7 * DAY - 1).ok).toBe(true);
    expect(t.ring.lookup(rotated.key.keyId, T0 + 7 * DAY - 1).ok).toBe(true);
    expect(t.ring.lookup(old.keyId, T0 + 7 * DAY)).toEqual({ ok: false, reason: 'key-outside-validity' });
  });
});

describe('trust file formats', () => {
  it('refuses a ring entry whose id is not its key’s, or listed twice', () => {
    const entry = ringEntry(ISSUER, T0);
    const text = (keys: unknown[]) => JSON.stringify({ version: 1, keys });
    expect(parseKeyRing(text([{ ...entry, id: OTHER_ISSUER.keyId }]))).toEqual({
      ok: false,
      problems: ['keys.0.id: does not match its public key'],
    });
    expect(parseKeyRing(text([entry, entry]))).toMatchObject({ problems: [/keys.1.id: .* listed twice/] });
    expect(parseKeyRing(text([{ ...entry, validUntil: entry.validFrom }]))).toMatchObject({
      problems: ['keys.0.validUntil: not after validFrom'],
    });
    expect(parseKeyRing(text([{ ...entry, extra: 1 }])).ok).toBe(false);
    expect(parseKeyRing('{')).toMatchObject({ ok: false, problems: [/^not JSON/] });
  });

  it('reads revocations line by line, naming the bad lines', () => {
    const good = `# header\n\n${PASS_ID} 2024-05-01T08:00:00+08:00 # note\n`;
    expect(parseRevocations(good)).toEqual({
      ok: true,
      revocations: [{ passId: PASS_ID, at: T0, note: 'note' }],
    });
    expect(parseRevocations(`${PASS_ID}\n${PASS_ID} 2024-13-01T00:00:00Z\n`)).toEqual({
      ok: false,
      problems: [
        'line 1: expected "<pass id> <revoked at>"',
        'line 2: "2024-13-01T00:00:00Z" is not an ISO 8601 instant with offset',
      ],
    });
  });
});
