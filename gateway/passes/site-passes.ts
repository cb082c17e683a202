import { type PassesConfig, passesSchema, resolvePassesPaths } from '../../config/passes-schema.js';
import type { GatewardenConfig } from '../../config/schema.js';
import { GatewardenError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { Site } from '../site.js';
import { readSecretFile } from '../util/key-file.js';
import { SignedPassCredentials } from './scan-credential.js';
import { TrustFiles } from './trust-files.js';

export const DYNAMIC_KEY_BYTES = 32;

/**
 * The `passes` section with absolute paths. Read through here so that a configuration loaded
 * before the section existed (or without it) gets the defaults under its data directory;
 * resolving an already absolute path changes nothing.
 */
export function passesConfigOf(config: GatewardenConfig): PassesConfig {
  const section = (config as { passes?: PassesConfig }).passes ?? passesSchema.parse({});
  return resolvePassesPaths(section, config.site.dataDir);
}

/**
 * The site dynamic key, or undefined when the file does not exist (no dynamic pass has been
 * issued with this data directory). A key file other users may read is refused (throws).
 */
export function readDynamicKey(passes: PassesConfig): Buffer | undefined {
  const key = readSecretFile(passes.dynamicKeyFile, 'pass dynamic key');
  if (key !== undefined && key.length !== DYNAMIC_KEY_BYTES) {
    throw new GatewardenError(
      'CONFIG_INVALID',
      `pass dynamic key ${passes.dynamicKeyFile} must be ${DYNAMIC_KEY_BYTES} bytes, found ${key.length}`,
    );
  }
  return key;
}

/** Where the dynamic key before the last rotation is kept, with the end of its change-over. */
export function previousDynamicKeyFile(passes: PassesConfig): string {
  return `${passes.dynamicKeyFile}.previous`;
}

/**
 * The dynamic key before the last rotation and when its change-over ends, or undefined: a file
 * `{"validUntil": ISO 8601, "key": base64url}`, owner-only like the key itself.
 */
export function readPreviousDynamicKey(
  passes: PassesConfig,
): { key: Buffer; validUntil: number } | undefined {
  const path = previousDynamicKeyFile(passes);
  const text = readSecretFile(path, 'previous pass dynamic key');
  if (text === undefined) return undefined;
  let parsed: { validUntil?: unknown; key?: unknown };
  try {
    parsed = JSON.parse(text.toString('utf8')) as typeof parsed;
  } catch {
    parsed = {};
  }
  const validUntil = typeof parsed.validUntil === 'string' ? Date.parse(parsed.validUntil) : Number.NaN;
  const key = typeof parsed.key === 'string' ? Buffer.from(parsed.key, 'base64url') : Buffer.alloc(0);
  if (!Number.isFinite(validUntil) || key.length !== DYNAMIC_KEY_BYTES) {
    throw new GatewardenError(
      'CONFIG_INVALID',
      `previous pass dynamic key ${path} must be {"validUntil": ISO 8601, "key": ${DYNAMIC_KEY_BYTES} bytes base64url}`,
    );
  }
  return { key, validUntil };
}

/**
 * The credential layer every scanner of the site shares: signed passes checked against the
 * key ring and revocation list files (re-read when they change), the dynamic key read once at
 * start (a world-readable one stops the start), holders from the current registry snapshot.
 */
export function siteScanCredentials(site: Site, log: Logger): SignedPassCredentials {
  const passes = passesConfigOf(site.config);
  const dynamicKey = readDynamicKey(passes);
  const previousDynamicKey = readPreviousDynamicKey(passes);
  const trust = new TrustFiles(passes, (problem) =>
    log.error({ problem }, 'pass trust file unusable: every signed pass is refused'),
  );
  const initial = trust.current();
  if (initial.ok) {
    log.info(
      { issuerKeys: initial.ring.size, revoked: initial.revoked.size, dynamic: dynamicKey !== undefined },
      'signed passes: trust loaded',
    );
  }
  return new SignedPassCredentials({
    trust: () => trust.current(),
    dynamicKey,
    previousDynamicKey,
    stepSeconds: passes.stepSeconds,
    siteKey: site.key,
    holderOf: (passId) => site.registrySnapshot().credential('qr', passId)?.holderId,
    unsigned: passes.unsigned,
  });
}
