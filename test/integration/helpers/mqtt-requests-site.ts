/**
 * A gateway's site on a temporary folder for the upstream request and peer tests: the default
 * configuration (gates north and east) with its data directory moved there, a small synthetic
 * registry imported, a settable clock (or the one given), and an Ed25519 issuer whose public key sits under the
 * data directory as the gateway would read it. `dispose()` closes the site and removes the folder.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { loadIssuerKeys } from '../../../gateway/mqtt/upstream/request-signature.js';
import type { RegistryDocument } from '../../../gateway/registry/document.js';
import { Site } from '../../../gateway/site.js';

const ROOT = resolve(import.meta.dirname, '../../..');

/** 2022-04-10 10:00 in Asia/Shanghai: a Sunday day shift. */
export const T0 = Date.UTC(2022, 3, 10, 2);
export const SITE_ID = 'demo-community';
export const ISSUER = 'district-1';
export const silentLog = pino({ level: 'silent' });

/** Synthetic: households h-1 (r-1, r-2; one exit per 48 h) and h-2 (r-3), each resident with a card. */
export const REGISTRY: RegistryDocument = {
  version: 1,
  households: [
    { id: 'h-1', building: '1', unit: '1', room: '101', quota: { exits: 1, periodHours: 48 } },
    { id: 'h-2', building: '2', unit: '1', room: '201' },
  ],
  persons: [
    { id: 'r-1', kind: 'resident', householdId: 'h-1' },
    { id: 'r-2', kind: 'resident', householdId: 'h-1' },
    { id: 'r-3', kind: 'resident', householdId: 'h-2' },
  ],
  credentials: [
    { kind: 'card', value: 'A0000001', holder: 'r-1' },
    { kind: 'card', value: 'A0000002', holder: 'r-2' },
    { kind: 'card', value: 'A0000003', holder: 'r-3' },
  ],
};

export interface ScratchGateway {
  readonly dir: string;
  readonly site: Site;
  readonly clock: { now: number };
  /** The issuer's private key (upstream's side) and the gateway's view of the issuers. */
  readonly privateKey: KeyObject;
  readonly issuers: Map<string, KeyObject>;
  dispose(): void;
}

export function scratchGateway(
  options: {
    mode?: 'open' | 'closed' | 'lockdown';
    privateKey?: KeyObject;
    now?: () => number;
    /** Appended to the configuration (sections the default one does not have: lines, osdp …). */
    extraYaml?: string;
  } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'gw-upstream-'));
  const dataDir = join(dir, 'data');
  const config = join(dir, 'gatewarden.yaml');
  const text = readFileSync(join(ROOT, 'config/gatewarden.yaml'), 'utf8')
    .replace('$schema: ./schema.json', `$schema: ${join(ROOT, 'config/schema.json')}`)
    .replace('dataDir: ../data', `dataDir: ${dataDir}`)
    .replace('mode: closed', `mode: ${options.mode ?? 'closed'}`)
    .replace('  level: info', '  level: silent');
  writeFileSync(config, text + (options.extraYaml ?? ''));
  const clock = { now: T0 };
  const site = new Site({ configPath: config, now: options.now ?? (() => clock.now), gateway: true });
  site.registry.import(REGISTRY, { mode: 'replace' });
  site.checkpoint.start();
  let privateKey = options.privateKey;
  if (privateKey === undefined) privateKey = generateKeyPairSync('ed25519').privateKey;
  const keyFile = join(dataDir, 'keys', `upstream-${ISSUER}.pem`);
  mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' });
  writeFileSync(keyFile, publicPem, { mode: 0o600 });
  const issuers = loadIssuerKeys([{ id: ISSUER, publicKeyFile: keyFile }]);
  return {
    dir,
    site,
    clock,
    privateKey,
    issuers,
    dispose() {
      site.close();
      rmSync(dir, { recursive: true, force: true });
    },
  } satisfies ScratchGateway;
}

/** The envelope of a request from ISSUER, issued now by the gateway's clock. */
export function envelope(clock: { now: number }, type: string, transactionId: string) {
  return {
    transactionId,
    type,
    site: SITE_ID,
    issuer: ISSUER,
    issuedAt: new Date(clock.now).toISOString(),
  };
}

/** A resident's pass at a lane with a good temperature reading just before (closed mode needs it). */
export function pass(site: Site, laneId: string, card: string) {
  const at = site.now();
  site.checkpoint.reading(laneId, { at: at - 1000, celsius: 36.5, mask: true }, 'test-camera');
  return site.checkpoint.present({ laneId, at, credential: { kind: 'card', value: card } });
}
