import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PassesConfig } from '../../config/passes-schema.js';
import { GatewardenError } from '../errors.js';
import { loadOrCreateKey, readSecretFile } from '../util/key-file.js';
import { formatKeyRing, type KeyRingEntry, keyRingFileSchema } from './key-ring.js';
import { type IssuerKey, issuerKeyFromSeed, SEED_BYTES } from './pass-crypto.js';
import { formatRevocation, parseRevocations, REVOCATIONS_HEADER, type Revocation } from './revocations.js';
import {
  DYNAMIC_KEY_BYTES,
  previousDynamicKeyFile,
  readDynamicKey,
  readPreviousDynamicKey,
} from './site-passes.js';
import { readTrustFile } from './trust-files.js';

/**
 * The issuing side's changes to the pass files: the issuer key, the key ring, the revocation
 * list. Every file is replaced whole by rename, so a gateway reading it at the same moment sees
 * the old or the new file and never half of one (trust-files.ts re-reads on the change).
 */

export function writeFileAtomic(path: string, data: string | Buffer, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, data, { mode, flag: 'wx' });
    renameSync(temp, path);
  } catch (cause) {
    rmSync(temp, { force: true });
    throw new GatewardenError('CONFIG_UNREADABLE', `cannot write ${path}`, { cause });
  }
}

/** The current issuer key, created on first use (owner-only); `created` says whether it was. */
export function loadIssuerKey(passes: PassesConfig): { key: IssuerKey; created: boolean } {
  const created = readSecretFile(passes.issuerKeyFile, 'pass issuer key') === undefined;
  const seed = loadOrCreateKey(passes.issuerKeyFile, SEED_BYTES, 'pass issuer key');
  return { key: issuerKeyFromSeed(seed), created };
}

/** The id of the key in the issuer key file, or undefined when there is none yet (never creates one). */
export function currentIssuerKeyId(passes: PassesConfig): string | undefined {
  const seed = readSecretFile(passes.issuerKeyFile, 'pass issuer key');
  return seed?.length === SEED_BYTES ? issuerKeyFromSeed(seed).keyId : undefined;
}

/** The ring file's entries; none when it does not exist. Throws naming every problem. */
export function readRingEntries(passes: PassesConfig): KeyRingEntry[] {
  if (!existsSync(passes.keyRingFile)) return [];
  let json: unknown;
  try {
    json = JSON.parse(readTrustFile(passes.keyRingFile));
  } catch (cause) {
    throw new GatewardenError(
      'CONFIG_INVALID',
      `key ring ${passes.keyRingFile}: ${(cause as Error).message}`,
    );
  }
  const parsed = keyRingFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new GatewardenError('CONFIG_INVALID', `key ring ${passes.keyRingFile} is invalid`, {
      problems: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    });
  }
  return parsed.data.keys;
}

export function writeRingEntries(passes: PassesConfig, entries: readonly KeyRingEntry[]): void {
  writeFileAtomic(passes.keyRingFile, formatKeyRing(entries), 0o644);
}

export function ringEntry(key: IssuerKey, validFrom: number): KeyRingEntry {
  return {
    id: key.keyId,
    publicKey: key.publicKey.toString('base64url'),
    validFrom: new Date(validFrom).toISOString(),
  };
}

/**
 * Rotation: a fresh issuer key replaces the current one (whose seed is discarded: nothing is
 * signed with it again) and joins the ring from `now`; the old key stays trusted until
 * `now + overlapMs`, so the passes it signed keep working through the change-over.
 */
export function rotateIssuerKey(
  passes: PassesConfig,
  now: number,
  overlapMs: number,
): { key: IssuerKey; retired?: string } {
  const entries = readRingEntries(passes);
  const retiredId = currentIssuerKeyId(passes);
  const key = issuerKeyFromSeed(randomBytes(SEED_BYTES));
  const until = new Date(now + overlapMs).toISOString();
  const updated = entries.map((e) =>
    e.id === retiredId && (e.validUntil === undefined || Date.parse(e.validUntil) > now + overlapMs)
      ? { ...e, validUntil: until }
      : e,
  );
  updated.push(ringEntry(key, now));
  // The ring first: a key the ring does not trust yet never signs.
  writeRingEntries(passes, updated);
  writeFileAtomic(passes.issuerKeyFile, seedOf(key), 0o600);
  return retiredId === undefined ? { key } : { key, retired: retiredId };
}

function seedOf(key: IssuerKey): Buffer {
  const pkcs8 = key.privateKey.export({ format: 'der', type: 'pkcs8' });
  return Buffer.from(pkcs8.subarray(pkcs8.length - SEED_BYTES));
}

/**
 * Rotation of the site dynamic key: a fresh key derives the phone secrets of passes issued from
 * now; the old one is kept (owner-only, with its end) so codes of passes issued under it are
 * accepted until `now + overlapMs` (verify-pass.ts). Those passes must be reissued before then.
 * Refused while the previous change-over is still running: its passes would stop at once.
 */
export function rotateDynamicKey(
  passes: PassesConfig,
  now: number,
  overlapMs: number,
): { validUntil: number } {
  const current = readDynamicKey(passes);
  if (current === undefined)
    throw new GatewardenError(
      'USAGE',
      `no pass dynamic key at ${passes.dynamicKeyFile} yet: nothing to rotate`,
    );
  const running = readPreviousDynamicKey(passes);
  if (running !== undefined && running.validUntil > now) {
    throw new GatewardenError(
      'USAGE',
      `the previous dynamic key's change-over runs until ${new Date(running.validUntil).toISOString()}: rotate after it`,
    );
  }
  const validUntil = now + overlapMs;
  const previous = { validUntil: new Date(validUntil).toISOString(), key: current.toString('base64url') };
  writeFileAtomic(previousDynamicKeyFile(passes), JSON.stringify(previous), 0o600);
  writeFileAtomic(passes.dynamicKeyFile, randomBytes(DYNAMIC_KEY_BYTES), 0o600);
  return { validUntil };
}

/** Adds a pass to the revocation list; false when it was already listed. */
export function addRevocation(passes: PassesConfig, revocation: Revocation): boolean {
  const text = existsSync(passes.revocationFile) ? readTrustFile(passes.revocationFile) : REVOCATIONS_HEADER;
  const parsed = parseRevocations(text);
  if (!parsed.ok) {
    throw new GatewardenError('CONFIG_INVALID', `revocation list ${passes.revocationFile} is invalid`, {
      problems: parsed.problems.map((message) => ({ message })),
    });
  }
  if (parsed.revocations.some((r) => r.passId === revocation.passId)) return false;
  const base = text.endsWith('\n') || text === '' ? text : `${text}\n`;
  writeFileAtomic(passes.revocationFile, base + formatRevocation(revocation), 0o644);
  return true;
}
