import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import type { GatewardenConfig } from '../../config/schema.js';
import { GatewardenError } from '../errors.js';
import { passesConfigOf, previousDynamicKeyFile } from '../passes/site-passes.js';
import { writeFileAtomic } from '../passes/trust-writes.js';
import { readSecretFile } from '../util/key-file.js';

/**
 * The site's secret files in one list (docs/security.md §1), and the rotation of the OSDP master
 * key. Nothing here prints or returns key material: only paths, modes and whether each is there.
 */

export const OSDP_MASTER_BYTES = 16;

/** Where the OSDP master key before the last rotation is kept until retired (read by osdp-devices.ts). */
export function previousKeyFile(path: string): string {
  return `${path}.previous`;
}

export interface SiteKeyFile {
  /** What the key is for, as `keys list` shows it. */
  name: string;
  path: string;
  /** Secret (owner-only, refused otherwise) or public (refused when others may write it). */
  secret: boolean;
}

export function siteKeyFiles(config: GatewardenConfig): SiteKeyFile[] {
  const passes = passesConfigOf(config);
  return [
    { name: 'pseudonym', path: config.registry.pseudonymKeyFile, secret: true },
    { name: 'osdp', path: config.osdp.masterKeyFile, secret: true },
    { name: 'osdp (previous)', path: previousKeyFile(config.osdp.masterKeyFile), secret: true },
    { name: 'issuer', path: passes.issuerKeyFile, secret: true },
    { name: 'issuer ring', path: passes.keyRingFile, secret: false },
    { name: 'dynamic', path: passes.dynamicKeyFile, secret: true },
    { name: 'dynamic (previous)', path: previousDynamicKeyFile(passes), secret: true },
  ];
}

/** One key file's state: absent, fine, or what is wrong with its mode. */
export function keyFileState(file: SiteKeyFile): { present: boolean; mode?: string; problem?: string } {
  if (!existsSync(file.path)) return { present: false };
  const mode = statSync(file.path).mode & 0o777;
  const shown = mode.toString(8).padStart(4, '0');
  const bad = file.secret ? (mode & 0o077) !== 0 : (mode & 0o022) !== 0;
  if (!bad) return { present: true, mode: shown };
  const problem = file.secret ? 'open to other users: chmod 600' : 'writable by others: chmod 644';
  return { present: true, mode: shown, problem };
}

/**
 * Rotates the OSDP master key: the current key becomes the previous one (kept, owner-only, so
 * that each PD can be reached with its old key and moved with KEYSET, drivers/osdp/link/pd-link.ts)
 * and a fresh random key becomes current. Refused while a previous key is still kept: a PD two
 * rotations behind could no longer be reached; retire the previous key first, once every PD moved.
 */
export function rotateOsdpMasterKey(masterKeyFile: string): void {
  const current = readSecretFile(masterKeyFile, 'OSDP master key');
  if (current === undefined)
    throw new GatewardenError('USAGE', `no OSDP master key at ${masterKeyFile} yet: nothing to rotate`);
  if (current.length !== OSDP_MASTER_BYTES)
    throw new GatewardenError('CONFIG_INVALID', `OSDP master key ${masterKeyFile} must be 16 bytes`);
  const previous = previousKeyFile(masterKeyFile);
  if (existsSync(previous))
    throw new GatewardenError(
      'USAGE',
      `the previous OSDP key is still kept (${previous}): once every reader is online with the current key, run gatewarden keys retire osdp, then rotate`,
    );
  // The previous key first: a crash in between leaves current == previous, which is harmless.
  writeFileAtomic(previous, current, 0o600);
  writeFileAtomic(masterKeyFile, randomBytes(OSDP_MASTER_BYTES), 0o600);
}

/** Drops the previous OSDP master key; false when there was none. */
export function retireOsdpPreviousKey(masterKeyFile: string): boolean {
  const previous = previousKeyFile(masterKeyFile);
  if (!existsSync(previous)) return false;
  rmSync(previous);
  return true;
}
