import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { keyIdOf, publicKeyObject } from './pass-crypto.js';

/**
 * The trusted issuer keys: the file `passes.keyRingFile` (JSON, public keys only), e.g.
 *
 *   { "version": 1, "keys": [
 *     { "id": "1f2e3d4c", "publicKey": "<32 bytes, base64url>", "validFrom": "2024-05-01T00:00:00.000Z",
 *       "validUntil": "2024-06-01T00:00:00.000Z" } ] }
 *
 * A key is trusted while the verification time is inside [validFrom, validUntil) (no
 * validUntil: until further notice), so during a change-over the old and the new key are both
 * trusted, and when the old key's window ends every pass it signed stops working.
 */

const instant = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 instant with offset or Z' });

const entrySchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{8}$/, 'expected 8 lower-case hex digits'),
  publicKey: z.base64url({ error: 'expected base64url without padding' }),
  validFrom: instant,
  validUntil: instant.optional(),
  note: z.string().max(200).optional(),
});

export const keyRingFileSchema = z.strictObject({
  version: z.literal(1),
  keys: z.array(entrySchema),
});

export type KeyRingFile = z.infer<typeof keyRingFileSchema>;
export type KeyRingEntry = KeyRingFile['keys'][number];

export interface TrustedKey {
  keyId: string;
  publicKey: KeyObject;
  validFrom: number;
  validUntil?: number;
}

export type KeyLookup =
  | { ok: true; key: TrustedKey }
  | { ok: false; reason: 'unknown-key' | 'key-outside-validity' };

export class KeyRing {
  private readonly keys: ReadonlyMap<string, TrustedKey>;

  constructor(keys: readonly TrustedKey[]) {
    this.keys = new Map(keys.map((k) => [k.keyId, k]));
  }

  get size(): number {
    return this.keys.size;
  }

  lookup(keyId: string, at: number): KeyLookup {
    const key = this.keys.get(keyId);
    if (key === undefined) return { ok: false, reason: 'unknown-key' };
    const inside = key.validFrom <= at && (key.validUntil === undefined || at < key.validUntil);
    return inside ? { ok: true, key } : { ok: false, reason: 'key-outside-validity' };
  }
}

/** Problems name the entry and field; an empty list means the file is good. */
export function parseKeyRing(text: string): { ok: true; ring: KeyRing } | { ok: false; problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`not JSON: ${(err as Error).message}`] };
  }
  const parsed = keyRingFileSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`),
    };
  }
  const problems: string[] = [];
  const keys: TrustedKey[] = [];
  parsed.data.keys.forEach((entry, i) => {
    const key = trustedKey(entry, keys);
    if (typeof key === 'string') problems.push(`keys.${i}.${key}`);
    else keys.push(key);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, ring: new KeyRing(keys) };
}

/** The entry as a trusted key, or what is wrong with it (field: problem). */
function trustedKey(entry: KeyRingEntry, before: readonly TrustedKey[]): TrustedKey | string {
  const raw = Buffer.from(entry.publicKey, 'base64url');
  if (raw.length !== 32) return `publicKey: ${raw.length} bytes, not 32`;
  if (keyIdOf(raw) !== entry.id) return 'id: does not match its public key';
  if (before.some((k) => k.keyId === entry.id)) return `id: ${entry.id} listed twice`;
  const key: TrustedKey = {
    keyId: entry.id,
    publicKey: publicKeyObject(raw),
    validFrom: Date.parse(entry.validFrom),
  };
  if (entry.validUntil === undefined) return key;
  key.validUntil = Date.parse(entry.validUntil);
  return key.validUntil > key.validFrom ? key : 'validUntil: not after validFrom';
}

/** The file's text for `entries` (as the CLI writes it). */
export function formatKeyRing(entries: readonly KeyRingEntry[]): string {
  return `${JSON.stringify({ version: 1, keys: entries }, null, 2)}\n`;
}
